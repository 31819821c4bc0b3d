import type { SlackClient } from './post';
import type { SlackTemplates } from './templates';

/** Options of {@link slackListener}, common to both modes. */
interface CommonOptions {
  /**
   * The service or environment the breakers belong to (`'checkout (prod)'`), shown on each
   * message and in error messages. Default none.
   */
  readonly name?: string;
  /** Overrides of the built-in texts and colours. */
  readonly templates?: SlackTemplates;
  /**
   * Milliseconds one message may take before its promise rejects. Default 5000. The next message
   * waits for a `WebClient` request up to 12 times as long, and at least 30 s.
   */
  readonly timeout?: number;
}

/** With a Web API client: messages go to `channel`, in threads. */
export interface SlackClientOptions extends CommonOptions {
  /**
   * The client, e.g. `new WebClient(token, { timeout: 5000, retryConfig: { retries: 2 } })`
   * (WebClient's defaults retry for about 30 minutes).
   */
  readonly client: SlackClient;
  /** The channel id, e.g. `'C0123456789'` (the bot must be a member). */
  readonly channel: string;
  readonly webhookUrl?: undefined;
}

/** With an incoming webhook: messages go to the webhook's channel, without threads. */
export interface SlackWebhookOptions extends CommonOptions {
  /** The webhook's URL, `https://hooks.slack.com/services/...`. */
  readonly webhookUrl: string | URL;
  /** Ignored: a webhook posts to its own channel. */
  readonly channel?: string;
  readonly client?: undefined;
}

/** Options of {@link slackListener}: a `client` and a `channel`, or a `webhookUrl`. */
export type SlackListenerOptions = SlackClientOptions | SlackWebhookOptions;

/** The options once checked, with their defaults. */
export interface CheckedOptions {
  readonly client: SlackClient | undefined;
  readonly channel: string;
  readonly webhookUrl: string;
  readonly name: string | undefined;
  readonly templates: SlackTemplates;
  readonly timeout: number;
}

const KEYS = new Set(['client', 'channel', 'webhookUrl', 'name', 'templates', 'timeout']);

/** Checks the options of {@link slackListener} and fills in the defaults. */
export function checkOptions(options: SlackListenerOptions): CheckedOptions {
  const where = 'slackListener(options)';
  if (options === null || typeof options !== 'object') {
    throw new TypeError(`${where}: expected an options object, got ${String(options)}`);
  }
  for (const key of Object.keys(options)) {
    if (!KEYS.has(key)) {
      throw new TypeError(
        `${where}: unknown option "${key}" (expected one of ${[...KEYS].join(', ')})`,
      );
    }
  }
  const { client, webhookUrl } = options;
  if ((client === undefined) === (webhookUrl === undefined)) {
    throw new TypeError(`${where}: expected exactly one of client and webhookUrl`);
  }
  let url = '';
  let channel = '';
  if (client !== undefined) {
    if (
      client === null ||
      typeof client !== 'object' ||
      typeof (client as Partial<SlackClient>).chat?.postMessage !== 'function'
    ) {
      throw new TypeError(`${where}: expected client to have chat.postMessage (a WebClient)`);
    }
    if (typeof options.channel !== 'string' || options.channel === '') {
      throw new TypeError(`${where}: expected channel to be a non-empty string`);
    }
    channel = options.channel;
  } else {
    try {
      url = new URL(webhookUrl as string | URL).href;
    } catch {
      throw new TypeError(`${where}: expected webhookUrl to be a URL, got ${String(webhookUrl)}`);
    }
    if (typeof fetch !== 'function') {
      throw new TypeError(`${where}: webhookUrl needs the global fetch (Node 18 or later)`);
    }
  }
  const name = options.name;
  if (name !== undefined && (typeof name !== 'string' || name === '')) {
    throw new TypeError(`${where}: expected name to be a non-empty string`);
  }
  const timeout = options.timeout ?? 5000;
  if (typeof timeout !== 'number' || !Number.isFinite(timeout) || timeout <= 0) {
    throw new RangeError(`${where}: expected timeout to be a finite number of ms > 0`);
  }
  const templates = options.templates ?? {};
  if (templates === null || typeof templates !== 'object') {
    throw new TypeError(`${where}: expected templates to be an object`);
  }
  for (const [key, value] of Object.entries(templates)) {
    if (key !== 'fallback' && !/^[a-z_]+->[a-z_]+$/.test(key)) {
      throw new TypeError(
        `${where}: expected template keys like "closed->open" or "fallback", got "${key}"`,
      );
    }
    if (value === null || (typeof value !== 'object' && typeof value !== 'function')) {
      throw new TypeError(`${where}: expected templates["${key}"] to be an object or a function`);
    }
  }
  return { client, channel, webhookUrl: url, name, templates, timeout };
}
