/**
 * What sharing state through Redis costs (`node bench/redis.js`, after `npm run build`):
 *
 * 1. A call through a breaker with `redisStore()` against the same breaker with the default
 *    in-memory store, in `closed` and in `open` (target: at most 1.1x).
 * 2. How long a transition takes to reach another process: median and p99 over 100 transitions
 *    (target: p99 < 100 ms on loopback).
 * 3. Redis commands per 10,000 closed-state calls, counted by the server (INFO commandstats),
 *    in a burst and spread over three seconds (target: nothing beyond the periodic re-read).
 *
 * It starts its own redis-server (REDIS_SERVER, default the one on the PATH) on a free loopback
 * port, without persistence, and stops it at the end.
 */
'use strict';

const { fork } = require('node:child_process');
const path = require('node:path');
const { performance } = require('node:perf_hooks');
const { of } = require('rxjs');

const ROOT = path.join(__dirname, '..');
const fluxgate = require(path.join(ROOT, 'dist/index.js'));
const { redisStore } = require(path.join(ROOT, 'dist/redis.js'));
const { CircuitBreaker, circuitBreaker, retries, trippers } = fluxgate;
const { createClient } = require('redis');
const { redisServerPath, startRedis } = require('../demo/redis-server');

const CALLS = 20_000;
const ROUNDS = 21;
const noop = () => {};

async function startServer() {
  const bin = redisServerPath();
  if (!bin) {
    console.error('redis-server is not installed (Debian/Ubuntu: apt-get install redis-server)');
    process.exit(1);
  }
  return startRedis(bin);
}

async function connect(url) {
  const client = createClient({ url });
  client.on('error', noop);
  await client.connect();
  return client;
}

/** ns per call of `n` synchronous calls through the operator. */
function time(breaker, n, open) {
  const source = of(1);
  const protect = circuitBreaker(breaker);
  let refused = 0;
  const observer = { next: noop, error: () => refused++, complete: noop };
  const started = process.hrtime.bigint();
  for (let i = 0; i < n; i++) source.pipe(protect).subscribe(observer);
  const ns = Number(process.hrtime.bigint() - started) / n;
  if (open ? refused !== n : refused !== 0) throw new Error('the breaker was not in its state');
  return ns;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const percentile = (xs, p) => [...xs].sort((a, b) => a - b)[Math.ceil((p / 100) * xs.length) - 1];

async function callCost(url) {
  const client = await connect(url);
  const shared = redisStore({ client, prefix: 'bench-cost' });
  const make = (name, store) =>
    new CircuitBreaker({
      name,
      tripper: trippers.failureStreak(1_000_000_000),
      retry: retries.cooldown(600_000),
      ...(store ? { store } : {}),
    });
  const pairs = {
    closed: [make('closed'), make('closed', shared)],
    open: [make('open'), make('open', shared)],
  };
  await shared.sync();
  for (const b of pairs.open) b.openFor(600_000);
  await shared.sync();
  const out = {};
  for (const [state, [memory, redis]] of Object.entries(pairs)) {
    const open = state === 'open';
    time(memory, CALLS, open);
    time(redis, CALLS, open);
    const m = [];
    const r = [];
    for (let i = 0; i < ROUNDS; i++) {
      // Alternate, so drift on a shared machine hits both alike.
      if (i % 2) {
        m.push(time(memory, CALLS, open));
        r.push(time(redis, CALLS, open));
      } else {
        r.push(time(redis, CALLS, open));
        m.push(time(memory, CALLS, open));
      }
    }
    out[state] = { memory: median(m), redis: median(r), ratio: median(r) / median(m) };
  }
  for (const [a, b] of Object.values(pairs)) {
    a.dispose();
    b.dispose();
  }
  client.destroy();
  return out;
}

async function propagation(url) {
  const follower = fork(path.join(__dirname, 'redis.js'), ['follower', url], { stdio: 'inherit' });
  const seen = [];
  let waiting;
  follower.on('message', (m) => {
    if (m.type === 'seen') {
      seen.push(m.at);
      waiting?.();
    }
  });
  await new Promise((resolve) => follower.once('message', resolve)); // ready
  const client = await connect(url);
  const shared = redisStore({ client, prefix: 'bench-propagation' });
  const leader = new CircuitBreaker({ name: 'leader', store: shared });
  await shared.sync();
  const lags = [];
  for (let i = 0; i < 100; i++) {
    const got = new Promise((resolve) => (waiting = resolve));
    const at = performance.timeOrigin + performance.now();
    if (i % 2 === 0) leader.forceOpen();
    else leader.reset();
    await Promise.race([got, new Promise((r) => setTimeout(r, 5000))]);
    const arrived = seen.at(-1);
    lags.push(arrived === undefined ? Infinity : arrived - at);
    seen.length = 0;
  }
  leader.dispose();
  client.destroy();
  follower.kill();
  return { median: median(lags), p99: percentile(lags, 99), max: Math.max(...lags) };
}

async function follow(url) {
  const client = await connect(url);
  const shared = redisStore({ client, prefix: 'bench-propagation' });
  const breaker = new CircuitBreaker({ name: 'leader', store: shared });
  breaker.transitions$.subscribe((t) => {
    if (t.origin === 'remote') {
      process.send({ type: 'seen', at: performance.timeOrigin + performance.now() });
    }
  });
  await shared.sync();
  process.send({ type: 'ready' });
}

/** Commands the server ran, INFO excluded: sent by clients (round trips) and run inside scripts. */
async function commandCount(admin) {
  const info = await admin.info('commandstats');
  const count = { sent: 0, all: 0 };
  for (const m of info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) {
    if (m[1] === 'info') continue;
    count.all += Number(m[2]);
    // Inside a script: TIME, HMGET, PTTL, PEXPIRE, HSET, DEL, PUBLISH, ZADD, ZCARD, ZREMRANGEBYSCORE.
    if (
      ['evalsha', 'eval', 'zrem', 'subscribe', 'ping', 'client|setinfo', 'hello'].includes(m[1])
    ) {
      count.sent += Number(m[2]);
    }
  }
  return count;
}
const diff = (a, b) => ({ sent: b.sent - a.sent, all: b.all - a.all });

async function commandsPerCalls(url) {
  const admin = await connect(url);
  const client = await connect(url);
  const shared = redisStore({ client, prefix: 'bench-commands' });
  const breaker = new CircuitBreaker({ name: 'quiet', store: shared });
  await shared.sync();
  await new Promise((r) => setTimeout(r, 100));
  const protect = circuitBreaker(breaker);
  const observer = { next: noop, error: noop, complete: noop };

  let before = await commandCount(admin);
  for (let i = 0; i < 10_000; i++) of(1).pipe(protect).subscribe(observer);
  await new Promise((r) => setTimeout(r, 50));
  const burst = diff(before, await commandCount(admin));

  before = await commandCount(admin);
  const started = Date.now();
  for (let i = 0; i < 100; i++) {
    for (let j = 0; j < 100; j++) of(1).pipe(protect).subscribe(observer);
    await new Promise((r) => setTimeout(r, 30));
  }
  const spreadMs = Date.now() - started;
  const spread = diff(before, await commandCount(admin));
  breaker.dispose();
  client.destroy();
  admin.destroy();
  return { burst, spread, spreadMs };
}

async function main() {
  if (process.argv[2] === 'follower') return follow(process.argv[3]);
  const redis = await startServer();
  try {
    const cost = await callCost(redis.url);
    console.log('call cost (ns/call, median of %d rounds of %d calls)', ROUNDS, CALLS);
    for (const [state, c] of Object.entries(cost)) {
      console.log(
        `  ${state.padEnd(6)}  memory ${c.memory.toFixed(0).padStart(5)}  redis ${c.redis
          .toFixed(0)
          .padStart(5)}  ratio ${c.ratio.toFixed(2)}`,
      );
    }
    const p = await propagation(redis.url);
    console.log(
      `transition to another process (100 transitions): median ${p.median.toFixed(2)} ms, p99 ${p.p99.toFixed(2)} ms, max ${p.max.toFixed(2)} ms`,
    );
    const c = await commandsPerCalls(redis.url);
    console.log(
      `Redis commands per 10,000 closed calls: ${c.burst.sent} sent (${c.burst.all} with those inside scripts) in a burst; ${c.spread.sent} sent (${c.spread.all}) spread over ${c.spreadMs} ms, i.e. the periodic re-read (syncMs 1000)`,
    );
  } finally {
    await redis.stop();
  }
}

main().then(
  () => {
    if (process.argv[2] !== 'follower') process.exit(0);
  },
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
