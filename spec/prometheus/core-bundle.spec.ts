/**
 * The built bundles, for all three monitoring entry points (prometheus, opentelemetry, slack): the
 * core holds none of their libraries, and each of them reaches the core only as 'rxjs-fluxgate'.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = join(__dirname, '../..');
let out: string;

beforeAll(() => {
  out = mkdtempSync(join(tmpdir(), 'rxjs-fluxgate-bundle-'));
  execFileSync(join(root, 'node_modules/.bin/tsup'), ['--out-dir', out, '--no-dts', '--silent'], {
    cwd: root,
    stdio: 'pipe',
    timeout: 120_000,
  });
}, 130_000);

afterAll(() => rmSync(out, { recursive: true, force: true }));

const read = (file: string) => readFileSync(join(out, file), 'utf8');

test.each(['index.js', 'index.mjs'])('the core bundle %s holds no monitoring library', (file) => {
  const code = read(file);
  expect(code).toContain('CircuitBreaker');
  for (const name of ['prom-client', '@opentelemetry', '@slack']) expect(code).not.toContain(name);
});

test.each([
  ['prometheus', ['prom-client', 'rxjs', 'rxjs-fluxgate']],
  ['opentelemetry', ['@opentelemetry/api', 'rxjs', 'rxjs-fluxgate']],
  ['slack', []],
])('%s imports only its peer, rxjs and the core by name', (entry, modules) => {
  const cjs = read(`${entry}.js`);
  const esm = read(`${entry}.mjs`);
  const required = [...cjs.matchAll(/require\(['"]([^'"]+)['"]\)/g)].map((m) => m[1]!);
  const imported = [...esm.matchAll(/from ['"]([^'"]+)['"]/g)].map((m) => m[1]!);
  // The ES module build may share a chunk of internal helpers (argument checks) with the core's
  // entry point; such a chunk holds no part of the core's state and imports no peer.
  const chunks = imported.filter((m) => /^\.\/chunk-[\w-]+\.mjs$/.test(m));
  expect([...new Set(required)].sort()).toEqual(modules);
  expect([...new Set(imported.filter((m) => !chunks.includes(m)))].sort()).toEqual(modules);
  const shared = chunks.map((chunk) => read(chunk.slice(2)));
  for (const code of shared) {
    expect([...code.matchAll(/from ['"]([^'"]+)['"]/g)]).toEqual([]);
  }
  // The core is not copied in: no breaker class and no package.json read at run time.
  for (const code of [cjs, esm, ...shared]) {
    expect(code).not.toMatch(/CircuitBreaker = class|class CircuitBreaker/);
    expect(code).not.toContain('package.json');
  }
});
