/**
 * The memory cases of `npm run bench` (they need `node --expose-gc`). Memory is the V8 heap in use
 * plus the array buffers (typed arrays larger than a few dozen bytes live outside the heap, and the
 * windows keep their rings in typed arrays), read after forced garbage collections.
 */
'use strict';

const { of } = require('rxjs');

/** Breakers measured together for the cost of one idle breaker. */
const IDLE_BREAKERS = 1_000;
/** Breakers made in the registry. */
const REGISTRY_BREAKERS = 100_000;
/** The small registry whose transition time is compared with the large one's. */
const SMALL_REGISTRY_BREAKERS = 1_000;
/** Transitions timed in each registry (the median is reported). */
const TRANSITIONS = 21;
/** Calls across which the heap must not grow. */
const CALLS = 1_000_000;

const noop = () => {};
const resolveOne = () => Promise.resolve(1);

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[sorted.length >> 1];
}

/** Collects until the heap stops shrinking, then returns heap used plus array buffers, in bytes. */
function settledMemory() {
  let last = Infinity;
  for (let i = 0; i < 10; i++) {
    globalThis.gc();
    const { heapUsed, arrayBuffers } = process.memoryUsage();
    const now = heapUsed + arrayBuffers;
    if (now >= last) return now;
    last = now;
  }
  return last;
}

/** What keeping `make()`'s result costs, in bytes. */
function retained(make) {
  const before = settledMemory();
  const kept = make();
  const after = settledMemory();
  return { bytes: after - before, value: kept };
}

/**
 * Runs the memory cases.
 *
 * @param {typeof import('rxjs-fluxgate')} fluxgate The built package.
 * @returns {Promise<Record<string, number>>} Bytes per measurement, and the registry's build time.
 */
async function measureMemory(fluxgate) {
  if (typeof globalThis.gc !== 'function') {
    throw new Error('the memory cases need `node --expose-gc` (run `npm run bench`)');
  }
  const { BreakerRegistry, CircuitBreaker, circuitBreaker } = fluxgate;

  // Warm the constructors up, so the first measurement does not include compiled code.
  for (let i = 0; i < 100; i++) new CircuitBreaker({ name: `warm_${i}` });

  const idle = retained(() =>
    Array.from({ length: IDLE_BREAKERS }, (_, i) => new CircuitBreaker({ name: `idle_${i}` })),
  );

  const idleBytes = idle.bytes;
  idle.value = undefined;

  let registryMs = 0;
  const registry = retained(() => {
    const started = process.hrtime.bigint();
    // No bound: the registry must hold all of them (its default keeps 1,000).
    const r = new BreakerRegistry({ maxBreakers: Infinity });
    for (let i = 0; i < REGISTRY_BREAKERS; i++) r.get(`service_${i}`);
    registryMs = Number(process.hrtime.bigint() - started) / 1e6;
    return r.names().length === REGISTRY_BREAKERS ? r : undefined;
  });

  // One transition of one breaker while someone observes `states$`: a registry that copies its
  // record of states on every change pays for every breaker it holds.
  const transitionMs = (r) => {
    let seen = 0;
    const subscription = r.states$.subscribe(() => seen++);
    const breaker = r.get('service_0');
    const times = [];
    for (let i = 0; i < TRANSITIONS; i++) {
      const started = process.hrtime.bigint();
      if (i % 2 === 0) breaker.forceOpen();
      else breaker.reset();
      times.push(Number(process.hrtime.bigint() - started) / 1e6);
    }
    subscription.unsubscribe();
    if (seen < TRANSITIONS) throw new Error(`states$ saw ${seen} of ${TRANSITIONS} transitions`);
    breaker.reset();
    return Math.round(median(times) * 1000) / 1000;
  };
  const registry100kTransitionMs = transitionMs(registry.value);
  const small = new BreakerRegistry();
  for (let i = 0; i < SMALL_REGISTRY_BREAKERS; i++) small.get(`service_${i}`);
  const registry1kTransitionMs = transitionMs(small);
  registry.value = undefined;

  // Heap growth across a million calls of each path, after a warm-up that fills the window.
  const breaker = new CircuitBreaker({ name: 'heap' });
  const protect = circuitBreaker(breaker);
  for (let i = 0; i < 10_000; i++) of(1).pipe(protect).subscribe();
  for (let i = 0; i < 10_000; i++) await breaker.call(resolveOne);
  let before = settledMemory();
  for (let i = 0; i < CALLS; i++) of(1).pipe(protect).subscribe({ error: noop });
  const operatorGrowth = settledMemory() - before;
  before = settledMemory();
  for (let i = 0; i < CALLS; i++) await breaker.call(resolveOne);
  const callGrowth = settledMemory() - before;
  if (breaker.state !== 'closed') throw new Error(`heap breaker: expected closed`);

  return {
    idleBreakerBytes: Math.round(idleBytes / IDLE_BREAKERS),
    registry100kBytes: registry.bytes,
    registryPerBreakerBytes: Math.round(registry.bytes / REGISTRY_BREAKERS),
    registry100kBuildMs: Math.round(registryMs),
    registry100kTransitionMs,
    registry1kTransitionMs,
    heapGrowth1e6OperatorBytes: operatorGrowth,
    heapGrowth1e6CallBytes: callGrowth,
  };
}

module.exports = { CALLS, IDLE_BREAKERS, REGISTRY_BREAKERS, measureMemory };
