/**
 * Keeping the webhook URL and the bot token out of every error the integration produces.
 *
 * A client's own errors are never passed on: a `WebClient` request error keeps the HTTP library's
 * error as its cause, and that holds the request's headers, `Authorization: Bearer <token>`
 * included. Only their message goes on, with the secrets blanked out.
 *
 * @internal
 */

/** What a secret is replaced with. */
export const REDACTED = '[redacted]';

/** The message of anything thrown; never throws (a getter, a `toString` or a proxy may). */
export function textOf(error: unknown): string {
  try {
    if (error instanceof Error) return String(error.message);
    if (typeof error === 'string') return error;
    return `a thrown ${error === null ? 'null' : typeof error}: ${String(error)}`;
  } catch {
    return 'a thrown value that cannot be shown';
  }
}

/** Blanks out every secret in a text. */
export type Redact = (text: string) => string;

/**
 * A {@link Redact} for the given secrets (empty and short strings are ignored: blanking `/` or
 * `https:` out of every message would hide more than it protects).
 */
export function redactor(secrets: readonly string[]): Redact {
  const list = [...new Set(secrets.filter((s) => s.length >= 6))].sort(
    (a, b) => b.length - a.length,
  );
  return (text) => {
    let out = text;
    for (const secret of list) out = out.split(secret).join(REDACTED);
    return out;
  };
}

/**
 * The secrets of a webhook URL: the URL itself and its parts after the host (path, query, the
 * path's segments past `/services/`, user info), decoded and not.
 */
export function webhookSecrets(url: URL): string[] {
  const path = url.pathname + url.search;
  const segments = url.pathname.split('/').filter((s) => s.length >= 6 && s !== 'services');
  const found = [url.href, path, url.pathname, url.search, url.username, url.password, ...segments];
  const decoded = found.map((s) => {
    try {
      return decodeURIComponent(s);
    } catch {
      return s;
    }
  });
  return [...found, ...decoded].filter((s) => s.length > 1);
}

/** The token of a client that keeps one (as `WebClient` does, in `token`), if any. */
export function clientSecrets(client: object): string[] {
  try {
    const token = (client as { token?: unknown }).token;
    return typeof token === 'string' ? [token] : [];
  } catch {
    return [];
  }
}

/**
 * An error that says what `error` said, secrets blanked out, and carries nothing else of it but
 * its `name` and a string `code` (`WebClient`'s `slack_webapi_platform_error`, ...).
 */
export function safeError(error: unknown, redact: Redact): Error {
  const safe = new Error(redact(textOf(error)));
  try {
    if (error instanceof Error) {
      safe.name = redact(String(error.name));
      const code = (error as { code?: unknown }).code;
      if (typeof code === 'string') Object.assign(safe, { code: redact(code) });
    }
  } catch {
    // A getter that throws: the message is enough.
  }
  return safe;
}
