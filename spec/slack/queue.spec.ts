/**
 * The send queue on its own, in Jest's virtual time: ordering, the 50-message cap, timeouts, the
 * wait for a request that outlives its timeout (Retry-After, back-off), a request that never
 * settles, and requests that are minimal thenables, plain values or throws.
 */
import {
  hardLimit,
  MAX_WAITING,
  sendQueue,
  type Attempt,
  type SendQueueOptions,
} from '../../src/slack/queue';
import { outcome, watchUnhandledRejections } from './helpers';

/** A request the test settles by hand. */
interface Request {
  readonly item: string;
  readonly attempt: Attempt;
  /** Virtual time at which the queue started it. */
  readonly startedAt: number;
  resolve(): void;
  reject(error: unknown): void;
}

/** A queue whose requests the test settles (or returns what `respond` gives, when set). */
function queue(timeout: number, respond?: (item: string) => unknown) {
  const requests: Request[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const options: SendQueueOptions<string> = {
    timeout,
    label: 'slackListener (svc)',
    describe: (item) => `"${item}"`,
    start: (item, attempt) => {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      const done = () => inFlight--;
      if (respond !== undefined) {
        requests.push({ item, attempt, startedAt: Date.now(), resolve: done, reject: done });
        done();
        return respond(item);
      }
      return new Promise<void>((resolve, reject) =>
        requests.push({
          item,
          attempt,
          startedAt: Date.now(),
          resolve: () => (done(), resolve()),
          reject: (e) => (done(), reject(e)),
        }),
      );
    },
  };
  return { send: sendQueue(options), requests, maxInFlight: () => maxInFlight };
}

let watch: ReturnType<typeof watchUnhandledRejections>;
beforeEach(() => {
  jest.useFakeTimers({ now: 0 });
  watch = watchUnhandledRejections();
});
afterEach(() => {
  jest.useRealTimers();
  expect(watch.stop()).toEqual([]);
});

test('the hard limit is 12 x timeout, and at least 30 s', () => {
  expect(hardLimit(100)).toBe(30_000);
  expect(hardLimit(2500)).toBe(30_000);
  expect(hardLimit(5000)).toBe(60_000);
  expect(MAX_WAITING).toBe(50);
});

test('one request at a time, in order, each started once the one before it ends', async () => {
  const q = queue(1000);
  const outcomes = ['a', 'b', 'c', 'd'].map((item) => outcome(q.send(item)));
  expect(q.requests.map((r) => r.item)).toEqual(['a']); // started at once, synchronously
  await jest.advanceTimersByTimeAsync(400);
  q.requests[0]!.resolve();
  await jest.advanceTimersByTimeAsync(0);
  expect(q.requests.map((r) => r.item)).toEqual(['a', 'b']);
  q.requests[1]!.reject(new Error('channel_not_found'));
  await jest.advanceTimersByTimeAsync(0);
  const late = q.send('e'); // enqueued while c is in flight: after d
  q.requests[2]!.resolve();
  await jest.advanceTimersByTimeAsync(0);
  q.requests[3]!.resolve();
  await jest.advanceTimersByTimeAsync(0);
  q.requests[4]!.resolve();
  expect(await outcome(late)).toBe('sent');
  expect(await Promise.all(outcomes)).toEqual([
    'sent',
    `slackListener (svc): could not post "b": channel_not_found`,
    'sent',
    'sent',
  ]);
  expect(q.requests.map((r) => r.item)).toEqual(['a', 'b', 'c', 'd', 'e']);
  expect(q.requests.map((r) => r.startedAt)).toEqual([0, 400, 400, 400, 400]);
  expect(q.maxInFlight()).toBe(1);
  // An idle queue starts the next item at once again.
  q.send('f');
  expect(q.requests).toHaveLength(6);
});

test('at most 50 wait behind the one in flight: the oldest waiting are dropped, with a count', async () => {
  const q = queue(1000);
  const items = Array.from({ length: 1 + MAX_WAITING + 3 }, (_, i) => `m${i}`);
  const outcomes = items.map((item) => outcome(q.send(item)));
  // Dropped at once, without waiting for the request in flight.
  expect(await Promise.all(outcomes.slice(1, 4))).toEqual([
    `slackListener (svc): dropped "m1": 50 messages were already waiting (Slack is slow or down); 1 message dropped so far`,
    `slackListener (svc): dropped "m2": 50 messages were already waiting (Slack is slow or down); 2 messages dropped so far`,
    `slackListener (svc): dropped "m3": 50 messages were already waiting (Slack is slow or down); 3 messages dropped so far`,
  ]);
  for (let i = 0; i < 1 + MAX_WAITING; i++) {
    q.requests[i]!.resolve();
    await jest.advanceTimersByTimeAsync(0);
  }
  expect(q.requests.map((r) => r.item)).toEqual(['m0', ...items.slice(4)]);
  expect(await Promise.all(outcomes.slice(4))).toEqual(Array(MAX_WAITING).fill('sent'));
  // The count goes on across bursts.
  const busy = outcome(q.send('n0'));
  const later = Array.from({ length: MAX_WAITING + 1 }, (_, i) => outcome(q.send(`n${i + 1}`)));
  expect(await later[0]).toMatch(/dropped "n1": .*; 4 messages dropped so far$/);
  q.requests.at(-1)!.resolve();
  expect(await busy).toBe('sent');
});

test('a promise rejects at timeout; the next request waits for the real end, not the timeout', async () => {
  const q = queue(1000);
  const first = outcome(q.send('a'));
  const second = outcome(q.send('b'));
  let settled = false;
  void first.then(() => (settled = true));
  await jest.advanceTimersByTimeAsync(999);
  expect(settled).toBe(false);
  await jest.advanceTimersByTimeAsync(1);
  expect(await first).toBe(
    'slackListener (svc): could not post "a": no answer within 1000 ms (the request goes on; the next message waits for it up to 30000 ms)',
  );
  await jest.advanceTimersByTimeAsync(9000);
  expect(q.requests).toHaveLength(1); // b still waits for a
  q.requests[0]!.resolve(); // a ends at 10 s
  await jest.advanceTimersByTimeAsync(0);
  expect(q.requests.map((r) => [r.item, r.startedAt])).toEqual([
    ['a', 0],
    ['b', 10_000],
  ]);
  expect(q.requests[0]!.attempt.abandoned).toBe(false);
  q.requests[1]!.resolve();
  expect(await second).toBe('sent');
});

test.each([
  // WebClient waiting out a Retry-After of 20 s, then retrying: beyond timeout, within the floor.
  [1000, 25_000],
  // Back-off with the default timeout: the hard limit is 60 s.
  [5000, 55_000],
])(
  'timeout %i: a request that ends after %i ms (Retry-After, back-off) holds the queue until then',
  async (timeout, endsAt) => {
    const q = queue(timeout);
    const first = outcome(q.send('alert'));
    const recovery = outcome(q.send('recovery'));
    await jest.advanceTimersByTimeAsync(endsAt - 1);
    expect(q.requests).toHaveLength(1); // the recovery never overtakes the alert
    await jest.advanceTimersByTimeAsync(1);
    q.requests[0]!.resolve();
    await jest.advanceTimersByTimeAsync(0);
    expect(q.requests.map((r) => r.startedAt)).toEqual([0, endsAt]);
    expect(await first).toMatch(new RegExp(`no answer within ${timeout} ms`));
    q.requests[1]!.resolve();
    expect(await recovery).toBe('sent');
  },
);

test('a request that never settles: the queue moves on at the hard limit, then waits only timeout while it hangs', async () => {
  const q = queue(100);
  const outcomes = ['hung', 'b', 'c', 'd'].map((item) => outcome(q.send(item)));
  await jest.advanceTimersByTimeAsync(29_999);
  expect(q.requests).toHaveLength(1);
  await jest.advanceTimersByTimeAsync(1);
  expect(q.requests.map((r) => [r.item, r.startedAt])).toEqual([
    ['hung', 0],
    ['b', 30_000],
  ]);
  expect(q.requests[0]!.attempt.abandoned).toBe(true);
  // b, c hang too: Slack is down, each holds the queue for timeout only.
  await jest.advanceTimersByTimeAsync(200);
  expect(q.requests.map((r) => r.startedAt)).toEqual([0, 30_000, 30_100, 30_200]);
  // Everything ends at last: Slack is back, so a new request may hold the queue up to the limit.
  for (const r of q.requests) r.resolve();
  await jest.advanceTimersByTimeAsync(0);
  const e = outcome(q.send('e'));
  const f = outcome(q.send('f'));
  await jest.advanceTimersByTimeAsync(29_999);
  expect(q.requests.map((r) => r.item)).toEqual(['hung', 'b', 'c', 'd', 'e']);
  await jest.advanceTimersByTimeAsync(1);
  expect(q.requests.map((r) => [r.item, r.startedAt]).slice(4)).toEqual([
    ['e', 30_200],
    ['f', 60_200],
  ]);
  q.requests[4]!.resolve();
  q.requests[5]!.resolve();
  const results = await Promise.all([...outcomes, e, f]);
  expect(results[0]).toMatch(/"hung": no answer within 100 ms/);
  expect(results[1]).toMatch(
    /"b": no answer within 100 ms \(the request goes on; the next message waits for it up to 100 ms\); the request of "hung" still had no answer after 30000 ms, so this message did not wait for it/,
  );
  expect(results[2]).toMatch(/"c": no answer within 100 ms \(.* up to 100 ms\)$/);
  expect(results[3]).toBe('sent'); // answered as soon as it started
  expect(results[4]).toMatch(/"e": no answer within 100 ms \(.* up to 30000 ms\)$/);
  expect(results[5]).toMatch(/"f": the request of "e" still had no answer after 30000 ms/);
  expect(q.requests.map((r) => r.attempt.abandoned)).toEqual([
    true,
    true,
    true,
    false,
    true,
    false,
  ]);
});

test('requests that are minimal thenables, plain values or throws: each adopted once', async () => {
  let thenCalls = 0;
  const plans: Record<string, () => unknown> = {
    syncTwice: () => ({
      then(ok: () => void, fail: (e: unknown) => void) {
        thenCalls++;
        ok();
        ok();
        fail(new Error('ignored'));
      },
    }),
    rejectThenResolve: () => ({
      then(ok: () => void, fail: (e: unknown) => void) {
        fail('a plain string');
        ok();
      },
    }),
    thenThrows: () => ({
      then() {
        throw new Error('then threw');
      },
    }),
    throws: () => {
      throw new TypeError('start threw');
    },
    value: () => 42,
    nothing: () => undefined,
    rejectsNull: () => Promise.reject(null),
    never: () => ({ then: () => undefined }),
    after: () => Promise.resolve(),
  };
  const q = queue(100, (item) => plans[item]!());
  const outcomes = Object.keys(plans).map((item) => outcome(q.send(item)));
  await jest.advanceTimersByTimeAsync(30_000);
  expect(await Promise.all(outcomes)).toEqual([
    'sent',
    'slackListener (svc): could not post "rejectThenResolve": a plain string',
    'slackListener (svc): could not post "thenThrows": then threw',
    'slackListener (svc): could not post "throws": start threw',
    'sent',
    'sent',
    'slackListener (svc): could not post "rejectsNull": a thrown null: null',
    expect.stringMatching(/"never": no answer within 100 ms/),
    expect.stringMatching(/"after": the request of "never" still had no answer after 30000 ms/),
  ]);
  expect(thenCalls).toBe(1);
  expect(q.requests.map((r) => r.item)).toEqual(Object.keys(plans));
});

test('an error keeps the request’s rejection as its cause', async () => {
  const reason = new Error('ratelimited');
  const q = queue(100, () => Promise.reject(reason));
  const error = await q.send('a').catch((e: unknown) => e as Error);
  expect(error).toBeInstanceOf(Error);
  expect((error as Error).cause).toBe(reason);
});
