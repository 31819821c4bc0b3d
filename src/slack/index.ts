/**
 * rxjs-fluxgate/slack (in progress).
 *
 * @packageDocumentation
 */
export {};
