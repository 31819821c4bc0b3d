import { HttpErrorResponse } from '@angular/common/http';
import { CallNotPermittedError } from 'rxjs-fluxgate';

/**
 * The longest wait a `Retry-After` header can impose (5 minutes, the longest wait of the core's
 * default `retries.backoff`). @internal
 */
export const MAX_RETRY_AFTER = 300_000;

/** The statuses whose `Retry-After` the interceptor honours. */
const STATUSES: ReadonlySet<number> = new Set([429, 503]);

/** `delay-seconds` of RFC 9110: digits only. */
const DELTA_SECONDS = /^\d+$/;

/** The three HTTP date forms of RFC 9110 all start with a day name (`Sun,`, `Sunday,`, `Sun `). */
const HTTP_DATE = /^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)[a-z]*,? /;

/** An HTTP date in milliseconds since the epoch, or `undefined` when `value` is not one. */
function httpDate(value: string | null): number | undefined {
  if (value === null) return undefined;
  const text = value.trim();
  if (!HTTP_DATE.test(text)) return undefined;
  const at = Date.parse(text);
  return Number.isFinite(at) ? at : undefined;
}

/**
 * How long (ms) the server of `response` asks clients to wait, from its `Retry-After` header, or
 * `undefined` when the header is absent, zero, in the past or not valid. Delta-seconds count from
 * now; an HTTP date counts from the response's `Date` header when valid, else from `wallClock()`.
 * Capped at {@link MAX_RETRY_AFTER}. @internal
 */
export function retryAfterOf(
  response: HttpErrorResponse,
  wallClock: () => number = Date.now,
): number | undefined {
  const header = response.headers.get('Retry-After');
  if (header === null) return undefined;
  const text = header.trim();
  let ms: number;
  if (DELTA_SECONDS.test(text)) {
    ms = Number(text) * 1000;
  } else {
    const at = httpDate(text);
    if (at === undefined) return undefined;
    ms = at - (httpDate(response.headers.get('Date')) ?? wallClock());
  }
  if (!(ms > 0)) return undefined;
  return Math.min(Math.ceil(ms), MAX_RETRY_AFTER);
}

/**
 * The server's wait when `error` is a 429 or 503 response with a `Retry-After` worth honouring,
 * and not a refusal this package made (whose `error` is a `CallNotPermittedError`). @internal
 */
export function serverWait(error: unknown): number | undefined {
  if (!(error instanceof HttpErrorResponse) || !STATUSES.has(error.status)) return undefined;
  const body: unknown = error.error;
  if (
    body instanceof CallNotPermittedError ||
    (body instanceof Error && body.name === 'CallNotPermittedError')
  ) {
    return undefined;
  }
  return retryAfterOf(error);
}
