import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A Node HTTP server on 127.0.0.1 (port 0) that answers by path:
 * `/ok` 200 with a JSON body, `/missing` 404, `/down` 503, `/slow-down` 429, `/hang` never,
 * `/drop` destroys the connection without an answer (the client sees status 0).
 */
export interface Backend {
  /** `http://127.0.0.1:<port>` */
  readonly origin: string;
  /** The paths requested so far, in arrival order. */
  readonly paths: string[];
  /** Resolves when the server next receives a request for `path` (call it before sending). */
  nextRequest(path: string): Promise<void>;
  /** Stops listening and drops every open connection, answered or not. */
  close(): Promise<void>;
}

export async function startBackend(): Promise<Backend> {
  const paths: string[] = [];
  const waiting: Array<{ path: string; resolve: () => void }> = [];
  const reply = (res: ServerResponse, status: number, body: unknown): void => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    paths.push(path);
    for (const w of waiting.filter((x) => x.path === path)) {
      waiting.splice(waiting.indexOf(w), 1);
      w.resolve();
    }
    switch (path) {
      case '/ok':
        return reply(res, 200, { ok: true });
      case '/missing':
        return reply(res, 404, { error: 'not found' });
      case '/down':
        return reply(res, 503, { error: 'down' });
      case '/slow-down':
        return reply(res, 429, { error: 'too many requests' });
      case '/hang':
        return; // never answered; close() drops it
      case '/drop':
        req.socket.destroy();
        return;
      default:
        return reply(res, 400, { error: `unknown path ${path}` });
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    paths,
    nextRequest: (path) => new Promise<void>((resolve) => waiting.push({ path, resolve })),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
