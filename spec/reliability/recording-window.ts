/**
 * A window that wraps a real one and keeps a plain list of what the breaker recorded into it since
 * it was last cleared, so a test can recount what it should hold by brute force.
 */
import type { Window, WindowStore, WindowTotals } from 'rxjs-fluxgate';
import type { WindowSpec } from '../model/config-spec';

export interface RecordedCall {
  readonly at: number;
  readonly failure: boolean;
  readonly duration: number;
}

export class RecordingWindow implements Window {
  /** What was recorded since the last `clear()`. */
  log: RecordedCall[] = [];
  /** Every `record()` ever made. */
  records = 0;
  /** Every `clear()` ever made. */
  clears = 0;
  thresholds: readonly number[] = [];

  constructor(private readonly inner: Window) {}

  create(slowThresholds: readonly number[]): WindowStore {
    const store = this.inner.create(slowThresholds);
    this.thresholds = [...slowThresholds];
    return {
      record: (now: number, failure: boolean, duration: number): void => {
        this.records += 1;
        this.log.push({ at: now, failure, duration });
        store.record(now, failure, duration);
      },
      read: (now: number): WindowTotals => store.read(now),
      clear: (): void => {
        this.clears += 1;
        this.log = [];
        store.clear();
      },
    };
  }
}

/** The recorded calls a window described by `spec` holds at `now`, by brute force. */
export function recount(
  spec: WindowSpec,
  log: readonly RecordedCall[],
  now: number,
): RecordedCall[] {
  if (spec.kind === 'count') return log.slice(Math.max(0, log.length - spec.size));
  const buckets = Math.floor(spec.duration / spec.bucket);
  return log.filter(
    (r) => Math.floor(now / spec.bucket) - Math.floor(r.at / spec.bucket) < buckets,
  );
}

/** Totals of `held`, in the shape of `info().metrics` (without the rates). */
export function totalsOf(held: readonly RecordedCall[], thresholds: readonly number[]) {
  const slowCounts: Record<number, number> = {};
  for (const t of thresholds) {
    slowCounts[t] = held.filter((r) => !r.failure && r.duration >= t).length;
  }
  return {
    totalCount: held.length,
    failureCount: held.filter((r) => r.failure).length,
    totalDuration: held.reduce((sum, r) => sum + r.duration, 0),
    slowCounts,
  };
}
