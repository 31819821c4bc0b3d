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
  | { readonly type: 'section'; readonly text: SlackText }
  | { readonly type: 'section'; readonly fields: SlackText[] }
  | { readonly type: 'context'; readonly elements: SlackText[] };

/** A Block Kit text object in mrkdwn. */
export interface SlackText {
  readonly type: 'mrkdwn';
  readonly text: string;
}

/** The content of a message, without where it goes. */
export interface SlackMessageContent {
  /** The plain-text line notifications show. */
  readonly text: string;
  /** One attachment with the colour and the blocks. */
  readonly attachments: SlackAttachment[];
}

/** Escapes the three characters Slack's mrkdwn treats as control characters. */
function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Builds the message (without channel and thread) for `t`. */
export function render(
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
