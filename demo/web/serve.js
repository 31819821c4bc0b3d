/**
 * `npm run demo:web [-- --port N]`: serves the live dashboard on 127.0.0.1 and prints its URL on
 * a line of its own. `--port 0` picks any free port. Ctrl-C stops it.
 */
'use strict';

const { startDashboard } = require('./server');

const DEFAULT_PORT = 4280;

/** The `--port` argument (`--port N` or `--port=N`), or the default. */
function portFrom(args) {
  let value;
  for (let i = 0; i < args.length; i += 1) {
    const arg = args[i];
    if (arg === '--port') value = args[++i];
    else if (arg.startsWith('--port=')) value = arg.slice('--port='.length);
    else throw new Error(`unknown argument ${arg} (expected --port N)`);
  }
  if (value === undefined) return DEFAULT_PORT;
  const port = Number(value);
  if (!/^\d+$/.test(value) || port > 65535) {
    throw new Error(`--port: expected a port number from 0 to 65535, got ${value}`);
  }
  return port;
}

async function main() {
  let port;
  try {
    port = portFrom(process.argv.slice(2));
  } catch (error) {
    console.error(`demo:web: ${error.message}`);
    process.exit(2);
  }
  let dashboard;
  try {
    dashboard = await startDashboard({ port });
  } catch (error) {
    if (error && error.code === 'EADDRINUSE') {
      console.error(
        `demo:web: port ${port} is in use; choose another with --port (0: any free one)`,
      );
      process.exit(1);
    }
    throw error;
  }
  console.log('rxjs-fluxgate live dashboard (Ctrl-C to stop); open:');
  console.log(dashboard.url);
  for (const b of dashboard.backends) console.log(`  backend ${b.id}: ${b.url}`);
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    dashboard.close().then(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
