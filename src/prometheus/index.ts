/**
 * rxjs-fluxgate/prometheus (in progress).
 *
 * @packageDocumentation
 */
export {};
