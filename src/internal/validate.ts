/**
 * Argument checks shared by every factory and by the breaker's config.
 *
 * Each check throws a `RangeError` (a number out of range) or a `TypeError` (a value of the wrong
 * kind) whose message reads `<where>: expected <rule>, got <value>`, so a bad config names the
 * factory or field, the rule and what it received.
 *
 * @internal
 */

/** Renders a received value for an error message. */
export function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'function') return `function ${value.name || '(anonymous)'}`;
  if (typeof value === 'bigint') return `${value}n`;
  if (value === null || typeof value !== 'object') return String(value);
  if (Array.isArray(value)) return `an array of length ${value.length}`;
  const ctor = (value as { constructor?: { name?: string } }).constructor?.name;
  if (!ctor || ctor === 'Object') return 'an object';
  return `${/^[AEIOU]/.test(ctor) ? 'an' : 'a'} ${ctor}`;
}

function fail(
  Kind: typeof RangeError | typeof TypeError,
  where: string,
  rule: string,
  value: unknown,
): never {
  throw new Kind(`${where}: expected ${rule}, got ${describe(value)}`);
}

function number(where: string, rule: string, value: unknown): number {
  if (typeof value !== 'number' || Number.isNaN(value)) fail(TypeError, where, rule, value);
  return value;
}

/** An integer `> 0`. */
export function positiveInteger(where: string, value: unknown): number {
  const rule = 'an integer > 0';
  const n = number(where, rule, value);
  if (!Number.isInteger(n) || n <= 0) fail(RangeError, where, rule, value);
  return n;
}

/** An integer `>= 0`. */
export function nonNegativeInteger(where: string, value: unknown): number {
  const rule = 'an integer >= 0';
  const n = number(where, rule, value);
  if (!Number.isInteger(n) || n < 0) fail(RangeError, where, rule, value);
  return n;
}

/** A finite number `>= 0`. */
export function nonNegative(where: string, value: unknown): number {
  const rule = 'a finite number >= 0';
  const n = number(where, rule, value);
  if (!Number.isFinite(n) || n < 0) fail(RangeError, where, rule, value);
  return n;
}

/** A finite number `> 0`. */
export function positiveDuration(where: string, value: unknown): number {
  const rule = 'a finite number > 0';
  const n = number(where, rule, value);
  if (!Number.isFinite(n) || n <= 0) fail(RangeError, where, rule, value);
  return n;
}

/** A number `> 0`, where `Infinity` is allowed. */
export function positiveOrInfinite(where: string, value: unknown): number {
  const rule = 'a number > 0 (Infinity allowed)';
  const n = number(where, rule, value);
  if (n <= 0) fail(RangeError, where, rule, value);
  return n;
}

/** A number in `(0, 1]`. */
export function ratio(where: string, value: unknown): number {
  const rule = '0 < ratio <= 1';
  const n = number(where, rule, value);
  if (!(n > 0 && n <= 1)) fail(RangeError, where, rule, value);
  return n;
}

/** A number in `[0, 1]`. */
export function probability(where: string, value: unknown): number {
  const rule = '0 <= ratio <= 1';
  const n = number(where, rule, value);
  if (!(n >= 0 && n <= 1)) fail(RangeError, where, rule, value);
  return n;
}

/** A number in `[0, 1)`. */
export function jitter(where: string, value: unknown): number {
  const rule = '0 <= jitter < 1';
  const n = number(where, rule, value);
  if (!(n >= 0 && n < 1)) fail(RangeError, where, rule, value);
  return n;
}

/** A number `> min` (finite). */
export function greaterThan(where: string, min: number, value: unknown): number {
  const rule = `a finite number > ${min}`;
  const n = number(where, rule, value);
  if (!Number.isFinite(n) || n <= min) fail(RangeError, where, rule, value);
  return n;
}

/** A number `>= min` (finite), where `min` is named by `minName` in the message. */
export function atLeast(where: string, min: number, minName: string, value: unknown): number {
  const rule = `a finite number >= ${minName} (${min})`;
  const n = number(where, rule, value);
  if (!Number.isFinite(n) || n < min) fail(RangeError, where, rule, value);
  return n;
}

/** A function. */
export function func<F extends (...args: never[]) => unknown>(where: string, value: unknown): F {
  if (typeof value !== 'function') fail(TypeError, where, 'a function', value);
  return value as F;
}

/**
 * Something `instanceof` can test against: a class or a function with a prototype object (an
 * arrow function has none), or an object with `Symbol.hasInstance`.
 */
export function constructor<C>(where: string, value: unknown): C {
  const rule = 'a class (something instanceof can test against)';
  if (value !== null && typeof value === 'object') {
    if (typeof (value as { [Symbol.hasInstance]?: unknown })[Symbol.hasInstance] !== 'function')
      fail(TypeError, where, rule, value);
    return value as C;
  }
  if (typeof value !== 'function') fail(TypeError, where, rule, value);
  const prototype: unknown = (value as { prototype?: unknown }).prototype;
  if (prototype === null || typeof prototype !== 'object') fail(TypeError, where, rule, value);
  return value as C;
}

/** An object with the named methods. */
export function withMethods<T>(
  where: string,
  kind: string,
  methods: readonly string[],
  value: unknown,
): T {
  const rule = `${kind} (an object with ${methods.map((m) => `${m}()`).join(', ')})`;
  if (value === null || typeof value !== 'object') fail(TypeError, where, rule, value);
  for (const m of methods) {
    if (typeof (value as Record<string, unknown>)[m] !== 'function')
      fail(TypeError, where, rule, value);
  }
  return value as T;
}

/**
 * A plain options object, or `undefined` (read as `{}`). With `keys`, any other own key is a
 * `TypeError` that names it and the keys allowed, so a misspelt option (`multipler`) fails loudly
 * instead of being ignored.
 */
export function options<T extends object>(
  where: string,
  value: unknown,
  keys?: readonly string[],
): Partial<T> {
  if (value === undefined) return {};
  return requiredOptions<T>(where, value, keys);
}

/** A plain options object that must be given; `keys` as for {@link options}. */
export function requiredOptions<T extends object>(
  where: string,
  value: unknown,
  keys?: readonly string[],
): T {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    fail(TypeError, where, 'an options object', value);
  }
  if (keys !== undefined) {
    for (const key of Object.keys(value)) {
      if (!keys.includes(key)) {
        throw new TypeError(
          `${where}: unknown option ${JSON.stringify(key)} (expected ${listOf(keys)})`,
        );
      }
    }
  }
  return value as T;
}

/** `a`, `a or b`, `a, b or c`. */
function listOf(keys: readonly string[]): string {
  if (keys.length === 0) return 'no options';
  return keys.length === 1
    ? keys[0]!
    : `${keys.slice(0, -1).join(', ')} or ${keys[keys.length - 1]!}`;
}

/** A non-empty string. */
export function name(where: string, value: unknown): string {
  if (typeof value !== 'string' || value.length === 0)
    fail(TypeError, where, 'a non-empty string', value);
  return value;
}
