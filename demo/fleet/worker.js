/**
 * One worker of `npm run demo:fleet`: a process with its own Redis client and a breaker named
 * 'flaky-api' in front of the flaky server. It calls the server every `every` ms, tells the
 * parent each transition as it happens, and answers 'tally' with what its calls got since the
 * last tally.
 */
'use strict';

const http = require('node:http');
const path = require('node:path');

const ROOT = path.join(__dirname, '..', '..');
const { CircuitBreaker, CallNotPermittedError, permits, retries, trippers } = require(
  path.join(ROOT, 'dist/index.js'),
);
const { redisStore } = require(path.join(ROOT, 'dist/redis.js'));

const { id, kind, redisUrl, serverUrl, every } = JSON.parse(process.env.FLEET_WORKER);

async function connect() {
  if (kind === 'ioredis') {
    const Redis = require('ioredis');
    const client = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
    client.on('error', () => {});
    await new Promise((resolve) => client.once('ready', resolve));
    return { client, close: () => client.disconnect() };
  }
  const { createClient } = require('redis');
  const client = createClient({ url: redisUrl, disableOfflineQueue: true });
  client.on('error', () => {});
  await client.connect();
  return { client, close: () => client.destroy() };
}

function get(url, agent) {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent }, (res) => {
      res.resume();
      res.on('end', () =>
        res.statusCode === 200 ? resolve() : reject(new Error(`HTTP ${res.statusCode}`)),
      );
    });
    req.on('error', reject);
  });
}

async function main() {
  const { client, close } = await connect();
  const store = redisStore({ client, prefix: 'demo-fleet' });
  const breaker = new CircuitBreaker({
    name: 'flaky-api',
    // Five failures in a row open it; in half_open, one failed trial opens it again.
    tripper: trippers.failureStreak(5).or(trippers.halfOpened().and(trippers.failureStreak(1))),
    retry: retries.cooldown(2000),
    permit: permits.all(),
    maxHalfOpenCalls: 1,
    store,
  });
  breaker.transitions$.subscribe((t) => process.send({ type: 'transition', id, ...t }));
  await store.sync();

  const agent = new http.Agent({ keepAlive: true });
  const tally = { ok: 0, failed: 0, refused: 0, trials: 0 };
  const timer = setInterval(() => {
    const trial = breaker.state === 'half_open';
    breaker.call(get, serverUrl, agent).then(
      () => {
        tally.ok++;
        if (trial) tally.trials++;
      },
      (error) => {
        if (error instanceof CallNotPermittedError) tally.refused++;
        else {
          tally.failed++;
          if (trial) tally.trials++;
        }
      },
    );
  }, every);

  process.on('message', (m) => {
    if (m.op === 'tally') {
      process.send({ type: 'tally', id, state: breaker.state, ...tally });
      tally.ok = tally.failed = tally.refused = tally.trials = 0;
    } else if (m.op === 'stop') {
      clearInterval(timer);
      breaker.dispose();
      agent.destroy();
      close();
      process.disconnect();
    }
  });
  process.send({ type: 'ready', id });
}

main().catch((error) => {
  console.error(`worker ${id}:`, error);
  process.exit(1);
});
