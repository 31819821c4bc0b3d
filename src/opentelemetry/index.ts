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
  type BreakerRegistry,
  type CircuitBreaker,
} from 'rxjs-fluxgate';
import { VERSION } from './version';

/** Options of {@link openTelemetryMetrics}. */
export interface OpenTelemetryMetricsOptions {
  /** Where the instruments are made. Default `metrics.getMeter('rxjs-fluxgate', <version>)`. */
  readonly meter?: Meter;
}

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

/** How many times one breaker is attached to one meter, and its subscription. */
interface Attachment {
  count: number;
  readonly subscription: Subscription;
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
 *   and 0 for the other five, plus `circuit_breaker.state`;
 * - `circuit_breaker.transitions`: a counter of transitions, plus `circuit_breaker.previous_state`
 *   and `circuit_breaker.state` (the state entered).
 *
 * Instruments are made once per meter; attaching a breaker that is already attached to the same
 * meter adds nothing. When the meter is the API's no-op meter (no SDK was registered when it was
 * obtained), nothing is attached at all, so the breaker does not even build its events.
 * Unsubscribing stops the counters and the histogram, and the breaker leaves the state gauge from
 * the next collection.
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
 * @param options `meter`.
 * @return A subscription; unsubscribe to stop recording.
 * @throws TypeError when `target` or an option is not valid.
 */
export function openTelemetryMetrics(
  target: CircuitBreaker | BreakerRegistry,
  options?: OpenTelemetryMetricsOptions,
): Subscription {
  const where = 'openTelemetryMetrics(target, options)';
  if (options !== undefined && (options === null || typeof options !== 'object')) {
    throw new TypeError(`${where}: expected an options object, got ${String(options)}`);
  }
  for (const key of Object.keys(options ?? {})) {
    if (key !== 'meter') {
      throw new TypeError(`${where}: unknown option "${key}" (expected meter)`);
    }
  }
  const meter = options?.meter ?? metrics.getMeter('rxjs-fluxgate', VERSION);
  if (
    typeof meter !== 'object' ||
    meter === null ||
    typeof meter.createCounter !== 'function' ||
    typeof meter.createObservableGauge !== 'function'
  ) {
    throw new TypeError(`${where}: expected options.meter to be an OpenTelemetry Meter`);
  }
  if (!isCircuitBreaker(target) && !isBreakerRegistry(target)) {
    throw new TypeError(`${where}: expected target to be a CircuitBreaker or a BreakerRegistry`);
  }
  if (meter instanceof NoopMeter) return new Subscription();
  const instruments = instrumentsFor(meter);
  return eachBreaker(target, (breaker) => attach(instruments, breaker));
}

function instrumentsFor(meter: Meter): Instruments {
  const existing = instrumentSets.get(meter);
  if (existing !== undefined) return existing;
  const attached = new Map<CircuitBreaker, Attachment>();
  const state = meter.createObservableGauge('circuit_breaker.state', {
    description: 'Circuit breaker state: 1 for the current state, 0 for the others.',
  });
  state.addCallback((result: ObservableResult) => {
    for (const breaker of attached.keys()) {
      const current = breaker.state;
      for (const s of STATES) {
        result.observe(s === current ? 1 : 0, {
          [ATTRIBUTES.name]: breaker.name,
          [ATTRIBUTES.state]: s,
        });
      }
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
      description: 'Circuit breaker state transitions.',
      unit: '{transition}',
    }),
    attached,
  };
  instrumentSets.set(meter, instruments);
  return instruments;
}

/** Feeds `instruments` from `breaker`, once however many times it is attached. */
function attach(instruments: Instruments, breaker: CircuitBreaker): Subscription {
  let entry = instruments.attached.get(breaker);
  if (entry === undefined) {
    const name = breaker.name;
    const subscription = new Subscription();
    subscription.add(
      breaker.events$.subscribe((e) => {
        const attributes: Attributes = { [ATTRIBUTES.name]: name, [ATTRIBUTES.outcome]: e.type };
        instruments.calls.add(1, attributes);
        if (e.type === 'success' || e.type === 'failure') {
          instruments.duration.record(e.duration / 1000, attributes);
        }
      }),
    );
    subscription.add(
      breaker.transitions$.subscribe((t) => {
        instruments.transitions.add(1, {
          [ATTRIBUTES.name]: name,
          [ATTRIBUTES.previousState]: t.from,
          [ATTRIBUTES.state]: t.to,
        });
      }),
    );
    entry = { count: 0, subscription };
    instruments.attached.set(breaker, entry);
  }
  const attachment = entry;
  attachment.count++;
  return new Subscription(() => {
    attachment.count--;
    if (attachment.count === 0) {
      attachment.subscription.unsubscribe();
      instruments.attached.delete(breaker);
    }
  });
}
