/**
 * `npm run demo:fleet`: three worker processes share one breaker through Redis.
 *
 * It starts a redis-server of its own on a free loopback port (without persistence), the flaky
 * server of `npm run demo`, and three workers (two on node-redis, one on ioredis) calling it
 * through a breaker named 'flaky-api' with `redisStore()`. Worker 1 calls ten times as often as
 * the others, so in the outage its failures open the breaker, and workers 2 and 3, which have
 * hardly failed, open with it. The recovery is probed by one trial call for the whole fleet.
 * Every second it prints each worker's state and what its calls got; transitions as they happen,
 * with their origin. It stops everything it started, also on Ctrl-C.
 */
'use strict';

const { fork } = require('node:child_process');
const path = require('node:path');
const { startFlakyServer } = require('./flaky-server');
const { redisServerPath, startRedis } = require('./redis-server');

const RUN_MS = 16_000;
const OUTAGE_FROM_MS = 3000;
const OUTAGE_UNTIL_MS = 8500;
const WORKERS = [
  { id: 1, kind: 'node-redis', every: 20 },
  { id: 2, kind: 'ioredis', every: 200 },
  { id: 3, kind: 'node-redis', every: 200 },
];

function startWorker(config) {
  const child = fork(path.join(__dirname, 'fleet', 'worker.js'), [], {
    env: { ...process.env, FLEET_WORKER: JSON.stringify(config) },
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const ready = new Promise((resolve, reject) => {
    child.on('message', (m) => m.type === 'ready' && resolve());
    child.once('exit', () => reject(new Error(`worker ${config.id} exited`)));
  });
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    if (child.connected) child.send({ op: 'stop' });
    const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
    await exited;
    clearTimeout(timer);
  };
  return { child, ready, stop };
}

async function main() {
  const bin = redisServerPath();
  if (!bin) {
    console.log('This demo needs redis-server on the PATH. On Debian or Ubuntu:');
    console.log('  sudo apt-get install redis-server');
    console.log('(macOS: brew install redis). Then run `npm run demo:fleet` again.');
    return;
  }
  const cleanups = [];
  const cleanup = async () => {
    while (cleanups.length)
      await cleanups
        .pop()()
        .catch(() => {});
  };
  process.once('SIGINT', () => cleanup().then(() => process.exit(130)));
  try {
    const redis = await startRedis(bin);
    cleanups.push(redis.stop);
    // The story's clock starts once every worker runs.
    let started = Infinity;
    const elapsed = () => Math.max(0, Date.now() - started);
    const isOutage = () => elapsed() >= OUTAGE_FROM_MS && elapsed() < OUTAGE_UNTIL_MS;
    const flaky = await startFlakyServer({ isOutage, fails: 10, outOf: 10 });
    cleanups.push(flaky.close);
    console.log(`redis-server on ${redis.url}, flaky server on ${flaky.url}`);
    console.log(
      `outage from ${OUTAGE_FROM_MS / 1000} s to ${OUTAGE_UNTIL_MS / 1000} s; worker 1 calls every 20 ms, workers 2 and 3 every 200 ms\n`,
    );

    const workers = WORKERS.map((w) =>
      startWorker({ ...w, redisUrl: redis.url, serverUrl: flaky.url }),
    );
    for (const w of workers) cleanups.push(w.stop);
    const tallies = new Map();
    let trials = 0;
    let probes = 0;
    for (const w of workers) {
      w.child.on('message', (m) => {
        if (m.type === 'transition') {
          if (m.to === 'half_open' && m.origin === 'local') probes++;
          const at = ((Date.now() - started) / 1000).toFixed(2);
          console.log(`  ${at}s  worker ${m.id}: ${m.from} -> ${m.to} (${m.origin})`);
        } else if (m.type === 'tally') {
          tallies.set(m.id, m);
          trials += m.trials;
        }
      });
    }
    await Promise.all(workers.map((w) => w.ready));
    started = Date.now();

    for (let second = 1; elapsed() < RUN_MS; second++) {
      await new Promise((r) => setTimeout(r, second * 1000 - elapsed()));
      tallies.clear();
      for (const w of workers) w.child.send({ op: 'tally' });
      const until = Date.now() + 500;
      while (tallies.size < workers.length && Date.now() < until) {
        await new Promise((r) => setTimeout(r, 5));
      }
      const phase = isOutage() ? 'outage ' : 'healthy';
      const cells = WORKERS.map(({ id }) => {
        const t = tallies.get(id);
        return t
          ? `w${id} ${t.state.padEnd(9)} ${String(t.ok).padStart(2)} ok ${String(t.failed).padStart(2)} failed ${String(t.refused).padStart(2)} refused`
          : `w${id} ?`;
      });
      console.log(`${String(second).padStart(2)}s ${phase} | ${cells.join(' | ')}`);
    }
    console.log(
      `\n${probes} probes (open -> half_open, each made by one worker for the fleet), ${trials} trial calls in all; the flaky server saw ${flaky.stats.received} requests, ${flaky.stats.failed} failed`,
    );
  } finally {
    await cleanup();
  }
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
