/**
 * rxjs-fluxgate/slack: a listener that posts circuit breaker transitions to Slack.
 *
 * @packageDocumentation
 */
import type { Listener, State, Transition } from 'rxjs-fluxgate';

/** The text and colour of one message. */
export interface SlackTemplate {
  /** The first line, in bold (Slack mrkdwn allowed). */
  readonly title: string;
  /** The colour of the message's side bar, as `#RRGGBB`. */
  readonly color: string;
  /** One line under the title (Slack mrkdwn allowed). */
  readonly description: string;
}

/** A template: fixed fields, or a function of the transition that gives them. */
export type SlackTemplateInput =
  Partial<SlackTemplate> | ((transition: Transition) => Partial<SlackTemplate>);

/** A transition, as `'<from>-><to>'`: `'closed->open'`, `'half_open->closed'`, ... */
export type TransitionKey = `${State}->${State}`;

/**
 * Templates per transition, plus `fallback` for the transitions no key names. Each one is merged
 * over the built-in template of that transition, field by field.
 */
export type SlackTemplates = Partial<Record<TransitionKey | 'fallback', SlackTemplateInput>>;

/** A Slack attachment: a coloured bar around Block Kit blocks. */
export interface SlackAttachment {
  /** The side bar's colour. */
  readonly color: string;
  /** Block Kit blocks. */
  readonly blocks: SlackBlock[];
}

/** The Block Kit blocks this listener sends: sections and a context line. */
export type SlackBlock =
  | {
      /** A section with one text. */
      readonly type: 'section';
      /** The section's text. */
      readonly text: SlackText;
    }
  | {
      /** A section of fields, shown in two columns. */
      readonly type: 'section';
      /** The fields. */
      readonly fields: SlackText[];
    }
  | {
      /** A context line, in small grey type. */
      readonly type: 'context';
      /** The line's texts. */
      readonly elements: SlackText[];
    };

/** A Block Kit text object in mrkdwn. */
export interface SlackText {
  /** Always `'mrkdwn'`: Slack's markdown. */
  readonly type: 'mrkdwn';
  /** The text. */
  readonly text: string;
}

/** The content of a message, without where it goes. */
export interface SlackMessageContent {
  /** The plain-text line notifications show. */
  readonly text: string;
  /** One attachment with the colour and the blocks. */
  readonly attachments: SlackAttachment[];
}

/**
 * What the listener hands to `chat.postMessage`: a message in `channel`, a reply in the breaker's
 * thread (`thread_ts`), or the reply that ends a thread with a recovery, broadcast to the channel
 * too (`reply_broadcast: true`).
 */
export type SlackPostMessage = SlackMessageContent & {
  /** The channel id. */
  readonly channel: string;
} & (
    | {
        /** The thread to reply in; none for a message that starts a thread. */
        readonly thread_ts?: string;
        /** Not broadcast: the reply stays in the thread. */
        readonly reply_broadcast?: false;
      }
    | {
        /** The thread to reply in. */
        readonly thread_ts: string;
        /** The reply is shown in the channel too. */
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
      /** Whether Slack accepted the message. */
      readonly ok?: boolean;
      /** The message's timestamp, its id in the channel. */
      readonly ts?: string;
      /** Slack's error code when `ok` is false. */
      readonly error?: string;
    }>;
  };
}

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
  /** Not with a client. */
  readonly webhookUrl?: undefined;
}

/** With an incoming webhook: messages go to the webhook's channel, without threads. */
export interface SlackWebhookOptions extends CommonOptions {
  /** The webhook's URL, `https://hooks.slack.com/services/...`. */
  readonly webhookUrl: string | URL;
  /** Ignored: a webhook posts to its own channel. */
  readonly channel?: string;
  /** Not with a webhook. */
  readonly client?: undefined;
}

/** Options of {@link slackListener}: a `client` and a `channel`, or a `webhookUrl`. */
export type SlackListenerOptions = SlackClientOptions | SlackWebhookOptions;

const RED = '#E01E5A';
const AMBER = '#ECB22E';
const GREEN = '#2EB67D';
const BLUE = '#36C5F0';
const GREY = '#9E9E9E';

/** The built-in templates of the four automatic transitions. */
const BUILT_IN: Partial<Record<TransitionKey, SlackTemplate>> = {
  'closed->open': {
    title: '🚨 Circuit breaker opened',
    color: RED,
    description: 'Calls are failing, so the breaker now rejects them until it probes again.',
  },
  'open->half_open': {
    title: '🔄 Circuit breaker probing',
    color: AMBER,
    description: 'A few trial calls are let through to see whether the service has recovered.',
  },
  'half_open->open': {
    title: '⚠️ Circuit breaker re-opened',
    color: RED,
    description: 'A trial call failed, so the breaker rejects calls again.',
  },
  'half_open->closed': {
    title: '✅ Circuit breaker recovered',
    color: GREEN,
    description: 'Trial calls succeeded; calls pass normally again.',
  },
};

/** The built-in fallback, by the state entered. */
const BY_STATE: Readonly<Record<State, SlackTemplate>> = {
  closed: {
    title: '🔁 Circuit breaker reset',
    color: GREEN,
    description: 'The breaker was closed by hand; calls pass and are measured.',
  },
  open: {
    title: '🚨 Circuit breaker opened',
    color: RED,
    description: 'The breaker rejects calls until it probes again.',
  },
  half_open: {
    title: '🔄 Circuit breaker probing',
    color: AMBER,
    description: 'A few trial calls are let through to see whether the service has recovered.',
  },
  metrics_only: {
    title: '📊 Circuit breaker in metrics-only mode',
    color: BLUE,
    description: 'Calls pass and are measured, but the breaker never opens.',
  },
  disabled: {
    title: '⏸️ Circuit breaker disabled',
    color: GREY,
    description: 'Calls pass untouched; nothing is measured.',
  },
  forced_open: {
    title: '⛔ Circuit breaker forced open',
    color: RED,
    description: 'Every call is rejected until another command.',
  },
};

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
 * A `WebClient` request goes on after `timeout` (its own timeout, retries and rate-limit waits
 * decide when it ends), so the next message waits for the request's real end, up to 12 times
 * `timeout` and at least 30 s (one minute by default); a late answer still starts the breaker's
 * thread. Past that
 * limit the queue sends the next message anyway, and that message's promise rejects to say so;
 * until that request ends, Slack counts as down and each later message holds the queue for
 * `timeout` only.
 * Give the client limits of its own, as below, so that this stays rare. A webhook request is
 * aborted at `timeout`.
 *
 * While Slack is slow or down, at most 50 messages wait behind the one being sent: a new
 * transition then drops the oldest waiting message, whose promise rejects with
 * `dropped "<from> -> <to>" of circuit breaker '<name>': ...; <n> messages dropped so far`, so the
 * newest transitions (the recovery above all) are the ones that reach the channel.
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
  const threads = new Map<string, string>();
  const limit = Math.max(o.timeout * HARD_LIMIT_FACTOR, HARD_LIMIT_FLOOR);
  const pending: Job[] = [];
  let draining = false;
  /** Set when the queue stopped waiting for a request; reported with the next message. */
  let gaveUp: string | undefined;
  let dropped = 0;
  /** Requests the queue stopped waiting for that have not ended yet. */
  let stuck = 0;

  const describe = (t: Transition): string =>
    `"${t.from} -> ${t.to}" of circuit breaker '${t.name}'`;
  const fail = (t: Transition, error: unknown): Error => {
    const where = o.name === undefined ? '' : ` (${o.name})`;
    return new Error(
      `slackListener${where}: could not post ${describe(t)}: ${
        error instanceof Error ? error.message : String(error)
      }`,
      { cause: error },
    );
  };

  /** Starts the request of `t`; the promise settles when the request really ends. */
  const start = (t: Transition, late: { value: boolean }): Promise<void> => {
    const message = render(templateFor(o.templates, t), t, o.name);
    if (o.client === undefined) return postToWebhook(o.webhookUrl, message, o.timeout);
    const thread = threads.get(t.name);
    if (ENDS_THREAD.has(t.to)) threads.delete(t.name);
    return o.client.chat
      .postMessage(
        thread === undefined
          ? { channel: o.channel, ...message }
          : t.to === 'closed'
            ? { channel: o.channel, ...message, thread_ts: thread, reply_broadcast: true }
            : { channel: o.channel, ...message, thread_ts: thread },
      )
      .then((answer) => {
        if (answer === null || typeof answer !== 'object') {
          throw new Error(`chat.postMessage resolved to ${String(answer)}`);
        }
        if (answer.ok === false) {
          throw new Error(`Slack answered ok: false (${answer.error ?? '?'})`);
        }
        // A late answer (after `timeout`) still starts the thread, unless the queue has moved on.
        if (
          thread === undefined &&
          t.to === 'open' &&
          typeof answer.ts === 'string' &&
          !late.value
        ) {
          threads.set(t.name, answer.ts);
        }
      });
  };

  /** Sends one message; resolves when the queue may send the next one. Never rejects. */
  const send = async (job: Job): Promise<void> => {
    const { t } = job;
    const earlier = gaveUp;
    gaveUp = undefined;
    const late = { value: false };
    let request: Promise<void>;
    try {
      request = start(t, late);
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
    // The transition's promise: the request's outcome, or a timeout error at `timeout`.
    void Promise.race([request, after(o.timeout)]).then(
      (outcome) => {
        if (outcome === 'late') {
          const goesOn = `the request goes on; the next message waits for it up to ${wait} ms`;
          job.reject(fail(t, withEarlier(`no answer within ${o.timeout} ms (${goesOn})`)));
        } else if (earlier !== undefined) job.reject(fail(t, new Error(earlier)));
        else job.resolve();
      },
      (error: unknown) =>
        job.reject(fail(t, earlier === undefined ? error : withEarlier(errorText(error)))),
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
        gaveUp = `the request of ${describe(t)} still had no answer after ${wait} ms, so this message did not wait for it (Slack may show them out of order)`;
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

  return (t: Transition): Promise<void> =>
    new Promise<void>((resolve, reject) => {
      if (pending.length >= MAX_WAITING) {
        const oldest = pending.shift() as Job;
        dropped++;
        const where = o.name === undefined ? '' : ` (${o.name})`;
        oldest.reject(
          new Error(
            `slackListener${where}: dropped ${describe(oldest.t)}: ${MAX_WAITING} messages were already waiting (Slack is slow or down); ${dropped} message${dropped === 1 ? '' : 's'} dropped so far`,
          ),
        );
      }
      pending.push({ t, resolve, reject });
      if (!draining) void drain();
    });
}

/** How many messages may wait behind the one being sent; past that the oldest is dropped. */
const MAX_WAITING = 50;

/** A transition waiting to be sent, and its promise's settlers. */
interface Job {
  readonly t: Transition;
  readonly resolve: () => void;
  readonly reject: (error: Error) => void;
}

/**
 * How long the queue waits for a request that passed `timeout`, as a multiple of `timeout`
 * (one minute with the default 5 s), and at least {@link HARD_LIMIT_FLOOR}, before it sends the
 * next message anyway.
 */
const HARD_LIMIT_FACTOR = 12;

/** The least the queue waits for a request (Slack's `Retry-After` does not scale with `timeout`). */
const HARD_LIMIT_FLOOR = 30_000;

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

interface CheckedOptions {
  readonly client: SlackClient | undefined;
  readonly channel: string;
  readonly webhookUrl: string;
  readonly name: string | undefined;
  readonly templates: SlackTemplates;
  readonly timeout: number;
}

const KEYS = new Set(['client', 'channel', 'webhookUrl', 'name', 'templates', 'timeout']);

function checkOptions(options: SlackListenerOptions): CheckedOptions {
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

/** The template of `t`: the user's (or the user's fallback) merged over the built-in one. */
function templateFor(templates: SlackTemplates, t: Transition): SlackTemplate {
  const key: TransitionKey = `${t.from}->${t.to}`;
  const builtIn = BUILT_IN[key];
  const base = builtIn ?? BY_STATE[t.to];
  const given = templates[key] ?? (builtIn === undefined ? templates.fallback : undefined);
  const fields = typeof given === 'function' ? given(t) : given;
  return { ...base, ...fields };
}

/** Escapes the three characters Slack's mrkdwn treats as control characters. */
function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Builds the message (without channel and thread) for `t`. */
function render(
  template: SlackTemplate,
  t: Transition,
  service: string | undefined,
): SlackMessageContent {
  const iso = new Date(t.at).toISOString();
  // Slack shows <!date^...> in each reader's time zone, and the text after | where it cannot.
  const time = `<!date^${Math.floor(t.at / 1000)}^{date_short_pretty} {time_secs}|${iso}>`;
  const blocks: SlackBlock[] = [
    {
      type: 'section',
      text: { type: 'mrkdwn', text: `*${template.title}*\n${template.description}` },
    },
    {
      type: 'section',
      fields: [
        { type: 'mrkdwn', text: `*Breaker*\n\`${escape(t.name)}\`` },
        { type: 'mrkdwn', text: `*Transition*\n\`${t.from}\` → \`${t.to}\`` },
        { type: 'mrkdwn', text: `*Time*\n${time}` },
      ],
    },
  ];
  if (service !== undefined) {
    blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: escape(service) }] });
  }
  return {
    text: `${template.title}: ${t.name} (${t.from} -> ${t.to})`,
    attachments: [{ color: template.color, blocks }],
  };
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

async function postToWebhook(url: string, message: SlackMessageContent, ms: number): Promise<void> {
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
