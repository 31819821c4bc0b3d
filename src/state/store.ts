import type { BreakerSnapshot } from './snapshot';

/**
 * Where a breaker keeps its {@link BreakerSnapshot}. The breaker reads it on every call and writes
 * it only on a transition, so a store that shares state between processes can stand in for the
 * in-memory one.
 */
export interface StateStore {
  /** The current snapshot. */
  read(): BreakerSnapshot;
  /** Replaces the snapshot (called only with the result of a transition). */
  write(next: BreakerSnapshot): void;
}

/** A {@link StateStore} that keeps the snapshot in memory. */
export function memoryStore(initial: BreakerSnapshot): StateStore {
  let current = initial;
  return {
    read: () => current,
    write: (next) => {
      current = next;
    },
  };
}
