/**
 * The live dashboard's server: two flaky backends (the demos' `flaky-server`, each on its own
 * port of 127.0.0.1, so each is its own origin and gets its own breaker) and the page that watches
 * them, an Angular app bundled from this checkout's sources with esbuild when the server starts.
 *
 * The page's server also answers the page's buttons (`POST /control/fail`, `/control/heal`) and
 * reports what the backends received (`GET /control/stats`), by backend and by the breaker state
 * the page stamped on each request when it sent it (see app/stamp.ts).
 */
'use strict';

const fs = require('node:fs');
const http = require('node:http');
const path = require('node:path');
const { URL } = require('node:url');
const esbuild = require('esbuild');

const { startFlakyServer } = require('../flaky-server');

/**
 * The two backends: "orders" fails 9 of every 10 requests in an outage, "catalog" 3 of every 5,
 * so the dashboard shows a breaker that trips on a streak and one that trips on a rate.
 */
const BACKENDS = [
  { id: 'orders', label: 'Orders API', fails: 9, outOf: 10 },
  { id: 'catalog', label: 'Catalog API', fails: 3, outOf: 5 },
];

/** The page's files, built in memory: the app's script and its stylesheet. */
async function buildApp() {
  const result = await esbuild.build({
    absWorkingDir: path.join(__dirname, '..', '..'),
    entryPoints: {
      main: path.join(__dirname, 'app', 'main.ts'),
      styles: path.join(__dirname, 'app', 'styles.css'),
    },
    outdir: path.join(__dirname, 'out'),
    write: false,
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    minify: true,
    legalComments: 'none',
    // The app's own tsconfig: decorators as Angular's JIT compiler reads them, and
    // `rxjs-fluxgate` mapped to the sources, as the root tsconfig maps it.
    tsconfig: path.join(__dirname, 'tsconfig.json'),
    logLevel: 'silent',
  });
  const files = new Map();
  for (const file of result.outputFiles) files.set(`/${path.basename(file.path)}`, file.contents);
  return files;
}

const CONTENT_TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
};

function send(res, status, type, body) {
  res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
  res.end(body);
}

function sendJson(res, status, value) {
  send(res, status, CONTENT_TYPES['.json'], JSON.stringify(value));
}

function listen(server, port) {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve(server.address().port);
    });
  });
}

/**
 * Builds the app, starts both backends and the page's server on `port` (0: any free one) of
 * 127.0.0.1, the backends healthy.
 *
 * @param {{ port?: number }} [options]
 * @returns {Promise<{ url: string, backends: { id: string, url: string }[], stats: () => object, setOutage: (on: boolean) => void, close: () => Promise<void> }>}
 */
async function startDashboard({ port = 0 } = {}) {
  const files = await buildApp();
  const index = fs.readFileSync(path.join(__dirname, 'index.html'));

  let outage = false;
  const page = http.createServer();
  const pagePort = await listen(page, port);
  const pageOrigin = `http://127.0.0.1:${pagePort}`;

  /** Per backend: requests received, failed, and received by the state the page stamped. */
  const counts = {};
  const backends = [];
  try {
    for (const spec of BACKENDS) {
      const backend = await startFlakyServer({
        isOutage: () => outage,
        fails: spec.fails,
        outOf: spec.outOf,
      });
      const count = { received: 0, failed: 0, byState: {} };
      counts[spec.id] = count;
      // Runs after the flaky server's own handler, which has decided the answer but not sent it:
      // record the request, and let the page's origin read the answer (CORS).
      backend.server.on('request', (req, res) => {
        res.setHeader('access-control-allow-origin', pageOrigin);
        const state = new URL(req.url, 'http://backend').searchParams.get('breakerState');
        const key = state === null ? 'unstamped' : state;
        count.received = backend.stats.received;
        count.failed = backend.stats.failed;
        count.byState[key] = (count.byState[key] ?? 0) + 1;
      });
      backends.push({ ...spec, url: backend.url, close: backend.close });
    }
  } catch (error) {
    await Promise.all(backends.map((b) => b.close()));
    await new Promise((done) => page.close(() => done()));
    throw error;
  }

  const stats = () => ({ outage, backends: JSON.parse(JSON.stringify(counts)) });
  const config = () => ({
    outage,
    backends: backends.map((b) => ({ id: b.id, label: b.label, url: b.url })),
  });

  page.on('request', (req, res) => {
    const { pathname } = new URL(req.url, pageOrigin);
    if (req.method === 'POST' && (pathname === '/control/fail' || pathname === '/control/heal')) {
      outage = pathname === '/control/fail';
      return sendJson(res, 200, { outage });
    }
    if (req.method !== 'GET') return send(res, 405, 'text/plain', 'method not allowed');
    if (pathname === '/' || pathname === '/index.html') {
      return send(res, 200, CONTENT_TYPES['.html'], index);
    }
    if (pathname === '/config.json') return sendJson(res, 200, config());
    if (pathname === '/control/stats') return sendJson(res, 200, stats());
    const file = files.get(pathname);
    if (file !== undefined) return send(res, 200, CONTENT_TYPES[path.extname(pathname)], file);
    return send(res, 404, 'text/plain', 'not found');
  });

  const close = async () => {
    page.closeAllConnections();
    await Promise.all([
      new Promise((done) => page.close(() => done())),
      ...backends.map((b) => b.close()),
    ]);
  };

  return {
    url: `${pageOrigin}/`,
    backends: backends.map((b) => ({ id: b.id, url: b.url })),
    stats,
    setOutage: (on) => {
      outage = on;
    },
    close,
  };
}

module.exports = { startDashboard, BACKENDS };
