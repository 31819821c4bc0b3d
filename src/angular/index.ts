/**
 * rxjs-fluxgate/angular (in progress).
 *
 * @packageDocumentation
 */
export {};
