/**
 * The synchronous-burst limit of docs/guide.md: `range(0, N)` into `mergeMap(..., 256)`, where the
 * first 256 calls are in flight (a 5 ms source) when the breaker is forced open, so the rest wait
 * in mergeMap's buffer and are then refused synchronously with a synchronous fallback.
 *
 * Run after `npm run build`: `node docs/measurements/sync-burst.js`. Each N runs in a fresh
 * process (a warm JIT changes stack frame sizes), and the search prints the largest N that still
 * completes and the smallest that stalls (no error, no completion: the stream just stops).
 */
const { execFileSync } = require('node:child_process');

const CONCURRENCY = 256;

function child(n, async) {
  const { map, mergeMap, of, queueScheduler, range, subscribeOn, timer } = require('rxjs');
  const { CircuitBreaker, circuitBreaker, retries } = require('rxjs-fluxgate');
  const breaker = new CircuitBreaker({ name: 'burst', retry: retries.never() });
  const call = () => {
    const c = timer(5).pipe(
      map(() => 1),
      circuitBreaker(breaker, { fallback: () => of(0) }),
    );
    return async ? c.pipe(subscribeOn(queueScheduler)) : c;
  };
  let values = 0;
  let outcome = 'stalled';
  range(0, n)
    .pipe(mergeMap(call, CONCURRENCY))
    .subscribe({
      next: () => values++,
      error: (e) => (outcome = `error: ${e}`),
      complete: () => (outcome = 'complete'),
    });
  setTimeout(() => breaker.forceOpen(), 1);
  setTimeout(() => console.log(JSON.stringify({ n, values, outcome })), 500);
}

function run(n, async) {
  const out = execFileSync(process.execPath, [
    process.argv[1],
    String(n),
    async ? 'queue' : 'plain',
  ]);
  return JSON.parse(out.toString());
}

if (process.argv[2]) {
  child(Number(process.argv[2]), process.argv[3] === 'queue');
} else {
  let lo = CONCURRENCY;
  let hi = 20_000;
  if (run(hi, false).outcome === 'complete') {
    console.log(`no stall up to ${hi} calls`);
  } else {
    while (hi - lo > 5) {
      const mid = Math.floor((lo + hi) / 2);
      if (run(mid, false).outcome === 'complete') lo = mid;
      else hi = mid;
    }
    // Near the boundary a run may go either way: stack frames differ a little from run to run.
    console.log(`Node ${process.version}: ${lo} calls completed; ${hi} stalled`);
  }
  console.log('with subscribeOn(queueScheduler) on each call:', run(50_000, true));
}
