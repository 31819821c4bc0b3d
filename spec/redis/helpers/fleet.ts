import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { ClientKind } from './clients';

const ROOT = resolve(__dirname, '../../..');

/** Bundles the core and the Redis entry point into one CommonJS file for worker processes. */
export function bundle(): { file: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'fluxgate-redis-'));
  const file = join(dir, 'fluxgate.js');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const esbuild = require('esbuild') as typeof import('esbuild');
  esbuild.buildSync({
    entryPoints: [join(__dirname, 'bundle-entry.ts')],
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node18',
    outfile: file,
    external: ['rxjs', 'redis', 'ioredis', '@redis/*'],
    logLevel: 'silent',
  });
  return { file, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** What a worker is started with (see worker.js). */
export interface WorkerConfig {
  kind: ClientKind;
  url: string;
  name: string;
  prefix: string;
  streak?: number;
  cooldown?: number;
  maxHalfOpenCalls?: number;
  leaseMs?: number;
  ttlMs?: number;
  timeoutMs?: number;
  syncMs?: number;
  skew?: number;
}

/** A transition as a worker saw it. */
export interface SeenTransition {
  from: string;
  to: string;
  origin: 'local' | 'remote';
  at: number;
  wall: number;
}

/** What a worker reports about itself. */
export interface WorkerState {
  state: string;
  info: { consecutiveFailures: number; metrics: { totalCount: number } };
  errors: { source: string; message: string }[];
  transitions: SeenTransition[];
  admitted: number;
  inflight: number;
  latency: { max: number; count: number };
}

/** One worker process: a breaker with a Redis store, driven over IPC. */
export class Worker {
  readonly transitions: SeenTransition[] = [];
  admitted = 0;
  private readonly child: ChildProcess;
  private readonly replies = new Map<number, (m: { result?: unknown; error?: string }) => void>();
  private nextId = 0;
  private readonly exited: Promise<void>;
  private readonly ready: Promise<void>;

  /** The breaker config of the current test (after {@link Worker.setup}). */
  config!: WorkerConfig;

  constructor(bundleFile: string) {
    this.child = fork(join(__dirname, 'worker.js'), [], {
      env: {
        ...process.env,
        FLUXGATE_BUNDLE: bundleFile,
        NODE_PATH: join(ROOT, 'node_modules'),
      },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    this.exited = new Promise((r) => this.child.once('exit', () => r()));
    this.ready = new Promise((resolveReady, rejectReady) => {
      const timer = setTimeout(() => rejectReady(new Error('worker did not start')), 15_000);
      this.child.once('exit', () => rejectReady(new Error('worker exited')));
      this.child.on('message', (m: { type: string; id?: number } & Record<string, unknown>) => {
        if (m.type === 'ready') {
          clearTimeout(timer);
          resolveReady();
        } else if (m.type === 'transition') {
          this.transitions.push(m as unknown as SeenTransition);
        } else if (m.type === 'admitted') {
          this.admitted = m.admitted as number;
        } else if (m.type === 'reply') {
          this.replies.get(m.id!)?.(m as { result?: unknown; error?: string });
          this.replies.delete(m.id!);
        }
      });
    });
    this.ready.catch(() => {});
  }

  get pid(): number {
    return this.child.pid!;
  }

  started(): Promise<void> {
    return this.ready;
  }

  /** Sends an operation and resolves with its result (bounded). */
  request<T = unknown>(op: string, args: Record<string, unknown> = {}, ms = 10_000): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolveReply, rejectReply) => {
      const timer = setTimeout(() => {
        this.replies.delete(id);
        rejectReply(new Error(`worker: no reply to ${op} within ${ms} ms`));
      }, ms);
      this.replies.set(id, (m) => {
        clearTimeout(timer);
        if (m.error) rejectReply(new Error(m.error));
        else resolveReply(m.result as T);
      });
      this.child.send({ op, id, ...args });
    });
  }

  /** Gives the worker a new breaker (disposing the last one) and forgets what it saw. */
  async setup(config: WorkerConfig): Promise<void> {
    this.transitions.length = 0;
    this.admitted = 0;
    this.config = config;
    await this.request('setup', { config });
  }

  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  state(): Promise<WorkerState> {
    return this.request<WorkerState>('state');
  }

  kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    this.child.kill(signal);
    return this.exited;
  }

  /** Disposes the breaker and waits for the process to exit on its own (bounded), else kills it. */
  async stop(ms = 5000): Promise<boolean> {
    if (!this.alive) return true;
    this.request('exit', {}, ms).catch(() => {});
    const timer = setTimeout(() => this.child.kill('SIGKILL'), ms);
    await this.exited;
    clearTimeout(timer);
    return this.child.signalCode === null;
  }
}

/** Polls `check` until it holds (or throws what it last threw) within `ms`. */
export async function eventually<T>(
  check: () => Promise<T> | T,
  ms = 10_000,
  every = 25,
): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() > until) throw error;
    }
    await sleep(every);
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
