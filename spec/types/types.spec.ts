/**
 * Runs the compile-only checks of spec/types under `npm test`: the TypeScript compiler, with the
 * project's tsconfig, must report nothing for them (so every `expectType` holds and every
 * `@ts-expect-error` line does fail to compile).
 */
import path from 'node:path';
import ts from 'typescript';

const root = path.resolve(__dirname, '../..');

test('the public types keep, widen and reject as they should', () => {
  const configFile = ts.readConfigFile(path.join(root, 'tsconfig.json'), (f) => ts.sys.readFile(f));
  const parsed = ts.parseJsonConfigFileContent(configFile.config, ts.sys, root);
  const file = path.join(__dirname, 'operator.types.ts');
  const program = ts.createProgram([file], { ...parsed.options, noEmit: true });
  const diagnostics = ts
    .getPreEmitDiagnostics(program)
    .map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
  expect(diagnostics).toEqual([]);
  // The file is really part of the program (a wrong path would pass vacuously).
  expect(program.getSourceFile(file)?.statements.length).toBeGreaterThan(20);
}, 60_000);
