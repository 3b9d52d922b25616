package redisoutbox

import "github.com/redis/go-redis/v9"

// Every script touches only keys of one hash tag, so it runs on one
// Cluster slot. KEYS[1] is always the stream.

// settleScript acknowledges and deletes an entry, then (ARGV[3] = "retry")
// schedules its next attempt in the ZSET KEYS[2], or (ARGV[3] = "dead")
// keeps it in the capped dead-letter list KEYS[2]. Only the settler that
// still finds the entry pending does the follow-up, so an entry reclaimed
// by another worker is never scheduled twice. Returns 1 if it settled.
var settleScript = redis.NewScript(`
local n = redis.call('XACK', KEYS[1], ARGV[1], ARGV[2])
if n == 1 then
  if ARGV[3] == 'retry' then
    redis.call('ZADD', KEYS[2], ARGV[4], ARGV[5])
  elseif ARGV[3] == 'dead' then
    redis.call('LPUSH', KEYS[2], ARGV[5])
    redis.call('LTRIM', KEYS[2], 0, tonumber(ARGV[6]) - 1)
  end
end
redis.call('XDEL', KEYS[1], ARGV[2])
return n
`)

// promoteScript moves up to ARGV[2] retries due by ARGV[1] (unix ms) from
// the ZSET KEYS[2] back onto the stream, atomically, and returns how many.
var promoteScript = redis.NewScript(`
local due = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[2]))
for _, m in ipairs(due) do
  redis.call('XADD', KEYS[1], '*', 'd', m)
  redis.call('ZREM', KEYS[2], m)
end
return #due
`)
