/**
 * rxjs-fluxgate/redis: breaker state shared between processes through Redis (SPEC section 7).
 *
 * @packageDocumentation
 */
export { redisStore, type RedisStateStore, type RedisStoreOptions } from './store';
export type {
  IoRedisClient,
  IoRedisSubscriber,
  NodeRedisClient,
  NodeRedisSubscriber,
  RedisClient,
} from './connection';
