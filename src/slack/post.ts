import type { SlackMessageContent } from './render';

/**
 * What the listener hands to `chat.postMessage`: a message in `channel`, a reply in the breaker's
 * thread (`thread_ts`), or the reply that ends a thread with a recovery, broadcast to the channel
 * too (`reply_broadcast: true`).
 */
export type SlackPostMessage = SlackMessageContent & {
  /** The channel to post in. */
  readonly channel: string;
} & (
    | {
        /** The breaker's thread, for a reply. */
        readonly thread_ts?: string;
        /** Not broadcast. */
        readonly reply_broadcast?: false;
      }
    | {
        /** The breaker's thread. */
        readonly thread_ts: string;
        /** The reply that ends a thread is shown in the channel too. */
        readonly reply_broadcast: true;
      }
  );

/**
 * Anything with `chat.postMessage`, in practice `@slack/web-api`'s `WebClient` (which handles the
 * token, rate limits and retries).
 */
export interface SlackClient {
  /** The `chat` methods of the Web API. */
  readonly chat: {
    /**
     * Posts a message; resolves to Slack's answer (`ok`, the message's `ts`, or an `error`).
     *
     * @param message The message.
     * @return Slack's answer.
     */
    postMessage(message: SlackPostMessage): Promise<{
      /** Whether Slack took the message. */
      readonly ok?: boolean;
      /** The message's timestamp, which names its thread. */
      readonly ts?: string;
      /** Slack's error code when `ok` is false. */
      readonly error?: string;
    }>;
  };
}

/** Slack's answer to `chat.postMessage`, as far as the listener reads it. */
interface Answer {
  readonly ok?: unknown;
  readonly ts?: unknown;
  readonly error?: unknown;
}

/**
 * Posts `message` with the Web API and resolves to the message's `ts` (when Slack gave one).
 * Whatever `postMessage` returns (a Promise, a minimal thenable that calls back twice or never, a
 * plain value) or throws is adopted once, so it can neither throw here nor settle twice.
 */
export function postWithClient(
  client: SlackClient,
  message: SlackPostMessage,
): Promise<string | undefined> {
  return new Promise<unknown>((resolve) => resolve(client.chat.postMessage(message))).then(
    (answer) => {
      if (answer === null || typeof answer !== 'object') {
        throw new Error(`chat.postMessage resolved to ${String(answer)}`);
      }
      const { ok, ts, error } = answer as Answer;
      if (ok === false) {
        throw new Error(`Slack answered ok: false (${typeof error === 'string' ? error : '?'})`);
      }
      return typeof ts === 'string' ? ts : undefined;
    },
  );
}

/** Rejects with a timeout error if `promise` has not settled after `ms`. */
function withTimeout<T>(promise: Promise<T>, ms: number, onTimeout?: () => void): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      onTimeout?.();
      reject(new Error(`no answer within ${ms} ms`));
    }, ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** POSTs `message` as JSON to an incoming webhook; aborts the request after `ms`. */
export async function postToWebhook(
  url: string,
  message: SlackMessageContent,
  ms: number,
): Promise<void> {
  const abort = new AbortController();
  const response = await withTimeout(
    fetch(url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(message),
      signal: abort.signal,
    }).then(async (r) => ({ status: r.status, body: await r.text() })),
    ms,
    () => abort.abort(),
  );
  if (response.status < 200 || response.status > 299) {
    throw new Error(`the webhook answered HTTP ${response.status}: ${response.body.slice(0, 200)}`);
  }
}
