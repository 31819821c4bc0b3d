/**
 * The send queue: messages go out one at a time, in order, whatever the client does.
 *
 * Its bounds: at most {@link MAX_WAITING} messages wait (the oldest is dropped past that); each
 * message's promise settles within `timeout`; the queue waits for a request's real end up to
 * {@link hardLimit} (or only `timeout` while an earlier request it gave up on is still unanswered);
 * a request is anything (a Promise, a minimal thenable, a value, a throw), adopted once.
 *
 * @internal
 */
import { textOf } from './secrets';

/** How many messages may wait behind the one being sent; past that the oldest is dropped. */
export const MAX_WAITING = 50;

/**
 * How long the queue waits for a request that passed `timeout`, as a multiple of `timeout`
 * (one minute with the default 5 s), and at least {@link HARD_LIMIT_FLOOR}, before it sends the
 * next message anyway.
 */
export const HARD_LIMIT_FACTOR = 12;

/** The least the queue waits for a request (Slack's `Retry-After` does not scale with `timeout`). */
export const HARD_LIMIT_FLOOR = 30_000;

/** How long the queue waits for one request before it sends the next message anyway. */
export function hardLimit(timeout: number): number {
  return Math.max(timeout * HARD_LIMIT_FACTOR, HARD_LIMIT_FLOOR);
}

/** What the queue tells a request it started. */
export interface Attempt {
  /** True once the queue has stopped waiting for this request and moved on. */
  readonly abandoned: boolean;
}

/** What a send queue needs. */
export interface SendQueueOptions<T> {
  /** Milliseconds after which an item's promise rejects (finite, `> 0`). */
  readonly timeout: number;
  /** Starts error messages: `slackListener` or `slackListener (<service>)`. */
  readonly label: string;
  /** Names an item in error messages. */
  describe(item: T): string;
  /**
   * Starts the request of `item`. What it returns (a Promise, any thenable or a plain value) or
   * throws is adopted once, as `Promise.resolve` would: its settling is the request's real end,
   * and its rejection's message goes into the item's error.
   */
  start(item: T, attempt: Attempt): unknown;
}

/** An item waiting to be sent, and its promise's settlers. */
interface Job<T> {
  readonly item: T;
  readonly resolve: () => void;
  readonly reject: (error: Error) => void;
}

/** Runs `start` and adopts what it returns or throws as a real Promise; never throws. */
function adopt(start: () => unknown): Promise<unknown> {
  // The executor's throw rejects; resolving with a thenable calls its `then` once, later, with
  // resolvers that only the first call can use, and a throw from `then` rejects.
  return new Promise((resolve) => resolve(start()));
}

/**
 * A queue that sends items one at a time, in order. Returns the function that enqueues an item
 * and gives the promise of its delivery: it resolves when the request succeeds within `timeout`,
 * and rejects (never throws) when the request fails, passes `timeout`, or the item is dropped.
 * The queue itself never throws, never leaves a rejection unhandled and never stops: whatever a
 * request does, the next item goes out at the latest {@link hardLimit} ms later.
 */
export function sendQueue<T>(o: SendQueueOptions<T>): (item: T) => Promise<void> {
  const limit = hardLimit(o.timeout);
  const waiting: Job<T>[] = [];
  let busy = false;
  /** Set when the queue stopped waiting for a request; reported with the next message. */
  let gaveUp: string | undefined;
  let dropped = 0;
  /** Requests the queue stopped waiting for that have not ended yet. */
  let stuck = 0;
  const unstick = (): void => {
    stuck--;
  };

  const fail = (item: T, text: string, cause?: unknown): Error =>
    new Error(
      `${o.label}: could not post ${o.describe(item)}: ${text}`,
      cause === undefined ? undefined : { cause },
    );

  const next = (): void => {
    const job = waiting.shift();
    busy = job !== undefined;
    if (job !== undefined) send(job);
  };

  /** Sends one item; calls `next` exactly once, when the request ends or at the limit. */
  const send = (job: Job<T>): void => {
    const { item } = job;
    const earlier = gaveUp;
    gaveUp = undefined;
    const withEarlier = (text: string) => (earlier === undefined ? text : `${text}; ${earlier}`);
    // While a request given up on is still unanswered, Slack is down: no use waiting long.
    const wait = stuck > 0 ? o.timeout : limit;
    const attempt = { abandoned: false };
    let answered = false;
    let released = false;

    const answer = (error: Error | undefined): void => {
      if (answered) return;
      answered = true;
      clearTimeout(timeoutTimer);
      if (error === undefined) job.resolve();
      else job.reject(error);
    };
    const release = (): void => {
      if (released) return;
      released = true;
      clearTimeout(limitTimer);
      next();
    };

    const timeoutTimer = setTimeout(() => {
      const goesOn = `the request goes on; the next message waits for it up to ${wait} ms`;
      answer(fail(item, withEarlier(`no answer within ${o.timeout} ms (${goesOn})`)));
    }, o.timeout);
    const limitTimer = setTimeout(() => {
      attempt.abandoned = true;
      if (stuck === 0) {
        gaveUp = `the request of ${o.describe(item)} still had no answer after ${wait} ms, so this message did not wait for it (Slack may show them out of order)`;
      }
      stuck++;
      request.then(unstick, unstick);
      release();
    }, wait);

    const request = adopt(() => o.start(item, attempt));
    request.then(
      () => {
        answer(earlier === undefined ? undefined : fail(item, earlier));
        release();
      },
      (error: unknown) => {
        answer(fail(item, withEarlier(textOf(error)), error));
        release();
      },
    );
  };

  return (item: T): Promise<void> =>
    new Promise<void>((resolve, reject) => {
      if (waiting.length >= MAX_WAITING) {
        const oldest = waiting.shift() as Job<T>;
        dropped++;
        oldest.reject(
          new Error(
            `${o.label}: dropped ${o.describe(oldest.item)}: ${MAX_WAITING} messages were already waiting (Slack is slow or down); ${dropped} message${dropped === 1 ? '' : 's'} dropped so far`,
          ),
        );
      }
      waiting.push({ item, resolve, reject });
      if (!busy) next();
    });
}
