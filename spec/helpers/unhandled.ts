import { config } from 'rxjs';

/**
 * What RxJS reports as unhandled (an error thrown into it, which it would otherwise rethrow on a
 * timer) during each test of the enclosing `describe`: call it at the top of the `describe`.
 */
export function unhandledErrors(): unknown[] {
  const errors: unknown[] = [];
  let previous: typeof config.onUnhandledError;
  beforeEach(() => {
    errors.length = 0;
    previous = config.onUnhandledError;
    config.onUnhandledError = (error) => errors.push(error);
  });
  afterEach(() => {
    config.onUnhandledError = previous;
  });
  return errors;
}
