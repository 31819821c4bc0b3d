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
    typeof v.states$?.subscribe === 'function' &&
    typeof v.breakers$?.subscribe === 'function'
  );
}

/**
 * Runs `attach` for one breaker, or for every breaker of a registry: those it holds now and those
 * it makes later. Integrations (metrics, alerts) use it to accept either as their target.
 *
 * Each attachment ends when the result is unsubscribed, and also when its breaker leaves: a
 * breaker deleted or evicted from its registry, or disposed, is detached at once. Attaching a
 * breaker the registry makes costs O(1), whatever the registry holds.
 *
 * ## Example
 * ```ts
 * const sub = eachBreaker(registry, (b) => b.transitions$.subscribe((t) => log(t)));
 * sub.unsubscribe(); // ends every attachment
 * ```
 *
 * @param target A `CircuitBreaker` or a `BreakerRegistry`.
 * @param attach Starts watching one breaker; its subscription ends when the result is
 *   unsubscribed or the breaker is disposed.
 * @param where Names the caller in the error for a bad target.
 * @return One subscription for every attachment.
 * @throws TypeError when `target` is neither a breaker nor a registry.
 */
export function eachBreaker(
  target: CircuitBreaker | BreakerRegistry,
  attach: (breaker: CircuitBreaker) => Subscription,
  where = 'eachBreaker(target)',
): Subscription {
  const attached = new Map<CircuitBreaker, Subscription>();
  const all = new Subscription(() => {
    for (const subscription of attached.values()) subscription.unsubscribe();
    attached.clear();
  });
  // breakers$ emits each breaker once, and nothing once `all` is unsubscribed.
  const add = (breaker: CircuitBreaker): void => {
    const attachment = new Subscription();
    attached.set(breaker, attachment);
    attachment.add(attach(breaker));
    // Disposing a breaker completes its transitions$: that is when it leaves.
    attachment.add(
      breaker.transitions$.subscribe({
        complete: () => {
          attached.delete(breaker);
          attachment.unsubscribe();
        },
      }),
    );
  };
  if (isCircuitBreaker(target)) {
    add(target);
    return all;
  }
  if (!isBreakerRegistry(target)) {
    throw new TypeError(
      `${where}: expected a CircuitBreaker or a BreakerRegistry, got ${describe(target)}`,
    );
  }
  all.add(target.breakers$.subscribe(add));
  return all;
}
