/**
 * The Redis broker's Lua scripts and key layout. Every script takes the same four keys of one group,
 * all hash-tagged `{<group>}` so they live in one Redis Cluster slot (a script may only touch one slot),
 * and refreshes their expiry, so a group nobody uses disappears after GROUP_IDLE_MS.
 */

/** The four keys of a group, in the order every script takes them, plus its pub/sub channel. */
export interface GroupKeys {
  /** `KEYS[1]`: the last assigned seq (a string counter). */
  seq: string;
  /** `KEYS[2]`: the history, a Stream capped at HISTORY_SIZE with entry ids `<seq>-0`. */
  log: string;
  /** `KEYS[3]`: latest location event JSON per user (a hash user -> JSON). */
  members: string;
  /** `KEYS[4]`: the last 50 chat event JSONs, oldest first (a list). */
  chat: string;
  /** The group's channel (PUBLISH/SUBSCRIBE, or SPUBLISH/SSUBSCRIBE in cluster mode). */
  channel: string;
}

/** Key names of a group: `<prefix>:{<group>}:seq` etc. Group ids cannot contain braces. */
export function groupKeys(prefix: string, group: string): GroupKeys {
  const base = `${prefix}:{${group}}`;
  return { seq: `${base}:seq`, log: `${base}:log`, members: `${base}:members`, chat: `${base}:chat`, channel: `${base}:ch` };
}

// Shared by every script: keep the group alive for another GROUP_IDLE_MS (PEXPIRE on a missing key is
// a no-op, so reading a group nobody created does not create it).
const TOUCH = `
local function touch(ms)
  for i = 1, 4 do redis.call('PEXPIRE', KEYS[i], ms) end
end
`;

/**
 * Accepts one event. ARGV: draft JSON without seq (`{"group":...}`), type, user, history size,
 * idle ms, channel, publish command (`PUBLISH` | `SPUBLISH`), chats kept. Returns the new seq.
 *
 * The JSON is built here once by splicing `"seq":N,` in front of the draft's first key, so the event
 * reads `{"seq":N,"group":...}` exactly as the memory broker's `JSON.stringify` does, and the caller
 * can rebuild the same string from the seq alone.
 */
export const PUBLISH_SCRIPT = `${TOUCH}
local seq = redis.call('INCR', KEYS[1])
if seq == 1 then
  -- A fresh counter with leftovers (e.g. only the counter was deleted) would make XADD refuse the id.
  redis.call('DEL', KEYS[2], KEYS[3], KEYS[4])
end
local json = '{"seq":' .. seq .. ',' .. string.sub(ARGV[1], 2)
-- Exact MAXLEN (no "~"), so the oldest kept seq is exactly head - HISTORY_SIZE + 1 and truncated is exact.
redis.call('XADD', KEYS[2], 'MAXLEN', ARGV[4], seq .. '-0', 'e', json)
if ARGV[2] == 'location' then
  redis.call('HSET', KEYS[3], ARGV[3], json)
else
  redis.call('RPUSH', KEYS[4], json)
  redis.call('LTRIM', KEYS[4], -tonumber(ARGV[8]), -1)
end
touch(ARGV[5])
redis.call(ARGV[7], ARGV[6], json)
return seq
`;

/**
 * Reads after a cursor. ARGV: since ('' = from now), idle ms. Returns `{head, json...}`: nothing but
 * the head when the reader is up to date; everything kept when the cursor is ahead of the head.
 */
export const READ_SCRIPT = `${TOUCH}
local head = tonumber(redis.call('GET', KEYS[1]) or '0')
if head == 0 then return {0} end
touch(ARGV[2])
if ARGV[1] == '' then return {head} end
local since = tonumber(ARGV[1])
if since == head then return {head} end
local from = '-'
if since < head then from = (since + 1) .. '-0' end
local out = {head}
for _, entry in ipairs(redis.call('XRANGE', KEYS[2], from, '+')) do out[#out + 1] = entry[2][2] end
return out
`;

/** The snapshot state. ARGV: idle ms. Returns `{head, {member json...}, {chat json...}}`. */
export const SNAPSHOT_SCRIPT = `${TOUCH}
local head = tonumber(redis.call('GET', KEYS[1]) or '0')
if head == 0 then return {0, {}, {}} end
touch(ARGV[1])
return {head, redis.call('HVALS', KEYS[3]), redis.call('LRANGE', KEYS[4], 0, -1)}
`;

/** Keeps a group that has subscribers alive. ARGV: idle ms. */
export const TOUCH_SCRIPT = `${TOUCH}
touch(ARGV[1])
return 0
`;

/**
 * The group's presence key, `<prefix>:{<group>}:presence`, hash-tagged like the others: a sorted set
 * of `<instance>|<user>|<transport>` scored by lease expiry (ms, Redis clock), pruned on every write and read.
 */
export function presenceKey(prefix: string, group: string): string {
  return `${prefix}:{${group}}:presence`;
}

// Now in ms on Redis' clock, so instances with skewed clocks agree on expiry.
const NOW = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
`;

/**
 * Adds or renews entries. KEYS[1]: presence key. ARGV: lease ms, then members. Prunes expired entries
 * and lets the key expire with its latest lease, so a group everybody left leaves nothing behind.
 */
export const PRESENCE_ADD_SCRIPT = `${NOW}
local expiry = now + tonumber(ARGV[1])
for i = 2, #ARGV do redis.call('ZADD', KEYS[1], expiry, ARGV[i]) end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local last = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
if last[2] then redis.call('PEXPIREAT', KEYS[1], last[2]) end
return 0
`;

/** Live entries. KEYS[1]: presence key. Prunes expired entries, returns the members left. */
export const PRESENCE_READ_SCRIPT = `${NOW}
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
return redis.call('ZRANGE', KEYS[1], 0, -1)
`;
