/**
 * A custom client (anything with `chat.postMessage`) may return a minimal thenable instead of a
 * Promise: an object with only `then`, which may call its callbacks synchronously, twice, both,
 * never, or throw. Whatever it does, each message's promise settles once, the queue goes on in
 * order, and nothing is left as an unhandled rejection.
 */
import { slackListener, type SlackClient, type SlackPostMessage } from '../../src/slack';
import { outcome, transition, watchUnhandledRejections } from './helpers';

type Answer = { ok?: boolean; ts?: string; error?: string };
type Callbacks = [(value: Answer) => void, (reason: unknown) => void];

/** A client whose n-th postMessage returns what the n-th entry of `plan` builds. */
function clientWith(plan: ((message: SlackPostMessage) => unknown)[]) {
  const sent: SlackPostMessage[] = [];
  const client = {
    chat: {
      postMessage(message: SlackPostMessage) {
        sent.push(message);
        const next = plan.shift() ?? (() => Promise.resolve({ ok: true }));
        return next(message);
      },
    },
  } as unknown as SlackClient;
  return { client, sent };
}

/** A thenable with only `then`, which does what `body` does with the callbacks. */
const thenable = (body: (...callbacks: Callbacks) => unknown) => () => ({
  then: (onOk: Callbacks[0], onFail: Callbacks[1]) => body(onOk, onFail),
});

afterEach(() => jest.useRealTimers());

test('thenables that call back synchronously, twice, both ways, throw or never settle', async () => {
  jest.useFakeTimers();
  const watch = watchUnhandledRejections();
  let late: Callbacks | undefined;
  const { client, sent } = clientWith([
    // Synchronously, twice: the first answer counts (its ts starts the breaker's thread).
    thenable((ok) => {
      ok({ ok: true, ts: '1.1' });
      ok({ ok: true, ts: '9.9' });
    }),
    // Rejects twice, then resolves: the first rejection counts.
    thenable((ok, fail) => {
      fail(new Error('first refusal'));
      fail(new Error('second refusal'));
      ok({ ok: true });
    }),
    // Throws from then.
    thenable(() => {
      throw new Error('then exploded');
    }),
    // Resolves, then throws: resolved.
    thenable((ok) => {
      ok({ ok: true });
      throw new Error('too late to matter');
    }),
    // A `then` getter that throws.
    () =>
      Object.defineProperty({}, 'then', {
        get() {
          throw new Error('then getter exploded');
        },
      }),
    // postMessage itself throws.
    () => {
      throw new Error('postMessage exploded');
    },
    // Not a thenable at all, nor an answer.
    () => undefined,
    // Rejects with something that is not an Error and cannot even be turned into a string.
    thenable((_, fail) => fail(Object.create(null))),
    // Never calls back (and returns nothing from then).
    thenable(() => undefined),
    // Calls back much later, twice.
    thenable((ok, fail) => {
      late = [ok, fail];
    }),
  ]);
  const slack = slackListener({ client, channel: 'C1', timeout: 100 });
  const outcomes = [
    transition('pay'),
    ...Array.from({ length: 9 }, (_, i) => transition(`b${i + 1}`)),
    transition('pay', { from: 'open', to: 'closed' }),
  ].map((t) => outcome(slack(t)));

  await jest.advanceTimersByTimeAsync(100); // b9 never answers: its promise rejects at timeout
  expect(sent).toHaveLength(9);
  // At the hard limit (30 s) the queue stops waiting for b8 and sends b9.
  await jest.advanceTimersByTimeAsync(29_950);
  expect(sent).toHaveLength(10);
  late![0]({ ok: true });
  late![1](new Error('and rejects too'));
  late![0]({ ok: true });
  await jest.advanceTimersByTimeAsync(0);
  expect(sent).toHaveLength(11);

  const results = await Promise.all(outcomes);
  expect(results[0]).toBe('sent');
  expect(results[1]).toMatch(/'b1': first refusal$/);
  expect(results[2]).toMatch(/'b2': then exploded$/);
  expect(results[3]).toBe('sent');
  expect(results[4]).toMatch(/'b4': then getter exploded$/);
  expect(results[5]).toMatch(/'b5': postMessage exploded$/);
  expect(results[6]).toMatch(/'b6': chat.postMessage resolved to undefined$/);
  expect(results[7]).toMatch(/'b7': a thrown value that cannot be shown$/);
  expect(results[8]).toMatch(/'b8': no answer within 100 ms/);
  // b9 was delivered; its promise carries the note that the queue gave up waiting for b8.
  expect(results[9]).toMatch(/'b9': the request of .*'b8' still had no answer after 30000 ms/);
  expect(results[10]).toBe('sent');
  // The recovery replies in the thread the synchronous thenable's first answer started.
  expect(sent[10]).toMatchObject({ thread_ts: '1.1', reply_broadcast: true });
  expect(sent.map((m) => /: (\w+) \(/.exec(m.text)?.[1])).toEqual([
    'pay',
    ...Array.from({ length: 9 }, (_, i) => `b${i + 1}`),
    'pay',
  ]);
  expect(watch.stop()).toEqual([]);
});

test('a client that never settles anything: every message is tried, each promise settles', async () => {
  jest.useFakeTimers();
  const watch = watchUnhandledRejections();
  const { client, sent } = clientWith(Array(5).fill(thenable(() => undefined)));
  const slack = slackListener({ client, channel: 'C1', timeout: 100 });
  const outcomes = [0, 1, 2, 3, 4].map((i) => outcome(slack(transition(`b${i}`))));
  // The first holds the queue for the hard limit; the rest, with Slack known down, for timeout.
  await jest.advanceTimersByTimeAsync(30_000 + 4 * 100);
  expect(sent).toHaveLength(5);
  const results = await Promise.all(outcomes);
  expect(results.every((r) => /no answer within 100 ms/.test(r))).toBe(true);
  expect(watch.stop()).toEqual([]);
});
