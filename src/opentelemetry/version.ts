/**
 * The package's version, reported as the version of the default meter. It must equal `version` in
 * package.json; spec/opentelemetry checks that it does.
 *
 * @internal
 */
export const VERSION = '0.1.0';
