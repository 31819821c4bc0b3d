// What a worker process loads: the core and the Redis entry point, bundled into one file so
// both share one copy of the core, as they do in the published package.
export * from '../../../src/index';
export { redisStore } from '../../../src/redis';
