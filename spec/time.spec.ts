/**
 * SPEC 3: the core reads time only from the breaker's scheduler and schedules no timer of its own.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = join(__dirname, '..', 'src');
const integrations = ['angular', 'prometheus', 'opentelemetry', 'slack', 'redis'];

function coreFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) {
      return dir === root && integrations.includes(entry) ? [] : coreFiles(path);
    }
    return path.endsWith('.ts') ? [path] : [];
  });
}

test('the core never reads the wall clock nor starts a timer', () => {
  const files = coreFiles(root);
  expect(files.length).toBeGreaterThan(10);
  const offenders = files.flatMap((file) =>
    readFileSync(file, 'utf8')
      .split('\n')
      .map((line, i) => ({ line: line.trim(), at: `${relative(root, file)}:${i + 1}` }))
      .filter(({ line }) => !line.startsWith('*') && !line.startsWith('//'))
      .filter(({ line }) =>
        /\b(Date\.now|new Date\(|performance\.now|setTimeout|setInterval|setImmediate)\b/.test(
          line,
        ),
      )
      .map(({ at, line }) => `${at}: ${line}`),
  );
  expect(offenders).toEqual([]);
});
