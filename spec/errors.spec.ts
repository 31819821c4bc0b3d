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
