import type { Transition } from 'rxjs-fluxgate';
import type { SlackTemplate } from './templates';

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
      /** A line of small print under the message. */
      readonly type: 'context';
      /** Its texts. */
      readonly elements: SlackText[];
    };

/** A Block Kit text object in mrkdwn. */
export interface SlackText {
  /** Always `'mrkdwn'`. */
  readonly type: 'mrkdwn';
  /** The text, in Slack mrkdwn. */
  readonly text: string;
}

/** The content of a message, without where it goes. */
export interface SlackMessageContent {
  /** The plain-text line notifications show. */
  readonly text: string;
  /** One attachment with the colour and the blocks. */
  readonly attachments: SlackAttachment[];
}

/** The most characters (code points) of a breaker's name a message shows. */
export const MAX_NAME_LENGTH = 100;

/** Line breaks, tabs and other control characters, which would start a new line or a quote. */
const CONTROL = /[\p{Cc}\u2028\u2029]/gu;

/** What a formatting character becomes where Slack could read it as one: a look-alike. */
const LOOKALIKE: Readonly<Record<string, string>> = {
  '*': '\u2217', // ∗ asterisk operator
  _: '\u02cd', // ˍ modifier letter low macron
  '~': '\u223c', // ∼ tilde operator
  '`': '\u02cb', // ˋ modifier letter grave accent
};

const ASCII_ALNUM = /^[A-Za-z0-9]$/;

/** Escapes the three characters Slack's mrkdwn treats as control characters. */
function escapeControl(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/**
 * Makes a text inert in Slack mrkdwn, on one line: `&`, `<` and `>` become the entities Slack
 * documents (so `<!channel>` or `<https://evil.example|Reset>` show as typed instead of pinging
 * or linking), line breaks and control characters become spaces, backticks and any `*`, `_` or
 * `~` that could open or close bold, italics or strike-through become look-alikes (`ˋ`, `∗`, `ˍ`,
 * `∼`). A `*`, `_` or `~` between two ASCII letters or digits, which Slack never reads as
 * formatting, is kept: `payment_api` stays as it is.
 *
 * For templates that show a breaker's name (or anything else from outside) in their `title` or
 * `description`, which are mrkdwn.
 *
 * ## Example
 * ```ts
 * slackListener({
 *   client,
 *   channel,
 *   templates: { 'closed->open': (t) => ({ title: `🚨 ${escapeMrkdwn(t.name)} is down` }) },
 * });
 * escapeMrkdwn('<!here> *x* & snake_case');
 * // Output: '&lt;!here&gt; ∗x∗ &amp; snake_case'
 * ```
 *
 * @param text Any text.
 * @return The text, safe to put anywhere in mrkdwn outside a code span.
 */
export function escapeMrkdwn(text: string): string {
  const plain = escapeControl(String(text).replace(CONTROL, ' '));
  return plain.replace(/[*_~`]/g, (c: string, i: number) =>
    c !== '`' && ASCII_ALNUM.test(plain[i - 1] ?? '') && ASCII_ALNUM.test(plain[i + 1] ?? '')
      ? c
      : LOOKALIKE[c]!,
  );
}

/** Makes a text safe inside an inline code span, on one line: nothing in it can close the span. */
function escapeInCode(text: string): string {
  return escapeControl(text.replace(CONTROL, ' ')).replace(/`/g, LOOKALIKE['`']!);
}

/**
 * A breaker's name cut to {@link MAX_NAME_LENGTH} code points, the last one an ellipsis, so that
 * one long name cannot blow up a message (nor split a character in two).
 */
export function shortName(name: string): string {
  const text = String(name);
  if (text.length <= MAX_NAME_LENGTH) return text;
  const chars = Array.from(text);
  return chars.length <= MAX_NAME_LENGTH
    ? text
    : `${chars.slice(0, MAX_NAME_LENGTH - 1).join('')}\u2026`;
}

/** Builds the message (without channel and thread) for `t`. */
export function render(
  template: SlackTemplate,
  t: Transition,
  service: string | undefined,
): SlackMessageContent {
  const name = shortName(t.name);
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
        { type: 'mrkdwn', text: `*Breaker*\n\`${escapeInCode(name)}\`` },
        { type: 'mrkdwn', text: `*Transition*\n\`${t.from}\` → \`${t.to}\`` },
        { type: 'mrkdwn', text: `*Time*\n${time}` },
      ],
    },
  ];
  if (service !== undefined) {
    blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: escapeControl(service) }] });
  }
  return {
    text: `${template.title}: ${escapeMrkdwn(name)} (${t.from} -> ${t.to})`,
    attachments: [{ color: template.color, blocks }],
  };
}
