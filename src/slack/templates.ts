import type { State, Transition } from 'rxjs-fluxgate';
import * as check from '../internal/validate';

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

/** Every state, from the built-in templates (a record of every {@link State}, checked by tsc). */
const STATE_NAMES = Object.keys(BY_STATE) as State[];

/** The keys a {@link SlackTemplates} may have: every transition between two states, and `fallback`. */
export const TEMPLATE_KEYS: readonly string[] = Object.freeze([
  ...STATE_NAMES.flatMap((from) =>
    STATE_NAMES.filter((to) => to !== from).map((to): TransitionKey => `${from}->${to}`),
  ),
  'fallback',
]);

/** The fields of a {@link SlackTemplate}. */
const FIELDS: readonly (keyof SlackTemplate)[] = ['title', 'color', 'description'];

/**
 * Checks the fields a template gives: known keys, each a string. `path` names the template in
 * messages: `templates["closed->open"]`.
 */
export function checkFields(path: string, value: unknown): Partial<SlackTemplate> {
  const fields = check.options<SlackTemplate>(`slackListener({ ${path} })`, value, FIELDS);
  for (const field of FIELDS) {
    const given: unknown = fields[field];
    if (given !== undefined && typeof given !== 'string') {
      throw new TypeError(
        `slackListener({ ${path}.${field} }): expected a string, got ${check.describe(given)}`,
      );
    }
  }
  return fields;
}

/**
 * The template of `t`: the user's (or the user's fallback) merged over the built-in one. Throws
 * a `TypeError` when a template function throws or gives something else than template fields.
 */
export function templateFor(templates: SlackTemplates, t: Transition): SlackTemplate {
  const key: TransitionKey = `${t.from}->${t.to}`;
  const builtIn = BUILT_IN[key];
  const base = builtIn ?? BY_STATE[t.to];
  const usedKey = templates[key] !== undefined ? key : builtIn === undefined ? 'fallback' : key;
  const given = templates[usedKey];
  if (typeof given !== 'function') return { ...base, ...given };
  const fields = checkFields(`templates["${usedKey}"](transition)`, given(t));
  return { ...base, ...fields };
}
