/**
 * A worker process of the cross-process tests, driven by the parent over IPC. `setup` gives it
 * one breaker with a Redis store ({ kind, url, name, prefix, streak, cooldown, maxHalfOpenCalls,
 * leaseMs, ttlMs, timeoutMs, syncMs, skew }), `teardown` disposes it and closes its client, so
 * one process serves many tests. It loads the bundle named by FLUXGATE_BUNDLE.
 */
'use strict';

const fluxgate = require(process.env.FLUXGATE_BUNDLE);
const { CircuitBreaker, trippers, retries, permits, redisStore, CallNotPermittedError } = fluxgate;
const { asyncScheduler } = require('rxjs');

async function connect(config) {
  if (config.kind === 'ioredis') {
    const Redis = require('ioredis');
    const client = new Redis(config.url, { retryStrategy: () => 50 });
    client.on('error', () => {});
    await new Promise((resolve) => client.once('ready', resolve));
    return { client, close: () => client.disconnect() };
  }
  const { createClient } = require('redis');
  const client = createClient({ url: config.url, socket: { reconnectStrategy: () => 50 } });
  client.on('error', () => {});
  await client.connect();
  return { client, close: () => client.destroy() };
}

function send(message) {
  if (process.connected) process.send(message);
}

/** The breaker of the current test and everything the parent asks about it. */
let t;

async function setup(config) {
  await teardown();
  const skew = config.skew ?? 0;
  const scheduler = {
    now: () => Date.now() + skew,
    schedule: (work, delay, state) => asyncScheduler.schedule(work, delay, state),
  };
  const { client, close } = await connect(config);
  const store = redisStore({
    client,
    prefix: config.prefix,
    timeoutMs: config.timeoutMs ?? 250,
    leaseMs: config.leaseMs ?? 30_000,
    ttlMs: config.ttlMs ?? 86_400_000,
    syncMs: config.syncMs ?? 1000,
  });
  const errors = [];
  const breaker = new CircuitBreaker({
    name: config.name,
    tripper: trippers.failureStreak(config.streak ?? 3),
    retry: retries.cooldown(config.cooldown ?? 1000),
    permit: permits.all(),
    maxHalfOpenCalls: config.maxHalfOpenCalls ?? 10,
    scheduler,
    store,
    onError: (error, context) => errors.push({ source: context.source, message: String(error) }),
  });
  const current = {
    breaker,
    store,
    close,
    errors,
    transitions: [],
    hanging: [],
    admitted: 0,
    hammer: undefined,
    steady: undefined,
    latency: { max: 0, count: 0 },
  };
  breaker.transitions$.subscribe((x) => {
    const entry = { from: x.from, to: x.to, origin: x.origin, at: x.at, wall: Date.now() };
    current.transitions.push(entry);
    send({ type: 'transition', ...entry });
  });
  t = current;
  await store.sync();
}

async function teardown() {
  const current = t;
  t = undefined;
  if (!current) return;
  clearInterval(current.hammer);
  clearInterval(current.steady);
  for (const s of current.hanging.splice(0)) s.resolve('ok');
  current.breaker.dispose();
  current.close();
}

const outcome = (p) =>
  p.then(
    () => 'ok',
    (e) => (e instanceof CallNotPermittedError ? 'rejected' : 'failed'),
  );

function failNow(count) {
  for (let i = 0; i < count; i++) {
    t.breaker
      .call(() => {
        throw new Error('backend down');
      })
      .catch(() => {});
  }
}

function hangingCall() {
  const current = t;
  let settle;
  const p = current.breaker.call(
    () => new Promise((resolve, reject) => (settle = { resolve, reject })),
  );
  p.catch(() => {});
  if (settle) {
    current.admitted++;
    current.hanging.push(settle);
    send({ type: 'admitted', admitted: current.admitted });
  }
}

function steadyCall() {
  const current = t;
  const started = Date.now();
  const done = () => {
    current.latency.max = Math.max(current.latency.max, Date.now() - started);
    current.latency.count++;
  };
  current.breaker.call(() => 'fine').then(done, done);
}

const ops = {
  setup: ({ config }) => setup(config),
  teardown: () => teardown(),
  state: () => ({
    state: t.breaker.state,
    info: t.breaker.info(),
    errors: t.errors,
    transitions: t.transitions,
    admitted: t.admitted,
    inflight: t.hanging.length,
    latency: t.latency,
  }),
  fail: async ({ count }) => {
    const out = [];
    for (let i = 0; i < count; i++) {
      out.push(await outcome(t.breaker.call(() => Promise.reject(new Error('backend down')))));
    }
    return out;
  },
  succeed: () => outcome(t.breaker.call(() => 'fine')),
  tripAt: ({ at, count }) => {
    setTimeout(() => failNow(count), Math.max(0, at - Date.now()));
  },
  command: ({ name, arg }) => {
    t.breaker[name](arg);
  },
  retryAfter: () =>
    t.breaker
      .call(() => 'x')
      .then(
        () => null,
        (e) => (e instanceof CallNotPermittedError ? (e.retryAfter ?? null) : null),
      ),
  hammer: ({ every }) => {
    clearInterval(t.hammer);
    t.hammer = setInterval(hangingCall, every);
  },
  steady: ({ every }) => {
    clearInterval(t.steady);
    t.steady = setInterval(steadyCall, every);
  },
  stopSteady: () => clearInterval(t.steady),
  exit: async () => {
    await teardown();
    // Nothing else is left open: the process ends by itself once the channel is closed.
    setTimeout(() => process.disconnect(), 0);
  },
};

process.on('message', async (message) => {
  try {
    const result = await ops[message.op](message);
    send({ type: 'reply', id: message.id, result: result ?? null });
  } catch (error) {
    send({ type: 'reply', id: message.id, error: String(error && error.stack) });
  }
});
send({ type: 'ready' });
