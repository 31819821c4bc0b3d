/**
 * Bad input gets a clear error: every factory and config field names itself, the rule and the value.
 */
import { of } from 'rxjs';
import {
  BreakerRegistry,
  CircuitBreaker,
  circuitBreaker,
  listeners,
  permits,
  retries,
  trackers,
  trippers,
  windows,
} from '../../src';

type Case = [
  label: string,
  make: () => unknown,
  kind: typeof RangeError | typeof TypeError,
  message: string,
];

const cases: Case[] = [
  [
    'count(0)',
    () => windows.count(0),
    RangeError,
    'windows.count(size): expected an integer > 0, got 0',
  ],
  [
    'count(1.5)',
    () => windows.count(1.5),
    RangeError,
    'windows.count(size): expected an integer > 0, got 1.5',
  ],
  [
    'count("10")',
    () => windows.count('10' as never),
    TypeError,
    'windows.count(size): expected an integer > 0, got "10"',
  ],
  [
    'count(NaN)',
    () => windows.count(NaN),
    TypeError,
    'windows.count(size): expected an integer > 0, got NaN',
  ],
  [
    'time(0)',
    () => windows.time(0),
    RangeError,
    'windows.time(duration): expected a finite number > 0, got 0',
  ],
  [
    'time(Infinity)',
    () => windows.time(Infinity),
    RangeError,
    'windows.time(duration): expected a finite number > 0, got Infinity',
  ],
  [
    'time bucket > duration',
    () => windows.time(500, { bucket: 1000 }),
    RangeError,
    'windows.time(duration, { bucket }): expected bucket <= duration (500), got 1000',
  ],
  [
    'time bucket -1',
    () => windows.time(500, { bucket: -1 }),
    RangeError,
    'windows.time(duration, { bucket }): expected a finite number > 0, got -1',
  ],
  [
    'time too many buckets',
    () => windows.time(1e9, { bucket: 1 }),
    RangeError,
    'windows.time(duration, { bucket }): expected duration / bucket <= 100000, got 1000000000',
  ],
  [
    'time options null',
    () => windows.time(5, null as never),
    TypeError,
    'windows.time(duration, options): expected an options object, got null',
  ],
  [
    'typeOf()',
    () => trackers.typeOf(),
    TypeError,
    'trackers.typeOf(...ctors): expected at least one constructor, got none',
  ],
  [
    'typeOf("x")',
    () => trackers.typeOf('Error' as never),
    TypeError,
    'trackers.typeOf(...ctors)[0]: expected a class (something instanceof can test against), got "Error"',
  ],
  [
    'typeOf(arrow function)',
    () => trackers.typeOf((() => undefined) as never),
    TypeError,
    'trackers.typeOf(...ctors)[0]: expected a class (something instanceof can test against), got function',
  ],
  [
    'count(2 ** 33)',
    () => windows.count(2 ** 33),
    RangeError,
    "windows.count(size): expected at most 1000000 (a breaker's ring holds every call it counts), got 8589934592",
  ],
  [
    'backoff misspelt option',
    () => retries.backoff({ initial: 10, multipler: 3 } as never),
    TypeError,
    'retries.backoff(options): unknown option "multipler" (expected initial, multiplier, max or jitter)',
  ],
  [
    'cooldown misspelt option',
    () => retries.cooldown(10, { jiter: 0.1 } as never),
    TypeError,
    'retries.cooldown(ms, options): unknown option "jiter" (expected jitter)',
  ],
  [
    'time window misspelt option',
    () => windows.time(10_000, { buckets: 10 } as never),
    TypeError,
    'windows.time(duration, options): unknown option "buckets" (expected bucket)',
  ],
  [
    'rampUp misspelt option',
    () => permits.rampUp({ initial: 0.1, final: 1, durration: 10 } as never),
    TypeError,
    'permits.rampUp(options): unknown option "durration" (expected initial, final or duration)',
  ],
  [
    'log misspelt option',
    () => listeners.log({ loger: console } as never),
    TypeError,
    'listeners.log(options): unknown option "loger" (expected logger or levels)',
  ],
  [
    'sparse listeners',
    // eslint-disable-next-line no-sparse-arrays
    () => new CircuitBreaker({ listeners: [, () => undefined] as never }),
    TypeError,
    'CircuitBreaker config.listeners[0]: expected a function, got undefined',
  ],
  [
    'halfOpenTrials 0',
    () => new CircuitBreaker({ halfOpenTrials: 0 }),
    RangeError,
    'CircuitBreaker config.halfOpenTrials: expected an integer > 0, got 0',
  ],
  [
    'autoHalfOpen "yes"',
    () => new CircuitBreaker({ autoHalfOpen: 'yes' as never }),
    TypeError,
    'CircuitBreaker config.autoHalfOpen: expected a boolean, got "yes"',
  ],
  [
    'openFor(0)',
    () => new CircuitBreaker().openFor(0),
    RangeError,
    'CircuitBreaker.openFor(ms): expected a finite number > 0, got 0',
  ],
  [
    'openFor(Infinity)',
    () => new CircuitBreaker().openFor(Infinity),
    RangeError,
    'CircuitBreaker.openFor(ms): expected a finite number > 0, got Infinity',
  ],
  [
    'custom(1)',
    () => trackers.custom(1 as never),
    TypeError,
    'trackers.custom(predicate): expected a function, got 1',
  ],
  [
    'tracker.and({})',
    () => trackers.all().and({} as never),
    TypeError,
    'tracker.and(other): expected a Tracker (an object with tracks()), got an object',
  ],
  [
    'minRequests(0)',
    () => trippers.minRequests(0),
    RangeError,
    'trippers.minRequests(count): expected an integer > 0, got 0',
  ],
  [
    'failureRate(1.5)',
    () => trippers.failureRate(1.5),
    RangeError,
    'trippers.failureRate(ratio): expected 0 < ratio <= 1, got 1.5',
  ],
  [
    'failureRate(0)',
    () => trippers.failureRate(0),
    RangeError,
    'trippers.failureRate(ratio): expected 0 < ratio <= 1, got 0',
  ],
  [
    'slowRate ratio',
    () => trippers.slowRate(2, 100),
    RangeError,
    'trippers.slowRate(ratio, threshold): expected 0 < ratio <= 1, got 2',
  ],
  [
    'slowRate threshold',
    () => trippers.slowRate(0.5, 0),
    RangeError,
    'trippers.slowRate(ratio, threshold): expected a finite number > 0, got 0',
  ],
  [
    'avgLatency(-1)',
    () => trippers.avgLatency(-1),
    RangeError,
    'trippers.avgLatency(ms): expected a finite number > 0, got -1',
  ],
  [
    'failureStreak(2.5)',
    () => trippers.failureStreak(2.5),
    RangeError,
    'trippers.failureStreak(count): expected an integer > 0, got 2.5',
  ],
  [
    'tripper.or(null)',
    () => trippers.closed().or(null as never),
    TypeError,
    'tripper.or(other): expected a Tripper (an object with trips()), got null',
  ],
  [
    'cooldown(0)',
    () => retries.cooldown(0),
    RangeError,
    'retries.cooldown(ms): expected a finite number > 0, got 0',
  ],
  [
    'cooldown jitter 1',
    () => retries.cooldown(10, { jitter: 1 }),
    RangeError,
    'retries.cooldown(ms, { jitter }): expected 0 <= jitter < 1, got 1',
  ],
  [
    'backoff()',
    () => retries.backoff(undefined as never),
    TypeError,
    'retries.backoff(options): expected an options object, got undefined',
  ],
  [
    'backoff initial',
    () => retries.backoff({ initial: 0 }),
    RangeError,
    'retries.backoff({ initial }): expected a finite number > 0, got 0',
  ],
  [
    'backoff multiplier',
    () => retries.backoff({ initial: 1, multiplier: 1 }),
    RangeError,
    'retries.backoff({ multiplier }): expected a finite number > 1, got 1',
  ],
  [
    'backoff max',
    () => retries.backoff({ initial: 10, max: 5 }),
    RangeError,
    'retries.backoff({ max }): expected a finite number >= initial (10), got 5',
  ],
  [
    'backoff jitter',
    () => retries.backoff({ initial: 10, jitter: -0.1 }),
    RangeError,
    'retries.backoff({ jitter }): expected 0 <= jitter < 1, got -0.1',
  ],
  [
    'rampUp(null)',
    () => permits.rampUp(null as never),
    TypeError,
    'permits.rampUp(options): expected an options object, got null',
  ],
  [
    'backoff([])',
    () => retries.backoff([] as never),
    TypeError,
    'retries.backoff(options): expected an options object, got an array of length 0',
  ],
  [
    'count(10n)',
    () => windows.count(10n as never),
    TypeError,
    'windows.count(size): expected an integer > 0, got 10n',
  ],
  [
    'config.onError',
    () => new CircuitBreaker({ onError: 'log' as never }),
    TypeError,
    'CircuitBreaker config.onError: expected a function, got "log"',
  ],
  [
    'config.random',
    () => new CircuitBreaker({ random: 0.5 as never }),
    TypeError,
    'CircuitBreaker config.random: expected a function, got 0.5',
  ],
  ...[[0], [-1], [Number.NaN], ['5'], [100, null], '100'].map((slowThresholds): Case => [
    `slowThresholds ${String(slowThresholds)}`,
    () => new CircuitBreaker({ tripper: { trips: () => false, slowThresholds } as never }),
    TypeError,
    'CircuitBreaker config.tripper.slowThresholds: expected an array of numbers > 0',
  ]),
  [
    'random(1.1)',
    () => permits.random(1.1),
    RangeError,
    'permits.random(ratio): expected 0 <= ratio <= 1, got 1.1',
  ],
  [
    'rampUp initial 0',
    () => permits.rampUp({ initial: 0, final: 1, duration: 1 }),
    RangeError,
    'permits.rampUp({ initial }): expected 0 < ratio <= 1, got 0',
  ],
  [
    'rampUp final < initial',
    () => permits.rampUp({ initial: 0.5, final: 0.2, duration: 1 }),
    RangeError,
    'permits.rampUp({ final }): expected initial (0.5) <= final <= 1, got 0.2',
  ],
  [
    'rampUp duration',
    () => permits.rampUp({ initial: 0.1, final: 1, duration: 0 }),
    RangeError,
    'permits.rampUp({ duration }): expected a finite number > 0, got 0',
  ],
  [
    'log logger',
    () => listeners.log({ logger: {} as never }),
    TypeError,
    'listeners.log({ logger }): expected a Logger (an object with info(), warn()), got an object',
  ],
  [
    'log level',
    () => listeners.log({ levels: { open: 'error' as never } }),
    TypeError,
    'listeners.log({ levels.open }): expected "info" or "warn", got "error"',
  ],
  [
    'log level key',
    () => listeners.log({ levels: { opened: 'warn' } as never }),
    TypeError,
    'listeners.log({ levels }): expected a key among closed, open, half_open, metrics_only, disabled, forced_open, got "opened"',
  ],
  [
    'config.name',
    () => new CircuitBreaker({ name: '' }),
    TypeError,
    'CircuitBreaker config.name: expected a non-empty string, got ""',
  ],
  [
    'config.maxHalfOpenCalls',
    () => new CircuitBreaker({ maxHalfOpenCalls: 0 }),
    RangeError,
    'CircuitBreaker config.maxHalfOpenCalls: expected an integer > 0, got 0',
  ],
  [
    'config.maxHalfOpenDuration',
    () => new CircuitBreaker({ maxHalfOpenDuration: 0 }),
    RangeError,
    'CircuitBreaker config.maxHalfOpenDuration: expected a number > 0 (Infinity allowed), got 0',
  ],
  [
    'config.window',
    () => new CircuitBreaker({ window: 100 as never }),
    TypeError,
    'CircuitBreaker config.window: expected a Window (an object with create()), got 100',
  ],
  [
    'config.tripper',
    () => new CircuitBreaker({ tripper: (() => true) as never }),
    TypeError,
    'CircuitBreaker config.tripper: expected a Tripper (an object with trips()), got function tripper',
  ],
  [
    'config.tracker',
    () => new CircuitBreaker({ tracker: { track: () => true } as never }),
    TypeError,
    'CircuitBreaker config.tracker: expected a Tracker (an object with tracks()), got an object',
  ],
  [
    'config.retry',
    () => new CircuitBreaker({ retry: 'cooldown' as never }),
    TypeError,
    'CircuitBreaker config.retry: expected a Retry (an object with wait()), got "cooldown"',
  ],
  [
    'config.permit',
    () => new CircuitBreaker({ permit: { allows: () => true } as never }),
    TypeError,
    'CircuitBreaker config.permit: expected a Permit (an object with admits()), got an object',
  ],
  [
    'config.store',
    () => new CircuitBreaker({ store: { read: () => undefined } as never }),
    TypeError,
    'CircuitBreaker config.store: expected a StateStore (an object with connect()), got an object',
  ],
  [
    'config.listeners',
    () => new CircuitBreaker({ listeners: [1 as never] }),
    TypeError,
    'CircuitBreaker config.listeners[0]: expected a function, got 1',
  ],
  [
    'config.listeners not array',
    () => new CircuitBreaker({ listeners: (() => undefined) as never }),
    TypeError,
    'CircuitBreaker config.listeners: expected an array of functions, got function listeners',
  ],
  [
    'config.scheduler',
    () => new CircuitBreaker({ scheduler: {} as never }),
    TypeError,
    'CircuitBreaker config.scheduler: expected a SchedulerLike (an object with now(), schedule()), got an object',
  ],
  [
    'config typo',
    () => new CircuitBreaker({ windw: windows.count(1) } as never),
    TypeError,
    'CircuitBreaker config: unknown option "windw"',
  ],
  [
    'config not object',
    () => new CircuitBreaker(5 as never),
    TypeError,
    'CircuitBreaker config: expected an options object, got 5',
  ],
  [
    'operator target',
    () => circuitBreaker(null as never),
    TypeError,
    'circuitBreaker(breaker): expected a CircuitBreaker or a config object, got null',
  ],
  [
    'operator target string',
    () => circuitBreaker('payments' as never),
    TypeError,
    'circuitBreaker(breaker): expected a CircuitBreaker or a config object, got "payments"',
  ],
  [
    'operator isResult',
    () => circuitBreaker({}, { isResult: true as never }),
    TypeError,
    'circuitBreaker(breaker, options).isResult: expected a function, got true',
  ],
  [
    'operator successOn',
    () => circuitBreaker({}, { successOn: 'first' as never }),
    TypeError,
    'circuitBreaker(breaker, options).successOn: expected "complete" or "value", got "first"',
  ],
  [
    'operator fallback',
    () => circuitBreaker({}, { fallback: of(1) as never }),
    TypeError,
    'circuitBreaker(breaker, options).fallback: expected a function, got an Observable',
  ],
  [
    'operator typo',
    () => circuitBreaker({}, { fallbak: () => of(1) } as never),
    TypeError,
    'circuitBreaker(breaker, options): unknown option "fallbak"',
  ],
  [
    'registry defaults',
    () => new BreakerRegistry({ defaults: { maxHalfOpenCalls: -1 } }),
    RangeError,
    'CircuitBreaker config.maxHalfOpenCalls: expected an integer > 0, got -1',
  ],
  [
    'registry configs',
    () => new BreakerRegistry({ configs: { a: { retry: 5 as never } } }),
    TypeError,
    'CircuitBreaker config.retry: expected a Retry (an object with wait()), got 5',
  ],
  [
    'registry option',
    () => new BreakerRegistry({ default: {} } as never),
    TypeError,
    'BreakerRegistry(options): unknown option "default"',
  ],
  [
    'registry get("")',
    () => new BreakerRegistry().get(''),
    TypeError,
    'BreakerRegistry.get(name): expected a non-empty string, got ""',
  ],
];

describe('bad input names the factory or field, the rule and the value', () => {
  test.each(cases)('%s', (_label, make, kind, message) => {
    let thrown: unknown;
    try {
      make();
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(kind);
    expect((thrown as Error).message.slice(0, message.length)).toBe(message);
  });

  test('the edges of every range are accepted', () => {
    expect(() => [
      windows.count(1),
      windows.time(1, { bucket: 1 }),
      trippers.failureRate(1),
      trippers.slowRate(1, 0.5),
      retries.cooldown(1, { jitter: 0 }),
      retries.cooldown(1, { jitter: 0.999 }),
      retries.backoff({ initial: 5, max: 5, multiplier: 1.0001 }),
      permits.random(0),
      permits.random(1),
      permits.rampUp({ initial: 1, final: 1, duration: 1 }),
      new CircuitBreaker({ maxHalfOpenCalls: 1, maxHalfOpenDuration: Infinity }),
    ]).not.toThrow();
  });
});
