/**
 * rxjs-fluxgate/opentelemetry: circuit breaker metrics as OpenTelemetry instruments.
 *
 * @packageDocumentation
 */
import {
  createNoopMeter,
  metrics,
  type Attributes,
  type Counter,
  type Histogram,
  type Meter,
  type ObservableGauge,
  type ObservableResult,
} from '@opentelemetry/api';
import { Subscription } from 'rxjs';
import {
  STATES,
  eachBreaker,
  isBreakerRegistry,
  isCircuitBreaker,
  type BreakerEvent,
  type BreakerRegistry,
  type CircuitBreaker,
  type Transition,
} from 'rxjs-fluxgate';
import * as check from '../internal/validate';
import { VERSION } from './version';

/** Options of {@link openTelemetryMetrics}. */
export interface OpenTelemetryMetricsOptions {
  /** Where the instruments are made. Default `metrics.getMeter('rxjs-fluxgate', <version>)`. */
  readonly meter?: Meter;
  /**
   * Told, once per breaker, when recording failed or a value was skipped (a duration that is not
   * a finite number `>= 0`). Default `console.error`. Nothing is ever thrown into the breaker's
   * streams.
   */
  readonly onError?: (error: unknown) => void;
}

const OPTION_KEYS = ['meter', 'onError'] as const;

/** The outcomes `circuit_breaker.calls` counts, as `BreakerEvent` types. */
const OUTCOMES = ['success', 'failure', 'ignored', 'cancelled', 'rejected'] as const;

type Outcome = (typeof OUTCOMES)[number];

/** The attribute keys every instrument uses. */
export const ATTRIBUTES = Object.freeze({
  /** The breaker's name, on every instrument. */
  name: 'circuit_breaker.name',
  /** The call's outcome, on `circuit_breaker.calls` and `circuit_breaker.call.duration`. */
  outcome: 'circuit_breaker.outcome',
  /** The state: the state gauge's point, or the state a transition entered. */
  state: 'circuit_breaker.state',
  /** The state a transition left, on `circuit_breaker.transitions`. */
  previousState: 'circuit_breaker.previous_state',
} as const);

/**
 * Bucket boundaries (seconds) advised for `circuit_breaker.call.duration`: 5 ms to 60 s. A view
 * configured in the SDK takes precedence.
 */
export const DURATION_BUCKETS: readonly number[] = Object.freeze([
  0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60,
]);

/**
 * One breaker attached to one meter: how many times, its subscription, and the attribute sets it
 * records with, made once here so that a call allocates nothing.
 */
interface Attachment {
  count: number;
  /** Whether a fault was reported for this breaker already. */
  reported: boolean;
  readonly onError: (error: unknown) => void;
  readonly subscription: Subscription;
  readonly calls: Readonly<Record<Outcome, Attributes>>;
  /** The state gauge's six attribute sets, in the order of `STATES`. */
  readonly states: readonly Attributes[];
  /** The transition counter's attribute sets, by `from>to`, made on first use. */
  readonly transitions: Map<string, Attributes>;
}

/** The instruments of one meter, and the breakers that feed them. */
interface Instruments {
  readonly calls: Counter;
  readonly duration: Histogram;
  readonly state: ObservableGauge;
  readonly transitions: Counter;
  readonly attached: Map<CircuitBreaker, Attachment>;
}

/** One set of instruments per meter, so attaching again adds no callback and counts nothing twice. */
const instrumentSets = new WeakMap<Meter, Instruments>();

/** The class of the API's no-op meter (what `getMeter` returns while no SDK is registered). */
const NoopMeter = createNoopMeter().constructor;

/**
 * Records the calls, call durations, state and transitions of a breaker, or of every breaker of a
 * {@link BreakerRegistry} (present and future), as OpenTelemetry metrics.
 *
 * Instruments, each with the attribute `circuit_breaker.name`:
 *
 * - `circuit_breaker.calls`: a counter of calls, plus `circuit_breaker.outcome` (`success`,
 *   `failure`, `ignored`, `cancelled`, `rejected`);
 * - `circuit_breaker.call.duration`: a histogram of the durations of successes and failures, unit
 *   `s`, plus `circuit_breaker.outcome`;
 * - `circuit_breaker.state`: an observable gauge with one point per state, 1 for the current state
 *   and 0 for the other five, plus `circuit_breaker.state`; it reads the state at collection, so
 *   it follows every transition, remote ones included;
 * - `circuit_breaker.transitions`: a counter of the transitions this process made
 *   (`origin: 'local'`), plus `circuit_breaker.previous_state` and `circuit_breaker.state` (the
 *   state entered). Transitions adopted from a store shared between processes
 *   (`origin: 'remote'`) are not counted: the process that made one counts it, so summing over the
 *   fleet counts each transition once.
 *
 * Instruments are made once per meter; attaching a breaker that is already attached to the same
 * meter adds nothing. When the meter is the API's no-op meter (no SDK was registered when it was
 * obtained), nothing is attached at all, so the breaker does not even build its events.
 *
 * Each breaker's attribute sets are made once, when it is attached: a call costs one counter
 * add and, for a success or a failure, one histogram record, and allocates nothing. Recording
 * never throws into the breaker: a duration that is not a finite number `>= 0` is not recorded
 * (the call is still counted), and any failed write is skipped; both are reported to `onError`,
 * once per breaker.
 *
 * Unsubscribing, and a breaker that goes (deleted or evicted from its registry, or disposed),
 * stop every recording for it, and the breaker leaves the state gauge's callback. The
 * OpenTelemetry API has no way to delete an attribute set: with delta temporality the breaker's
 * points are absent from the next export; with cumulative temporality (the SDK's default),
 * `@opentelemetry/sdk-metrics` keeps exporting the last value of every attribute set it has seen,
 * so for a registry whose names come and go, prefer delta temporality (or a cardinality limit).
 *
 * ## Example
 * ```ts
 * import { metrics } from '@opentelemetry/api';
 * import { MeterProvider } from '@opentelemetry/sdk-metrics';
 * import { openTelemetryMetrics } from 'rxjs-fluxgate/opentelemetry';
 *
 * metrics.setGlobalMeterProvider(new MeterProvider({ readers: [myReader] }));
 * const subscription = openTelemetryMetrics(breaker);
 * // later: subscription.unsubscribe();
 * ```
 *
 * @param target A `CircuitBreaker`, or a `BreakerRegistry` whose breakers are all attached,
 *   including the ones it creates later.
 * @param options `meter` and `onError`.
 * @return A subscription; unsubscribe to stop recording.
 * @throws TypeError when `target` or an option is not valid.
 */
export function openTelemetryMetrics(
  target: CircuitBreaker | BreakerRegistry,
  options?: OpenTelemetryMetricsOptions,
): Subscription {
  const where = 'openTelemetryMetrics(target, options)';
  const opts = check.options<OpenTelemetryMetricsOptions>(where, options, OPTION_KEYS);
  const meter = opts.meter ?? metrics.getMeter('rxjs-fluxgate', VERSION);
  if (
    typeof meter !== 'object' ||
    meter === null ||
    typeof meter.createCounter !== 'function' ||
    typeof meter.createObservableGauge !== 'function'
  ) {
    throw new TypeError(
      `${where}.meter: expected an OpenTelemetry Meter, got ${check.describe(meter)}`,
    );
  }
  const onError =
    opts.onError === undefined
      ? reportToConsole
      : check.func<(error: unknown) => void>(`${where}.onError`, opts.onError);
  if (!isCircuitBreaker(target) && !isBreakerRegistry(target)) {
    throw new TypeError(
      `openTelemetryMetrics(target): expected a CircuitBreaker or a BreakerRegistry, got ${check.describe(target)}`,
    );
  }
  if (meter instanceof NoopMeter) return new Subscription();
  const instruments = instrumentsFor(meter);
  return eachBreaker(target, (breaker) => attach(instruments, breaker, onError));
}

function reportToConsole(error: unknown): void {
  console.error('rxjs-fluxgate/opentelemetry:', error);
}

function instrumentsFor(meter: Meter): Instruments {
  const existing = instrumentSets.get(meter);
  if (existing !== undefined) return existing;
  const attached = new Map<CircuitBreaker, Attachment>();
  const state = meter.createObservableGauge('circuit_breaker.state', {
    description: 'Circuit breaker state: 1 for the current state, 0 for the others.',
  });
  state.addCallback((result: ObservableResult) => {
    for (const [breaker, entry] of attached) {
      guarded(entry, () => {
        const current = breaker.state;
        for (let i = 0; i < STATES.length; i++) {
          result.observe(STATES[i] === current ? 1 : 0, entry.states[i]);
        }
      });
    }
  });
  const instruments: Instruments = {
    calls: meter.createCounter('circuit_breaker.calls', {
      description: 'Calls through the circuit breaker, by outcome.',
      unit: '{call}',
    }),
    duration: meter.createHistogram('circuit_breaker.call.duration', {
      description: 'Duration of the successful and failed calls through the circuit breaker.',
      unit: 's',
      advice: { explicitBucketBoundaries: [...DURATION_BUCKETS] },
    }),
    state,
    transitions: meter.createCounter('circuit_breaker.transitions', {
      description: 'Circuit breaker state transitions made by this process.',
      unit: '{transition}',
    }),
    attached,
  };
  instrumentSets.set(meter, instruments);
  return instruments;
}

/** Runs one recording; a throw is reported (once per breaker) instead of propagating. */
function guarded(entry: Attachment, write: () => void): void {
  try {
    write();
  } catch (error) {
    fault(entry, error);
  }
}

function fault(entry: Attachment, error: unknown): void {
  if (entry.reported) return;
  entry.reported = true;
  try {
    entry.onError(error);
  } catch {
    // The reporter itself failed; there is nobody left to tell.
  }
}

/** Feeds `instruments` from `breaker`, once however many times it is attached. */
function attach(
  instruments: Instruments,
  breaker: CircuitBreaker,
  onError: (error: unknown) => void,
): Subscription {
  const entry = instruments.attached.get(breaker) ?? start(instruments, breaker, onError);
  entry.count++;
  return new Subscription(() => {
    entry.count--;
    if (entry.count === 0) {
      entry.subscription.unsubscribe();
      instruments.attached.delete(breaker);
    }
  });
}

/** Starts feeding `instruments` from `breaker`: its attribute sets are made here, once. */
function start(
  instruments: Instruments,
  breaker: CircuitBreaker,
  onError: (error: unknown) => void,
): Attachment {
  const name = breaker.name;
  const calls = {} as Record<Outcome, Attributes>;
  for (const outcome of OUTCOMES) {
    calls[outcome] = Object.freeze({ [ATTRIBUTES.name]: name, [ATTRIBUTES.outcome]: outcome });
  }
  const entry: Attachment = {
    count: 0,
    reported: false,
    onError,
    subscription: new Subscription(),
    calls,
    states: STATES.map((s) => Object.freeze({ [ATTRIBUTES.name]: name, [ATTRIBUTES.state]: s })),
    transitions: new Map(),
  };
  instruments.attached.set(breaker, entry);
  entry.subscription.add(breaker.events$.subscribe((e) => countCall(instruments, entry, e)));
  entry.subscription.add(
    breaker.transitions$.subscribe((t) => countTransition(instruments, entry, t)),
  );
  return entry;
}

function countCall(instruments: Instruments, entry: Attachment, e: BreakerEvent): void {
  try {
    const attributes = entry.calls[e.type];
    instruments.calls.add(1, attributes);
    if (e.type === 'success' || e.type === 'failure') {
      const ms = e.duration;
      if (typeof ms === 'number' && ms >= 0 && ms !== Infinity) {
        instruments.duration.record(ms / 1000, attributes);
      } else {
        fault(
          entry,
          new RangeError(
            `openTelemetryMetrics: circuit breaker "${e.name}" reported a ${e.type} lasting ${String(ms)} ms; durations that are not finite numbers >= 0 are not recorded`,
          ),
        );
      }
    }
  } catch (error) {
    fault(entry, error);
  }
}

function countTransition(instruments: Instruments, entry: Attachment, t: Transition): void {
  // Adopted from a shared store: the process that made it counts it (see openTelemetryMetrics).
  if (t.origin === 'remote') return;
  guarded(entry, () => {
    const key = `${t.from}>${t.to}`;
    let attributes = entry.transitions.get(key);
    if (attributes === undefined) {
      attributes = Object.freeze({
        [ATTRIBUTES.name]: t.name,
        [ATTRIBUTES.previousState]: t.from,
        [ATTRIBUTES.state]: t.to,
      });
      entry.transitions.set(key, attributes);
    }
    instruments.transitions.add(1, attributes);
  });
}
