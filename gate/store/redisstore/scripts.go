package redisstore

import "github.com/redis/go-redis/v9"

// Each script touches only the keys it is given, all of one hash tag.

// createHashSrc creates a HASH only if the key does not exist.
// KEYS[1] the key; ARGV[1] TTL in ms, 0 for none; ARGV[2..] field, value…
// Returns 1 if created, 0 if the key existed.
const createHashSrc = `
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], unpack(ARGV, 2))
if tonumber(ARGV[1]) > 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return 1
`

// createLoginSrc is createHashSrc for a login, which also publishes the
// new login on the login channel.
// KEYS[1] the key; ARGV[1] TTL in ms, ARGV[2] channel, ARGV[3] message,
// ARGV[4..] field, value… Returns 1 if created, 0 if the key existed.
const createLoginSrc = `
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], unpack(ARGV, 4))
redis.call('PEXPIRE', KEYS[1], ARGV[1])
redis.call('PUBLISH', ARGV[2], ARGV[3])
return 1
`

// transitionSrc moves a login from one status to another, keeping its TTL.
// KEYS[1] the login; ARGV from, to, reason, device_id, decided_at,
// session_id (empty strings leave a field as it is), then the channel and
// message to publish after a change; KEYS[2], when given, is a pending
// claim cleared after a change if it holds ARGV[9], the login's id.
// Returns {0} if there is no login, {1, fields} if its status was not
// from, {2, fields} after the change; fields as HGETALL returns them.
const transitionSrc = `
local cur = redis.call('HGET', KEYS[1], 'status')
if not cur then return {0} end
if cur ~= ARGV[1] then return {1, redis.call('HGETALL', KEYS[1])} end
redis.call('HSET', KEYS[1], 'status', ARGV[2])
if cur == 'pending' then redis.call('HDEL', KEYS[1], 'exp') end
local names = {'reason', 'device_id', 'decided_at', 'session_id'}
for i, name in ipairs(names) do
  if ARGV[i + 2] ~= '' then redis.call('HSET', KEYS[1], name, ARGV[i + 2]) end
end
redis.call('PUBLISH', ARGV[7], ARGV[8])
if KEYS[2] and redis.call('GET', KEYS[2]) == ARGV[9] then redis.call('DEL', KEYS[2]) end
return {2, redis.call('HGETALL', KEYS[1])}
`

// updateHashSrc sets fields of a HASH only if it exists.
// KEYS[1] the key; ARGV field, value… Returns 1 if updated, 0 if missing.
const updateHashSrc = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], unpack(ARGV))
return 1
`

// claimSrc sets a STRING to a value unless it holds another one.
// KEYS[1] the key; ARGV[1] the value, ARGV[2] TTL in ms.
// Returns {1, value} when set, {0, holder} when another value holds it.
const claimSrc = `
local cur = redis.call('GET', KEYS[1])
if cur and cur ~= ARGV[1] then return {0, cur} end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return {1, ARGV[1]}
`

// releaseSrc deletes a STRING if it holds the given value.
// KEYS[1] the key; ARGV[1] the value. Returns the number deleted.
const releaseSrc = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`

// indexSrc keeps a ZSET scored by expiry in ms: adds (or removes) a
// member, drops members whose score has passed, and lets the key expire
// with its last member.
// An add, the common call, only moves the key's expiry forward when the
// new member outlives the others (the key already lives as long as its
// last member), so it reads no member back.
// KEYS[1] the ZSET; ARGV[1] now in ms, ARGV[2] 'add' or 'rem' or
// 'prune', ARGV[3] score, ARGV[4] member.
// Returns 1 after an add, else the number of members left.
const indexSrc = `
if ARGV[2] == 'add' then
  redis.call('ZADD', KEYS[1], ARGV[3], ARGV[4])
  redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
  local left = redis.call('PTTL', KEYS[1])
  if left < 0 or tonumber(ARGV[1]) + left < tonumber(ARGV[3]) then
    redis.call('PEXPIREAT', KEYS[1], ARGV[3])
  end
  return 1
elseif ARGV[2] == 'rem' then
  redis.call('ZREM', KEYS[1], ARGV[4])
end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
local last = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
if #last == 0 then return 0 end
redis.call('PEXPIREAT', KEYS[1], last[2])
return redis.call('ZCARD', KEYS[1])
`

// hitSrc counts a hit in a fixed window.
// KEYS[1] the counter; ARGV[1] the window in ms.
// Returns {count, ms until the window ends}. The hit that makes the
// counter (its value 1) gets its window without asking for its TTL.
const hitSrc = `
local n = redis.call('INCR', KEYS[1])
local ttl = -1
if n > 1 then ttl = redis.call('PTTL', KEYS[1]) end
if ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return {n, ttl}
`

// scripts are the store's Lua scripts, run with EVALSHA (loaded on first
// use, and again after a server restart).
type scripts struct {
	createHash, createLogin, transition, updateHash, claim, release, index, hit *redis.Script
	replaceSet, takeMember                                                      *redis.Script // recovery.go
	touch, takeHash                                                             *redis.Script // apikeys.go
	snapshot, restore                                                           *redis.Script
	setPush, dropPush                                                           *redis.Script // push.go
	startLogin, pendingLogin, collectLogin, decideLogin                         *redis.Script // steps.go
	useDevice, noteApproval, useAndDecide, useAndPending                        *redis.Script
}

// newScripts prepares the scripts.
func newScripts() scripts {
	return scripts{
		createHash:  redis.NewScript(createHashSrc),
		createLogin: redis.NewScript(createLoginSrc),
		transition:  redis.NewScript(transitionSrc),
		updateHash:  redis.NewScript(updateHashSrc),
		claim:       redis.NewScript(claimSrc),
		release:     redis.NewScript(releaseSrc),
		index:       redis.NewScript(indexSrc),
		hit:         redis.NewScript(hitSrc),
		replaceSet:  redis.NewScript(replaceSetSrc),
		takeMember:  redis.NewScript(takeMemberSrc),
		touch:       redis.NewScript(touchSrc),
		takeHash:    redis.NewScript(takeHashSrc),
		snapshot:    redis.NewScript(snapshotSrc),
		restore:     redis.NewScript(restoreSrc),
		setPush:     redis.NewScript(setPushSrc),
		dropPush:    redis.NewScript(dropPushSrc),

		startLogin:    redis.NewScript(startLoginSrc),
		pendingLogin:  redis.NewScript(pendingLoginSrc),
		collectLogin:  redis.NewScript(collectLoginSrc),
		decideLogin:   redis.NewScript(decideLoginSrc),
		useDevice:     redis.NewScript(useDeviceSrc),
		noteApproval:  redis.NewScript(noteApprovalSrc),
		useAndDecide:  redis.NewScript(useAndDecideSrc),
		useAndPending: redis.NewScript(useAndPendingSrc),
	}
}
