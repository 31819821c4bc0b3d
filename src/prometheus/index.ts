/**
 * rxjs-fluxgate/prometheus: circuit breaker metrics for a prom-client registry.
 *
 * @packageDocumentation
 */
import { Counter, Gauge, Histogram, register as globalRegistry, type Registry } from 'prom-client';
import { Subscription } from 'rxjs';
import { STATES, eachBreaker, type BreakerRegistry, type CircuitBreaker } from 'rxjs-fluxgate';

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
}

/** The default buckets (seconds) of `circuit_breaker_call_duration_seconds`: 5 ms to 60 s. */
export const DEFAULT_DURATION_BUCKETS: readonly number[] = Object.freeze([
  0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60,
]);

/** The outcomes `circuit_breaker_calls_total` counts, as `BreakerEvent` types. */
const OUTCOMES = ['success', 'failure', 'ignored', 'cancelled', 'rejected'] as const;

type StateLabels = 'circuit_name' | 'state';
type TransitionLabels = 'circuit_name' | 'old_state' | 'new_state';
type CallLabels = 'circuit_name' | 'outcome';

/** How many times one breaker is attached to one metric set, and its subscriptions. */
interface Attachment {
  count: number;
  readonly subscription: Subscription;
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
 *   as the breaker is attached;
 * - `circuit_breaker_state_transition_total{old_state, new_state}`: transitions, counted;
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
 * Metric objects are made once per registry and prefix and shared: attaching a breaker that is
 * already attached adds nothing (its calls are not counted twice), and two breakers with the same
 * name write the same series. A metric of the same name registered by other code is an error.
 *
 * Unsubscribing stops every update. The counters and the histogram keep the values already
 * exported (remove them with `registry.removeSingleMetric(name)` if you must). Once no attachment
 * of the breaker remains, its two rate gauges disappear, and so do its six `state` series, so that
 * an alert on the state stops firing; unless another attached breaker has the same name, whose
 * state the series then show.
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
 * @param options `registry`, `prefix` and `buckets`.
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
  return eachBreaker(target, (breaker) => attach(set, breaker), 'prometheusMetrics(target)');
}

interface CheckedOptions {
  readonly registry: Registry;
  readonly prefix: string;
  readonly buckets: readonly number[];
}

function checkOptions(options: PrometheusMetricsOptions | undefined): CheckedOptions {
  const where = 'prometheusMetrics(target, options)';
  if (options !== undefined && (options === null || typeof options !== 'object')) {
    throw new TypeError(`${where}: expected an options object, got ${String(options)}`);
  }
  const o = options ?? {};
  for (const key of Object.keys(o)) {
    if (key !== 'registry' && key !== 'prefix' && key !== 'buckets') {
      throw new TypeError(
        `${where}: unknown option "${key}" (expected one of registry, prefix, buckets)`,
      );
    }
  }
  const registry = o.registry ?? globalRegistry;
  if (
    typeof registry !== 'object' ||
    registry === null ||
    typeof registry.getSingleMetric !== 'function' ||
    typeof registry.registerMetric !== 'function'
  ) {
    throw new TypeError(`${where}: expected options.registry to be a prom-client Registry`);
  }
  const prefix = o.prefix ?? 'circuit_breaker_';
  if (typeof prefix !== 'string' || !(prefix === '' || METRIC_NAME.test(prefix))) {
    throw new TypeError(
      `${where}: expected options.prefix to be a valid start of a metric name ([a-zA-Z_:][a-zA-Z0-9_:]*), got ${JSON.stringify(prefix)}`,
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
      `${where}: expected options.buckets to be a non-empty array of increasing finite numbers > 0`,
    );
  }
  return { registry, prefix, buckets: [...buckets] };
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
      help: 'Circuit breaker state transitions.',
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
      for (const breaker of attached.keys()) {
        const rate = breaker.info().metrics.failureRate;
        if (rate !== null && Number.isFinite(rate)) {
          failureRate.set({ circuit_name: breaker.name }, rate);
        }
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
      for (const breaker of attached.keys()) {
        const rate = slowRateOf(breaker);
        if (rate !== undefined) slowCallRate.set({ circuit_name: breaker.name }, rate);
      }
    },
  });
  const set: MetricSet = { ...core, failureRate, slowCallRate, attached };
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
  return (slowCounts[smallest] ?? 0) / totalCount;
}

/** Feeds `set` from `breaker`, once however many times it is attached. */
function attach(set: MetricSet, breaker: CircuitBreaker): Subscription {
  let entry = set.attached.get(breaker);
  if (entry === undefined) {
    const circuit_name = breaker.name;
    const subscription = new Subscription();
    for (const outcome of OUTCOMES) set.calls.inc({ circuit_name, outcome }, 0);
    set.duration.zero({ circuit_name, outcome: 'success' });
    set.duration.zero({ circuit_name, outcome: 'failure' });
    subscription.add(
      breaker.state$.subscribe((current) => {
        for (const state of STATES)
          set.state.set({ circuit_name, state }, state === current ? 1 : 0);
      }),
    );
    subscription.add(
      breaker.transitions$.subscribe((t) => {
        set.transitions.inc({ circuit_name, old_state: t.from, new_state: t.to });
      }),
    );
    subscription.add(
      breaker.events$.subscribe((e) => {
        set.calls.inc({ circuit_name, outcome: e.type });
        if (e.type === 'success' || e.type === 'failure') {
          set.duration.observe({ circuit_name, outcome: e.type }, e.duration / 1000);
        }
      }),
    );
    entry = { count: 0, subscription };
    set.attached.set(breaker, entry);
  }
  const attachment = entry;
  attachment.count++;
  return new Subscription(() => {
    attachment.count--;
    if (attachment.count === 0) {
      attachment.subscription.unsubscribe();
      set.attached.delete(breaker);
      const circuit_name = breaker.name;
      let twin: CircuitBreaker | undefined;
      for (const other of set.attached.keys()) if (other.name === circuit_name) twin = other;
      for (const state of STATES) {
        // The state of a detached breaker would stay at 1 forever (and keep alerts firing).
        if (twin === undefined) set.state.remove({ circuit_name, state });
        else set.state.set({ circuit_name, state }, state === twin.state ? 1 : 0);
      }
    }
  });
}
