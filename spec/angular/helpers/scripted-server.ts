import type { ServerResponse } from 'node:http';
import { startLoopbackServer, type LoopbackServer } from '../../helpers/loopback-server';

/** How the server answers the next requests. */
export interface Script {
  /** The status of every answer (default 200). */
  status: number;
  /** Response headers to send, besides `content-type`. */
  headers: Record<string, string>;
  /** Send no `Date` header (Node sends one unless told not to). */
  noDate: boolean;
  /** Hold every answer until `release()` is called. */
  hold: boolean;
}

/** A loopback server whose answers the test sets between requests. */
export interface ScriptedServer {
  readonly url: string;
  /** How many requests reached the server. */
  readonly count: () => number;
  /** Replaces the script for the requests that arrive from now on. */
  answer(script: Partial<Script>): void;
  /** Resolves once `n` requests in all have reached the server. */
  received(n: number): Promise<void>;
  /** Sends the held answers. */
  release(): void;
  close(): Promise<void>;
}

const withDefaults = (script: Partial<Script>): Script => ({
  status: 200,
  headers: {},
  noDate: false,
  hold: false,
  ...script,
});

export async function startScriptedServer(): Promise<ScriptedServer> {
  let script = withDefaults({});
  let held: Array<() => void> = [];
  const waits: Array<{ n: number; resolve: () => void }> = [];
  let server: LoopbackServer | undefined = undefined;
  const send = (res: ServerResponse, s: Script): void => {
    if (s.noDate) res.sendDate = false;
    res.writeHead(s.status, { 'content-type': 'application/json', ...s.headers });
    res.end(JSON.stringify({ status: s.status }));
  };
  server = await startLoopbackServer((_request, res) => {
    const s = script;
    if (s.hold) held.push(() => send(res, s));
    else send(res, s);
    const n = server?.requests.length ?? 0;
    for (const w of waits.filter((x) => x.n <= n)) {
      waits.splice(waits.indexOf(w), 1);
      w.resolve();
    }
  });
  const started = server;
  return {
    url: started.url,
    count: () => started.requests.length,
    answer: (next) => {
      script = withDefaults(next);
    },
    received: (n) =>
      started.requests.length >= n
        ? Promise.resolve()
        : new Promise<void>((resolve) => waits.push({ n, resolve })),
    release: () => {
      const answers = held;
      held = [];
      for (const answer of answers) answer();
    },
    close: () => started.close(),
  };
}
