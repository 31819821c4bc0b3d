import { HttpErrorResponse } from '@angular/common/http';
import { CallNotPermittedError } from 'rxjs-fluxgate';

/**
 * The longest wait a `Retry-After` header can impose (5 minutes, the longest wait of the core's
 * default `retries.backoff`). @internal
 */
export const MAX_RETRY_AFTER = 300_000;

/** The statuses whose `Retry-After` the interceptor honors. */
const STATUSES: ReadonlySet<number> = new Set([429, 503]);

/** `delay-seconds` of RFC 9110: digits only. */
const DELTA_SECONDS = /^\d+$/;

const DAY = '(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)';
const MONTH = '(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)';
const TIME = '\\d{2}:\\d{2}:\\d{2}';

/** The preferred HTTP date form: `Sun, 06 Nov 1994 08:49:37 GMT`. */
const IMF_FIXDATE = new RegExp(`^${DAY}, \\d{2} ${MONTH} \\d{4} ${TIME} GMT$`);
/** The obsolete RFC 850 form: `Sunday, 06-Nov-94 08:49:37 GMT`. */
const RFC_850 = new RegExp(
  `^(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday), \\d{2}-${MONTH}-\\d{2} ${TIME} GMT$`,
);
/** The obsolete asctime form, in GMT though it does not say so: `Sun Nov  6 08:49:37 1994`. */
const ASCTIME = new RegExp(`^${DAY} ${MONTH} [ \\d]\\d ${TIME} \\d{4}$`);

/**
 * An HTTP date (any of the three forms of RFC 9110) in milliseconds since the epoch, or
 * `undefined` when `value` is not one.
 */
function httpDate(value: string | null): number | undefined {
  if (value === null) return undefined;
  const text = value.trim();
  let at: number;
  if (IMF_FIXDATE.test(text) || RFC_850.test(text)) at = Date.parse(text);
  else if (ASCTIME.test(text)) at = Date.parse(`${text} GMT`);
  else return undefined;
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
 * The server's wait when `error` is a 429 or 503 response with a `Retry-After` worth honoring,
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
