import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

// Guards the packaging rules on the sources (the bundles are checked after `tsup`, see the docs):
// the core never reaches Angular, and the Angular entry reaches the core only as 'rxjs-fluxgate',
// so tsup keeps it external and all entry points share one copy of the core. The one exception is
// the argument checker, src/internal/validate.ts: pure functions that import nothing, so the copy
// tsup bundles into the Angular entry holds no state of the core.

const root = resolve(process.cwd(), 'src');

/** The modules a file imports or re-exports from (comments, and so TSDoc examples, left out). */
function specifiers(file: string): string[] {
  const code = readFileSync(file, 'utf8')
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/^\s*\/\/.*$/gm, '');
  return [
    ...code.matchAll(/^(?:import|export)\b[^;]*?\bfrom\s*'([^']+)'/gm),
    ...code.matchAll(/^import\s*'([^']+)'/gm),
    ...code.matchAll(/\bimport\(\s*'([^']+)'\s*\)/g),
  ].map((m) => m[1]!);
}

function resolveRelative(from: string, specifier: string): string {
  const base = resolve(dirname(from), specifier);
  const candidates = [`${base}.ts`, join(base, 'index.ts')];
  const found = candidates.find((c) => existsSync(c));
  if (found === undefined) throw new Error(`cannot resolve ${specifier} from ${from}`);
  return found;
}

test('nothing the core entry point imports, directly or not, is Angular', () => {
  const seen = new Set<string>();
  const packages = new Set<string>();
  const visit = (file: string): void => {
    if (seen.has(file)) return;
    seen.add(file);
    for (const s of specifiers(file)) {
      if (s.startsWith('.')) visit(resolveRelative(file, s));
      else packages.add(s);
    }
  };
  visit(join(root, 'index.ts'));
  expect(seen.size).toBeGreaterThan(10);
  expect([...seen].filter((f) => f.startsWith(join(root, 'angular')))).toEqual([]);
  expect(packages).toContain('rxjs');
  expect([...packages].filter((p) => p.startsWith('@angular') || p === 'rxjs-fluxgate')).toEqual(
    [],
  );
});

test('the Angular entry point imports the core only as rxjs-fluxgate, and the checker relatively', () => {
  const dir = join(root, 'angular');
  const files = readdirSync(dir).filter((f) => f.endsWith('.ts'));
  expect(files).toContain('index.ts');
  const checker = join(root, 'internal', 'validate.ts');
  const escapes = files.flatMap((f) =>
    specifiers(join(dir, f))
      .filter((s) => s.startsWith('.') && relative(dir, resolve(dir, s)).startsWith('..'))
      .filter((s) => resolveRelative(join(dir, f), s) !== checker)
      .map((s) => `${f}: ${s}`),
  );
  expect(escapes).toEqual([]);
  expect(specifiers(checker)).toEqual([]);
  const imported = new Set(files.flatMap((f) => specifiers(join(dir, f))));
  expect(imported.has('rxjs-fluxgate')).toBe(true);
});
