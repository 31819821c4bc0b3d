/**
 * A real @opentelemetry/sdk-metrics MeterProvider whose reader the test collects from on demand
 * (no export timer), and what the specs read back from a collection.
 */
import {
  AggregationTemporality,
  MeterProvider,
  MetricReader,
  type CollectionResult,
  type DataPoint,
  type MetricData,
} from '@opentelemetry/sdk-metrics';

export const NAME = 'circuit_breaker.name';
export const OUTCOME = 'circuit_breaker.outcome';
export const STATE = 'circuit_breaker.state';
export const PREVIOUS = 'circuit_breaker.previous_state';

/** A reader that only collects when asked. */
class OnDemandReader extends MetricReader {
  protected override onShutdown(): Promise<void> {
    return Promise.resolve();
  }
  protected override onForceFlush(): Promise<void> {
    return Promise.resolve();
  }
}

/** A provider with an on-demand reader of the given temporality, and a meter from it. */
export function setup(temporality: 'cumulative' | 'delta' = 'cumulative') {
  const reader = new OnDemandReader(
    temporality === 'delta'
      ? { aggregationTemporalitySelector: () => AggregationTemporality.DELTA }
      : {},
  );
  const provider = new MeterProvider({ readers: [reader] });
  return { reader, provider, meter: provider.getMeter('test') };
}

/** The instrument `name` in a collection. */
export function metric(result: CollectionResult, name: string): MetricData | undefined {
  for (const scope of result.resourceMetrics.scopeMetrics) {
    const found = scope.metrics.find((m) => m.descriptor.name === name);
    if (found) return found;
  }
  return undefined;
}

/** The points of instrument `name` (none when it is absent). */
export function points<T = number>(result: CollectionResult, name: string): DataPoint<T>[] {
  return (metric(result, name)?.dataPoints ?? []) as DataPoint<T>[];
}

/** The value of the point of `name` whose attributes include `attributes`. */
export function point<T = number>(
  result: CollectionResult,
  name: string,
  attributes: Record<string, string>,
): T | undefined {
  return points<T>(result, name).find((d) =>
    Object.entries(attributes).every(([k, v]) => d.attributes[k] === v),
  )?.value;
}
