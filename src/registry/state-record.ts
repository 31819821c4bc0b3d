import type { State } from '../state/state';

/**
 * One version of the record. The newest version reads the live map; every older one holds the one
 * change that separates it from the next version (the name that changed and the state it had
 * before), so reading an old version walks forward to the newest.
 *
 * Versions point forward only: the log holds the newest, a record holds its own version, and a
 * version nobody's record can reach any more is garbage. Keeping a record keeps the changes made
 * since it, never a copy of the whole record.
 */
interface Version {
  /** The name that changed after this version; `undefined` while this is the newest version. */
  changed: string | undefined;
  /** That name's state in this version (`undefined`: not in the record). */
  before: State | undefined;
  /** The version that followed; `undefined` while this is the newest. */
  next: Version | undefined;
  /** The record handed out for this version, made on first request. */
  record: Readonly<Record<string, State>> | undefined;
  /** A copy of this version's entries, made the first time an old version is enumerated. */
  copy: Map<string, State> | undefined;
}

/** Walks longer than this make a copy of the version, so that later reads of it are O(1). */
const LONGEST_WALK = 64;

function newVersion(): Version {
  return {
    changed: undefined,
    before: undefined,
    next: undefined,
    record: undefined,
    copy: undefined,
  };
}

/**
 * The states of a registry's breakers as a log of versions, from which read-only records of any
 * version are handed out.
 *
 * - {@link StateLog.set} is O(1): a map write and, once any record exists, one small version
 *   object. It never copies the record.
 * - {@link StateLog.record} is O(1): a `Proxy` over the newest version, made once per version, so
 *   two requests with no change between them get the same object and consecutive versions get
 *   distinct ones.
 * - Reading a name in the newest record is a map lookup. Reading a name in an older record walks
 *   the changes made since it (the first time it is enumerated, or after a long walk, it is copied
 *   once, so later reads are lookups again). Enumerating a record is O(its size), as for any
 *   object.
 *
 * The records are ordinary-looking objects (prototype `Object.prototype`, own enumerable
 * properties, so `Object.keys`, spreading, `JSON.stringify` and `toEqual` work) that refuse every
 * write (a `TypeError` in strict mode). `Object.freeze` works and turns one into a plain frozen
 * object of its version.
 *
 * @internal
 */
export class StateLog {
  private readonly live = new Map<string, State>();
  private head: Version = newVersion();
  /** Whether a record was ever handed out; until then there is no older version to keep. */
  private recorded = false;
  private readonly versions = new WeakMap<object, Version>();
  private readonly handler: ProxyHandler<object>;

  constructor() {
    const versions = this.versions;
    const versionOf = (target: object): Version => versions.get(target)!;
    const read = (target: object, key: string) => this.read(versionOf(target), key);
    const entries = (target: object) => this.entries(versionOf(target));
    this.handler = {
      get(target, key, receiver) {
        if (typeof key === 'string' && Reflect.isExtensible(target)) {
          const state = read(target, key);
          if (state !== undefined) return state;
        }
        return Reflect.get(target, key, receiver);
      },
      has(target, key) {
        if (typeof key === 'string' && Reflect.isExtensible(target)) {
          if (read(target, key) !== undefined) return true;
        }
        return Reflect.has(target, key);
      },
      ownKeys(target) {
        if (!Reflect.isExtensible(target)) return Reflect.ownKeys(target);
        return [...entries(target).keys()];
      },
      getOwnPropertyDescriptor(target, key) {
        if (typeof key !== 'string' || !Reflect.isExtensible(target)) {
          return Reflect.getOwnPropertyDescriptor(target, key);
        }
        const value = read(target, key);
        if (value === undefined) return undefined;
        return { value, writable: false, enumerable: true, configurable: true };
      },
      // Object.freeze: make the record a plain frozen object of its version, then let it freeze.
      preventExtensions(target) {
        if (Reflect.isExtensible(target)) {
          for (const [name, value] of entries(target)) {
            Reflect.defineProperty(target, name, {
              value,
              writable: false,
              enumerable: true,
              configurable: false,
            });
          }
        }
        return Reflect.preventExtensions(target);
      },
      defineProperty(target, key, descriptor) {
        // Only Object.freeze, on a record already made plain; anything else is a write.
        return !Reflect.isExtensible(target) && Reflect.defineProperty(target, key, descriptor);
      },
      set: () => false,
      deleteProperty: () => false,
      setPrototypeOf: () => false,
    };
  }

  /**
   * Sets `name`'s state (`undefined` removes it). O(1): records already handed out keep
   * describing their own version.
   */
  set(name: string, state: State | undefined): void {
    const before = this.live.get(name);
    if (before === state) return;
    if (this.recorded) {
      const next = newVersion();
      const head = this.head;
      head.changed = name;
      head.before = before;
      head.next = next;
      this.head = next;
    }
    if (state === undefined) this.live.delete(name);
    else this.live.set(name, state);
  }

  /** The record of the current version: the same object until the next change. */
  record(): Readonly<Record<string, State>> {
    const head = this.head;
    if (head.record === undefined) {
      const target = {};
      this.versions.set(target, head);
      head.record = new Proxy(target, this.handler) as Readonly<Record<string, State>>;
      this.recorded = true;
    }
    return head.record;
  }

  /** `name`'s state in `version`. */
  private read(version: Version, name: string): State | undefined {
    if (version.copy !== undefined) return version.copy.get(name);
    let steps = 0;
    for (let v = version; v.next !== undefined; v = v.next) {
      if (v.changed === name) return v.before;
      if (++steps > LONGEST_WALK) return this.entries(version).get(name);
    }
    return this.live.get(name);
  }

  /** Every entry of `version`, in the live map's order (names removed since it come last). */
  private entries(version: Version): ReadonlyMap<string, State> {
    if (version.next === undefined) return this.live;
    if (version.copy !== undefined) return version.copy;
    const first = new Map<string, State | undefined>();
    for (let v = version; v.next !== undefined; v = v.next) {
      if (!first.has(v.changed!)) first.set(v.changed!, v.before);
    }
    const copy = new Map<string, State>();
    for (const [name, state] of this.live) {
      const then = first.has(name) ? first.get(name) : state;
      if (then !== undefined) copy.set(name, then);
    }
    for (const [name, state] of first) {
      if (state !== undefined && !copy.has(name)) copy.set(name, state);
    }
    version.copy = copy;
    return copy;
  }
}
