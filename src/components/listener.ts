import * as check from '../internal/validate';
import { STATES, type State, type Transition } from '../state/state';

/**
 * Reacts to transitions. Listeners run synchronously, in order, during the transition; a returned
 * promise is not awaited, and a throw or a rejection is reported (to `onError`, or
 * `console.error`) without stopping the other listeners.
 *
 * ## Example
 * ```ts
 * new CircuitBreaker({ listeners: [(t) => console.log(t.from, '->', t.to)] });
 * ```
 */
export type Listener = (transition: Transition) => void | Promise<void>;

/** The log levels `listeners.log` uses. */
export type LogLevel = 'info' | 'warn';

/** A logger such as `console`, pino or winston. */
export interface Logger {
  /** Logs at info level. */
  info(message: string): void;
  /** Logs at warn level. */
  warn(message: string): void;
}

/** Options of {@link listeners.log}. */
export interface LogListenerOptions {
  /** Where to log; default `console`. */
  readonly logger?: Logger;
  /** The level per state entered; default `warn` for `open` and `forced_open`, `info` otherwise. */
  readonly levels?: Partial<Record<State, LogLevel>>;
}

const DEFAULT_LEVELS: Readonly<Record<State, LogLevel>> = {
  closed: 'info',
  open: 'warn',
  half_open: 'info',
  metrics_only: 'info',
  disabled: 'info',
  forced_open: 'warn',
};

/**
 * Logs every transition as one line: `Circuit breaker 'payment_api': closed -> open`.
 *
 * ## Example
 * ```ts
 * import pino from 'pino';
 * new CircuitBreaker({ listeners: [listeners.log({ logger: pino() })] });
 * ```
 *
 * @param options `logger` (default `console`) and `levels`.
 * @return A {@link Listener}.
 */
function log(options?: LogListenerOptions): Listener {
  const opts = check.options<LogListenerOptions>('listeners.log(options)', options, [
    'logger',
    'levels',
  ]);
  const logger = check.withMethods<Logger>(
    'listeners.log({ logger })',
    'a Logger',
    ['info', 'warn'],
    opts.logger ?? console,
  );
  const given = check.options<Partial<Record<State, LogLevel>>>(
    'listeners.log({ levels })',
    opts.levels,
  );
  const levels: Record<State, LogLevel> = { ...DEFAULT_LEVELS };
  for (const [state, level] of Object.entries(given)) {
    if (!STATES.includes(state as State)) {
      throw new TypeError(
        `listeners.log({ levels }): expected a key among ${STATES.join(', ')}, got "${state}"`,
      );
    }
    if (level !== 'info' && level !== 'warn') {
      throw new TypeError(
        `listeners.log({ levels.${state} }): expected "info" or "warn", got ${check.describe(level)}`,
      );
    }
    levels[state as State] = level;
  }
  return (t) => {
    logger[levels[t.to]](`Circuit breaker '${t.name}': ${t.from} -> ${t.to}`);
  };
}

/**
 * Listeners: things that react to transitions. Any function of a {@link Transition} is a listener;
 * these are the built-ins.
 *
 * @namespace
 */
export const listeners = /* @__PURE__ */ Object.freeze({ log });
