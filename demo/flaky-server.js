/**
 * The demos' flaky backend: an HTTP server on 127.0.0.1 that is healthy, or in an outage in which
 * `fails` of every `outOf` requests fail with a 503. The failures follow a fixed pattern, so every
 * run tells the same story. `npm run demo` drives the outage by a clock; other demos switch it.
 */
'use strict';

const http = require('node:http');

/**
 * Starts the server on `port` (0: any free one) of 127.0.0.1.
 *
 * @param {{ isOutage: () => boolean, fails?: number, outOf?: number, port?: number }} options
 * @returns {Promise<{ server: http.Server, url: string, stats: { received: number, failed: number }, close: () => Promise<void> }>}
 */
function startFlakyServer({ isOutage, fails = 9, outOf = 10, port = 0 }) {
  let outageRequests = 0;
  const stats = { received: 0, failed: 0 };
  const server = http.createServer((req, res) => {
    stats.received += 1;
    const failing = isOutage() && outageRequests++ % outOf < fails;
    if (failing) stats.failed += 1;
    // Healthy answers take 10-30 ms; failures come back at once, as an overloaded server's do.
    setTimeout(
      () => {
        res.writeHead(failing ? 503 : 200, { 'content-type': 'text/plain' });
        res.end(failing ? 'unavailable' : 'ok');
      },
      failing ? 1 : 10 + Math.floor(Math.random() * 20),
    );
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      const close = () => {
        server.closeAllConnections();
        return new Promise((done) => server.close(() => done()));
      };
      resolve({ server, url: `http://127.0.0.1:${server.address().port}/`, stats, close });
    });
  });
}

module.exports = { startFlakyServer };
