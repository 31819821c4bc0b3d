import { HttpClient } from '@angular/common/http';
import { Injectable, inject } from '@angular/core';
import {
  EMPTY,
  catchError,
  interval,
  merge,
  mergeMap,
  switchMap,
  take,
  timer,
  type Observable,
  type Subscription,
} from 'rxjs';
import { BreakerBoard } from './board';
import type { BackendInfo } from './config';

/** How often each stream sends. */
const ORDERS_EVERY_MS = 100;
const CATALOG_EVERY_MS = 200;
/** A search: three keystrokes `KEYSTROKE_MS` apart, every `SEARCH_EVERY_MS`. */
const SEARCH_EVERY_MS = 500;
const KEYSTROKE_MS = 8;

/**
 * The page's own traffic, on timers: orders polled every 100 ms, the catalog every 200 ms, and
 * a type-ahead search on the catalog through `switchMap`, whose keystrokes come faster than the
 * answers, so each new one cancels the request before it (a cancelled call, not a failure).
 */
@Injectable({ providedIn: 'root' })
export class Traffic {
  private readonly http = inject(HttpClient);
  private readonly board = inject(BreakerBoard);

  start(orders: BackendInfo, catalog: BackendInfo): Subscription {
    const keystrokes$ = interval(SEARCH_EVERY_MS).pipe(
      mergeMap(() => timer(0, KEYSTROKE_MS).pipe(take(3))),
    );
    return merge(
      interval(ORDERS_EVERY_MS).pipe(mergeMap(() => this.get(`${orders.url}orders`))),
      interval(CATALOG_EVERY_MS).pipe(mergeMap(() => this.get(`${catalog.url}catalog`))),
      keystrokes$.pipe(
        switchMap((i) => this.get(`${catalog.url}search?q=${'abc'.slice(0, i + 1)}`)),
      ),
    ).subscribe();
  }

  /** One request; its error is noted (a refusal's `Retry-After`) and then dropped. */
  private get(url: string): Observable<string> {
    return this.http.get(url, { responseType: 'text' }).pipe(
      catchError((error: unknown) => {
        this.board.noteError(error);
        return EMPTY;
      }),
    );
  }
}
