/**
 * The Redis store inside one process: several stores on their own connections stand for several
 * processes. Every test runs with both client libraries against a real redis-server.
 */
import {
  CircuitBreaker,
  permits,
  retries,
  trippers,
  type CircuitBreakerConfig,
  type FaultSource,
  type Transition,
} from 'rxjs-fluxgate';
import { redisStore, type RedisStateStore, type RedisStoreOptions } from '../../src/redis';
import { CLIENT_KINDS, connectClient, type ClientKind, type TestClient } from './helpers/clients';
import { eventually, sleep } from './helpers/fleet';
import { RedisServer, hasRedisServer } from './helpers/redis-server';
import { startCall } from '../helpers/calls';

jest.setTimeout(30_000);

// Without redis-server the suite is skipped locally, but fails in CI (CI=true), where it must run.
const run =
  hasRedisServer() || process.env.CI
    ? describe.each(CLIENT_KINDS)
    : describe.skip.each(CLIENT_KINDS);

/** One "process": its own client, store and breaker, with what it saw. */
interface Member {
  client: TestClient;
  store: RedisStateStore;
  breaker: CircuitBreaker;
  transitions: string[];
  errors: { source: FaultSource; error: unknown }[];
}

run('redisStore with %s', (kind: ClientKind) => {
  let server: RedisServer;
  let members: Member[] = [];
  let test = 0;
  let name = '';
  let prefix = '';

  beforeAll(async () => {
    server = await RedisServer.start();
  });
  beforeEach(() => {
    test++;
    name = `inventory ${test}`;
    prefix = `${kind}-${test}`;
  });
  afterEach(async () => {
    for (const m of members) m.breaker.dispose();
    await Promise.all(members.map((m) => m.client.close()));
    members = [];
  });
  afterAll(async () => {
    await server?.stop();
  });

  async function member(
    config: CircuitBreakerConfig = {},
    options: Partial<RedisStoreOptions> = {},
  ): Promise<Member> {
    const client = await connectClient(kind, server.url);
    const store = redisStore({ client: client.client, prefix, ...options });
    const m: Member = { client, store, breaker: undefined!, transitions: [], errors: [] };
    m.breaker = new CircuitBreaker({
      name,
      tripper: trippers.failureStreak(2),
      retry: retries.cooldown(500),
      permit: permits.all(),
      store,
      onError: (error, c) => m.errors.push({ source: c.source, error }),
      ...config,
    });
    m.breaker.transitions$.subscribe((t: Transition) =>
      m.transitions.push(`${t.from}>${t.to}:${t.origin}`),
    );
    members.push(m);
    await store.sync();
    return m;
  }

  /** Two failures thrown synchronously: the breaker opens before trip() returns. */
  const trip = (m: Member): void => {
    for (let i = 0; i < 2; i++) {
      m.breaker
        .call(() => {
          throw new Error('down');
        })
        .catch(() => {});
    }
  };
  const key = (suffix = 'state') => `{${prefix}:${name}}:${suffix}`;
  const hash = async (m: Member) => {
    const flat = (await m.client.send('HGETALL', key())) as string[] | Record<string, string>;
    if (!Array.isArray(flat)) return flat;
    const out: Record<string, string> = {};
    for (let i = 0; i < flat.length; i += 2) out[flat[i]!] = flat[i + 1]!;
    return out;
  };

  it('creates the shared key with an epoch, under the hash tag {prefix:name}', async () => {
    const a = await member();
    const h = await hash(a);
    expect(h).toMatchObject({ s: 'closed', g: '0', r: '0', w: '0' });
    expect(h.e).toMatch(/^[0-9a-f]{16}$/);
    const ttl = Number(await a.client.send('PTTL', key()));
    expect(ttl).toBeGreaterThan(86_000_000);
  });

  it('starts a new breaker from the state the fleet already holds', async () => {
    const a = await member();
    trip(a);
    await eventually(async () => expect((await hash(a)).s).toBe('open'));
    const b = await member();
    expect(b.breaker.state).toBe('open');
    expect(b.transitions).toEqual(['closed>open:remote']);
    // The wait counts from when A opened, not from when B connected.
    const refused = await b.breaker.call(() => 1).catch((e: { retryAfter?: number }) => e);
    expect((refused as { retryAfter: number }).retryAfter).toBeLessThanOrEqual(500);
  });

  it('drops an outcome whose call began before another process moved the breaker', async () => {
    const a = await member({ tripper: trippers.failureStreak(1) });
    const b = await member({ tripper: trippers.failureStreak(1) });
    const inFlight = startCall(a.breaker);
    const beforeReset = startCall(a.breaker);
    b.breaker.forceOpen();
    await eventually(() => expect(a.breaker.state).toBe('forced_open'));
    b.breaker.reset();
    await eventually(() => expect(a.breaker.state).toBe('closed'));
    inFlight.source.error(new Error('late failure'));
    beforeReset.source.complete();
    expect(inFlight.seen.error).toEqual(new Error('late failure'));
    // Not recorded: the streak of one would have opened A, and through A the fleet.
    expect(a.breaker.state).toBe('closed');
    expect(a.breaker.info().metrics.totalCount).toBe(0);
    await a.store.sync();
    expect((await hash(a)).s).toBe('closed');
  });

  it('refuses a probe before the shared wait is over by the server clock, whatever the local clock says', async () => {
    let skew = 0;
    const scheduler = {
      now: () => Date.now() + skew,
      schedule: jest.fn(),
    } as unknown as CircuitBreakerConfig['scheduler'];
    const a = await member({ retry: retries.cooldown(5000) });
    const jumpy = await member({ retry: retries.cooldown(5000), scheduler });
    trip(a);
    await eventually(() => expect(jumpy.breaker.state).toBe('open'));
    const generation = (await hash(a)).g;
    // The clock jumps 30 s: locally the wait is over, so the breaker asks to probe...
    skew = 30_000;
    await expect(jumpy.breaker.call(() => 1)).rejects.toMatchObject({ state: 'half_open' });
    // ...and the server says no: the shared open comes back, with the wait still to run.
    await eventually(() => expect(jumpy.breaker.state).toBe('open'));
    expect((await hash(a)).g).toBe(generation);
    expect(a.breaker.state).toBe('open');
    const refused = await jumpy.breaker.call(() => 1).catch((e: { retryAfter: number }) => e);
    expect((refused as { retryAfter: number }).retryAfter).toBeGreaterThan(3000);
    // A refused probe costs no round trip per call: the next calls are refused locally.
    expect(jumpy.transitions).toEqual(['closed>open:remote']);
  });

  it('gives out at most maxHalfOpenCalls trial slots across processes, and reuses a released one', async () => {
    // Stays half-open until three trials succeeded, so slots are taken and given back.
    const tripper = trippers
      .failureStreak(2)
      .or(trippers.halfOpened().and(trippers.minRequests(3).not()));
    const config = { tripper, retry: retries.cooldown(200), maxHalfOpenCalls: 1 };
    const a = await member(config);
    const b = await member(config);
    trip(a);
    await eventually(() => expect(b.breaker.state).toBe('open'));
    await sleep(250);
    await expect(a.breaker.call(() => 1)).rejects.toMatchObject({ state: 'half_open' });
    await eventually(() => expect(b.breaker.state).toBe('half_open'));
    // A leases its slot with the probe; B gets none while A holds it.
    await eventually(async () => expect(await a.client.send('ZCARD', key('trials'))).toBe(1));
    const trial = startCall(a.breaker);
    expect(trial.seen.terminals).toBe(0);
    for (let i = 0; i < 5; i++) {
      // Two calls in one tick: one request for a slot is in flight at a time.
      await expect(
        Promise.all([b.breaker.call(() => 1), b.breaker.call(() => 2)]),
      ).rejects.toMatchObject({ state: 'half_open' });
      await sleep(20);
    }
    expect(await a.client.send('ZCARD', key('trials'))).toBe(1);
    trial.source.complete();
    // Kept for a moment for A's next trial, without a round trip...
    await expect(a.breaker.call(() => 'again')).resolves.toBe('again');
    // ...then given back to the fleet when A stops using it.
    await eventually(async () => {
      await b.breaker
        .call(() => 'b')
        .then(
          (v) => expect(v).toBe('b'),
          (e) => {
            throw e;
          },
        );
    }, 5000);
    // B's window is its own: one success of three, so the fleet is still probing.
    expect(b.breaker.state).toBe('half_open');
    expect(b.breaker.info().metrics.totalCount).toBe(1);
  });

  it('makes one transition when two processes trip in the same moment', async () => {
    const a = await member();
    const b = await member();
    trip(a);
    trip(b);
    expect([a.breaker.state, b.breaker.state]).toEqual(['open', 'open']);
    await eventually(() => expect([...a.transitions, ...b.transitions]).toHaveLength(2));
    expect([...a.transitions, ...b.transitions].sort()).toEqual([
      'closed>open:local',
      'closed>open:remote',
    ]);
    expect((await hash(a)).g).toBe('1');
    await sleep(100);
    expect([...a.transitions, ...b.transitions]).toHaveLength(2);
  });

  it('renews the lease of a trial slot while its call runs', async () => {
    const config = { retry: retries.cooldown(100), maxHalfOpenCalls: 1 };
    const options = { leaseMs: 300, ttlMs: 60_000 };
    const a = await member(config, options);
    const b = await member(config, options);
    trip(a);
    await sleep(150);
    await expect(a.breaker.call(() => 1)).rejects.toMatchObject({ state: 'half_open' });
    await eventually(async () => expect(await a.client.send('ZCARD', key('trials'))).toBe(1));
    const trial = startCall(a.breaker);
    expect(trial.seen.terminals).toBe(0);
    // Four leases long: without renewals B would get the slot after the first.
    for (let i = 0; i < 12; i++) {
      await sleep(100);
      await expect(b.breaker.call(() => 1)).rejects.toMatchObject({ state: 'half_open' });
    }
    trial.source.complete();
    await eventually(() => expect(b.breaker.state).toBe('closed'));
  });

  it('keeps one freed slot for its next trial and gives back the others at once', async () => {
    const tripper = trippers
      .failureStreak(2)
      .or(trippers.halfOpened().and(trippers.minRequests(5).not()));
    const a = await member({ tripper, retry: retries.cooldown(100), maxHalfOpenCalls: 2 });
    trip(a);
    await sleep(150);
    await expect(a.breaker.call(() => 1)).rejects.toMatchObject({ state: 'half_open' });
    await eventually(async () => expect(await a.client.send('ZCARD', key('trials'))).toBe(1));
    const first = startCall(a.breaker);
    await expect(a.breaker.call(() => 1)).rejects.toMatchObject({ state: 'half_open' });
    // The second lease is taken; the next call uses it once its answer is in.
    const second = await eventually(() => {
      const call = startCall(a.breaker);
      expect(call.seen.terminals).toBe(0);
      return call;
    });
    expect(await a.client.send('ZCARD', key('trials'))).toBe(2);
    expect(first.seen.terminals).toBe(0);
    first.source.complete();
    second.source.complete();
    await eventually(async () => expect(await a.client.send('ZCARD', key('trials'))).toBe(1));
    await eventually(async () => expect(await a.client.send('ZCARD', key('trials'))).toBe(0));
    expect(a.breaker.state).toBe('half_open');
    // A breaker disposed while its write is in flight leaves quietly.
    a.breaker.forceOpen();
    a.breaker.dispose();
    await sleep(50);
    expect(a.errors).toEqual([]);
  });

  it('counts half-open trials locally while Redis does not answer', async () => {
    const config = {
      tripper: trippers.failureStreak(1),
      retry: retries.cooldown(200),
      maxHalfOpenCalls: 2,
    };
    const a = await member(config, { timeoutMs: 200, syncMs: 100 });
    const b = await member(config, { timeoutMs: 200, syncMs: 100 });
    server.pause();
    try {
      trip(a);
      await eventually(() => expect(a.errors).toHaveLength(1), 5000);
      await sleep(250);
      // The wait is over: the breaker probes alone, with its own two slots.
      const trials = [startCall(a.breaker), startCall(a.breaker), startCall(a.breaker)];
      expect(a.breaker.state).toBe('half_open');
      expect(trials.map((t) => t.seen.terminals)).toEqual([0, 0, 1]);
      trials[0]!.source.error(new Error('still down'));
      expect(a.breaker.state).toBe('open');
    } finally {
      server.resume();
    }
    await eventually(() => expect(b.breaker.state).toBe('open'));
    expect(a.transitions).toEqual([
      'closed>open:local',
      'open>half_open:local',
      'half_open>open:local',
    ]);
    expect(b.transitions).toEqual(['closed>open:remote']);
    expect((await hash(a)).r).toBe('1');
  });

  it('keeps working, and reports once, when the application closes the client', async () => {
    const a = await member({}, { syncMs: 100 });
    await a.client.close();
    trip(a);
    expect(a.breaker.state).toBe('open');
    await eventually(() => expect(a.transitions).toEqual(['closed>open:local']));
    await sleep(300);
    expect(a.errors.map((e) => e.source)).toEqual(['store']);
    a.breaker.reset();
    expect(a.transitions).toEqual(['closed>open:local', 'open>closed:local']);
  });

  it('serves breakers of several names from one store, each with its own key', async () => {
    const a = await member();
    const other = new CircuitBreaker({
      name: `${name} (other)`,
      tripper: trippers.failureStreak(2),
      store: a.store,
    });
    const b = await member();
    try {
      await a.store.sync();
      trip(a);
      await eventually(() => expect(b.breaker.state).toBe('open'));
      expect(other.state).toBe('closed');
      expect(await a.client.send('EXISTS', `{${prefix}:${name} (other)}:state`)).toBe(1);
    } finally {
      other.dispose();
    }
    // The store keeps serving the breakers still connected.
    b.breaker.reset();
    await eventually(() => expect(a.breaker.state).toBe('closed'));
  });

  it('agrees on one key when two breakers of a new name start at the same moment', async () => {
    const clients = await Promise.all([0, 1].map(() => connectClient(kind, server.url)));
    const stores = clients.map((c) => redisStore({ client: c.client, prefix }));
    const breakers = stores.map((store) => new CircuitBreaker({ name, store }));
    try {
      await Promise.all(stores.map((st) => st.sync()));
      const epoch = (await clients[0]!.send('HGET', key(), 'e')) as string;
      breakers[0]!.forceOpen();
      await eventually(() => expect(breakers[1]!.state).toBe('forced_open'));
      expect(await clients[0]!.send('HGET', key(), 'e')).toBe(epoch);
    } finally {
      for (const b of breakers) b.dispose();
      await Promise.all(clients.map((c) => c.close()));
    }
  });

  it('shares a wait that never ends (retries.never())', async () => {
    const a = await member({ retry: retries.never() });
    trip(a);
    await eventually(async () => expect((await hash(a)).w).toBe('inf'));
    const b = await member({ retry: retries.never() });
    expect(b.breaker.state).toBe('open');
    await expect(b.breaker.call(() => 1)).rejects.toMatchObject({ retryAfter: undefined });
  });

  it('writes its state back when the key vanished under it, and a transition made on the old key still lands', async () => {
    const a = await member();
    const b = await member();
    a.breaker.forceOpen();
    await eventually(() => expect(b.breaker.state).toBe('forced_open'));
    await a.client.send('DEL', key());
    // A's command finds no key: it stands, and A writes its state back under a new epoch.
    a.breaker.reset();
    await eventually(async () => expect((await hash(a)).s).toBe('closed'));
    // B, still on the old epoch, resets too: refused as stale, it adopts the new key.
    await eventually(() => expect(b.breaker.state).toBe('closed'));
    expect(a.transitions).toEqual(['closed>forced_open:local', 'forced_open>closed:local']);
    // A key re-created without a message (a failover that lost the last write): A's trip, made
    // on the old epoch from the state the new key holds, is retried on the new one.
    await a.client.send(
      'HSET',
      key(),
      'e',
      'f00d',
      's',
      'closed',
      'c',
      '1',
      'r',
      '0',
      'g',
      '5',
      'w',
      '0',
    );
    trip(a);
    await eventually(() => expect(b.breaker.state).toBe('open'));
    expect(await hash(a)).toMatchObject({ e: 'f00d', s: 'open', g: '6' });
    expect(a.transitions.at(-1)).toBe('closed>open:local');
    // A transition from another state than the new key's is dropped for the shared one.
    await a.client.send('HSET', key(), 'e', 'beef', 's', 'closed', 'g', '9');
    a.breaker.forceOpen();
    await eventually(() => expect(a.breaker.state).toBe('closed'));
    expect(await hash(a)).toMatchObject({ e: 'beef', s: 'closed', g: '9' });
  });

  it('ignores malformed messages on its channel', async () => {
    const a = await member();
    const channel = `${prefix}:transitions`;
    await eventually(async () =>
      expect(await a.client.send('PUBSUB', 'NUMSUB', channel)).toEqual([channel, 1]),
    );
    await a.client.send('PUBLISH', channel, 'not a transition');
    await a.client.send('PUBLISH', channel, `1\ne\nsideways\n1\n0\n9\n0\n${name}`);
    await a.client.send('PUBLISH', channel, `1\ne\nopen\n1\n0\n9\n0\nsomeone else`);
    await eventually(() => expect(a.errors).toHaveLength(1));
    expect(String(a.errors[0]!.error)).toMatch(/malformed shared state/);
    expect(a.breaker.state).toBe('closed');
  });

  it('runs a script by its body when the server has lost it (NOSCRIPT)', async () => {
    const a = await member();
    const b = await member();
    await a.client.send('SCRIPT', 'FLUSH');
    trip(a);
    await eventually(() => expect(b.breaker.state).toBe('open'));
    expect(a.errors).toEqual([]);
    expect(a.transitions).toEqual(['closed>open:local']);
  });

  it('refreshes the key while in use and lets it expire once no breaker uses the name', async () => {
    const a = await member({}, { ttlMs: 1500, leaseMs: 1000, syncMs: 100 });
    for (let i = 0; i < 8; i++) {
      await sleep(250);
      expect(Number(await a.client.send('PTTL', key()))).toBeGreaterThan(700);
    }
    a.breaker.dispose();
    await eventually(async () => expect(await a.client.send('EXISTS', key())).toBe(0), 5000);
  });

  it('decides alone while Redis does not answer, reports it once, and shares what it decided when Redis is back', async () => {
    const a = await member({}, { timeoutMs: 300, syncMs: 100 });
    const b = await member({}, { timeoutMs: 300, syncMs: 100 });
    server.pause();
    try {
      await sleep(150);
      const started = Date.now();
      trip(a);
      // Refused at once, with no round trip on the call's path.
      await expect(a.breaker.call(() => 1)).rejects.toMatchObject({ state: 'open' });
      expect(Date.now() - started).toBeLessThan(200);
      await eventually(() => expect(a.transitions).toEqual(['closed>open:local']));
      await sleep(700);
    } finally {
      server.resume();
    }
    await eventually(() => expect(b.breaker.state).toBe('open'));
    expect(b.transitions).toEqual(['closed>open:remote']);
    expect(a.errors.map((e) => e.source)).toEqual(['store']);
    expect(String(a.errors[0]!.error)).toMatch(/within 300 ms/);
    expect(b.errors.map((e) => e.source)).toEqual(['store']);
    expect((await hash(a)).s).toBe('open');
  });

  it('re-creates the shared state after Redis restarts empty', async () => {
    const a = await member({}, { syncMs: 100 });
    const b = await member({}, { syncMs: 100 });
    const epoch = (await hash(a)).e;
    await server.stop();
    await server.restart();
    await eventually(async () => {
      const h = await hash(a);
      expect(h.e).toBeDefined();
      expect(h.e).not.toBe(epoch);
    });
    // Once B has caught up with the re-created key, its trip is shared as before. (A trip made
    // while B still counts Redis as away is B's own until it resynchronises, and then gives way
    // to the re-created state: see docs/sharing-state.md.)
    await b.store.sync();
    trip(b);
    await eventually(() => expect(a.breaker.state).toBe('open'));
    expect(a.transitions).toEqual(['closed>open:remote']);
    expect(b.transitions).toEqual(['closed>open:local']);
    expect((await hash(a)).s).toBe('open');
  });

  it('reports a malformed shared state and keeps its own', async () => {
    const a = await member({}, { syncMs: 100 });
    await a.client.send('HSET', key(), 's', 'sideways', 'g', '7');
    await eventually(() => expect(a.errors.length).toBeGreaterThan(0));
    expect(String(a.errors[0]!.error)).toMatch(/malformed shared state/);
    expect(a.breaker.state).toBe('closed');
  });

  it('passes names as data, never as code', async () => {
    name = "x'); redis.call('FLUSHALL') --\n}{";
    const a = await member();
    const b = await member();
    trip(a);
    await eventually(() => expect(b.breaker.state).toBe('open'));
    expect(await a.client.send('EXISTS', key())).toBe(1);
  });
});

describe('redisStore(options)', () => {
  it('reports a store client whose hooks throw, and never throws itself', () => {
    // A client of the store is normally a breaker; here one that throws from both hooks.
    const client = {
      sendCommand: () => Promise.reject(new Error('offline')),
      duplicate: () => sub,
    };
    const sub = {
      connect: () => new Promise(() => {}),
      subscribe: jest.fn(),
      on: jest.fn(),
      destroy: jest.fn(),
    };
    const store = redisStore({ client: client as never, timeoutMs: 50 });
    const session = store.connect({
      name: 'n',
      initial: { state: 'closed', changedAt: 0, reopens: 0, generation: 0, retryWait: 0 },
      maxHalfOpenCalls: 1,
      maxHalfOpenDuration: Infinity,
      now: () => 0,
      changed: () => {
        throw new Error('changed threw');
      },
      report: () => {
        throw new Error('report threw');
      },
    });
    expect(() =>
      session.write({ state: 'open', changedAt: 0, reopens: 0, generation: 1, retryWait: 10 }),
    ).not.toThrow();
    expect(session.read().state).toBe('open');
    session.close();
    session.close();
    expect(sub.destroy).toHaveBeenCalledTimes(1);
  });

  const client = { sendCommand: async () => null, duplicate: () => client } as never;

  it.each([
    [undefined, TypeError, /redisStore\(options\): expected an options object, got undefined/],
    [{ client, colour: 1 }, TypeError, /unknown option "colour"/],
    [{ client: {} }, TypeError, /client: expected a node-redis or ioredis client, got an object/],
    [{ client: null }, TypeError, /client: expected a node-redis or ioredis client, got null/],
    [{ client, prefix: '' }, TypeError, /prefix: expected a non-empty string, got ""/],
    [{ client, prefix: 'a{b' }, TypeError, /prefix: expected no '\{' or '\}', got "a\{b"/],
    [{ client, timeoutMs: 0 }, RangeError, /timeoutMs: expected a finite number > 0, got 0/],
    [
      { client, leaseMs: Infinity },
      RangeError,
      /leaseMs: expected a finite number > 0, got Infinity/,
    ],
    [{ client, ttlMs: 'x' }, TypeError, /ttlMs: expected a finite number > 0, got "x"/],
    [
      { client, ttlMs: 1000 },
      RangeError,
      /ttlMs: expected a number >= leaseMs \(30000\), got 1000/,
    ],
    [
      { client, ttlMs: 4000, leaseMs: 1000, syncMs: 2000 },
      RangeError,
      /syncMs: expected a number < ttlMs \/ 2 \(2000\), got 2000/,
    ],
  ])('rejects %p', (options, Kind, message) => {
    expect(() => redisStore(options as RedisStoreOptions)).toThrow(Kind);
    expect(() => redisStore(options as RedisStoreOptions)).toThrow(message);
  });

  it('refuses a breaker name too long for a key', () => {
    const store = redisStore({ client });
    expect(() => new CircuitBreaker({ name: 'n'.repeat(1025), store })).toThrow(RangeError);
  });
});
