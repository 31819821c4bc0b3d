/**
 * rxjs-fluxgate/slack: a listener that posts circuit breaker transitions to Slack.
 *
 * @packageDocumentation
 */
export { slackListener } from './listener';
export type { SlackClientOptions, SlackListenerOptions, SlackWebhookOptions } from './options';
export type { SlackClient, SlackPostMessage } from './post';
export type { SlackAttachment, SlackBlock, SlackMessageContent, SlackText } from './render';
export type { SlackTemplate, SlackTemplateInput, SlackTemplates, TransitionKey } from './templates';
export { escapeMrkdwn, MAX_NAME_LENGTH } from './render';
