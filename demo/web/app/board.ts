import { HttpErrorResponse } from '@angular/common/http';
import { DestroyRef, Injectable, inject, signal } from '@angular/core';
import { BreakerRegistry, CallNotPermittedError, type State } from 'rxjs-fluxgate';

/** The last request a breaker refused. */
export interface Refusal {
  /** The state that refused it. */
  readonly state: State;
  /** The response's `Retry-After` in seconds, or `null` when it had none (forced open). */
  readonly retryAfter: number | null;
  /** `Date.now()` when the refusal arrived. */
  readonly at: number;
}

/**
 * What the page shows of the breakers: their states as the registry's `states$` reports them,
 * and each one's last refusal. Everything on the page that shows a state reads it here.
 */
@Injectable({ providedIn: 'root' })
export class BreakerBoard {
  readonly registry = inject(BreakerRegistry);
  readonly states = signal<Readonly<Record<string, State>>>({});
  /** The last refusal of each breaker that has refused a request, by breaker name. */
  readonly refusals = signal<Readonly<Record<string, Refusal>>>({});

  constructor() {
    const subscription = this.registry.states$.subscribe((states) => this.states.set(states));
    inject(DestroyRef).onDestroy(() => subscription.unsubscribe());
  }

  /** Notes a request's error: a refusal is the interceptor's 503 around a CallNotPermittedError. */
  noteError(error: unknown): void {
    if (!(error instanceof HttpErrorResponse) || !(error.error instanceof CallNotPermittedError)) {
      return;
    }
    const header = error.headers.get('Retry-After');
    const refusal: Refusal = {
      state: error.error.state,
      retryAfter: header === null ? null : Number(header),
      at: Date.now(),
    };
    this.refusals.update((all) => ({ ...all, [error.error.breakerName]: refusal }));
  }
}
