import { randomBytes } from 'node:crypto';
import {
  STATES,
  type BreakerSnapshot,
  type State,
  type StoreClient,
  type StoreSession,
} from 'rxjs-fluxgate';
import { ACQUIRE, CREATE, READ, RENEW, WRITE } from './scripts';
import type { Reply, SharedStore } from './shared-store';

/** Reads of one breaker that may wait in a client's offline queue at once. */
const MAX_UNSETTLED_READS = 2;
/** How long a leased trial slot may sit unused before it goes back to the fleet (ms). */
const IDLE_SLOT_MS = 200;
/** How long to wait before asking again after Redis had no trial slot free (ms). */
const DENIED_BACKOFF_MS = 50;

/** A local transition waiting for its compare-and-set. */
interface Pending {
  readonly next: BreakerSnapshot;
  /** Announce it as local once Redis took it (not for a re-sync of what was announced already). */
  readonly announce: boolean;
  /** The state it left, for a retry on a re-created key; undefined for a re-sync. */
  readonly from: State | undefined;
}

/** A snapshot as Redis holds it (times in the server's clock), with the server's time of reading. */
export interface Shared {
  readonly epoch: string;
  readonly state: State;
  readonly changedAt: number;
  readonly reopens: number;
  readonly generation: number;
  readonly retryWait: number;
  /** The server's time when the snapshot was read or written. */
  readonly now: number;
  /** The breaker's time when the reply arrived. */
  readonly seenAt: number;
}

function randomId(): string {
  return randomBytes(8).toString('hex');
}

/** One breaker's connection to the shared state. */
export class Session implements StoreSession {
  readonly name: string;
  private readonly keys: readonly [string, string];
  private readonly lease: number;
  private readonly holder = randomId();
  private current: BreakerSnapshot;
  /** The shared version this process last agreed with; undefined until the first read. */
  private base: { readonly epoch: string; readonly generation: number } | undefined;
  /** Local transitions were made while Redis did not answer; they go to Redis at the next sync. */
  private dirty = false;
  /** Local transitions waiting for their compare-and-set, in order; `announce` unless a re-sync. */
  private queue: Pending[] = [];
  private writing = false;
  /** A pushed snapshot that arrived while a write was in flight. */
  private later: Shared | undefined;
  private reading = 0;
  private unsettledReads = 0;
  private down = false;
  private closed = false;
  private waiters: (() => void)[] = [];
  // Trial slots of `slotGeneration`: leased and free, in use, and slots counted locally while
  // Redis is away (the empty string).
  private slotGeneration = -1;
  private free: string[] = [];
  private held: string[] = [];
  private sequence = 0;
  private asking = false;
  private deniedUntil = 0;
  private idleTimer: ReturnType<typeof setTimeout> | undefined;
  private renewTimer: ReturnType<typeof setInterval> | undefined;

  constructor(
    private readonly store: SharedStore,
    private readonly client: StoreClient,
  ) {
    this.name = client.name;
    const tag = `{${store.prefix}:${client.name}}`;
    this.keys = [`${tag}:state`, `${tag}:trials`];
    this.current = client.initial;
    this.lease = Math.min(store.settings.leaseMs, client.maxHalfOpenDuration);
  }

  read(): BreakerSnapshot {
    return this.current;
  }

  write(next: BreakerSnapshot): void {
    const from = this.current.state;
    this.current = next;
    this.dropSlots();
    if (this.closed || this.down || this.base === undefined) {
      this.dirty = !this.closed;
      this.announce(next, 'local');
      return;
    }
    this.queue.push({ next, announce: true, from });
    this.flush();
  }

  acquireTrial(generation: number): boolean {
    if (this.slotGeneration !== generation) this.dropSlots(generation);
    if (this.down || this.base === undefined || this.closed) {
      // Redis is away: this breaker decides alone, as in memory.
      if (this.held.length + this.free.length >= this.client.maxHalfOpenCalls) return false;
      this.held.push('');
      return true;
    }
    const slot = this.free.pop();
    if (slot === undefined) {
      this.ask();
      return false;
    }
    // At most one slot is ever kept free, so none is left idle now.
    this.held.push(slot);
    this.stopIdle();
    return true;
  }

  releaseTrial(): void {
    // The breaker releases only slots of the current generation, and dropSlots() empties `held`
    // whenever the generation changes: whatever is held belongs to this one.
    const slot = this.held.pop();
    if (slot === undefined || slot === '') return;
    if (this.free.length === 0 && !this.down) {
      // Kept for this process's next trial for a moment, then given back (see startIdle).
      this.free.push(slot);
      this.startIdle();
    } else {
      this.release([slot]);
    }
    this.renewIfHeld();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.queue = [];
    this.release([...this.free, ...this.held].filter((s) => s !== ''));
    this.dropSlots();
    this.store.detach(this);
    this.wake();
  }

  // -----------------------------------------------------------------------------------------
  // Reading and following.

  /** Re-reads the shared state; resolves when this session has nothing in flight. */
  sync(): Promise<void> {
    if (!this.closed && !this.writing && this.queue.length === 0) {
      // A timed-out read may still sit in the client's offline queue; it counts until it
      // settles, so an outage adds at most MAX_UNSETTLED_READS reads per breaker to that queue.
      if (this.unsettledReads < MAX_UNSETTLED_READS) this.fetch();
    }
    return this.idle();
  }

  private fetch(): void {
    this.reading++;
    this.unsettledReads++;
    this.store
      .run(
        READ,
        'reading the shared state',
        this.keys,
        [String(this.store.settings.ttlMs)],
        () => this.unsettledReads--,
      )
      .then(
        (reply) => {
          this.reading--;
          this.up();
          this.resync(reply);
        },
        (error: unknown) => {
          this.reading--;
          this.outage(error);
        },
      )
      .finally(() => this.wake());
  }

  /** What a read found, applied unless a write has taken over meanwhile. */
  private resync(reply: Reply): void {
    if (this.closed || this.writing || this.queue.length > 0) return;
    if (reply.status === 'missing') {
      this.create();
      return;
    }
    const shared = this.parse(reply.now, reply.rest);
    if (shared === undefined) return;
    const base = this.base;
    if (base !== undefined && shared.epoch === base.epoch) {
      if (shared.generation < base.generation) return;
      if (shared.generation === base.generation) {
        if (this.dirty) {
          // Nobody moved while Redis was away: this process's local transitions become shared.
          this.dirty = false;
          this.queue.push({ next: this.current, announce: false, from: undefined });
          this.flush();
        }
        return;
      }
    }
    this.adopt(shared);
  }

  /** A snapshot another process published. */
  pushed(shared: Shared): void {
    if (this.down || this.base === undefined || this.dirty) {
      // Redis answers again: catch up by a read, which also pushes what was decided alone.
      this.sync();
      return;
    }
    if (this.writing || this.queue.length > 0) {
      // Messages arrive in order on one connection: the last is the newest.
      this.later = shared;
      return;
    }
    this.follow(shared);
  }

  private follow(shared: Shared): void {
    const base = this.base;
    if (base !== undefined && shared.epoch === base.epoch && shared.generation <= base.generation) {
      return;
    }
    this.adopt(shared);
  }

  /** Makes a shared snapshot current here, announced as remote unless it is what we hold. */
  private adopt(shared: Shared): void {
    this.base = { epoch: shared.epoch, generation: shared.generation };
    this.dirty = false;
    // A local transition still waiting for Redis was never announced: whatever wins is.
    const unannounced = this.queue.some((item) => item.announce);
    this.queue = [];
    const c = this.current;
    if (
      !unannounced &&
      c.generation === shared.generation &&
      c.state === shared.state &&
      c.reopens === shared.reopens &&
      c.retryWait === shared.retryWait
    ) {
      return;
    }
    this.current = {
      state: shared.state,
      // The age of the shared state by the server's clock, taken from the breaker's now: no
      // clock of this process is compared with the server's.
      changedAt: shared.seenAt - Math.max(0, shared.now - shared.changedAt),
      reopens: shared.reopens,
      generation: shared.generation,
      retryWait: shared.retryWait,
    };
    this.dropSlots();
    this.announce(this.current, 'remote');
  }

  /** The arguments WRITE and CREATE take after their own: the snapshot, its expiry, where to publish. */
  private snapshotArgs(next: BreakerSnapshot): string[] {
    return [
      next.state,
      String(this.age(next)),
      String(next.reopens),
      String(next.generation),
      waitOf(next.retryWait),
      String(this.store.settings.ttlMs),
      this.store.channel,
      this.name,
      String(this.store.deadline()),
    ];
  }

  /** Parses the six snapshot fields of a reply or a message; reports and drops a corrupt one. */
  parse(now: number, v: readonly string[]): Shared | undefined {
    const [epoch, state, changedAt, reopens, generation, wait] = v;
    const shared: Shared = {
      epoch: String(epoch),
      state: state as State,
      changedAt: Number(changedAt),
      reopens: Number(reopens),
      generation: Number(generation),
      retryWait: wait === 'inf' ? Infinity : Number(wait),
      now,
      seenAt: this.client.now(),
    };
    if (
      !STATES.includes(shared.state) ||
      !Number.isFinite(shared.changedAt) ||
      !Number.isFinite(shared.now) ||
      !Number.isInteger(shared.reopens) ||
      shared.reopens < 0 ||
      !Number.isInteger(shared.generation) ||
      shared.generation < 0 ||
      !(shared.retryWait >= 0)
    ) {
      this.report(
        new TypeError(`rxjs-fluxgate/redis: ignored a malformed shared state: ${v.join(' ')}`),
      );
      return undefined;
    }
    return shared;
  }

  // -----------------------------------------------------------------------------------------
  // Writing.

  private flush(): void {
    if (this.writing) return;
    const item = this.queue[0];
    const base = this.base;
    if (item === undefined || base === undefined) return;
    const { next } = item;
    this.writing = true;
    this.store
      .run(WRITE, 'writing a transition', this.keys, [
        base.epoch,
        String(base.generation),
        ...this.snapshotArgs(next),
      ])
      .then(
        (reply) => {
          this.writing = false;
          this.up();
          this.written(reply, base.epoch);
        },
        (error: unknown) => {
          this.writing = false;
          this.outage(error);
          this.standAlone();
        },
      )
      .finally(() => {
        this.flush();
        this.settle();
      });
  }

  private written(reply: Reply, epoch: string): void {
    const item = this.queue[0];
    if (item === undefined) return;
    switch (reply.status) {
      case 'ok':
        this.queue.shift();
        this.base = { epoch, generation: item.next.generation };
        if (item.announce) this.announce(item.next, 'local');
        if (item.next === this.current && item.next.state === 'half_open') this.ask();
        return;
      case 'lost':
      case 'early': {
        // Another process moved first, or the shared wait is not over by the server's clock.
        const shared = this.parse(reply.now, reply.rest);
        if (shared === undefined) this.standAlone();
        else if (reply.status === 'lost' && this.rebase(item, shared, epoch)) this.flush();
        else this.adopt(shared);
        return;
      }
      default:
        // 'missing': the key is gone (expired, or a server restarted empty); 'late': the command
        // waited too long in a queue. Decide alone for now and let a read sort it out.
        this.standAlone();
        this.sync();
    }
  }

  /**
   * A transition refused only because the key was re-created meanwhile (a new epoch: Redis lost
   * it and a process put its own state back) still holds if the re-created state is the one it
   * left: it is retried on the new version instead of being dropped.
   */
  private rebase(item: Pending, shared: Shared, epoch: string): boolean {
    if (shared.epoch === epoch || item.from !== shared.state || this.queue.length !== 1) {
      return false;
    }
    // One generation past the re-created one, as any transition (the queue holds only this
    // item, so it is the current snapshot).
    this.base = { epoch: shared.epoch, generation: shared.generation };
    const next = { ...item.next, generation: shared.generation + 1 };
    this.current = next;
    this.queue[0] = { ...item, next };
    return true;
  }

  /** Redis did not take the queued transitions: they stand locally, as in memory. */
  private standAlone(): void {
    const queued = this.queue;
    this.queue = [];
    this.dirty = true;
    for (const item of queued) if (item.announce) this.announce(item.next, 'local');
  }

  /** After a write: apply what was pushed meanwhile, and wake whoever waits for quiet. */
  private settle(): void {
    if (this.writing || this.queue.length > 0) return;
    const later = this.later;
    this.later = undefined;
    if (later && !this.down && !this.dirty) this.follow(later);
    this.wake();
  }

  /** Puts this breaker's state in Redis under a new epoch, when Redis has none for its name. */
  private create(): void {
    const next = this.current;
    const epoch = randomId();
    this.writing = true;
    this.store
      .run(CREATE, 'creating the shared state', this.keys, [epoch, ...this.snapshotArgs(next)])
      .then(
        (reply) => {
          this.writing = false;
          this.up();
          if (reply.status === 'ok') {
            // A transition made meanwhile goes to Redis with the next periodic read.
            this.base = { epoch, generation: next.generation };
            this.dirty = next !== this.current;
          } else if (reply.status === 'exists') {
            const shared = this.parse(reply.now, reply.rest);
            if (shared) this.adopt(shared);
          }
        },
        (error: unknown) => {
          this.writing = false;
          this.outage(error);
        },
      )
      .finally(() => {
        this.flush();
        this.settle();
      });
  }

  private age(s: BreakerSnapshot): number {
    return Math.max(0, Math.floor(this.client.now() - s.changedAt));
  }

  // -----------------------------------------------------------------------------------------
  // Trial slots.

  /** Asks Redis for one more trial slot of the current half-open generation. */
  private ask(): void {
    const s = this.current;
    if (this.asking || this.closed || this.down || s.state !== 'half_open') return;
    if (this.base?.generation !== s.generation || Date.now() < this.deniedUntil) return;
    this.asking = true;
    const first = this.sequence++;
    const epoch = this.base.epoch;
    let gaveUp = false;
    // A lease granted after this process gave up waiting would hold a slot nobody uses until
    // it ran out: give it back as soon as the late answer arrives.
    const late = (): void => {
      if (!gaveUp) return;
      const member = `${this.holder}:${first}`;
      this.store.command('releasing a late trial slot', ['ZREM', this.keys[1], member]).catch(noop);
    };
    this.store
      .run(
        ACQUIRE,
        'leasing a trial slot',
        this.keys,
        [
          epoch,
          String(s.generation),
          this.holder,
          String(first),
          '1',
          String(this.lease),
          String(this.client.maxHalfOpenCalls),
          String(this.store.deadline()),
          String(this.store.settings.ttlMs),
        ],
        late,
      )
      .then(
        (reply) => {
          this.asking = false;
          const granted = reply.status === 'ok' ? reply.rest : [];
          if (s !== this.current || this.closed) {
            this.release(granted);
            return;
          }
          if (granted.length === 0) {
            this.deniedUntil = Date.now() + DENIED_BACKOFF_MS;
            return;
          }
          this.slotGeneration = s.generation;
          this.free.push(...granted);
          this.startIdle();
          this.renewIfHeld();
        },
        (error: unknown) => {
          this.asking = false;
          gaveUp = true;
          this.outage(error);
        },
      );
  }

  private release(slots: readonly string[]): void {
    if (slots.length === 0 || this.down) return;
    this.store.command('releasing trial slots', ['ZREM', this.keys[1], ...slots]).catch(() => {
      // A slot not given back ends with its lease.
    });
  }

  /** Forgets every slot (a new generation: the transition cleared the leases in Redis). */
  private dropSlots(generation = -1): void {
    this.slotGeneration = generation;
    this.free = [];
    this.held = [];
    this.deniedUntil = 0;
    this.stopIdle();
    this.renewIfHeld();
  }

  private startIdle(): void {
    this.stopIdle();
    this.idleTimer = setTimeout(() => {
      this.idleTimer = undefined;
      const free = this.free;
      this.free = [];
      this.release(free);
      this.renewIfHeld();
    }, IDLE_SLOT_MS);
    this.idleTimer.unref?.();
  }

  private stopIdle(): void {
    if (this.idleTimer !== undefined) clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
  }

  /** Keeps a renewal timer running exactly while this process holds leased slots. */
  private renewIfHeld(): void {
    const holds = [...this.held, ...this.free].some((s) => s !== '');
    if (!holds || this.closed) {
      if (this.renewTimer !== undefined) clearInterval(this.renewTimer);
      this.renewTimer = undefined;
      return;
    }
    if (this.renewTimer !== undefined) return;
    this.renewTimer = setInterval(() => this.renew(), Math.max(1, this.lease / 3));
    this.renewTimer.unref?.();
  }

  private renew(): void {
    const slots = [...this.held, ...this.free].filter((s) => s !== '');
    const base = this.base;
    if (slots.length === 0 || base === undefined || this.down) return;
    this.store
      .run(RENEW, 'renewing trial slots', this.keys, [
        base.epoch,
        String(this.slotGeneration),
        String(this.lease),
        ...slots,
      ])
      .catch(() => {
        // The next renewal tries again; a lease that runs out returns the slot to the fleet.
      });
  }

  // -----------------------------------------------------------------------------------------
  // Health.

  private outage(error: unknown): void {
    if (this.closed || this.down) return;
    this.down = true;
    this.report(error);
  }

  private up(): void {
    this.down = false;
  }

  private announce(snapshot: BreakerSnapshot, origin: 'local' | 'remote'): void {
    try {
      this.client.changed(snapshot, origin);
    } catch (error) {
      this.report(error);
    }
  }

  private report(error: unknown): void {
    try {
      this.client.report(error);
    } catch {
      // The breaker's own reporting does not throw; nothing more to do here.
    }
  }

  private idle(): Promise<void> {
    if (this.closed || (!this.writing && this.queue.length === 0 && this.reading === 0)) {
      return Promise.resolve();
    }
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  private wake(): void {
    if (!this.closed && (this.writing || this.queue.length > 0 || this.reading > 0)) return;
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }
}

function noop(): void {}

function waitOf(wait: number): string {
  return wait === Infinity ? 'inf' : String(wait);
}
