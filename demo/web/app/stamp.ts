import type { HttpInterceptorFn } from '@angular/common/http';
import { inject } from '@angular/core';
import { BreakerBoard } from './board';
import { breakerName } from './config';

/**
 * Adds `breakerState=<state>` to every request that goes out to a backend: the state the page
 * shows for the request's breaker at the moment the request is sent.
 *
 * It comes after the circuit breaker interceptor, so it runs only for requests the breaker let
 * through, and synchronously as the breaker admits them (a trial is stamped `half_open`). The
 * server counts requests by this stamp: one stamped `open` or `forced_open` would be a request
 * that reached a backend while its badge said the breaker was open.
 */
export const stampBreakerState: HttpInterceptorFn = (request, next) => {
  const board = inject(BreakerBoard);
  let name: string;
  try {
    name = breakerName(request.url);
  } catch {
    return next(request); // a relative URL: the page's own server
  }
  const state = board.states()[name];
  return next(
    state === undefined ? request : request.clone({ setParams: { breakerState: state } }),
  );
};
