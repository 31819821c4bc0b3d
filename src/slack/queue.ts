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

/** What a send queue needs. */
export interface SendQueueOptions<T> {
  /** Milliseconds after which an item's promise rejects. */
  readonly timeout: number;
  /** Starts error messages: `slackListener` or `slackListener (<service>)`. */
  readonly label: string;
  /** Names an item in error messages. */
  describe(item: T): string;
  /**
   * Starts the request of `item`; the promise settles when the request really ends. `late.value`
   * becomes true when the queue has stopped waiting for it.
   */
  start(item: T, late: { value: boolean }): Promise<void>;
}

/** An item waiting to be sent, and its promise's settlers. */
interface Job<T> {
  readonly item: T;
  readonly resolve: () => void;
  readonly reject: (error: Error) => void;
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * A queue that sends items one at a time, in order; returns the function that enqueues one and
 * gives the promise of its delivery.
 */
export function sendQueue<T>(o: SendQueueOptions<T>): (item: T) => Promise<void> {
  const limit = Math.max(o.timeout * HARD_LIMIT_FACTOR, HARD_LIMIT_FLOOR);
  const pending: Job<T>[] = [];
  let draining = false;
  /** Set when the queue stopped waiting for a request; reported with the next message. */
  let gaveUp: string | undefined;
  let dropped = 0;
  /** Requests the queue stopped waiting for that have not ended yet. */
  let stuck = 0;

  const fail = (item: T, error: unknown): Error =>
    new Error(`${o.label}: could not post ${o.describe(item)}: ${errorText(error)}`, {
      cause: error,
    });

  /** Sends one message; resolves when the queue may send the next one. Never rejects. */
  const send = async (job: Job<T>): Promise<void> => {
    const { item } = job;
    const earlier = gaveUp;
    gaveUp = undefined;
    const late = { value: false };
    let request: Promise<void>;
    try {
      request = o.start(item, late);
    } catch (error) {
      request = Promise.reject(error);
    }
    const timers: ReturnType<typeof setTimeout>[] = [];
    const after = (ms: number) =>
      new Promise<'late'>((resolve) => timers.push(setTimeout(() => resolve('late'), ms)));
    // While a request given up on is still unanswered, Slack is down: no use waiting long.
    const wait = stuck > 0 ? o.timeout : limit;
    const withEarlier = (text: string) =>
      new Error(earlier === undefined ? text : `${text}; ${earlier}`);
    // The item's promise: the request's outcome, or a timeout error at `timeout`.
    void Promise.race([request, after(o.timeout)]).then(
      (outcome) => {
        if (outcome === 'late') {
          const goesOn = `the request goes on; the next message waits for it up to ${wait} ms`;
          job.reject(fail(item, withEarlier(`no answer within ${o.timeout} ms (${goesOn})`)));
        } else if (earlier !== undefined) job.reject(fail(item, new Error(earlier)));
        else job.resolve();
      },
      (error: unknown) =>
        job.reject(fail(item, earlier === undefined ? error : withEarlier(errorText(error)))),
    );
    // The queue: the request's real end, or the limit.
    const ended = await Promise.race([
      request.then(
        () => 'ended' as const,
        () => 'ended' as const,
      ),
      after(wait),
    ]);
    for (const timer of timers) clearTimeout(timer);
    if (ended === 'late') {
      late.value = true;
      if (stuck === 0) {
        gaveUp = `the request of ${o.describe(item)} still had no answer after ${wait} ms, so this message did not wait for it (Slack may show them out of order)`;
      }
      stuck++;
      void request.then(
        () => stuck--,
        () => stuck--,
      );
    }
  };

  const drain = async (): Promise<void> => {
    draining = true;
    for (let job = pending.shift(); job !== undefined; job = pending.shift()) await send(job);
    draining = false;
  };

  return (item: T): Promise<void> =>
    new Promise<void>((resolve, reject) => {
      if (pending.length >= MAX_WAITING) {
        const oldest = pending.shift() as Job<T>;
        dropped++;
        oldest.reject(
          new Error(
            `${o.label}: dropped ${o.describe(oldest.item)}: ${MAX_WAITING} messages were already waiting (Slack is slow or down); ${dropped} message${dropped === 1 ? '' : 's'} dropped so far`,
          ),
        );
      }
      pending.push({ item, resolve, reject });
      if (!draining) void drain();
    });
}
