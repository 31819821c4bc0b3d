import { Subscription } from 'rxjs';
import type { CircuitBreaker } from '../breaker/circuit-breaker';
import { isCircuitBreaker } from '../breaker/circuit-breaker';
import { describe } from '../internal/validate';
import type { BreakerRegistry } from './breaker-registry';

/**
 * Whether `value` is a {@link BreakerRegistry}, made by this copy of the package or by another
 * (an ES module and a CommonJS copy side by side).
 *
 * @param value Anything.
 * @return `true` for a registry.
 */
export function isBreakerRegistry(value: unknown): value is BreakerRegistry {
  const v = value as Partial<BreakerRegistry> | null;
  return (
    typeof v === 'object' &&
    v !== null &&
    typeof v.get === 'function' &&
    typeof v.names === 'function' &&
    typeof v.states$?.subscribe === 'function'
  );
}

/**
 * Runs `attach` for one breaker, or for every breaker of a registry: those it holds now and those
 * it makes later. Integrations (metrics, alerts) use it to accept either as their target.
 *
 * ## Example
 * ```ts
 * const sub = eachBreaker(registry, (b) => b.transitions$.subscribe((t) => log(t)));
 * sub.unsubscribe(); // ends every attachment
 * ```
 *
 * @param target A `CircuitBreaker` or a `BreakerRegistry`.
 * @param attach Starts watching one breaker; its subscription ends when the result is unsubscribed.
 * @param where Names the caller in the error for a bad target.
 * @return One subscription for every attachment.
 * @throws TypeError when `target` is neither a breaker nor a registry.
 */
export function eachBreaker(
  target: CircuitBreaker | BreakerRegistry,
  attach: (breaker: CircuitBreaker) => Subscription,
  where = 'eachBreaker(target)',
): Subscription {
  if (isCircuitBreaker(target)) return attach(target);
  if (!isBreakerRegistry(target)) {
    throw new TypeError(
      `${where}: expected a CircuitBreaker or a BreakerRegistry, got ${describe(target)}`,
    );
  }
  const all = new Subscription();
  const seen = new Set<string>();
  all.add(
    target.states$.subscribe((states) => {
      for (const name of Object.keys(states)) {
        if (seen.has(name)) continue;
        seen.add(name);
        all.add(attach(target.get(name)));
      }
    }),
  );
  return all;
}
