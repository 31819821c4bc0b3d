import * as check from '../internal/validate';
import type { SlackClient } from './post';
import { clientSecrets, redactor, webhookSecrets, type Redact } from './secrets';
import { checkFields, TEMPLATE_KEYS, type SlackTemplates } from './templates';

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
  /** Not with `client`: one or the other. */
  readonly webhookUrl?: undefined;
}

/** With an incoming webhook: messages go to the webhook's channel, without threads. */
export interface SlackWebhookOptions extends CommonOptions {
  /** The webhook's URL, `https://hooks.slack.com/services/...`. */
  readonly webhookUrl: string | URL;
  /** Ignored: a webhook posts to its own channel. */
  readonly channel?: string;
  /** Not with `webhookUrl`: one or the other. */
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
  /** Blanks the webhook URL and the client's token out of a text. */
  readonly redact: Redact;
}

/** The options {@link slackListener} takes. */
const KEYS: readonly (keyof SlackClientOptions | keyof SlackWebhookOptions)[] = [
  'client',
  'channel',
  'webhookUrl',
  'name',
  'templates',
  'timeout',
];

/** Milliseconds one message may take by default. */
const DEFAULT_TIMEOUT = 5000;

/**
 * Checks the options of {@link slackListener} and fills in the defaults. No message shows the
 * webhook URL or anything of the client: only its kind.
 */
export function checkOptions(options: SlackListenerOptions): CheckedOptions {
  const where = 'slackListener(options)';
  const given = check.requiredOptions<SlackClientOptions | SlackWebhookOptions>(
    where,
    options,
    KEYS,
  );
  const { client, webhookUrl } = given;
  if ((client === undefined) === (webhookUrl === undefined)) {
    throw new TypeError(`${where}: expected exactly one of client and webhookUrl`);
  }
  let url = '';
  let channel = '';
  let secrets: string[];
  if (client !== undefined) {
    if (
      client === null ||
      typeof client !== 'object' ||
      typeof (client as Partial<SlackClient>).chat?.postMessage !== 'function'
    ) {
      throw new TypeError(
        `slackListener({ client }): expected a Slack client (an object with chat.postMessage()), got ${check.describe(client)}`,
      );
    }
    channel = check.name('slackListener({ channel })', given.channel);
    secrets = clientSecrets(client);
  } else {
    const parsed = parseWebhookUrl(webhookUrl);
    url = parsed.href;
    secrets = webhookSecrets(parsed);
    if (typeof fetch !== 'function') {
      throw new TypeError(
        'slackListener({ webhookUrl }): needs the global fetch (Node 18 or later)',
      );
    }
  }
  const name =
    given.name === undefined ? undefined : check.name('slackListener({ name })', given.name);
  const timeout =
    given.timeout === undefined
      ? DEFAULT_TIMEOUT
      : check.positiveDuration('slackListener({ timeout })', given.timeout);
  const templates = check.options<SlackTemplates>(
    'slackListener({ templates })',
    given.templates,
    TEMPLATE_KEYS,
  );
  for (const [key, value] of Object.entries(templates)) {
    if (value === undefined || typeof value === 'function') continue;
    const path = `templates[${JSON.stringify(key)}]`;
    if (value === null || typeof value !== 'object') {
      throw new TypeError(
        `slackListener({ ${path} }): expected an object or a function, got ${check.describe(value)}`,
      );
    }
    checkFields(path, value);
  }
  return { client, channel, webhookUrl: url, name, templates, timeout, redact: redactor(secrets) };
}

/** The webhook URL, parsed; the error never shows it (its path is the secret). */
function parseWebhookUrl(value: unknown): URL {
  const where = 'slackListener({ webhookUrl })';
  const rule = 'an absolute http(s) URL';
  let url: URL | undefined;
  if (value instanceof URL) url = new URL(value.href);
  else if (typeof value === 'string') {
    try {
      url = new URL(value);
    } catch {
      url = undefined;
    }
  }
  if (url === undefined) {
    const got =
      typeof value === 'string'
        ? `a string of ${value.length} characters that is not one (not shown: it may hold the secret)`
        : check.describe(value);
    throw new TypeError(`${where}: expected ${rule}, got ${got}`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new TypeError(
      `${where}: expected ${rule}, got one with protocol ${JSON.stringify(url.protocol)}`,
    );
  }
  return url;
}
