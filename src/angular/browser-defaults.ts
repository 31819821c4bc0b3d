import { permits, retries, trippers, windows, type CircuitBreakerConfig } from 'rxjs-fluxgate';
import { httpFailures } from './http-failures';

/** The fields {@link browserDefaults} sets: every policy field of a breaker's config. */
export type BrowserDefaults = Required<
  Pick<
    CircuitBreakerConfig,
    | 'window'
    | 'tracker'
    | 'tripper'
    | 'retry'
    | 'permit'
    | 'maxHalfOpenCalls'
    | 'maxHalfOpenDuration'
  >
>;

/**
 * The policy of the breakers {@link provideCircuitBreakers} makes, for the fields its `defaults`
 * (or a name's `configs` entry) leave unset: made for a page, which sends a few requests a minute
 * to a backend, not the hundreds a server sends that the core's defaults expect.
 *
 * | field | value | why |
 * | --- | --- | --- |
 * | `window` | `windows.time(30_000)` | the calls of the last 30 s: a page's traffic is sparse, and old failures must not add up with new ones |
 * | `tracker` | `httpFailures()` | status 0, 408, 429 and 5xx count; the 4xx a client caused do not |
 * | `tripper` | `minRequests(5).and(failureRate(0.5))` `.or(halfOpened().and(failureRate(0.5)))` | opens once 5 calls in 30 s are recorded and half of them failed, so a backend that is down opens at its 5th failure; in `half_open` one failed trial reopens it and one good trial closes it |
 * | `retry` | `retries.backoff({ initial: 5_000, multiplier: 2, max: 60_000, jitter: 0.2 })` | probes after about 5 s, then 10, 20, 40 and 60 s while the backend stays down; the jitter (±20%) spreads the probes of many pages that saw the same outage |
 * | `permit` | `permits.all()` | the first request after the wait is the trial: a recovered backend is reached at once, not after a ramp-up |
 * | `maxHalfOpenCalls` | `1` | one trial in flight; the other requests are refused until it answers |
 * | `maxHalfOpenDuration` | `30_000` | a trial that hangs (`HttpClient` has no timeout of its own) holds the only slot for at most 30 s: the next request then reopens the breaker |
 *
 * The core's own defaults (a count window of 100 calls, `minRequests(100)`, a 60 s cooldown, a
 * ramp-up permit, 10 trials) fit a busy server and are unchanged. Exported so a `registry` made
 * for {@link provideCircuitBreakers}, or a breaker of your own, can start from the same policy.
 *
 * ## Example
 * ```ts
 * import { BreakerRegistry, retries } from 'rxjs-fluxgate';
 * import { browserDefaults } from 'rxjs-fluxgate/angular';
 *
 * // What provideCircuitBreakers({ defaults: { retry: retries.cooldown(10_000) } }) makes:
 * const registry = new BreakerRegistry({
 *   defaults: { ...browserDefaults(), retry: retries.cooldown(10_000) },
 * });
 * ```
 *
 * @return A new config object with the fields above; the components in it are stateless
 *   descriptions, so it may be shared by any number of breakers.
 */
export function browserDefaults(): BrowserDefaults {
  return {
    window: windows.time(30_000),
    tracker: httpFailures(),
    tripper: trippers
      .minRequests(5)
      .and(trippers.failureRate(0.5))
      .or(trippers.halfOpened().and(trippers.failureRate(0.5))),
    retry: retries.backoff({ initial: 5_000, multiplier: 2, max: 60_000, jitter: 0.2 }),
    permit: permits.all(),
    maxHalfOpenCalls: 1,
    maxHalfOpenDuration: 30_000,
  };
}
