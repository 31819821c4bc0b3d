/**
 * Load with nothing lost: 50,000 calls through `mergeMap(..., 256)` to a real HTTP server on
 * 127.0.0.1 that fails 30% of requests, answers 404 to some (ignored by the tracker) and never
 * answers a few (ended by `timeout`). The timeouts are seconds long, so that answers slowed down
 * by a loaded machine are not taken for hangs: were they, nearly every call would fail, the
 * breaker would stay open, and too few calls would reach the server for every kind of outcome
 * to occur. Every call must be accounted for exactly once in `events$`
 * and reach its subscriber exactly once, and the breaker must trip and recover along the way.
 *
 * Real time here (the default `asyncScheduler`): the point is real sockets and real timers, so the
 * breaker uses short cooldowns. Nothing is asserted about durations.
 */
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import {
  Observable,
  TimeoutError,
  asyncScheduler,
  catchError,
  defer,
  lastValueFrom,
  map,
  mergeMap,
  of,
  range,
  subscribeOn,
  timeout,
  toArray,
} from 'rxjs';
import {
  CircuitBreaker,
  circuitBreaker,
  permits,
  retries,
  trackers,
  trippers,
  windows,
  type BreakerEvent,
  type Transition,
} from 'rxjs-fluxgate';
import { seeded } from '../model/config-spec';

const CALLS = 50_000;
const CONCURRENCY = 256;

class HttpError extends Error {
  constructor(readonly status: number) {
    super(`HTTP ${status}`);
  }
}

let server: http.Server;
let agent: http.Agent;
let port: number;
const sockets = new Set<Socket>();
let hung = 0;

beforeAll(async () => {
  const random = seeded(2026);
  server = http.createServer((req, res) => {
    const r = random();
    if (r < 0.004) {
      hung += 1; // never answered: the client's timeout ends the call
      return;
    }
    if (r < 0.304) {
      res.writeHead(500).end('failed');
    } else if (r < 0.354) {
      res.writeHead(404).end('not found');
    } else {
      res.writeHead(200).end(req.url);
    }
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
  agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });
});

afterAll(async () => {
  agent.destroy();
  for (const s of sockets) s.destroy();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

/** One GET as a cold observable: the body then complete, or an `HttpError`; unsubscribing aborts. */
function get(path: string): Observable<string> {
  return new Observable<string>((subscriber) => {
    let done = false;
    const req = http.get({ host: '127.0.0.1', port, path, agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        done = true;
        if (res.statusCode === 200) {
          subscriber.next(Buffer.concat(chunks).toString());
          subscriber.complete();
        } else {
          subscriber.error(new HttpError(res.statusCode ?? 0));
        }
      });
    });
    req.on('error', (e) => {
      done = true;
      subscriber.error(e);
    });
    return () => {
      if (!done) req.destroy();
    };
  });
}

type Ending = 'value' | 'rejected' | 'http' | 'timeout' | 'other';

describe('load: 50,000 calls to a flaky server', () => {
  test('every call is accounted for exactly once; the breaker trips and recovers', async () => {
    const breaker = new CircuitBreaker({
      name: 'load',
      window: windows.count(20),
      tracker: trackers.custom(
        (e) => e instanceof TimeoutError || (e instanceof HttpError && e.status >= 500),
      ),
      tripper: trippers.minRequests(20).and(trippers.failureRate(0.3)),
      retry: retries.cooldown(20, { jitter: 0.5 }),
      permit: permits.all(),
      maxHalfOpenCalls: 4,
      maxHalfOpenDuration: 2_000,
    });
    const counts: Record<BreakerEvent['type'], number> = {
      success: 0,
      failure: 0,
      ignored: 0,
      cancelled: 0,
      rejected: 0,
    };
    const transitions: Transition[] = [];
    breaker.events$.subscribe((e) => (counts[e.type] += 1));
    breaker.transitions$.subscribe((t) => transitions.push(t));

    const endings = await lastValueFrom(
      range(0, CALLS).pipe(
        mergeMap((i) => {
          // The hangs end as failures (timeout before the breaker) or, for every tenth call, as
          // cancellations (a shorter timeout after it unsubscribes first). Both are long enough
          // that an answer slowed down by a loaded machine is not taken for a hang.
          let call$ = defer(() => get(`/${i}`)).pipe(timeout(5000), circuitBreaker(breaker));
          if (i % 10 === 0) call$ = call$.pipe(timeout(4000));
          // Each call subscribes on a macrotask, as calls arriving from outside would: a refused call
          // ends synchronously, and RxJS's mergeMap drains its buffer recursively, so thousands of
          // refusals in a row would overflow the stack (plain `of()` inners do the same), and on the
          // microtask queue they would starve the sockets of the trial calls.
          call$ = call$.pipe(subscribeOn(asyncScheduler));
          const endings: Ending[] = [];
          return call$.pipe(
            map((body): Ending => {
              expect(body).toBe(`/${i}`);
              return 'value';
            }),
            catchError((e: unknown) =>
              of<Ending>(
                e instanceof HttpError
                  ? 'http'
                  : e instanceof TimeoutError
                    ? 'timeout'
                    : (e as Error).name === 'CallNotPermittedError'
                      ? 'rejected'
                      : 'other',
              ),
            ),
            toArray(),
            map((all) => {
              endings.push(...all);
              return { i, endings };
            }),
          );
        }, CONCURRENCY),
        toArray(),
      ),
    );

    // Each call reached its subscriber exactly once, with one ending.
    expect(endings).toHaveLength(CALLS);
    expect(new Set(endings.map((e) => e.i)).size).toBe(CALLS);
    expect(endings.filter((e) => e.endings.length !== 1)).toEqual([]);
    const seen = endings.map((e) => e.endings[0]);
    expect(seen.filter((e) => e === 'other')).toEqual([]);

    // Every call was accounted for exactly once by events$.
    const total = Object.values(counts).reduce((a, b) => a + b, 0);
    expect(total).toBe(CALLS);
    expect(counts.rejected).toBe(seen.filter((e) => e === 'rejected').length);
    expect(counts.success).toBe(seen.filter((e) => e === 'value').length);
    expect(counts.ignored).toBeGreaterThan(0);
    expect(counts.cancelled).toBeGreaterThan(0);
    expect(counts.failure).toBeGreaterThan(0);
    expect(hung).toBeGreaterThan(0);

    // It tripped, probed and recovered, more than once.
    const moves = transitions.map((t) => `${t.from}->${t.to}`);
    expect(moves.filter((m) => m === 'closed->open').length).toBeGreaterThan(1);
    expect(moves.filter((m) => m === 'open->half_open').length).toBeGreaterThan(1);
    expect(moves.filter((m) => m === 'half_open->closed').length).toBeGreaterThan(1);
  }, 300_000);
});
