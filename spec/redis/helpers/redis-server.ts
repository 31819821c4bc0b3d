import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';

/** Where Debian's (and CI's apt-get) redis-server lives; REDIS_SERVER overrides it. */
export const REDIS_SERVER = process.env.REDIS_SERVER ?? '/usr/bin/redis-server';

/** Whether a redis-server binary is installed. */
export function hasRedisServer(): boolean {
  return existsSync(REDIS_SERVER);
}

/** A free TCP port on 127.0.0.1 (the kernel's pick, released at once). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Sends one inline command and resolves with the raw first reply line (bounded). */
export function rawCommand(port: number, command: string, ms = 1000): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no answer to ${command} within ${ms} ms`));
    }, ms);
    let data = '';
    socket.on('connect', () => socket.write(`${command}\r\n`));
    socket.on('data', (chunk) => {
      data += chunk.toString();
      if (data.includes('\r\n')) {
        clearTimeout(timer);
        socket.end();
        resolve(data);
      }
    });
    socket.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}

/** A redis-server of the test's own, on loopback, without persistence. */
export class RedisServer {
  private process: ChildProcess | undefined;

  private constructor(readonly port: number) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /**
   * Starts a server on a free port (or on `port`), resolving once it answers PING. A free port
   * can be taken by another process between the check and the server's bind: then another is
   * tried, up to three.
   */
  static async start(port?: number): Promise<RedisServer> {
    for (let attempt = 1; ; attempt++) {
      const server = new RedisServer(port ?? (await freePort()));
      try {
        await server.restart();
        return server;
      } catch (error) {
        if (port !== undefined || attempt === 3) throw error;
      }
    }
  }

  /** Starts the server again on the same port, empty. */
  async restart(): Promise<void> {
    if (this.process) throw new Error('redis-server is already running');
    const child = spawn(
      REDIS_SERVER,
      ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      { stdio: 'ignore' },
    );
    this.process = child;
    child.once('exit', () => {
      if (this.process === child) this.process = undefined;
    });
    // Generous: on a loaded machine a process can take seconds to start listening.
    const until = Date.now() + 30_000;
    for (;;) {
      try {
        if ((await rawCommand(this.port, 'PING', 500)).startsWith('+PONG')) return;
      } catch {
        // not listening yet
      }
      if (Date.now() > until || this.process !== child) {
        await this.stop();
        throw new Error(`redis-server did not start on port ${this.port}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Pauses the server (SIGSTOP): connections stay open, nothing answers. */
  pause(): void {
    this.process?.kill('SIGSTOP');
  }

  /** Resumes a paused server. */
  resume(): void {
    this.process?.kill('SIGCONT');
  }

  /** Kills the server (SIGKILL by default, as a crash) and waits for it to be gone (bounded). */
  async stop(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const child = this.process;
    if (!child) return;
    this.process = undefined;
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGCONT');
    child.kill(signal);
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  }
}
