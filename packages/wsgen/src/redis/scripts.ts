/**
 * The Lua scripts of the Redis broker. Each runs atomically in Redis and
 * touches only one topic's keys and channels (topic-keys.ts: one hash tag),
 * so Redis Cluster can run them later. Keys of a topic:
 *
 *   m  HASH    e = epoch, s = last seq, t = topic (a tag collision check),
 *              lo = the last producer's token, ho = 1 while handed over
 *   s  STREAM  entry id `<seq>-0`, fields d = the update's JSON, t = Redis ms
 *   l  HASH    the producer lease: o = owner token, st = creating|live|retiring (PEXPIRE leaseMs)
 *   h  ZSET    the processes holding the topic, scored by when their hold lapses (Redis ms)
 *   c  shard channel: updates and control (x:live, x:failed:…, x:free, x:reset:<epoch>), to every holder
 *   q  shard channel: to the producer only (unheld, deposed:<token>)
 *
 * Centrifugo's publish script is the model (increment, XADD with MAXLEN,
 * PUBLISH of offset, epoch and payload); the lease check in front of it is
 * the fencing token: an update from a producer that is not the lease's
 * owner any more is refused in the same atomic step that would position it.
 */
import { createHash } from "node:crypto";

const NOW = `local function nowMs()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
`;

/** Prunes lapsed holds; KEYS[4] is h. */
const PRUNE = `local function prune(now) redis.call('ZREMRANGEBYSCORE', KEYS[4], '-inf', now) end
`;

/**
 * A new epoch: Redis's clock in microseconds (11 base-36 digits, never below
 * the epoch it replaces) and then the caller's random part. Epochs of one
 * topic therefore sort by age as strings (epochs.ts), which lets a process
 * that hears of two out of order keep the newer.
 */
const EPOCH = `local function epochAfter(previous, random)
  local t = redis.call('TIME')
  local n = tonumber(t[1]) * 1000000 + tonumber(t[2])
  local digits, s = '0123456789abcdefghijklmnopqrstuvwxyz', ''
  while n > 0 do
    local d = n % 36
    s = string.sub(digits, d + 1, d + 1) .. s
    n = math.floor(n / 36)
  end
  s = string.rep('0', 11 - #s) .. s
  if previous and string.sub(previous, 1, 11) >= s then
    -- Redis's clock went back: one past the previous epoch's, so the order holds.
    local p, carry, i = string.sub(previous, 1, 11), 1, 11
    s = ''
    while i >= 1 do
      local d = string.find(digits, string.sub(p, i, i), 1, true) - 1 + carry
      carry = d >= 36 and 1 or 0
      s = string.sub(digits, (d % 36) + 1, (d % 36) + 1) .. s
      i = i - 1
    end
  end
  return s .. random
end
`;

/**
 * Takes the free lease (KEYS m s l): a new epoch, unless the last producer
 * handed over (its stream continues); the producer the lease lapsed from is
 * told it was deposed, and holders are told the stream restarted. Returns
 * whether the stream continues.
 */
const ACQUIRE = `${EPOCH}local function acquire(token, leaseMs, random, topic, channel, qchannel)
  redis.call('HSET', KEYS[3], 'o', token, 'st', 'creating')
  redis.call('PEXPIRE', KEYS[3], leaseMs)
  local m = redis.call('HMGET', KEYS[1], 'e', 'ho', 'lo')
  local continues = m[1] and m[2] == '1'
  if m[3] and not continues then redis.call('SPUBLISH', qchannel, 'deposed:' .. m[3]) end
  if not continues then
    local newEpoch = epochAfter(m[1], random)
    redis.call('DEL', KEYS[2])
    redis.call('HSET', KEYS[1], 'e', newEpoch, 's', 0, 't', topic)
    -- Every new epoch is announced before its first update: a feed changes epoch only when told (or when it reads one).
    redis.call('SPUBLISH', channel, 'x:reset:' .. newEpoch)
  end
  redis.call('HDEL', KEYS[1], 'ho')
  redis.call('HSET', KEYS[1], 'lo', token)
  -- Until the producer's first tick renews it: a producer that dies at once leaves nothing for long.
  redis.call('PEXPIRE', KEYS[1], leaseMs * 3)
  return continues
end
`;

/** A topic script: its source, and the SHA1 Redis caches it under. */
export interface Script {
  readonly name: string;
  readonly source: string;
  readonly sha1: string;
}

function script(name: string, source: string): Script {
  return { name, source, sha1: createHash("sha1").update(source).digest("hex") };
}

/**
 * The first local subscriber (KEYS m s l h; ARGV node leaseMs newToken
 * epochRandom topic channel qchannel window): holds the topic, takes the lease
 * when it is free, and returns {role, lease state, epoch, seq, now, the
 * window newest first}.
 */
export const JOIN = script(
  "join",
  `${NOW}${PRUNE}${ACQUIRE}
local now = nowMs()
local node, leaseMs = ARGV[1], tonumber(ARGV[2])
local known = redis.call('HGET', KEYS[1], 't')
if known and known ~= ARGV[5] then return redis.error_reply('ERR wsgen: topics ' .. known .. ' and ' .. ARGV[5] .. ' share a key tag') end
prune(now)
redis.call('ZADD', KEYS[4], now + leaseMs, node)
redis.call('PEXPIRE', KEYS[4], leaseMs * 2)
local lease = redis.call('HMGET', KEYS[3], 'o', 'st')
local role, st = 'holder', lease[2]
if not lease[1] then
  acquire(ARGV[3], leaseMs, ARGV[4], ARGV[5], ARGV[6], ARGV[7])
  role, st = 'producer', 'creating'
end
local m = redis.call('HMGET', KEYS[1], 'e', 's')
local entries = {}
if tonumber(ARGV[8]) > 0 then entries = redis.call('XREVRANGE', KEYS[2], '+', '-', 'COUNT', ARGV[8]) end
return {role, st or '', m[1] or '', tonumber(m[2] or '0'), now, entries}
`,
);

/**
 * A process's periodic step for one topic (KEYS m s l h; ARGV node leaseMs
 * holding token newToken epochRandom topic channel qchannel keepMs live
 * mayAcquire): renews its hold, and its lease when it produces (telling
 * holders it is live again, should the live script have been lost); takes
 * the lease when it lapsed. Returns {lost} | {producing, holders} |
 * {held, state} | {free} | {acquired, 1 when the stream continues (a handover)}.
 */
export const TICK = script(
  "tick",
  `${NOW}${PRUNE}${ACQUIRE}
local now = nowMs()
local node, leaseMs, token = ARGV[1], tonumber(ARGV[2]), ARGV[4]
prune(now)
if ARGV[3] == '1' then
  redis.call('ZADD', KEYS[4], now + leaseMs, node)
  redis.call('PEXPIRE', KEYS[4], leaseMs * 2)
end
local lease = redis.call('HMGET', KEYS[3], 'o', 'st')
if token ~= '' then
  if lease[1] ~= token then return {'lost'} end
  if ARGV[11] == '1' and lease[2] == 'creating' then
    redis.call('HSET', KEYS[3], 'st', 'live')
    redis.call('SPUBLISH', ARGV[8], 'x:live')
  end
  redis.call('PEXPIRE', KEYS[3], leaseMs)
  redis.call('PEXPIRE', KEYS[1], ARGV[10])
  redis.call('PEXPIRE', KEYS[2], ARGV[10])
  return {'producing', redis.call('ZCARD', KEYS[4])}
end
if lease[1] then return {'held', lease[2] or ''} end
if ARGV[3] ~= '1' or ARGV[12] ~= '1' then return {'free'} end
local continues = acquire(ARGV[5], leaseMs, ARGV[6], ARGV[7], ARGV[8], ARGV[9])
return {'acquired', continues and 1 or 0}
`,
);

/**
 * Positions updates and sends them to every holder (KEYS m s l h; ARGV
 * token maxlen channel gap keepMs n p1..pn). A token must own the lease
 * (else `fenced`). Without one (publish from anywhere) the topic must have
 * a producer that is not retiring, or holders while its lease changes hands
 * (else `not_live`). `gap` seqs are skipped first: updates this producer
 * lost, shown to subscribers as a jump. Returns {last seq, epoch}.
 */
export const PUBLISH = script(
  "publish",
  `${NOW}${PRUNE}
local token, maxlen, channel = ARGV[1], tonumber(ARGV[2]), ARGV[3]
local gap, n = tonumber(ARGV[4]), tonumber(ARGV[6])
local lease = redis.call('HMGET', KEYS[3], 'o', 'st')
local now = nowMs()
if token ~= '' then
  if lease[1] ~= token then return {-1, 'fenced'} end
elseif lease[2] == 'retiring' then return {-1, 'not_live'}
elseif not lease[1] then
  prune(now)
  if redis.call('ZCARD', KEYS[4]) == 0 then return {-1, 'not_live'} end
end
local e = redis.call('HGET', KEYS[1], 'e')
if not e then return {-1, 'not_live'} end
local last = redis.call('HINCRBY', KEYS[1], 's', gap + n)
local first = last - n + 1
local parts = {'b1:', e, ':', first, ':', n, ':', gap, ':'}
for i = 1, n do
  local p = ARGV[6 + i]
  if maxlen > 0 then redis.call('XADD', KEYS[2], 'MAXLEN', '~', maxlen, (first + i - 1) .. '-0', 'd', p, 't', now) end
  parts[#parts + 1] = #p .. ':'
  parts[#parts + 1] = p
end
-- A stream's first entries: it expires with its meta until the producer's tick renews both.
if maxlen > 0 and first - gap == 1 then redis.call('PEXPIRE', KEYS[2], ARGV[5]) end
redis.call('SPUBLISH', channel, table.concat(parts))
return {last, e}
`,
);

/** PUBLISH's ARGV, in its order: a token ('' from anywhere), the stream's MAXLEN, the channel, seqs to skip first, the keys' TTL, the updates. */
export function publishArguments(
  head: { token: string; maxlen: number; channel: string; gap: number; keepMs: number },
  payloads: readonly string[],
): (string | number)[] {
  return [head.token, head.maxlen, head.channel, head.gap, head.keepMs, payloads.length, ...payloads];
}

/** The producer's createTopic succeeded (KEYS l; ARGV token channel). */
export const LIVE = script(
  "live",
  `local lease = redis.call('HMGET', KEYS[1], 'o', 'st')
if lease[1] ~= ARGV[1] then return 0 end
if lease[2] == 'creating' then redis.call('HSET', KEYS[1], 'st', 'live') end
redis.call('SPUBLISH', ARGV[2], 'x:live')
return 1
`,
);

/**
 * The producer's createTopic failed (KEYS m s l; ARGV token channel
 * message): the lease is freed and waiting holders refuse. The stream
 * stays (it expires unless a producer renews it), so subscribers that hold
 * it meanwhile are still published to; the next producer starts a new epoch.
 */
export const FAILED = script(
  "failed",
  `if redis.call('HGET', KEYS[3], 'o') ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[3])
redis.call('HDEL', KEYS[1], 'ho')
redis.call('SPUBLISH', ARGV[2], 'x:failed:' .. ARGV[3])
return 1
`,
);

/** A process's last local subscriber left (KEYS l h; ARGV node qchannel): returns how many processes still hold it. */
export const LEAVE = script(
  "leave",
  `${NOW}
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', nowMs())
local holders = redis.call('ZCARD', KEYS[2])
if holders == 0 and redis.call('EXISTS', KEYS[1]) == 1 then redis.call('SPUBLISH', ARGV[2], 'unheld') end
return holders
`,
);

/** The producer found no holder (KEYS l h; ARGV token leaseMs): `retire` (it removes the topic), `held` or `lost`. */
export const RETIRE = script(
  "retire",
  `${NOW}
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', nowMs())
if redis.call('ZCARD', KEYS[2]) > 0 then return 'held' end
if redis.call('HGET', KEYS[1], 'o') ~= ARGV[1] then return 'lost' end
redis.call('HSET', KEYS[1], 'st', 'retiring')
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 'retire'
`,
);

/**
 * The producer's removeTopic settled (KEYS m s l h; ARGV token handover
 * channel): the lease is freed; with `handover` and holders left the
 * stream continues under the next producer, else it ends.
 */
export const RELEASE = script(
  "release",
  `${NOW}${PRUNE}
if redis.call('HGET', KEYS[3], 'o') ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[3])
prune(nowMs())
if ARGV[2] == '1' and redis.call('ZCARD', KEYS[4]) > 0 then redis.call('HSET', KEYS[1], 'ho', '1')
else redis.call('DEL', KEYS[1], KEYS[2]) end
redis.call('SPUBLISH', ARGV[3], 'x:free')
return 1
`,
);

/**
 * What a process missed (KEYS m s; ARGV epoch seq window): {epoch, seq,
 * now, entries}: those after `seq` oldest first when the epoch is the same,
 * else the window newest first (a new stream); epoch '' when there is none.
 */
export const SYNC = script(
  "sync",
  `${NOW}
local now = nowMs()
local m = redis.call('HMGET', KEYS[1], 'e', 's')
if not m[1] then return {'', 0, now, {}} end
local entries = {}
if m[1] == ARGV[1] then entries = redis.call('XRANGE', KEYS[2], '(' .. ARGV[2] .. '-0', '+')
elseif tonumber(ARGV[3]) > 0 then entries = redis.call('XREVRANGE', KEYS[2], '+', '-', 'COUNT', ARGV[3]) end
return {m[1], tonumber(m[2]), now, entries}
`,
);
