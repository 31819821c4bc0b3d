/**
 * Every ```ts block of README.md and docs/*.md compiles under `strict`, as a reader would paste it.
 *
 * Each block is written to a temporary folder (`.doc-snippets-*`) as its own module and the whole set is type-checked
 * with the TypeScript compiler API in one program. `rxjs-fluxgate` and its subpaths resolve to
 * src/, as tsconfig.json's paths do. Names a snippet uses without defining them (an app's `http`,
 * `render`, `cache`) are declared in spec/docs/fixtures/placeholders.d.ts; keep that list short.
 * A block whose info string is `ts fragment` is left out: keep those few.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import ts from 'typescript';

const repo = path.resolve(__dirname, '..', '..');
const placeholders = path.join(__dirname, 'fixtures', 'placeholders.d.ts');

/** A fenced block of a Markdown file. */
interface Block {
  /** The Markdown file, relative to the repository. */
  readonly file: string;
  /** The 1-based line of the block's first code line. */
  readonly line: number;
  readonly code: string;
  readonly fragment: boolean;
}

/** The ```ts blocks of one Markdown text. */
export function extractBlocks(file: string, text: string): Block[] {
  const blocks: Block[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)```(\S*)\s*(.*)$/.exec(lines[i] ?? '');
    if (!open) continue;
    const [, indent = '', lang, rest = ''] = open;
    const start = i + 1;
    let end = start;
    while (end < lines.length && !new RegExp(`^${indent}\`\`\`\\s*$`).test(lines[end] ?? '')) end++;
    if (lang === 'ts' || lang === 'typescript') {
      const code = lines
        .slice(start, end)
        .map((l) => (l.startsWith(indent) ? l.slice(indent.length) : l))
        .join('\n');
      blocks.push({
        file,
        line: start + 1,
        code,
        fragment: rest.split(/\s+/).includes('fragment'),
      });
    }
    i = end;
  }
  return blocks;
}

/** README.md and every Markdown file under docs/ but the generated API reference. */
function markdownFiles(): string[] {
  const found = ['README.md'];
  const walk = (dir: string): void => {
    for (const entry of fs.readdirSync(path.join(repo, dir), { withFileTypes: true })) {
      const rel = path.join(dir, entry.name);
      if (entry.isDirectory() && rel !== path.join('docs', 'api')) walk(rel);
      else if (entry.isFile() && entry.name.endsWith('.md')) found.push(rel);
    }
  };
  walk('docs');
  return found.sort();
}

/** The compiler options of a reader's strict project, with the package mapped to src/. */
const options: ts.CompilerOptions = {
  strict: true,
  noEmit: true,
  target: ts.ScriptTarget.ES2022,
  lib: ['lib.es2022.d.ts', 'lib.dom.d.ts'],
  module: ts.ModuleKind.ESNext,
  moduleResolution: ts.ModuleResolutionKind.Bundler,
  esModuleInterop: true,
  skipLibCheck: true,
  types: ['node', 'jest'],
  typeRoots: [path.join(repo, 'node_modules', '@types')],
  baseUrl: repo,
  paths: {
    'rxjs-fluxgate': ['./src/index.ts'],
    'rxjs-fluxgate/*': ['./src/*/index.ts'],
  },
};

/** Type-checks the blocks; returns one message per error, located in the Markdown file. */
export function check(blocks: readonly Block[]): string[] {
  // Inside the repository, so that packages resolve from its node_modules as in a reader's app.
  const dir = fs.mkdtempSync(path.join(repo, '.doc-snippets-'));
  try {
    const where = new Map<string, Block>();
    blocks.forEach((b, i) => {
      const name = path.join(dir, `${b.file.replace(/[^\w]+/g, '_')}_${b.line}_${i}.ts`);
      // `export {}` makes each block a module of its own, whether or not it imports anything.
      fs.writeFileSync(name, `${b.code}\nexport {};\n`);
      where.set(name, b);
    });
    const program = ts.createProgram([...where.keys(), placeholders], options);
    return ts.getPreEmitDiagnostics(program).map((d) => {
      const message = ts.flattenDiagnosticMessageText(d.messageText, '\n');
      const block = d.file && where.get(path.normalize(d.file.fileName));
      if (!d.file || d.start === undefined || !block) {
        return `${d.file?.fileName ?? '(program)'}: ${message}`;
      }
      const { line } = d.file.getLineAndCharacterOfPosition(d.start);
      return `${block.file}:${block.line + line}: ${message}`;
    });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const files = markdownFiles();
const blocks = files.flatMap((f) => extractBlocks(f, fs.readFileSync(path.join(repo, f), 'utf8')));

/** Blocks that must fail, checked in the same program so that the check can be seen to work. */
const failing = [
  ...extractBlocks(
    '(bad)',
    '```ts\nimport { trackers } from "rxjs-fluxgate";\nconst n: number = "one";\n```\n',
  ),
  ...extractBlocks(
    '(trackers)',
    [
      '```ts',
      "import { trackers } from 'rxjs-fluxgate';",
      'class HttpError extends Error { status = 500; }',
      'trackers.typeOf(HttpError).and(trackers.custom((e) => e.status !== 404));',
      'trackers.custom((e) => e.status !== 404);',
      '```',
    ].join('\n'),
  ),
];
let errors: string[] = [];

beforeAll(() => {
  errors = check([...blocks.filter((b) => !b.fragment), ...failing]);
}, 120_000);

describe('the ```ts blocks of the README and docs/ compile under strict', () => {
  test('there are blocks to check, and few fragments', () => {
    expect(blocks.filter((b) => !b.fragment).length).toBeGreaterThanOrEqual(35);
    const fragments = blocks.filter((b) => b.fragment).map((b) => `${b.file}:${b.line}`);
    expect(fragments.length).toBeLessThanOrEqual(15);
  });

  test.each(files)('%s', (file) => {
    expect(errors.filter((e) => e.startsWith(`${file}:`))).toEqual([]);
  });

  test('nothing else fails to compile (src/, the placeholders)', () => {
    const known = [...files, '(bad)', '(trackers)'];
    expect(errors.filter((e) => !known.some((f) => e.startsWith(`${f}:`)))).toEqual([]);
  });
});

describe('the check itself', () => {
  test('finds the blocks, their lines and the fragment mark', () => {
    const md =
      'text\n```ts\nconst a = 1;\n```\n\n```ts fragment\nnot checked\n```\n```sh\nls\n```\n';
    expect(extractBlocks('x.md', md)).toEqual([
      { file: 'x.md', line: 3, code: 'const a = 1;', fragment: false },
      { file: 'x.md', line: 7, code: 'not checked', fragment: true },
    ]);
  });

  test('reports a type error at its line in the Markdown file', () => {
    expect(errors.filter((e) => e.startsWith('(bad):'))).toEqual([
      expect.stringMatching(/^\(bad\):3: Type 'string' is not assignable to type 'number'/),
    ]);
  });

  test('a custom tracker is typed by where it is used', () => {
    // Inside .and() after typeOf the error is an HttpError; alone, it could be anything.
    expect(errors.filter((e) => e.startsWith('(trackers):'))).toEqual([
      expect.stringMatching(/^\(trackers\):5: 'e' is of type 'unknown'/),
    ]);
  });
});
