/**
 * The package's demo: a flaky HTTP server on 127.0.0.1 and 15 seconds of requests through a
 * circuit breaker. It prints one line per second (what the calls got, and the breaker's state)
 * and every transition as it happens, so you can watch the breaker trip, wait, probe and recover.
 *
 * Run it with `npm run demo` (which builds the package first): it loads `rxjs-fluxgate` exactly
 * as a user of the package would.
 */
'use strict';

const http = require('node:http');
const {
  Observable,
  interval,
  timer,
  of,
  bufferTime,
  catchError,
  map,
  mergeMap,
  takeUntil,
} = require('rxjs');

const { startFlakyServer } = require('./flaky-server');

const fluxgate = loadPackage();
const {
  CircuitBreaker,
  CallNotPermittedError,
  circuitBreaker,
  permits,
  retries,
  trippers,
  windows,
} = fluxgate;

/** How long the demo sends requests, and how often. */
const RUN_MS = 15_000;
const EVERY_MS = 75;

/**
 * The server's script: healthy, then an outage in which 9 of every 10 requests fail, then healthy.
 * The failures follow a fixed pattern, so every run tells the same story.
 */
const OUTAGE_FROM_MS = 4_000;
const OUTAGE_UNTIL_MS = 10_000;
const OUTAGE_FAILS = 9;
const OUTAGE_OUT_OF = 10;

/** The breaker's cooldown before it lets a trial call through. */
const COOLDOWN_MS = 2_000;

const colour = process.stdout.isTTY && !process.env.NO_COLOR;
const paint = (code, text) => (colour ? `\x1b[${code}m${text}\x1b[0m` : text);
const STATE_COLOURS = { closed: 32, open: 31, half_open: 33 };
const showState = (state) => paint(STATE_COLOURS[state] ?? 0, state);

/** Loads the built package by its own name (the package refers to itself through its exports map). */
function loadPackage() {
  try {
    return require('rxjs-fluxgate');
  } catch (error) {
    if (error && error.code === 'MODULE_NOT_FOUND') {
      try {
        return require('../dist/index.js');
      } catch {
        console.error('The package is not built yet: run `npm run build` (or `npm run demo`).');
        process.exit(1);
      }
    }
    throw error;
  }
}

/** What the server is doing at `elapsed` ms into the demo. */
function phase(elapsed) {
  return elapsed >= OUTAGE_FROM_MS && elapsed < OUTAGE_UNTIL_MS ? 'outage' : 'healthy';
}

/**
 * One GET request as an observable: it emits the body and completes on a 2xx answer, errors on
 * any other status or a network error, and aborts the request when unsubscribed.
 */
function get(url, agent) {
  return new Observable((subscriber) => {
    const req = http.get(url, { agent }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => (body += chunk));
      res.on('end', () => {
        if (res.statusCode >= 200 && res.statusCode < 300) {
          subscriber.next(body);
          subscriber.complete();
        } else {
          subscriber.error(new Error(`HTTP ${res.statusCode}`));
        }
      });
    });
    req.on('error', (error) => subscriber.error(error));
    return () => req.destroy();
  });
}

/** What a transition means, printed with it. */
function meaning(from, to) {
  if (to === 'open' && from === 'half_open')
    return `the trial failed: open again for ${COOLDOWN_MS / 1000} s`;
  if (to === 'open')
    return `failing fast: no request reaches the server for ${COOLDOWN_MS / 1000} s`;
  if (to === 'half_open') return 'cooldown over: the next request is a trial';
  if (to === 'closed') return 'the trial succeeded: back to normal';
  return to;
}

async function main() {
  // The demo's clock starts when the requests do; the server's script follows the same clock.
  let startedAt = Date.now();
  const elapsed = () => Date.now() - startedAt;
  const seconds = () => (elapsed() / 1000).toFixed(2).padStart(5);
  const backend = await startFlakyServer({
    isOutage: () => phase(elapsed()) === 'outage',
    fails: OUTAGE_FAILS,
    outOf: OUTAGE_OUT_OF,
  });
  const { url } = backend;
  const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });

  const path = ['closed'];
  const breaker = new CircuitBreaker({
    name: 'flaky_api',
    window: windows.count(20),
    // Trip when at least half of the last 20 calls failed (and at least 5 were made); in
    // half-open, the first trial decides: a failure reopens, a success closes.
    tripper: trippers.minRequests(5).or(trippers.halfOpened()).and(trippers.failureRate(0.5)),
    retry: retries.cooldown(COOLDOWN_MS),
    permit: permits.all(),
    maxHalfOpenCalls: 1,
    listeners: [
      (t) => {
        path.push(t.to);
        const line = `${seconds()}s  ${t.from} -> ${t.to}`;
        console.log(`${paint(1, line)}  (${meaning(t.from, t.to)})`);
      },
    ],
  });

  console.log(`rxjs-fluxgate demo: ${RUN_MS / 1000} s of requests, one every ${EVERY_MS} ms,`);
  console.log(`to a server on ${url} that fails ${OUTAGE_FAILS} of every ${OUTAGE_OUT_OF}`);
  console.log(`requests from ${OUTAGE_FROM_MS / 1000} s to ${OUTAGE_UNTIL_MS / 1000} s.`);
  console.log(`Breaker: opens when >= 50% of the last 20 calls failed; tries again after`);
  console.log(`${COOLDOWN_MS / 1000} s with one trial request.\n`);
  console.log(paint(2, ' time  server    ok  failed  rejected  state'));

  // Each request is one call: a subscription to `get(url)` through the breaker. A refused call
  // errors at once with a CallNotPermittedError and never reaches the server.
  const outcomes$ = interval(EVERY_MS).pipe(
    // Stop sending half a second early so the last requests land in the 15th one-second line.
    takeUntil(timer(RUN_MS - 500)),
    mergeMap(() =>
      get(url, agent).pipe(
        circuitBreaker(breaker),
        map(() => 'ok'),
        catchError((error) => of(error instanceof CallNotPermittedError ? 'rejected' : 'failed')),
      ),
    ),
  );

  let second = 0;
  const totals = { ok: 0, failed: 0, rejected: 0 };
  startedAt = Date.now();
  await new Promise((resolve, reject) => {
    outcomes$.pipe(bufferTime(1000)).subscribe({
      next: (outcomes) => {
        second += 1;
        for (const o of outcomes) totals[o] += 1;
        const count = (kind) => String(outcomes.filter((o) => o === kind).length);
        // The server's phase in the middle of the second this line covers.
        const server = phase(elapsed() - 500).padEnd(8);
        console.log(
          `${String(second).padStart(4)}s  ${server}` +
            `${count('ok').padStart(4)}${count('failed').padStart(8)}` +
            `${count('rejected').padStart(10)}  ${showState(breaker.state)}`,
        );
      },
      error: reject,
      complete: resolve,
    });
  });

  agent.destroy();
  await backend.close();

  console.log(`\nTransitions: ${path.join(' -> ')}`);
  console.log(
    `Requests: ${totals.ok} ok, ${totals.failed} failed, ${totals.rejected} rejected` +
      ' (refused by the open breaker, never sent to the server).',
  );
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
