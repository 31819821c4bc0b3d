/**
 * rxjs-fluxgate/prometheus: circuit breaker metrics for a prom-client registry.
 *
 * @packageDocumentation
 */
import { Counter, Gauge, Histogram, register as globalRegistry, type Registry } from 'prom-client';
import { Subscription } from 'rxjs';
import {
  STATES,
  eachBreaker,
  type BreakerEvent,
  type BreakerRegistry,
  type CircuitBreaker,
  type State,
  type Transition,
} from 'rxjs-fluxgate';
import * as check from '../internal/validate';

/** Options of {@link prometheusMetrics}. */
export interface PrometheusMetricsOptions {
  /** Where the metrics are registered. Default prom-client's global `register`. */
  readonly registry?: Registry;
  /** Prepended to every metric name. Default `'circuit_breaker_'`. */
  readonly prefix?: string;
  /**
   * The upper bounds (seconds) of the call duration histogram's buckets, increasing. Default
   * {@link DEFAULT_DURATION_BUCKETS}. Only the first call for a registry and prefix creates the
   * histogram; later calls reuse it with its buckets.
   */
  readonly buckets?: readonly number[];
  /**
   * Told, once per breaker, when a metric write failed or a value was skipped (a duration that is
   * not a finite number `>= 0`). Default `console.error`. Nothing is ever thrown into the breaker's
   * streams.
   */
  readonly onError?: (error: unknown) => void;
}

const OPTION_KEYS = ['registry', 'prefix', 'buckets', 'onError'] as const;

/** The default buckets (seconds) of `circuit_breaker_call_duration_seconds`: 5 ms to 60 s. */
export const DEFAULT_DURATION_BUCKETS: readonly number[] = Object.freeze([
  0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60,
]);

/** The outcomes `circuit_breaker_calls_total` counts, as `BreakerEvent` types. */
const OUTCOMES = ['success', 'failure', 'ignored', 'cancelled', 'rejected'] as const;

type StateLabels = 'circuit_name' | 'state';
type TransitionLabels = 'circuit_name' | 'old_state' | 'new_state';
type CallLabels = 'circuit_name' | 'outcome';

type Outcome = (typeof OUTCOMES)[number];

/**
 * One breaker attached to one metric set: how many times, its subscriptions, and the labelled
 * series it writes, looked up once here so that a call costs one write per series.
 */
interface Attachment {
  count: number;
  /** Detached for good (the breaker was disposed, or every attachment ended). */
  gone: boolean;
  /** Whether a fault was reported for this breaker already. */
  reported: boolean;
  readonly onError: (error: unknown) => void;
  readonly subscription: Subscription;
  readonly calls: Readonly<Record<Outcome, Counter.Internal>>;
  readonly durations: Readonly<Record<'success' | 'failure', Histogram.Internal<CallLabels>>>;
  readonly states: readonly Gauge.Internal<StateLabels>[];
  /** The transition series of this breaker, by `from>to`, made on first use. */
  readonly transitions: Map<string, Counter.Internal>;
}

/** The metric objects of one registry and prefix, and the breakers that feed them. */
interface MetricSet {
  readonly state: Gauge<StateLabels>;
  readonly transitions: Counter<TransitionLabels>;
  readonly calls: Counter<CallLabels>;
  readonly duration: Histogram<CallLabels>;
  readonly failureRate: Gauge<'circuit_name'>;
  readonly slowCallRate: Gauge<'circuit_name'>;
  readonly attached: Map<CircuitBreaker, Attachment>;
  /** The attached breakers of each name (two breakers of one name write the same series). */
  readonly byName: Map<string, Set<CircuitBreaker>>;
}

/** One metric set per registry and prefix, so attaching again never registers a name twice. */
const metricSets = new WeakMap<Registry, Map<string, MetricSet>>();

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;

/**
 * Exports the state, transitions, calls, call durations, failure rate and slow call rate of a
 * breaker, or of every breaker of a {@link BreakerRegistry} (present and future), to Prometheus.
 *
 * The series, each labelled `circuit_name` (with the default prefix):
 *
 * - `circuit_breaker_state{state}`: 1 for the current state, 0 for the other five, set as soon
 *   as the breaker is attached, and following every transition, remote ones included;
 * - `circuit_breaker_state_transition_total{old_state, new_state}`: the transitions this process
 *   made (`origin: 'local'`). Transitions adopted from a store shared between processes
 *   (`origin: 'remote'`) are not counted: the process that made one counts it, so summing the
 *   counter over the fleet counts each transition once;
 * - `circuit_breaker_calls_total{outcome}`: calls by outcome (`success`, `failure`, `ignored`,
 *   `cancelled`, `rejected`), all five exported at 0 from the moment of attaching;
 * - `circuit_breaker_call_duration_seconds{outcome}`: a histogram of the durations of successes
 *   and failures, in seconds;
 * - `circuit_breaker_failure_rate`: `info().metrics.failureRate`, read at scrape time;
 * - `circuit_breaker_slow_call_rate`: the share of recorded calls slower than the smallest
 *   `slowRate` threshold of the breaker's tripper, read at scrape time.
 *
 * The two rates are **absent** (no sample, never NaN) while the breaker's window is empty, and the
 * slow call rate is absent for a breaker whose tripper has no `slowRate`.
 *
 * Each breaker's labelled series are looked up once, when it is attached: a call costs one
 * counter increment and, for a success or a failure, one histogram observation. Attaching a
 * breaker a registry makes costs O(1), whatever the registry holds. Writing a metric never
 * throws into the breaker: a duration that is not a finite number `>= 0` is not observed (the
 * call is still counted), and any failed write is skipped; both are reported to `onError`, once
 * per breaker.
 *
 * Metric objects are made once per registry and prefix and shared: attaching a breaker that is
 * already attached adds nothing (its calls are not counted twice), and two breakers with the same
 * name write the same series. A metric of the same name registered by other code is an error.
 *
 * **A breaker that goes** (deleted or evicted from its registry, or disposed) takes every series
 * of its name with it (state, transitions, calls, durations, rates), unless another attached
 * breaker has the same name. **Unsubscribing** stops every update; the counters and the histogram
 * keep the values already exported (remove them with `registry.removeSingleMetric(name)` if you
 * must), while the six `state` series and the two rates go, so that an alert on the state stops
 * firing, unless another attached breaker has the same name, whose state the series then show.
 *
 * ## Example
 * ```ts
 * import { BreakerRegistry } from 'rxjs-fluxgate';
 * import { prometheusMetrics } from 'rxjs-fluxgate/prometheus';
 * import { register } from 'prom-client';
 *
 * const breakers = new BreakerRegistry();
 * prometheusMetrics(breakers);
 * breakers.get('payments');
 * console.log(await register.getSingleMetricAsString('circuit_breaker_state'));
 * // Output: ...circuit_breaker_state{circuit_name="payments",state="closed"} 1 ...
 * ```
 *
 * @param target A `CircuitBreaker`, or a `BreakerRegistry` whose breakers are all attached,
 *   including the ones it creates later.
 * @param options `registry`, `prefix`, `buckets` and `onError`.
 * @return A subscription; unsubscribe to stop updating the metrics.
 * @throws TypeError when `target` or an option is not valid, or when the registry already holds a
 *   metric of one of these names that this function did not create.
 */
export function prometheusMetrics(
  target: CircuitBreaker | BreakerRegistry,
  options?: PrometheusMetricsOptions,
): Subscription {
  const opts = checkOptions(options);
  const set = metricSetFor(opts.registry, opts.prefix, opts.buckets);
  return eachBreaker(
    target,
    (breaker) => attach(set, breaker, opts.onError),
    'prometheusMetrics(target)',
  );
}

interface CheckedOptions {
  readonly registry: Registry;
  readonly prefix: string;
  readonly buckets: readonly number[];
  readonly onError: (error: unknown) => void;
}

function checkOptions(options: PrometheusMetricsOptions | undefined): CheckedOptions {
  const where = 'prometheusMetrics(target, options)';
  const o = check.options<PrometheusMetricsOptions>(where, options, OPTION_KEYS);
  const registry = o.registry ?? globalRegistry;
  if (
    typeof registry !== 'object' ||
    registry === null ||
    typeof registry.getSingleMetric !== 'function' ||
    typeof registry.registerMetric !== 'function'
  ) {
    throw new TypeError(
      `${where}.registry: expected a prom-client Registry, got ${check.describe(registry)}`,
    );
  }
  const prefix = o.prefix ?? 'circuit_breaker_';
  if (typeof prefix !== 'string' || !(prefix === '' || METRIC_NAME.test(prefix))) {
    throw new TypeError(
      `${where}.prefix: expected a valid start of a metric name ([a-zA-Z_:][a-zA-Z0-9_:]*), got ${check.describe(prefix)}`,
    );
  }
  const buckets = o.buckets ?? DEFAULT_DURATION_BUCKETS;
  if (
    !Array.isArray(buckets) ||
    buckets.length === 0 ||
    !buckets.every(
      (b, i) =>
        typeof b === 'number' &&
        Number.isFinite(b) &&
        b > 0 &&
        (i === 0 || b > (buckets[i - 1] as number)),
    )
  ) {
    throw new TypeError(
      `${where}.buckets: expected a non-empty array of increasing finite numbers > 0, got ${check.describe(buckets)}`,
    );
  }
  const onError =
    o.onError === undefined
      ? reportToConsole
      : check.func<(error: unknown) => void>(`${where}.onError`, o.onError);
  return { registry, prefix, buckets: [...buckets], onError };
}

function reportToConsole(error: unknown): void {
  console.error('rxjs-fluxgate/prometheus:', error);
}

/** The metric set of `registry` and `prefix`, made on first use and re-registered if removed. */
function metricSetFor(registry: Registry, prefix: string, buckets: readonly number[]): MetricSet {
  let byPrefix = metricSets.get(registry);
  if (byPrefix === undefined) {
    byPrefix = new Map();
    metricSets.set(registry, byPrefix);
  }
  const existing = byPrefix.get(prefix);
  if (existing !== undefined) {
    // The user may have cleared the registry since; put our objects back, values and all.
    for (const metric of metricsOf(existing)) {
      const name = (metric as unknown as { name: string }).name;
      const found = registry.getSingleMetric(name);
      if (found === undefined) registry.registerMetric(metric);
      else if (found !== metric) throw alreadyRegistered(name);
    }
    return existing;
  }
  const names = ['state', 'state_transition_total', 'calls_total', 'call_duration_seconds'];
  for (const name of [...names, 'failure_rate', 'slow_call_rate']) {
    if (registry.getSingleMetric(prefix + name) !== undefined)
      throw alreadyRegistered(prefix + name);
  }
  const attached = new Map<CircuitBreaker, Attachment>();
  const registers = [registry];
  const core = {
    state: new Gauge({
      name: `${prefix}state`,
      help: 'Circuit breaker state: 1 for the current state, 0 for the others.',
      labelNames: ['circuit_name', 'state'],
      registers,
    }),
    transitions: new Counter({
      name: `${prefix}state_transition_total`,
      help: 'Circuit breaker state transitions made by this process.',
      labelNames: ['circuit_name', 'old_state', 'new_state'],
      registers,
    }),
    calls: new Counter({
      name: `${prefix}calls_total`,
      help: 'Calls through the circuit breaker by outcome.',
      labelNames: ['circuit_name', 'outcome'],
      registers,
    }),
    duration: new Histogram({
      name: `${prefix}call_duration_seconds`,
      help: 'Duration of the successful and failed calls through the circuit breaker, in seconds.',
      labelNames: ['circuit_name', 'outcome'],
      buckets: [...buckets],
      registers,
    }),
  };
  const failureRate: Gauge<'circuit_name'> = new Gauge({
    name: `${prefix}failure_rate`,
    help: 'Share of failures among the calls in the circuit breaker window (absent when empty).',
    labelNames: ['circuit_name'],
    registers,
    collect() {
      failureRate.reset();
      for (const [breaker, attachment] of attached) {
        guarded(attachment, () => {
          const rate = breaker.info().metrics.failureRate;
          if (rate !== null && Number.isFinite(rate)) {
            failureRate.set({ circuit_name: breaker.name }, rate);
          }
        });
      }
    },
  });
  const slowCallRate: Gauge<'circuit_name'> = new Gauge({
    name: `${prefix}slow_call_rate`,
    help: 'Share of calls in the circuit breaker window at least as slow as the smallest slowRate threshold (absent when empty).',
    labelNames: ['circuit_name'],
    registers,
    collect() {
      slowCallRate.reset();
      for (const [breaker, attachment] of attached) {
        guarded(attachment, () => {
          const rate = slowRateOf(breaker);
          if (rate !== undefined) slowCallRate.set({ circuit_name: breaker.name }, rate);
        });
      }
    },
  });
  const set: MetricSet = { ...core, failureRate, slowCallRate, attached, byName: new Map() };
  byPrefix.set(prefix, set);
  return set;
}

function metricsOf(set: MetricSet) {
  return [
    set.state,
    set.transitions,
    set.calls,
    set.duration,
    set.failureRate,
    set.slowCallRate,
  ] as const;
}

function alreadyRegistered(name: string): TypeError {
  return new TypeError(
    `prometheusMetrics: the registry already holds a metric named "${name}" that rxjs-fluxgate did not create; pass another options.prefix or options.registry`,
  );
}

/** `slowCounts` of the smallest threshold over `totalCount`, or undefined when there is none. */
function slowRateOf(breaker: CircuitBreaker): number | undefined {
  const { totalCount, slowCounts } = breaker.info().metrics;
  if (totalCount === 0) return undefined;
  let smallest: number | undefined;
  for (const key of Object.keys(slowCounts)) {
    const threshold = Number(key);
    if (smallest === undefined || threshold < smallest) smallest = threshold;
  }
  if (smallest === undefined) return undefined;
  const rate = slowCounts[smallest]! / totalCount;
  // A custom window may report nonsense: export no sample rather than NaN.
  return Number.isFinite(rate) ? rate : undefined;
}

/** Runs one metric write; a throw is reported (once per breaker) instead of propagating. */
function guarded(attachment: Attachment, write: () => void): void {
  try {
    write();
  } catch (error) {
    fault(attachment, error);
  }
}

function fault(attachment: Attachment, error: unknown): void {
  if (attachment.reported) return;
  attachment.reported = true;
  try {
    attachment.onError(error);
  } catch {
    // The reporter itself failed; there is nobody left to tell.
  }
}

/** Whether `ms` can be a duration: a finite number `>= 0`. */
function validDuration(ms: unknown): ms is number {
  return typeof ms === 'number' && ms >= 0 && ms !== Infinity;
}

/** Feeds `set` from `breaker`, once however many times it is attached. */
function attach(
  set: MetricSet,
  breaker: CircuitBreaker,
  onError: (error: unknown) => void,
): Subscription {
  const entry = set.attached.get(breaker) ?? start(set, breaker, onError);
  entry.count++;
  return new Subscription(() => {
    if (entry.gone) return;
    entry.count--;
    if (entry.count === 0) detach(set, breaker, entry, false);
  });
}

/** Starts feeding `set` from `breaker`: its series are looked up here, once. */
function start(
  set: MetricSet,
  breaker: CircuitBreaker,
  onError: (error: unknown) => void,
): Attachment {
  const circuit_name = breaker.name;
  const calls = {} as Record<Outcome, Counter.Internal>;
  for (const outcome of OUTCOMES) calls[outcome] = set.calls.labels({ circuit_name, outcome });
  const entry: Attachment = {
    count: 0,
    gone: false,
    reported: false,
    onError,
    subscription: new Subscription(),
    calls,
    durations: {
      success: set.duration.labels({ circuit_name, outcome: 'success' }),
      failure: set.duration.labels({ circuit_name, outcome: 'failure' }),
    },
    states: STATES.map((state) => set.state.labels({ circuit_name, state })),
    transitions: new Map(),
  };
  set.attached.set(breaker, entry);
  let twins = set.byName.get(circuit_name);
  if (twins === undefined) set.byName.set(circuit_name, (twins = new Set()));
  twins.add(breaker);
  guarded(entry, () => {
    for (const outcome of OUTCOMES) calls[outcome].inc(0);
    set.duration.zero({ circuit_name, outcome: 'success' });
    set.duration.zero({ circuit_name, outcome: 'failure' });
  });
  entry.subscription.add(breaker.state$.subscribe((state) => showState(entry, state)));
  entry.subscription.add(
    breaker.transitions$.subscribe({
      next: (t) => countTransition(set, entry, t),
      // Disposed (deleted or evicted from its registry too): its series go with it.
      complete: () => detach(set, breaker, entry, true),
    }),
  );
  entry.subscription.add(breaker.events$.subscribe((e) => countCall(entry, e)));
  return entry;
}

function showState(entry: Attachment, current: State): void {
  guarded(entry, () => {
    for (let i = 0; i < STATES.length; i++) entry.states[i]!.set(STATES[i] === current ? 1 : 0);
  });
}

function countTransition(set: MetricSet, entry: Attachment, t: Transition): void {
  // Adopted from a shared store: the process that made it counts it (see prometheusMetrics).
  if (t.origin === 'remote') return;
  guarded(entry, () => {
    const key = `${t.from}>${t.to}`;
    let series = entry.transitions.get(key);
    if (series === undefined) {
      series = set.transitions.labels({
        circuit_name: t.name,
        old_state: t.from,
        new_state: t.to,
      });
      entry.transitions.set(key, series);
    }
    series.inc();
  });
}

function countCall(entry: Attachment, e: BreakerEvent): void {
  try {
    entry.calls[e.type].inc();
    if (e.type === 'success' || e.type === 'failure') {
      if (validDuration(e.duration)) entry.durations[e.type].observe(e.duration / 1000);
      else {
        fault(
          entry,
          new RangeError(
            `prometheusMetrics: circuit breaker "${e.name}" reported a ${e.type} lasting ${String(e.duration)} ms; durations that are not finite numbers >= 0 are not observed`,
          ),
        );
      }
    }
  } catch (error) {
    fault(entry, error);
  }
}

/**
 * Stops feeding `set` from `breaker`. Its state series go (or show a twin's state); when the
 * breaker was disposed, every other series of its name goes too, unless a twin still writes them.
 */
function detach(
  set: MetricSet,
  breaker: CircuitBreaker,
  entry: Attachment,
  disposed: boolean,
): void {
  entry.gone = true;
  entry.subscription.unsubscribe();
  set.attached.delete(breaker);
  const circuit_name = breaker.name;
  const twins = set.byName.get(circuit_name)!;
  twins.delete(breaker);
  const twin: CircuitBreaker | undefined = twins.values().next().value;
  if (twin === undefined) set.byName.delete(circuit_name);
  guarded(entry, () => {
    if (twin !== undefined) {
      const current = twin.state;
      for (let i = 0; i < STATES.length; i++) entry.states[i]!.set(STATES[i] === current ? 1 : 0);
      return;
    }
    // The state of a detached breaker would stay at 1 forever (and keep alerts firing).
    for (const state of STATES) set.state.remove({ circuit_name, state });
    if (!disposed) return;
    for (const outcome of OUTCOMES) set.calls.remove({ circuit_name, outcome });
    set.duration.remove({ circuit_name, outcome: 'success' });
    set.duration.remove({ circuit_name, outcome: 'failure' });
    for (const old_state of STATES) {
      for (const new_state of STATES) {
        if (old_state !== new_state) set.transitions.remove({ circuit_name, old_state, new_state });
      }
    }
  });
}
