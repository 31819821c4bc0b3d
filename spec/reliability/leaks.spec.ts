/**
 * No leaks (SPEC 3): a breaker holds no timer or handle once its calls have ended, so a process
 * exits by itself while breakers exist; and memory stays flat across a million calls.
 *
 * Each check runs in a child `node` process that loads the library transpiled from src/ (so it
 * needs no build), and is judged from the outside: the child must exit by itself within a generous
 * bound, and report its heap after `global.gc()`.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import ts from 'typescript';

const root = path.resolve(__dirname, '../..');
let lib: string;

beforeAll(() => {
  lib = fs.mkdtempSync(path.join(os.tmpdir(), 'fluxgate-leaks-'));
  const walk = (dir: string): string[] =>
    fs
      .readdirSync(dir, { withFileTypes: true })
      .flatMap((e) => (e.isDirectory() ? walk(path.join(dir, e.name)) : [path.join(dir, e.name)]));
  for (const file of walk(path.join(root, 'src')).filter((f) => f.endsWith('.ts'))) {
    const out = path.join(lib, path.relative(path.join(root, 'src'), file)).replace(/\.ts$/, '.js');
    fs.mkdirSync(path.dirname(out), { recursive: true });
    const { outputText } = ts.transpileModule(fs.readFileSync(file, 'utf8'), {
      compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022 },
    });
    fs.writeFileSync(out, outputText);
  }
});

afterAll(() => {
  fs.rmSync(lib, { recursive: true, force: true });
});

interface ChildResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly killed: boolean;
}

/** Runs `script` in a child node; kills it if it has not exited by itself after `bound` ms. */
function runChild(
  script: string,
  bound: number,
  flags: string[] = [],
  env: Record<string, string> = {},
): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...flags, '-e', script], {
      env: { ...process.env, NODE_PATH: path.join(root, 'node_modules'), FLUXGATE: lib, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let killed = false;
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      killed = true;
      child.kill('SIGKILL');
    }, bound);
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, killed });
    });
  });
}

/** Calls of every kind on the default asyncScheduler, then nothing: the process must end. */
const EXITS_BY_ITSELF = `
const { Subject, of, throwError, timer, firstValueFrom, take, map } = require('rxjs');
const { CircuitBreaker, circuitBreaker, trippers, retries, permits, windows } = require(process.env.FLUXGATE);
(async () => {
  const breaker = new CircuitBreaker({
    name: 'leaks',
    window: windows.time(60000),
    tripper: trippers.failureStreak(3),
    retry: retries.cooldown(50),
    permit: permits.all(),
    maxHalfOpenCalls: 2,
    maxHalfOpenDuration: 600000,
  });
  const other = circuitBreaker({ name: 'owned', retry: retries.cooldown(3600000) });
  const seen = [];
  breaker.events$.subscribe((e) => seen.push(e.type));
  breaker.state$.subscribe(() => {});
  const op = circuitBreaker(breaker, { fallback: () => of('fallback') });
  for (let i = 0; i < 5; i++) of(i).pipe(op).subscribe();
  await firstValueFrom(timer(5).pipe(map(() => 1), op));
  for (let i = 0; i < 3; i++) throwError(() => new Error('x')).pipe(op).subscribe();
  if (breaker.state !== 'open') throw new Error('expected open, got ' + breaker.state);
  await breaker.call(async () => 1).catch(() => undefined);
  await new Promise((r) => setTimeout(r, 60));
  const hung = new Subject().pipe(circuitBreaker(breaker)).subscribe();
  const slow = timer(3600000).pipe(circuitBreaker(breaker)).subscribe();
  hung.unsubscribe();
  slow.unsubscribe();
  new Subject().pipe(op, take(1)).subscribe().unsubscribe();
  of(1).pipe(other).subscribe();
  throwError(() => new Error('y')).pipe(other).subscribe({ error: () => {} });
  other.breaker.forceOpen();
  await breaker.callWithFallback(() => Promise.reject(new Error('z')), () => 0);
  console.log(JSON.stringify({ state: breaker.state, events: seen.length }));
})().catch((e) => { console.error(e); process.exitCode = 1; });
`;

/** A million calls, with trips and recoveries; prints the heap after GC at 100k and at 1M. */
const MILLION_CALLS = `
const { Subject, of, throwError } = require('rxjs');
const { CircuitBreaker, circuitBreaker, trippers, retries, permits, windows } = require(process.env.FLUXGATE);
let now = 0;
const scheduler = { now: () => now, schedule: () => { throw new Error('the breaker scheduled something'); } };
const breaker = new CircuitBreaker({
  name: 'heap',
  scheduler,
  window: windows.time(10000, { bucket: 100 }),
  tripper: trippers.minRequests(50).and(trippers.failureRate(0.5)).or(trippers.slowRate(0.9, 50)),
  retry: retries.backoff({ initial: 100, max: 1000, jitter: 0.2 }),
  permit: permits.rampUp({ initial: 0.5, final: 1, duration: 500 }),
  maxHalfOpenCalls: 5,
});
let outcomes = 0;
breaker.events$.subscribe(() => outcomes++);
const states = new Set();
breaker.transitions$.subscribe((t) => states.add(t.to));
const op = circuitBreaker(breaker, { fallback: () => of(0) });
const ok = of(1);
const bad = throwError(() => new Error('x'));
const heap = () => { global.gc(); global.gc(); return process.memoryUsage().heapUsed; };
let at100k = 0;
for (let i = 1; i <= 1000000; i++) {
  now += 1;
  const phase = Math.floor(i / 20000) % 2;
  if (i % 7 === 0) {
    const s = new Subject();
    const sub = s.pipe(op).subscribe();
    if (i % 2) s.next(1);
    sub.unsubscribe();
  } else {
    (phase === 0 || i % 3 === 0 ? ok : bad).pipe(op).subscribe();
  }
  if (i === 100000) at100k = heap();
}
console.log(JSON.stringify({ at100k, at1m: heap(), outcomes, states: [...states] }));
`;

/** autoHalfOpen holds a timer while open; dispose() must cancel it (SPEC 6.4). */
const DISPOSED = `
const { CircuitBreaker, trippers, retries } = require(process.env.FLUXGATE);
const restored = new CircuitBreaker({
  name: 'restored',
  autoHalfOpen: true,
  initialState: { version: 1, name: 'restored', state: 'open', changedAt: Date.now(), reopens: 0, generation: 3, retryWait: 3600000 },
});
const b = new CircuitBreaker({ name: 'auto', autoHalfOpen: true, tripper: trippers.failureStreak(1), retry: retries.cooldown(3600000) });
b.call(() => Promise.reject(new Error('x'))).catch(() => {
  console.log(JSON.stringify({ states: [b.state, restored.state] }));
  if (process.env.DISPOSE === '1') { b.dispose(); restored.dispose(); }
});
`;

describe('no leaks', () => {
  test('dispose() cancels the autoHalfOpen timer, so the process exits by itself', async () => {
    const r = await runChild(DISPOSED, 10_000, [], { DISPOSE: '1' });
    expect(r.stderr).toBe('');
    expect(r.killed).toBe(false);
    expect(JSON.parse(r.stdout)).toEqual({ states: ['open', 'open'] });
  }, 20_000);

  test('the check works: without dispose() the autoHalfOpen timers keep the process alive', async () => {
    const r = await runChild(DISPOSED, 2_000, [], { DISPOSE: '0' });
    expect(r.killed).toBe(true);
  }, 10_000);

  test('a process exits by itself once every subscription has ended', async () => {
    const r = await runChild(EXITS_BY_ITSELF, 20_000);
    expect(r.stderr).toBe('');
    expect(r.killed).toBe(false);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { state: string; events: number };
    expect(out.events).toBeGreaterThan(10);
  }, 30_000);

  test('the check works: a leaked timer keeps the child alive until it is killed', async () => {
    const r = await runChild('setInterval(() => {}, 1000);', 1_500);
    expect(r.killed).toBe(true);
  }, 10_000);

  test('heap stays flat across 1,000,000 calls (after GC)', async () => {
    const r = await runChild(MILLION_CALLS, 120_000, ['--expose-gc']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as {
      at100k: number;
      at1m: number;
      outcomes: number;
      states: string[];
    };
    // Every call had an outcome event (refusals included); the breaker opened and recovered.
    expect(out.outcomes).toBe(1_000_000);
    expect(out.states).toEqual(expect.arrayContaining(['open', 'half_open', 'closed']));
    // Generous: a leak of even 8 bytes a call would add 7 MB over the last 900,000 calls.
    expect(out.at1m - out.at100k).toBeLessThan(4 * 1024 * 1024);
  }, 150_000);
});
