/**
 * The built package, as a user installs it: `npm pack` a copy of the working tree (its `prepack`
 * script builds dist/), unpack the tarball into a fresh consumer project's node_modules, and load
 * every entry point there with plain `node`, through both `require` and `import`.
 *
 * No registry is involved: the consumer's peers (rxjs and the integrations' libraries) are symlinks
 * to this repository's node_modules, as a package manager would have installed them.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const repo = path.resolve(__dirname, '..', '..');

/** The public names of SPEC.md section 1, with what each one is. */
const ROOT_EXPORTS: Readonly<Record<string, 'function' | 'object'>> = {
  CircuitBreaker: 'function',
  circuitBreaker: 'function',
  CallNotPermittedError: 'function',
  BreakerRegistry: 'function',
  windows: 'object',
  trackers: 'object',
  trippers: 'object',
  retries: 'object',
  permits: 'object',
  listeners: 'object',
};

/**
 * EXPECTED EXPORTS OF THE SECONDARY ENTRY POINTS (the integrations' issues name them).
 * An entry that exports nothing yet is only required to resolve and load; once it exports
 * anything, it must export at least these names.
 */
const ENTRY_EXPORTS: Readonly<Record<Entry, readonly string[]>> = {
  angular: [
    'provideCircuitBreakers',
    'circuitBreakerInterceptor',
    'CircuitBreakerInterceptor',
    'httpFailures',
    'CIRCUIT_BREAKER',
  ],
  prometheus: ['prometheusMetrics'],
  opentelemetry: ['openTelemetryMetrics'],
  slack: ['slackListener'],
};

type Entry = 'angular' | 'prometheus' | 'opentelemetry' | 'slack';
const ENTRIES: readonly Entry[] = ['angular', 'prometheus', 'opentelemetry', 'slack'];
/** Angular ships ES modules only, so its entry point is loaded through `import` alone. */
const REQUIRABLE: readonly Entry[] = ['prometheus', 'opentelemetry', 'slack'];

/** The peers the consumer "installs": rxjs, and the libraries of the integrations. */
const PEERS = [
  'rxjs',
  'prom-client',
  '@opentelemetry/api',
  '@slack/web-api',
  '@angular/core',
  '@angular/common',
  // Angular's packages are partially compiled: outside an app's build (which runs the Angular
  // linker), Node needs the JIT compiler loaded first, as Angular's own docs say.
  '@angular/compiler',
];

/** The libraries only integrations may use: the core bundle never mentions them. */
const INTEGRATION_LIBRARIES = ['@angular', 'prom-client', '@opentelemetry', '@slack'];

/**
 * The body shared by both probes: it uses the package as a user would and returns what happened.
 * `f` is the package's root module and `rxjs` the consumer's rxjs.
 */
const EXERCISE = `
function exercise(f, rxjs) {
  const logged = [];
  const logger = { info: (m) => logged.push(m), warn: (m) => logged.push(m) };
  const breaker = new f.CircuitBreaker({
    name: 'consumer',
    window: f.windows.count(10),
    tracker: f.trackers.all(),
    tripper: f.trippers.failureStreak(2),
    retry: f.retries.never(),
    permit: f.permits.all(),
    listeners: [f.listeners.log({ logger })],
  });
  const values = [];
  rxjs.of(1, 2).pipe(f.circuitBreaker(breaker)).subscribe((v) => values.push(v));
  const afterSuccess = breaker.info().metrics.totalCount;
  const errors = [];
  for (let i = 0; i < 3; i++) {
    rxjs
      .throwError(() => new Error('boom ' + i))
      .pipe(f.circuitBreaker(breaker))
      .subscribe({ error: (e) => errors.push(e) });
  }
  const refusal = errors[2];
  const registry = new f.BreakerRegistry({ defaults: { window: f.windows.count(5) } });
  return {
    values,
    afterSuccess,
    state: breaker.state,
    failures: errors.slice(0, 2).map((e) => e.message),
    refusal: {
      isCallNotPermittedError: refusal instanceof f.CallNotPermittedError,
      name: refusal && refusal.name,
      state: refusal && refusal.state,
      breakerName: refusal && refusal.breakerName,
    },
    logged,
    registry: { state: registry.get('orders').state, names: registry.names() },
  };
}
`;

const CJS_PROBE = `'use strict';
const NAMES = ${JSON.stringify(Object.keys(ROOT_EXPORTS))};
${EXERCISE}
const f = require('rxjs-fluxgate');
const out = {
  resolved: require.resolve('rxjs-fluxgate'),
  types: Object.fromEntries(NAMES.map((n) => [n, typeof f[n]])),
  call: exercise(f, require('rxjs')),
  entries: {},
};
for (const entry of ${JSON.stringify(ENTRIES)}) {
  const id = 'rxjs-fluxgate/' + entry;
  const report = { resolved: require.resolve(id) };
  if (${JSON.stringify(REQUIRABLE)}.includes(entry)) {
    const m = require(id);
    report.type = typeof m;
    report.keys = Object.keys(m).filter((k) => k !== '__esModule');
  }
  out.entries[entry] = report;
}
process.stdout.write(JSON.stringify(out));
`;

const ESM_PROBE = `import * as f from 'rxjs-fluxgate';
import * as rxjs from 'rxjs';
import { fileURLToPath } from 'node:url';
const NAMES = ${JSON.stringify(Object.keys(ROOT_EXPORTS))};
${EXERCISE}
const out = {
  resolved: fileURLToPath(import.meta.resolve('rxjs-fluxgate')),
  types: Object.fromEntries(NAMES.map((n) => [n, typeof f[n]])),
  call: exercise(f, rxjs),
  entries: {},
};
for (const entry of ${JSON.stringify(ENTRIES)}) {
  const id = 'rxjs-fluxgate/' + entry;
  if (entry === 'angular') await import('@angular/compiler');
  const m = await import(id);
  out.entries[entry] = {
    resolved: fileURLToPath(import.meta.resolve(id)),
    type: typeof m,
    keys: Object.keys(m).filter((k) => k !== 'default'),
  };
}
process.stdout.write(JSON.stringify(out));
`;

interface EntryReport {
  resolved: string;
  type?: string;
  keys?: string[];
}

interface ProbeReport {
  resolved: string;
  types: Record<string, string>;
  call: {
    values: number[];
    afterSuccess: number;
    state: string;
    failures: string[];
    refusal: { isCallNotPermittedError: boolean; name: string; state: string; breakerName: string };
    logged: string[];
    registry: { state: string; names: string[] };
  };
  entries: Record<Entry, EntryReport>;
}

interface PackedManifest {
  sideEffects?: unknown;
  dependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
  exports: Record<string, string | Record<string, Record<string, string>>>;
}

let work: string;
let installed: string;
let consumer: string;
let bare: string;
let tarball: string[];
let manifest: PackedManifest;

/** Runs a command, returning its stdout; on failure the error carries its output. */
function run(command: string, args: readonly string[], cwd: string): string {
  const env = { ...process.env };
  delete env.NODE_PATH;
  delete env.NODE_OPTIONS;
  try {
    return execFileSync(command, args, { cwd, env, encoding: 'utf8', stdio: 'pipe' });
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string; message: string };
    throw new Error(`${command} ${args.join(' ')} failed: ${e.message}\n${e.stdout}\n${e.stderr}`);
  }
}

/** Links `<dir>/node_modules/<name>` to this repository's installed copy of `name`. */
function linkPeer(dir: string, name: string): void {
  const link = path.join(dir, 'node_modules', name);
  fs.mkdirSync(path.dirname(link), { recursive: true });
  fs.symlinkSync(path.join(repo, 'node_modules', name), link, 'dir');
}

function probe(file: string): ProbeReport {
  return JSON.parse(run(process.execPath, [file], consumer)) as ProbeReport;
}

beforeAll(() => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'rxjs-fluxgate-package-'));

  // A copy of the working tree without its build output, so packing must build dist/ itself
  // (through "prepack") and the test never rewrites this checkout's dist/.
  const source = path.join(work, 'source');
  const skip = new Set(['node_modules', 'dist', '.git', 'coverage', 'reports', '.stryker-tmp']);
  fs.cpSync(repo, source, {
    recursive: true,
    filter: (from) => path.dirname(from) !== repo || !skip.has(path.basename(from)),
  });
  fs.symlinkSync(path.join(repo, 'node_modules'), path.join(source, 'node_modules'), 'dir');
  run('npm', ['pack', '--pack-destination', work], source);

  const tgz = fs.readdirSync(work).find((name) => name.endsWith('.tgz'));
  if (tgz === undefined) throw new Error(`npm pack left no tarball in ${work}`);
  const tgzPath = path.join(work, tgz);
  tarball = run('tar', ['-tzf', tgzPath], work)
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => line.replace(/^package\//, ''));

  consumer = path.join(work, 'consumer');
  installed = path.join(consumer, 'node_modules', 'rxjs-fluxgate');
  fs.mkdirSync(installed, { recursive: true });
  fs.writeFileSync(
    path.join(consumer, 'package.json'),
    JSON.stringify({ name: 'consumer', version: '1.0.0', private: true }),
  );
  run('tar', ['-xzf', tgzPath, '-C', installed, '--strip-components=1'], work);
  for (const peer of PEERS) linkPeer(consumer, peer);
  fs.writeFileSync(path.join(consumer, 'probe.cjs'), CJS_PROBE);
  fs.writeFileSync(path.join(consumer, 'probe.mjs'), ESM_PROBE);

  // A second consumer with rxjs alone: no integration's library is installed.
  bare = path.join(work, 'bare');
  const bareInstalled = path.join(bare, 'node_modules', 'rxjs-fluxgate');
  fs.mkdirSync(bareInstalled, { recursive: true });
  fs.writeFileSync(
    path.join(bare, 'package.json'),
    JSON.stringify({ name: 'bare', version: '1.0.0', private: true }),
  );
  run('tar', ['-xzf', tgzPath, '-C', bareInstalled, '--strip-components=1'], work);
  linkPeer(bare, 'rxjs');

  manifest = JSON.parse(
    fs.readFileSync(path.join(installed, 'package.json'), 'utf8'),
  ) as PackedManifest;
}, 180_000);

afterAll(() => {
  if (work !== undefined) fs.rmSync(work, { recursive: true, force: true });
});

describe('the packed tarball', () => {
  it('holds the build of every entry point, in both formats with their types', () => {
    for (const entry of ['index', ...ENTRIES]) {
      for (const ext of ['js', 'mjs', 'd.ts', 'd.mts']) {
        expect(tarball).toContain(`dist/${entry}.${ext}`);
      }
    }
    expect(tarball).toContain('package.json');
  });

  it('holds neither sources, tests nor tooling', () => {
    const allowed = /^(dist\/|package\.json$|README\.md$|LICENSE|CHANGELOG)/;
    expect(tarball.filter((file) => !allowed.test(file))).toEqual([]);
  });

  it('has a file behind every path of its exports map', () => {
    const targets: string[] = [];
    for (const conditions of Object.values(manifest.exports)) {
      if (typeof conditions === 'string') targets.push(conditions);
      else for (const byType of Object.values(conditions)) targets.push(...Object.values(byType));
    }
    expect(targets.length).toBeGreaterThanOrEqual(20);
    for (const target of targets) expect(tarball).toContain(target.replace(/^\.\//, ''));
  });

  it('declares no side effects and needs nothing at run time but its rxjs peer', () => {
    expect(manifest.sideEffects).toBe(false);
    expect(Object.keys(manifest.dependencies ?? {})).toEqual([]);
    expect(manifest.peerDependencies?.rxjs).toMatch(/^\^7\.4(\.0)?$/);
    expect(manifest.peerDependenciesMeta?.rxjs?.optional).not.toBe(true);
    const required = Object.keys(manifest.peerDependencies ?? {}).filter(
      (peer) => manifest.peerDependenciesMeta?.[peer]?.optional !== true,
    );
    expect(required).toEqual(['rxjs']);
  });

  it("keeps the integrations' libraries out of the core bundle", () => {
    for (const file of ['dist/index.js', 'dist/index.mjs']) {
      const code = fs.readFileSync(path.join(installed, file), 'utf8');
      for (const library of INTEGRATION_LIBRARIES) {
        expect({ file, mentions: code.includes(library) ? library : null }).toEqual({
          file,
          mentions: null,
        });
      }
    }
  });

  it('shares one copy of the core: no integration bundles the breaker', () => {
    // esbuild emits `class CircuitBreaker` as `var CircuitBreaker = class`.
    const definesBreaker = (file: string): boolean =>
      /\bclass CircuitBreaker\b|\bCircuitBreaker = class\b/.test(
        fs.readFileSync(path.join(installed, 'dist', file), 'utf8'),
      );
    expect([definesBreaker('index.js'), definesBreaker('index.mjs')]).toEqual([true, true]);
    for (const entry of ENTRIES) {
      for (const file of [`${entry}.js`, `${entry}.mjs`]) {
        expect({ file, bundlesCore: definesBreaker(file) }).toEqual({ file, bundlesCore: false });
      }
    }
  });
});

describe('a consumer that installed rxjs alone', () => {
  const script = `
    const cjs = require('rxjs-fluxgate');
    const resolved = ${JSON.stringify(ENTRIES)}.map((e) => require.resolve('rxjs-fluxgate/' + e));
    const missing = ['prom-client', '@opentelemetry/api', '@slack/web-api', '@angular/core']
      .filter((id) => { try { require.resolve(id); return false; } catch { return true; } });
    import('rxjs-fluxgate').then((esm) => {
      process.stdout.write(JSON.stringify({
        cjs: typeof cjs.CircuitBreaker,
        esm: typeof esm.CircuitBreaker,
        resolved,
        missing,
      }));
    });
  `;

  it('loads the core through require and import, and resolves every entry point', () => {
    const out = JSON.parse(run(process.execPath, ['-e', script], bare)) as {
      cjs: string;
      esm: string;
      resolved: string[];
      missing: string[];
    };
    expect(out.missing).toHaveLength(4);
    expect(out.cjs).toBe('function');
    expect(out.esm).toBe('function');
    expect(out.resolved).toEqual(
      ENTRIES.map((e) => path.join(bare, 'node_modules', 'rxjs-fluxgate', 'dist', `${e}.js`)),
    );
  });
});

describe.each([
  ['require', 'probe.cjs', 'dist/index.js'],
  ['import', 'probe.mjs', 'dist/index.mjs'],
])('a fresh consumer loading the package with %s', (how, file, main) => {
  let report: ProbeReport;
  beforeAll(() => {
    report = probe(file);
  }, 60_000);

  it('gets the installed build, not the sources', () => {
    expect(report.resolved).toBe(path.join(installed, main));
  });

  it('sees every public name of the root entry point', () => {
    expect(report.types).toEqual(ROOT_EXPORTS);
  });

  it('can protect calls: values pass, failures trip the breaker, refusals are typed', () => {
    const { call } = report;
    expect(call.values).toEqual([1, 2]);
    expect(call.afterSuccess).toBe(1);
    expect(call.failures).toEqual(['boom 0', 'boom 1']);
    expect(call.state).toBe('open');
    expect(call.refusal).toEqual({
      isCallNotPermittedError: true,
      name: 'CallNotPermittedError',
      state: 'open',
      breakerName: 'consumer',
    });
    expect(call.logged).toHaveLength(1);
    expect(call.logged[0]).toContain('closed -> open');
    expect(call.registry).toEqual({ state: 'closed', names: ['orders'] });
  });

  it.each(ENTRIES)('resolves rxjs-fluxgate/%s to its build', (entry) => {
    const ext = main.endsWith('.mjs') ? 'mjs' : 'js';
    expect(report.entries[entry].resolved).toBe(path.join(installed, 'dist', `${entry}.${ext}`));
  });

  it.each(how === 'require' ? REQUIRABLE : ENTRIES)(
    'loads rxjs-fluxgate/%s with its peer installed',
    (entry) => {
      const loaded = report.entries[entry];
      expect(loaded.type).toBe('object');
      // Checked once the entry point exports anything (see ENTRY_EXPORTS above).
      if (loaded.keys !== undefined && loaded.keys.length > 0) {
        expect(loaded.keys).toEqual(expect.arrayContaining([...ENTRY_EXPORTS[entry]]));
      }
    },
  );
});
