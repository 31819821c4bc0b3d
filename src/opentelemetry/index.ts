/**
 * rxjs-fluxgate/opentelemetry (in progress).
 *
 * @packageDocumentation
 */
export {};
