import type { Listener, State, Transition } from 'rxjs-fluxgate';
import { checkOptions, type SlackListenerOptions } from './options';
import { postToWebhook, postWithClient } from './post';
import { sendQueue, type Attempt } from './queue';
import { render, shortName } from './render';
import { safeError } from './secrets';
import { templateFor } from './templates';
import { describe } from '../internal/validate';

/** States whose message ends the breaker's thread. */
const ENDS_THREAD: ReadonlySet<State> = new Set<State>(['closed', 'disabled', 'metrics_only']);

/**
 * A {@link Listener} that posts every transition to Slack, with a title, a colour and a one-line
 * description (red when the breaker opens, amber when it probes, green when it recovers), the
 * breaker's name, the transition and its time.
 *
 * With `client` (a `WebClient`) and `channel`, messages are threaded per breaker: the message for
 * `-> open` starts a thread when none is open, later messages reply in it, the reply for `-> closed`
 * is also broadcast to the channel, and `-> closed`, `-> disabled` or `-> metrics_only` end the
 * thread. With `webhookUrl`, each message is a JSON POST with the global `fetch`, without threads.
 *
 * It never slows or fails a call: the listener returns at once, and the messages of one listener
 * (shared by any number of breakers) go out in order, one at a time (but see the hard limit
 * below). The promise it returns is the delivery of that transition's message; it rejects after
 * `timeout`, on a non-2xx answer, on `ok: false` or on a network error, and the breaker reports
 * the rejection to its `onError` (or `console.error`). The next transition is still sent.
 *
 * With a store shared between processes (SPEC 7), only transitions with `origin: 'local'` are
 * posted, so each one reaches the channel once for the whole fleet; for a `remote` one the
 * promise resolves at once and nothing is queued (a remote `-> closed`, `-> disabled` or
 * `-> metrics_only` still ends this process's thread for that breaker). Threads are per process.
 *
 * A `WebClient` request goes on after `timeout` (its own timeout, retries and rate-limit waits
 * decide when it ends), so the next message waits for the request's real end, up to 12 times
 * `timeout` and at least 30 s (one minute by default); a late answer still starts the breaker's
 * thread. Past that limit the queue sends the next message anyway, and that message's promise
 * rejects to say so; until that request ends, Slack counts as down and each later message holds
 * the queue for `timeout` only. Give the client limits of its own, as below, so that this stays
 * rare. A webhook request is aborted at `timeout`. A custom client may return any thenable: it
 * is adopted once, so one that calls back twice, synchronously, never, or throws cannot stall the
 * queue or throw anywhere.
 *
 * While Slack is slow or down, at most 50 messages wait behind the one being sent: a new
 * transition then drops the oldest waiting message, whose promise rejects with
 * `dropped "<from> -> <to>" of circuit breaker '<name>': ...; <n> messages dropped so far`, so the
 * newest transitions (the recovery above all) are the ones that reach the channel.
 *
 * Breaker names often come from outside input (origins, routes, tenants), so a name is cut to
 * 100 characters (`MAX_NAME_LENGTH`, with `…`) and made inert wherever Slack reads mrkdwn: see
 * `escapeMrkdwn`, which templates that show a name should use too. No error this listener
 * produces contains the webhook URL or the client's token: a client's errors are passed on as
 * their message only, with those blanked out as `[redacted]`.
 *
 * ## Example
 * ```ts
 * import { WebClient } from '@slack/web-api';
 * import { CircuitBreaker } from 'rxjs-fluxgate';
 * import { slackListener } from 'rxjs-fluxgate/slack';
 *
 * const slack = slackListener({
 *   // Limits, so that one message never holds the queue for WebClient's default 30 minutes.
 *   client: new WebClient(process.env.SLACK_BOT_TOKEN, { timeout: 5000, retryConfig: { retries: 2 } }),
 *   channel: process.env.SLACK_CHANNEL!,
 *   name: 'checkout (prod)',
 *   templates: { 'closed->open': { title: '🚨 Payments are down' } },
 * });
 * const breaker = new CircuitBreaker({ name: 'payment_api', listeners: [slack] });
 * ```
 *
 * @param options `client` and `channel`, or `webhookUrl`; and `name`, `templates`, `timeout`.
 * @return A listener for `CircuitBreakerConfig.listeners`.
 * @throws TypeError or RangeError naming the option, when an option is not valid.
 */
export function slackListener(options: SlackListenerOptions): Listener {
  const o = checkOptions(options);
  const { client } = o;
  const threads = new Map<string, string>();

  /** Posts `t`; the promise settles when the request really ends. */
  const post = async (t: Transition, attempt: Attempt): Promise<void> => {
    const message = render(templateFor(o.templates, t), t, o.name);
    if (client === undefined) return postToWebhook(o.webhookUrl, message, o.timeout);
    const thread = threads.get(t.name);
    if (ENDS_THREAD.has(t.to)) threads.delete(t.name);
    const ts = await postWithClient(
      client,
      thread === undefined
        ? { channel: o.channel, ...message }
        : t.to === 'closed'
          ? { channel: o.channel, ...message, thread_ts: thread, reply_broadcast: true }
          : { channel: o.channel, ...message, thread_ts: thread },
    );
    // A late answer (after `timeout`) still starts the thread, unless the queue has moved on.
    if (thread === undefined && t.to === 'open' && ts !== undefined && !attempt.abandoned) {
      threads.set(t.name, ts);
    }
  };

  const enqueue = sendQueue<Transition>({
    timeout: o.timeout,
    label: o.name === undefined ? 'slackListener' : `slackListener (${o.name})`,
    describe: (t) => `"${t.from} -> ${t.to}" of circuit breaker '${shortName(t.name)}'`,
    // Only a scrubbed copy of an error goes on: a client's own may hold the token.
    start: (t, attempt) =>
      post(t, attempt).catch((error: unknown) => {
        throw safeError(error, o.redact);
      }),
  });

  return (t: Transition): Promise<void> => {
    if (t === null || typeof t !== 'object') {
      return Promise.reject(
        new TypeError(`slackListener: expected a transition, got ${describe(t)}`),
      );
    }
    // Another process sharing the store made it, and posts it: each transition is posted once.
    if (t.origin === 'remote') {
      if (ENDS_THREAD.has(t.to)) threads.delete(t.name);
      return Promise.resolve();
    }
    return enqueue(t);
  };
}
