/**
 * rxjs-fluxgate: a composable circuit breaker for RxJS.
 *
 * @packageDocumentation
 */
export {
  CircuitBreaker,
  isCircuitBreaker,
  type CircuitBreakerInfo,
  type ExecuteContext,
} from './breaker/circuit-breaker';
export type { SavedState } from './breaker/saved-state';
export type { CircuitBreakerConfig, FaultContext, FaultSource } from './breaker/config';
export type {
  BreakerEvent,
  BreakerEventBase,
  CancelledEvent,
  FailureEvent,
  IgnoredEvent,
  RejectedEvent,
  SuccessEvent,
} from './breaker/events';
export {
  listeners,
  type Listener,
  type LogLevel,
  type LogListenerOptions,
  type Logger,
} from './components/listener';
export { permits, type Permit, type RampUpOptions } from './components/permit';
export { retries, type BackoffOptions, type JitterOptions, type Retry } from './components/retry';
export {
  trackers,
  type ComposableTracker,
  type ErrorConstructorLike,
  type Tracker,
} from './components/tracker';
export {
  trippers,
  type ComposableTripper,
  type TripContext,
  type Tripper,
} from './components/tripper';
export {
  windows,
  type Metrics,
  type TimeWindowOptions,
  type Window,
  type WindowStore,
  type WindowTotals,
} from './components/window';
export { CallNotPermittedError } from './errors';
export {
  circuitBreaker,
  type CircuitBreakerOperator,
  type CircuitBreakerOptions,
} from './operators/circuit-breaker';
export { BreakerRegistry, type BreakerRegistryOptions } from './registry/breaker-registry';
export { eachBreaker, isBreakerRegistry } from './registry/each-breaker';
export type { BreakerSnapshot } from './state/snapshot';
export { STATES, type State, type Transition, type TransitionOrigin } from './state/state';
export { memoryStore, type StateStore, type StoreClient, type StoreSession } from './state/store';
