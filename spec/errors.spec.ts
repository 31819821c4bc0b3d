import { inspect, types } from 'node:util';
import { CallNotPermittedError } from '../src';

test('CallNotPermittedError carries what the catcher needs', () => {
  const e = new CallNotPermittedError('payment_api', 'open', 1500);
  expect(e).toBeInstanceOf(Error);
  expect(e).toBeInstanceOf(CallNotPermittedError);
  expect(e).toMatchObject({
    name: 'CallNotPermittedError',
    state: 'open',
    breakerName: 'payment_api',
    retryAfter: 1500,
  });
  expect(e.message).toBe(
    "Circuit breaker 'payment_api' is open: call not permitted (retry after 1500 ms)",
  );
  const forced = new CallNotPermittedError('x', 'forced_open');
  expect(forced.retryAfter).toBeUndefined();
  expect(forced.message).toBe("Circuit breaker 'x' is forced_open: call not permitted");
});

test('a refusal reads like any error: its stack, String(), inspect, JSON; name and message can be set', () => {
  const e = new CallNotPermittedError('svc', 'open', 20);
  const header =
    "CallNotPermittedError: Circuit breaker 'svc' is open: call not permitted (retry after 20 ms)";
  expect(e.stack?.split('\n')[0]).toBe(header);
  expect(String(e)).toBe(header);
  expect(inspect(e)).toContain(header);
  expect(types.isNativeError(e)).toBe(true);
  expect(JSON.parse(JSON.stringify(e))).toEqual({
    state: 'open',
    breakerName: 'svc',
    retryAfter: 20,
  });
  // Code that handles errors sometimes adds to them: that must not throw, and must stick.
  e.message += ' [while charging]';
  e.name = 'Refused';
  expect(e.message).toBe(
    "Circuit breaker 'svc' is open: call not permitted (retry after 20 ms) [while charging]",
  );
  expect(String(e)).toBe(`Refused: ${e.message}`);
  // Another refusal is unaffected.
  expect(String(new CallNotPermittedError('svc', 'forced_open'))).toBe(
    "CallNotPermittedError: Circuit breaker 'svc' is forced_open: call not permitted",
  );
});
