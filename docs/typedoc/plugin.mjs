// @ts-check
/**
 * TypeDoc plugin. 1. Names each entry point's module as users import it: `src/index.ts` is
 * `rxjs-fluxgate`, `src/<name>/index.ts` is `rxjs-fluxgate/<name>` (so a new entry point needs only
 * its line in typedoc.json). 2. For the component namespaces (`trackers`, `trippers`, `windows`, ...): each is a
 * frozen object of shorthand properties (`Object.freeze({ all, typeOf, custom })`), and TypeDoc
 * gives a shorthand property no comment of its own. This copies the documented function's comment
 * (summary, `@param`, `@return`, examples) to the namespace member, so `trackers.typeOf` is
 * documented where its function is, and the `notDocumented` validation still catches a factory
 * without a comment.
 */
import ts from 'typescript';
import { Converter, ReflectionKind } from 'typedoc';

/** @param {import('typedoc').Application} app */
export function load(app) {
  app.converter.on(Converter.EVENT_CREATE_DECLARATION, (context, reflection) => {
    if (!reflection.kindOf(ReflectionKind.Module)) return;
    const file = context.getSymbolFromReflection(reflection)?.declarations?.[0]?.getSourceFile();
    const match = file && /\/src\/(?:([^/]+)\/)?index\.ts$/.exec(file.fileName);
    if (match) reflection.name = match[1] ? `rxjs-fluxgate/${match[1]}` : 'rxjs-fluxgate';
  });
  app.converter.on(Converter.EVENT_CREATE_DECLARATION, (context, reflection) => {
    if (!reflection.kindOf(ReflectionKind.Variable) || reflection.comment) return;
    if (!reflection.parent?.kindOf(ReflectionKind.Namespace)) return;
    const declaration = context.getSymbolFromReflection(reflection)?.declarations?.[0];
    if (!declaration || !ts.isShorthandPropertyAssignment(declaration)) return;
    const source = context.checker.getShorthandAssignmentValueSymbol(declaration);
    const fn = source?.valueDeclaration;
    if (!fn || !ts.isFunctionDeclaration(fn)) return;
    const comment = context.getSignatureComment(fn);
    if (comment) reflection.comment = comment;
  });
}
