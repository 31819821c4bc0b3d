/**
 * The timed cases of `npm run bench`. Each case runs `batch` operations per sample, so the
 * timer's own cost (tens of ns) is spread over the batch; ns/op is the sample's time divided by
 * the batch. Every breaker is made once, before the timing, the way a service makes it once and
 * shares it; each case also has a `check` that proves, after the run, that it measured the state it
 * claims to (closed breakers still closed, open ones still open and refusing).
 */
'use strict';

const { asyncScheduler, map, of } = require('rxjs');
const Opossum = require('opossum');
const cockatiel = require('cockatiel');

/** Operations per sample. */
const BATCH = 1000;

/** Longer than the whole run: the open breakers must not move to half-open while it lasts. */
const STAY_OPEN_MS = 600_000;

const noop = () => {};
const resolveOne = () => Promise.resolve(1);
const failing = () => Promise.reject(new Error('down'));
const identityFn = (x) => x;
/** One error made up front: the rejection floors below measure the rejection, not the error. */
const PREMADE = new Error('refused');

/**
 * Builds the cases against the package's public API.
 *
 * @param {typeof import('rxjs-fluxgate')} fluxgate The built package.
 * @returns {Promise<{ cases: Case[], dispose: () => void }>} The cases, and what stops the peers'
 *   timers.
 *
 * @typedef {object} Case
 * @property {string} name Unique; the key in results.json.
 * @property {string} group The section of the table.
 * @property {() => unknown} fn Runs `BATCH` operations (a promise for the async cases).
 * @property {boolean} async Whether `fn` returns a promise.
 * @property {() => string | undefined} check An error message when the case measured the wrong thing.
 */
async function buildCases(fluxgate) {
  const { CircuitBreaker, CallNotPermittedError, circuitBreaker, retries, trippers, windows } =
    fluxgate;
  const cases = [];
  const disposers = [];
  const add = (group, name, fn, check) =>
    cases.push({
      group,
      name,
      fn,
      async: fn.constructor.name === 'AsyncFunction',
      check: check ?? (() => undefined),
    });
  const stillClosed = (breaker, label) => () =>
    breaker.state === 'closed' ? undefined : `${label}: expected closed, is ${breaker.state}`;

  // 1. The operator against bare of(1). The operator is made once and reused, as its docs advise.
  {
    const breaker = new CircuitBreaker({ name: 'operator' });
    const protect = circuitBreaker(breaker);
    const fallbackBreaker = new CircuitBreaker({ name: 'operator_fallback' });
    const protectWithFallback = circuitBreaker(fallbackBreaker, { fallback: () => of(0) });
    add('1. operator, closed', 'of(1).subscribe()', () => {
      for (let i = 0; i < BATCH; i++) of(1).subscribe();
    });
    // A reference, not a target: RxJS's own cheapest operator, made once like ours.
    const identity = map((x) => x);
    add('1. operator, closed', 'of(1).pipe(map(x => x)).subscribe()', () => {
      for (let i = 0; i < BATCH; i++) of(1).pipe(identity).subscribe();
    });
    add(
      '1. operator, closed',
      'of(1).pipe(circuitBreaker(b)).subscribe()',
      () => {
        for (let i = 0; i < BATCH; i++) of(1).pipe(protect).subscribe();
      },
      stillClosed(breaker, 'operator'),
    );
    add(
      '1. operator, closed',
      'of(1).pipe(circuitBreaker(b, { fallback })).subscribe()',
      () => {
        for (let i = 0; i < BATCH; i++) of(1).pipe(protectWithFallback).subscribe();
      },
      stillClosed(fallbackBreaker, 'operator with fallback'),
    );
  }

  // 2. The promise path against a bare await, opossum and cockatiel, all closed.
  {
    const breaker = new CircuitBreaker({ name: 'promise' });
    const opossumDefault = new Opossum(resolveOne);
    const opossumNoTimeout = new Opossum(resolveOne, { timeout: false });
    const consecutive = cockatiel.circuitBreaker(cockatiel.handleAll, {
      halfOpenAfter: STAY_OPEN_MS,
      breaker: new cockatiel.ConsecutiveBreaker(5),
    });
    const sampling = cockatiel.circuitBreaker(cockatiel.handleAll, {
      halfOpenAfter: STAY_OPEN_MS,
      breaker: new cockatiel.SamplingBreaker({ threshold: 0.5, duration: 10_000 }),
    });
    disposers.push(
      () => opossumDefault.shutdown(),
      () => opossumNoTimeout.shutdown(),
    );
    const group = '2. promise path, closed';
    add(group, 'await Promise.resolve(1)', async () => {
      for (let i = 0; i < BATCH; i++) await Promise.resolve(1);
    });
    // Not a call: the clock. A breaker that times its calls reads it twice per call (start and
    // end, for the duration), through its scheduler; asyncScheduler.now() is Date.now(). The
    // default breaker below times none (a count window, trippers that read no duration).
    let sink = 0;
    add(
      group,
      'Date.now() (one clock read)',
      () => {
        for (let i = 0; i < BATCH; i++) sink += Date.now();
      },
      () => (sink > 0 ? undefined : 'the clock read nothing'),
    );
    // Floors, not calls: one extra promise (what a `.then()` on fn's promise costs), the least
    // any promise path that hands back its own promise pays on top of a bare await.
    add(group, 'await Promise.resolve(1).then(f) (floor: one more promise)', async () => {
      for (let i = 0; i < BATCH; i++) await Promise.resolve(1).then(identityFn);
    });
    add(
      group,
      'breaker.call(fn)',
      async () => {
        for (let i = 0; i < BATCH; i++) await breaker.call(resolveOne);
      },
      stillClosed(breaker, 'call()'),
    );
    add(
      group,
      'opossum fire() (defaults)',
      async () => {
        for (let i = 0; i < BATCH; i++) await opossumDefault.fire();
      },
      () => (opossumDefault.closed ? undefined : 'opossum (defaults): expected closed'),
    );
    add(
      group,
      'opossum fire() (timeout: false)',
      async () => {
        for (let i = 0; i < BATCH; i++) await opossumNoTimeout.fire();
      },
      () => (opossumNoTimeout.closed ? undefined : 'opossum (timeout: false): expected closed'),
    );
    add(
      group,
      'cockatiel execute() (ConsecutiveBreaker)',
      async () => {
        for (let i = 0; i < BATCH; i++) await consecutive.execute(resolveOne);
      },
      () =>
        consecutive.state === cockatiel.CircuitState.Closed
          ? undefined
          : 'cockatiel consecutive: expected closed',
    );
    add(
      group,
      'cockatiel execute() (SamplingBreaker)',
      async () => {
        for (let i = 0; i < BATCH; i++) await sampling.execute(resolveOne);
      },
      () =>
        sampling.state === cockatiel.CircuitState.Closed
          ? undefined
          : 'cockatiel sampling: expected closed',
    );
  }

  // Not a target: what the clock costs. The same calls with a scheduler whose now() is a cached
  // timestamp, refreshed every millisecond by a timer (within a batch it does not move), the way a
  // user can trade duration precision for speed on a machine where reading the clock is slow.
  {
    const group = '2b. with a coarse clock (informative)';
    let cached = Date.now();
    const ticker = setInterval(() => (cached = Date.now()), 1);
    ticker.unref();
    disposers.push(() => clearInterval(ticker));
    const coarse = { now: () => cached, schedule: asyncScheduler.schedule.bind(asyncScheduler) };
    const breaker = new CircuitBreaker({ name: 'coarse', scheduler: coarse });
    const protect = circuitBreaker(breaker);
    add(
      group,
      'breaker.call(fn), coarse clock',
      async () => {
        for (let i = 0; i < BATCH; i++) await breaker.call(resolveOne);
      },
      stillClosed(breaker, 'call() with a coarse clock'),
    );
    add(
      group,
      'of(1).pipe(circuitBreaker(b)), coarse clock',
      () => {
        for (let i = 0; i < BATCH; i++) of(1).pipe(protect).subscribe();
      },
      stillClosed(breaker, 'operator with a coarse clock'),
    );
  }

  // 3. A refused call in the open state. Each breaker is tripped by one failure (opossum is opened
  //    by hand: its defaults need ten), and none may probe again while the run lasts.
  {
    const group = '3. rejection, open';
    const ours = new CircuitBreaker({
      name: 'open',
      tripper: trippers.failureStreak(1),
      retry: retries.cooldown(STAY_OPEN_MS),
    });
    await ours.call(failing).catch(noop);
    const protect = circuitBreaker(ours);
    const opossum = new Opossum(resolveOne, { resetTimeout: STAY_OPEN_MS });
    opossum.open();
    disposers.push(() => opossum.shutdown());
    const consecutive = cockatiel.circuitBreaker(cockatiel.handleAll, {
      halfOpenAfter: STAY_OPEN_MS,
      breaker: new cockatiel.ConsecutiveBreaker(1),
    });
    await consecutive.execute(failing).catch(noop);

    let wrong = 0;
    const expectRefusal = (ok) => (error) => {
      if (!ok(error)) wrong++;
    };
    const oursRefused = expectRefusal((e) => e instanceof CallNotPermittedError);
    const opossumRefused = expectRefusal((e) => e && e.code === 'EOPENBREAKER');
    const cockatielRefused = expectRefusal((e) => e instanceof cockatiel.BrokenCircuitError);
    const observer = { next: () => wrong++, error: oursRefused };
    const refusing = (label, isOpen) => () =>
      wrong > 0 ? `${wrong} calls were not refused` : isOpen() ? undefined : `${label} not open`;

    add(
      group,
      'of(1).pipe(circuitBreaker(b)), open',
      () => {
        for (let i = 0; i < BATCH; i++) of(1).pipe(protect).subscribe(observer);
      },
      refusing('operator', () => ours.state === 'open'),
    );
    add(
      group,
      'breaker.call(fn), open',
      async () => {
        for (let i = 0; i < BATCH; i++) {
          try {
            await ours.call(resolveOne);
            wrong++;
          } catch (error) {
            oursRefused(error);
          }
        }
      },
      refusing('call()', () => ours.state === 'open'),
    );
    // Floors for a refusal on a promise path: a rejected await of an error made up front, and
    // the same plus an error built without a stack trace (what a refusal must hand back).
    add(group, 'await Promise.reject(e), caught (floor)', async () => {
      for (let i = 0; i < BATCH; i++) {
        try {
          await Promise.reject(PREMADE);
        } catch (error) {
          if (error !== PREMADE) wrong++;
        }
      }
    });
    add(group, 'new error without stack + rejected await (floor)', async () => {
      for (let i = 0; i < BATCH; i++) {
        const limit = Error.stackTraceLimit;
        Error.stackTraceLimit = 0;
        const e = new CallNotPermittedError('open', 'open', 1000);
        Error.stackTraceLimit = limit;
        try {
          await Promise.reject(e);
        } catch (error) {
          if (error !== e) wrong++;
        }
      }
    });
    add(
      group,
      'opossum fire(), open',
      async () => {
        for (let i = 0; i < BATCH; i++) {
          try {
            await opossum.fire();
            wrong++;
          } catch (error) {
            opossumRefused(error);
          }
        }
      },
      refusing('opossum', () => opossum.opened),
    );
    add(
      group,
      'cockatiel execute(), open',
      async () => {
        for (let i = 0; i < BATCH; i++) {
          try {
            await consecutive.execute(resolveOne);
            wrong++;
          } catch (error) {
            cockatielRefused(error);
          }
        }
      },
      refusing('cockatiel', () => consecutive.state === cockatiel.CircuitState.Open),
    );
  }

  // 4. Recording into small and large windows, through the operator. The default tripper reads
  //    the window after every call and never trips on successes, so the breakers stay closed.
  {
    const group = '4. window size, closed';
    const windowCase = (name, window) => {
      const breaker = new CircuitBreaker({ name, window });
      const protect = circuitBreaker(breaker);
      add(
        group,
        name,
        () => {
          for (let i = 0; i < BATCH; i++) of(1).pipe(protect).subscribe();
        },
        () => {
          const { state, metrics } = breaker.info();
          if (state !== 'closed') return `${name}: expected closed, is ${state}`;
          return metrics.totalCount > 0 ? undefined : `${name}: nothing recorded`;
        },
      );
    };
    windowCase('windows.count(100)', windows.count(100));
    windowCase('windows.count(100_000)', windows.count(100_000));
    windowCase('windows.time(10_000)', windows.time(10_000));
    windowCase('windows.time(600_000)', windows.time(600_000));
  }

  // 5. A tripper tree of five parts against one; every part is evaluated on every success.
  {
    const group = '5. tripper tree, closed';
    const tripperCase = (name, tripper) => {
      const breaker = new CircuitBreaker({ name, tripper });
      const protect = circuitBreaker(breaker);
      add(
        group,
        name,
        () => {
          for (let i = 0; i < BATCH; i++) of(1).pipe(protect).subscribe();
        },
        stillClosed(breaker, name),
      );
    };
    tripperCase('tripper: 1 part', trippers.failureRate(0.5));
    tripperCase(
      'tripper: 5 parts',
      trippers
        .minRequests(100)
        .and(trippers.failureRate(0.5))
        .or(trippers.failureStreak(5))
        .or(trippers.avgLatency(10_000))
        .or(trippers.slowRate(0.5, 5_000)),
    );
  }

  // 6. The production stack: the closed operator with metrics attached, against the same without.
  //    Each attachment subscribes to events$, so every call builds its event and hands it on.
  {
    const group = '6. production stack, closed';
    const { prometheusMetrics } = require('rxjs-fluxgate/prometheus');
    const { openTelemetryMetrics } = require('rxjs-fluxgate/opentelemetry');
    const promClient = require('prom-client');
    const { MeterProvider, MetricReader } = require('@opentelemetry/sdk-metrics');
    // A pull reader, as a Prometheus exporter is: nothing exported on a timer during the run.
    class PullReader extends MetricReader {
      async onForceFlush() {}
      async onShutdown() {}
    }
    const stackCase = (name, attach) => {
      const breaker = new CircuitBreaker({ name: name.replace(/\W+/g, '_') });
      const subscription = attach(breaker);
      if (subscription) disposers.push(() => subscription.unsubscribe());
      const protect = circuitBreaker(breaker);
      add(
        group,
        name,
        () => {
          for (let i = 0; i < BATCH; i++) of(1).pipe(protect).subscribe();
        },
        stillClosed(breaker, name),
      );
    };
    stackCase('operator, no metrics', () => undefined);
    stackCase('operator, events$ observed (no-op)', (b) => b.events$.subscribe(noop));
    stackCase('operator + prometheusMetrics', (b) =>
      prometheusMetrics(b, { registry: new promClient.Registry() }),
    );
    const reader = new PullReader();
    const provider = new MeterProvider({ readers: [reader] });
    disposers.push(() => void provider.shutdown());
    stackCase('operator + openTelemetryMetrics', (b) =>
      openTelemetryMetrics(b, { meter: provider.getMeter('bench') }),
    );
  }

  // 7. Angular: one request through HttpClient, with the interceptor and without, against an
  //    in-process backend that answers at once, so the difference is the interceptor's own cost
  //    (breaker key lookup, the registry, the operator and the refusal mapping).
  {
    const group = '7. Angular HttpClient, closed';
    await import('@angular/compiler');
    const core = await import('@angular/core');
    const http = await import('@angular/common/http');
    const ng = await import('rxjs-fluxgate/angular');
    // The Angular entry point is an ES module and imports the core's ES module build, whose
    // BreakerRegistry class is the injection token.
    const { BreakerRegistry } = await import('rxjs-fluxgate');
    const backend = {
      handle: (req) => of(new http.HttpResponse({ status: 200, body: 1, url: req.url })),
    };
    const clientOf = (interceptors, extra = []) => {
      const platform = core.Injector.create({ providers: [], name: 'platform' });
      const injector = core.createEnvironmentInjector(
        [
          { provide: core.ɵINJECTOR_SCOPE, useValue: 'root' },
          core.provideZonelessChangeDetection(),
          ...extra,
          http.provideHttpClient(http.withInterceptors(interceptors)),
          { provide: http.HttpBackend, useValue: backend },
        ],
        platform,
        'bench',
      );
      disposers.push(() => injector.destroy());
      return { client: injector.get(http.HttpClient), injector };
    };
    const url = 'https://api.example.test/items/1';
    const plain = clientOf([]).client;
    const guarded = clientOf([ng.circuitBreakerInterceptor()], [ng.provideCircuitBreakers()]);
    const keyed = clientOf(
      [ng.circuitBreakerInterceptor({ key: () => 'api' })],
      [ng.provideCircuitBreakers()],
    );
    let received = 0;
    const onValue = () => received++;
    const requestCase = (name, client, check) =>
      add(
        group,
        name,
        () => {
          for (let i = 0; i < BATCH; i++) client.get(url).subscribe(onValue);
        },
        check,
      );
    requestCase('HttpClient.get(), no interceptor', plain, () =>
      received > 0 ? undefined : 'HttpClient: no response',
    );
    const closedIn = (c, name) => () => {
      const registry = c.injector.get(BreakerRegistry);
      if (!registry.has(name)) return `${name}: no breaker was made`;
      const state = registry.get(name).state;
      return state === 'closed' ? undefined : `${name}: expected closed, is ${state}`;
    };
    requestCase(
      'HttpClient.get(), circuitBreakerInterceptor() (key: origin)',
      guarded.client,
      closedIn(guarded, 'https://api.example.test'),
    );
    requestCase(
      'HttpClient.get(), circuitBreakerInterceptor({ key: () => name })',
      keyed.client,
      closedIn(keyed, 'api'),
    );
  }

  return {
    cases,
    dispose: () => {
      for (const dispose of disposers) dispose();
    },
  };
}

module.exports = { BATCH, buildCases };
