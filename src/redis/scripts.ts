import { createHash } from 'node:crypto';

/**
 * The Lua scripts of the Redis store. Each runs atomically on the server and reads the server's
 * clock (`TIME`), so every decision about shared time is made against one clock.
 *
 * Every breaker has two keys with the hash tag `{prefix:name}`: `KEYS[1]`, a hash holding the
 * shared snapshot (`e` epoch, `s` state, `c` changedAt in server ms, `r` reopens, `g` generation,
 * `w` retry wait or `inf`), and `KEYS[2]`, a sorted set of trial-slot leases (member: holder id,
 * score: expiry in server ms). Names and values only ever arrive as KEYS and ARGV.
 *
 * Replies are arrays of strings: a status, the server's time, then the snapshot when it has one.
 *
 * @internal
 */

/** A script: its body and the SHA1 that `EVALSHA` runs it by. @internal */
export interface Script {
  readonly body: string;
  readonly sha: string;
}

function script(body: string): Script {
  const full = PRELUDE + body;
  return { body: full, sha: createHash('sha1').update(full).digest('hex') };
}

const PRELUDE = `
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local function fields(key)
  return redis.call('HMGET', key, 'e', 's', 'c', 'r', 'g', 'w')
end
local function reply(status, now, v)
  return { status, tostring(now), v[1], v[2], v[3], v[4], v[5], v[6] }
end
local function late(now, deadline)
  local d = tonumber(deadline)
  return d > 0 and now > d
end
`;

/**
 * Reads the snapshot and refreshes the keys' expiry once less than half of `ttl` is left.
 * ARGV: ttl. Replies `ok` + snapshot, or `missing`.
 */
export const READ = script(`
local now = now_ms()
local v = fields(KEYS[1])
if not v[1] then return { 'missing', tostring(now) } end
local ttl = tonumber(ARGV[1])
if redis.call('PTTL', KEYS[1]) < ttl / 2 then
  redis.call('PEXPIRE', KEYS[1], ttl)
  redis.call('PEXPIRE', KEYS[2], ttl)
end
return reply('ok', now, v)
`);

/**
 * Compare-and-set on (epoch, generation): writes the snapshot only if the shared one is still the
 * version the writer started from, refuses a move from `open` to `half_open` before the shared
 * wait is over by the server's clock, clears the trial leases, refreshes the expiry and publishes
 * the new snapshot, all in one step.
 * ARGV: epoch, expected generation, state, age (ms since the transition), reopens, generation,
 * retry wait, ttl, channel, name, deadline (server ms, 0 for none).
 * Replies `ok` (the new snapshot), `lost` or `early` (the shared snapshot), `missing` or `late`.
 */
export const WRITE = script(`
local now = now_ms()
if late(now, ARGV[11]) then return { 'late', tostring(now) } end
local v = fields(KEYS[1])
if not v[1] then return { 'missing', tostring(now) } end
if v[1] ~= ARGV[1] or v[5] ~= ARGV[2] then return reply('lost', now, v) end
if ARGV[3] == 'half_open' and v[2] == 'open' then
  if v[6] == 'inf' or now < tonumber(v[3]) + tonumber(v[6]) then return reply('early', now, v) end
end
local changed = tostring(now - tonumber(ARGV[4]))
redis.call('HSET', KEYS[1], 's', ARGV[3], 'c', changed, 'r', ARGV[5], 'g', ARGV[6], 'w', ARGV[7])
redis.call('DEL', KEYS[2])
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[8]))
local n = { ARGV[1], ARGV[3], changed, ARGV[5], ARGV[6], ARGV[7] }
redis.call('PUBLISH', ARGV[9], table.concat({ tostring(now), n[1], n[2], n[3], n[4], n[5], n[6], ARGV[10] }, '\\n'))
return reply('ok', now, n)
`);

/**
 * Creates the key with a new epoch when it does not exist (a new name, an expired key, or a
 * server restarted without persistence), and publishes it.
 * ARGV: epoch, state, age, reopens, generation, retry wait, ttl, channel, name, deadline.
 * Replies `ok` (the new snapshot), `exists` (the one already there) or `late`.
 */
export const CREATE = script(`
local now = now_ms()
if late(now, ARGV[10]) then return { 'late', tostring(now) } end
local v = fields(KEYS[1])
if v[1] then return reply('exists', now, v) end
local changed = tostring(now - tonumber(ARGV[3]))
redis.call('HSET', KEYS[1], 'e', ARGV[1], 's', ARGV[2], 'c', changed, 'r', ARGV[4], 'g', ARGV[5], 'w', ARGV[6])
redis.call('DEL', KEYS[2])
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[7]))
local n = { ARGV[1], ARGV[2], changed, ARGV[4], ARGV[5], ARGV[6] }
redis.call('PUBLISH', ARGV[8], table.concat({ tostring(now), n[1], n[2], n[3], n[4], n[5], n[6], ARGV[9] }, '\\n'))
return reply('ok', now, n)
`);

/**
 * Leases up to `count` trial slots of a half-open generation: drops expired leases, then grants
 * what is left below `max`, each lease ending `lease` ms from now by the server's clock.
 * ARGV: epoch, generation, holder id, first sequence number, count, lease, max, deadline, ttl.
 * Replies `ok` followed by the granted members, `stale` (not that half-open generation) or `late`.
 */
export const ACQUIRE = script(`
local now = now_ms()
if late(now, ARGV[8]) then return { 'late', tostring(now) } end
local v = redis.call('HMGET', KEYS[1], 'e', 's', 'g')
if v[1] ~= ARGV[1] or v[2] ~= 'half_open' or v[3] ~= ARGV[2] then return { 'stale', tostring(now) } end
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
local grant = math.min(tonumber(ARGV[5]), tonumber(ARGV[7]) - redis.call('ZCARD', KEYS[2]))
local out = { 'ok', tostring(now) }
local first = tonumber(ARGV[4])
for i = 1, grant do
  local member = ARGV[3] .. ':' .. tostring(first + i - 1)
  redis.call('ZADD', KEYS[2], now + tonumber(ARGV[6]), member)
  out[#out + 1] = member
end
redis.call('PEXPIRE', KEYS[2], tonumber(ARGV[9]))
return out
`);

/**
 * Renews the leases a live holder still has, if the generation is still current.
 * ARGV: epoch, generation, lease, then the members. Replies `ok` + how many were renewed, or `stale`.
 */
export const RENEW = script(`
local now = now_ms()
local v = redis.call('HMGET', KEYS[1], 'e', 'g')
if v[1] ~= ARGV[1] or v[2] ~= ARGV[2] then return { 'stale', tostring(now) } end
local n = 0
for i = 4, #ARGV do
  n = n + redis.call('ZADD', KEYS[2], 'XX', 'CH', now + tonumber(ARGV[3]), ARGV[i])
end
return { 'ok', tostring(now), tostring(n) }
`);
