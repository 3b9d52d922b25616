package redisdeliverylog

import "github.com/redis/go-redis/v9"

// Every script touches the keys of one endpoint only, which share that
// endpoint's hash tag, so it runs on one Cluster slot. KEYS[1] is the
// endpoint's index (a ZSET of event ids scored by their last update, in
// unix microseconds); a record's key is the index's record prefix plus
// the event id.

// applyScript records one change (ARGV[1]: "q" enqueued, "a" attempted,
// "d" given up) of event ARGV[2] in the record hash KEYS[2]. A new record
// keeps its type ARGV[3] and body ARGV[4], and trims the index to the
// records updated within the TTL ARGV[9] (ms) of ARGV[5] (µs), at most
// ARGV[8] of them. "q" makes the record pending at ARGV[5] unless it was
// updated after, or attempted at or after, that time; "a" appends the
// attempt ARGV[7] (one JSON line), keeping the last ARGV[10], and sets
// the state ARGV[6]. Both keys expire ARGV[9] ms after their last change.
var applyScript = redis.NewScript(`
local idx, rec = KEYS[1], KEYS[2]
local kind, id, at = ARGV[1], ARGV[2], tonumber(ARGV[5])
local ttl = tonumber(ARGV[9])
local cur = redis.call('HMGET', rec, 'type', 'updated', 'last', 'attempts', 'n')
if not cur[1] then
  redis.call('HSET', rec, 'type', ARGV[3], 'state', 'pending', 'updated', ARGV[5], 'body', ARGV[4])
  redis.call('ZADD', idx, ARGV[5], id)
  local cutoff = string.format('%.0f', at - ttl * 1000)
  local old = redis.call('ZRANGEBYSCORE', idx, '-inf', '(' .. cutoff)
  local over = redis.call('ZCARD', idx) - #old - tonumber(ARGV[8])
  if over > 0 then
    local more = redis.call('ZRANGEBYSCORE', idx, cutoff, '+inf', 'LIMIT', 0, over)
    for _, m in ipairs(more) do old[#old + 1] = m end
  end
  if #old > 0 then
    local recprefix, gone = string.sub(rec, 1, #rec - #id), false
    for _, m in ipairs(old) do
      redis.call('DEL', recprefix .. m)
      redis.call('ZREM', idx, m)
      gone = gone or m == id
    end
    if gone then return 0 end
  end
elseif kind == 'q' then
  local upd, last = tonumber(cur[2]), cur[3]
  if (upd and upd > at) or (last and tonumber(last) >= at) then
    return 1
  end
  redis.call('HSET', rec, 'state', 'pending', 'updated', ARGV[5])
  redis.call('ZADD', idx, ARGV[5], id)
end
if kind == 'a' then
  local s = cur[4] or ''
  local n = tonumber(cur[5] or '0')
  while n >= tonumber(ARGV[10]) and n > 0 do
    local i = string.find(s, '\n', 1, true)
    if i then s = string.sub(s, i + 1) else s = '' end
    n = n - 1
  end
  if s == '' then s = ARGV[7] else s = s .. '\n' .. ARGV[7] end
  redis.call('HSET', rec, 'attempts', s, 'n', n + 1, 'state', ARGV[6], 'updated', ARGV[5], 'last', ARGV[5])
  redis.call('ZADD', idx, ARGV[5], id)
elseif kind == 'd' then
  redis.call('HSET', rec, 'state', 'dead')
end
redis.call('PEXPIRE', rec, ttl)
redis.call('PEXPIRE', idx, ttl)
return 1
`)

// forgetScript deletes the index KEYS[1] and every record it lists
// (record keys are ARGV[1] plus the event id).
var forgetScript = redis.NewScript(`
local ids = redis.call('ZRANGE', KEYS[1], 0, -1)
for _, m in ipairs(ids) do
  redis.call('DEL', ARGV[1] .. m)
end
redis.call('DEL', KEYS[1])
return #ids
`)
