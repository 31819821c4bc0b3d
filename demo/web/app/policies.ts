import {
  permits,
  retries,
  trippers,
  windows,
  type BreakerRegistryOptions,
  type CircuitBreakerConfig,
} from 'rxjs-fluxgate';
import { breakerName, type BackendInfo } from './config';

/** A backend's breaker policy, and the sentence the dashboard shows for it. */
export interface Policy {
  readonly config: CircuitBreakerConfig;
  readonly summary: string;
}

/**
 * The two policies, short enough that the breakers trip within a few seconds of `fail` and
 * recover within a few seconds of `heal`. In half-open both let one trial through at a time, and
 * the first trial decides: a failure reopens, a success closes.
 */
export const POLICIES: Readonly<Record<string, Policy>> = {
  orders: {
    config: {
      window: windows.count(10),
      tripper: trippers.failureStreak(3).or(trippers.halfOpened().and(trippers.failureRate(0.5))),
      retry: retries.cooldown(1_500),
      permit: permits.all(),
      maxHalfOpenCalls: 1,
    },
    summary: 'opens after 3 failures in a row; one trial after 1.5 s',
  },
  catalog: {
    config: {
      window: windows.time(4_000, { bucket: 500 }),
      tripper: trippers.minRequests(6).or(trippers.halfOpened()).and(trippers.failureRate(0.5)),
      retry: retries.backoff({ initial: 2_000, multiplier: 2, max: 4_000 }),
      permit: permits.all(),
      maxHalfOpenCalls: 1,
    },
    summary:
      'opens when half the calls of the last 4 s failed (6 calls at least); trial after 2 s, then 4 s',
  },
};

/** The registry's per-name configs: each backend's breaker is named by its origin. */
export function registryOptions(backends: readonly BackendInfo[]): BreakerRegistryOptions {
  const configs: Record<string, CircuitBreakerConfig> = {};
  for (const backend of backends) {
    const policy = POLICIES[backend.id];
    if (policy !== undefined) configs[breakerName(backend.url)] = policy.config;
  }
  return { configs };
}
