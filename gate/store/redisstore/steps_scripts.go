package redisstore

// The scripts of the login and device steps (steps.go). Each touches only
// keys of one hash tag: a login's group, or a device.

// startLoginSrc is store.LoginSteps.StartLogin.
// KEYS: the pause markers (ARGV[1] of them), then the counter if ARGV[2]
// is '1', then the pending claim and the login unless ARGV[5] is '0',
// then the recent marker if ARGV[11] is '1'. ARGV[5] is '1' for a login
// that takes the claim, '2' for one created without it (the claim is
// neither read nor written).
// ARGV[3] the counter's window in ms, ARGV[4] its limit; ARGV[6] the
// login's TTL in ms, ARGV[7] the claim's, ARGV[8] the login's id,
// ARGV[9] the channel and ARGV[10] the message that announce it;
// ARGV[12] the recent marker's TTL in ms; ARGV[13..] the login's field,
// value….
// The pause markers are looked at one by one only when one of them
// exists. A counter INCR made (its value 1) gets its window without being
// asked for its TTL; one within its limit is not asked either (its ms
// are 0), as nothing waits on its window then.
// Returns {1, pause index, ms left} when paused, {2, count, ms} past the
// limit, {3, count, ms} when no login was asked for, {4, count, ms,
// holder} when another login holds the claim, {5} when the login's id
// exists, {6, count, ms, recent taken 0|1} when created.
const startLoginSrc = `
local k = 1
local pauses = tonumber(ARGV[1])
if pauses > 0 and redis.call('EXISTS', unpack(KEYS, 1, pauses)) > 0 then
  for i = 1, pauses do
    local left = redis.call('PTTL', KEYS[i])
    if left > 0 then return {1, i, left} end
  end
end
k = k + pauses
local n, ttl = 0, 0
if ARGV[2] == '1' then
  n = redis.call('INCR', KEYS[k])
  ttl = -1
  if n > tonumber(ARGV[4]) then ttl = redis.call('PTTL', KEYS[k]) elseif n > 1 then ttl = 0 end
  if ttl < 0 then
    redis.call('PEXPIRE', KEYS[k], ARGV[3])
    ttl = tonumber(ARGV[3])
  end
  k = k + 1
  if n > tonumber(ARGV[4]) then return {2, n, ttl} end
end
if ARGV[5] == '0' then return {3, n, ttl} end
local pending, login = KEYS[k], KEYS[k + 1]
k = k + 2
if redis.call('EXISTS', login) == 1 then return {5} end
if ARGV[5] == '1' then
  local cur = redis.call('GET', pending)
  if cur and cur ~= ARGV[8] then return {4, n, ttl, cur} end
  redis.call('SET', pending, ARGV[8], 'PX', ARGV[7])
end
redis.call('HSET', login, unpack(ARGV, 13))
redis.call('PEXPIRE', login, ARGV[6])
redis.call('PUBLISH', ARGV[9], ARGV[10])
local recent = 0
if ARGV[11] == '1' and redis.call('SET', KEYS[k], '1', 'PX', ARGV[12], 'NX') then recent = 1 end
return {6, n, ttl, recent}
`

// pendingLoginSrc is store.LoginSteps.PendingLogin.
// KEYS[1] the pending claim; ARGV[1] the key prefix of the group's
// logins, ARGV[2] the group.
// Returns {0} without a claim, {1, id} when the id is of another group
// (the caller reads it), {2, id, fields} with the login's fields as
// HGETALL returns them (none when it is gone).
const pendingLoginSrc = `
local id = redis.call('GET', KEYS[1])
if not id then return {0} end
if string.sub(id, 1, string.len(ARGV[2])) ~= ARGV[2] then return {1, id} end
return {2, id, redis.call('HGETALL', ARGV[1] .. id)}
`

// collectLoginSrc is store.LoginSteps.CollectLogin.
// KEYS[1] the login; ARGV[1] the binding hash, ARGV[2] the API mark ('1'
// or '0'), ARGV[3] the session id, ARGV[4] the key prefix of the group's
// counters, ARGV[5..] the names of the user's counters to clear. The
// collection is not announced: a waiting stream shows a collected login
// as the approved one it already showed.
// A counter's key ends in the login's email, which the script can name
// only when it stands in a key as it is (see tag); else it leaves the
// counters to the caller.
// The login is read once; the fields a collection writes are appended
// to the reply after it, where they replace the values read.
// Returns {0} if there is no login, {1, fields} if it was not collected,
// {2, fields, counters cleared 0|1} once collected; fields as HGETALL
// returns them, with the written ones appended.
const collectLoginSrc = loginChecksSrc + `
local all = redis.call('HGETALL', KEYS[1])
if #all == 0 then return {0} end
local f = login_fields(all)
if f.status == 'approved' then
  local l = login_checks(f)
  local api = '0'
  if l.api == true then api = '1' end
  if type(l.binding_hash) == 'string' and l.binding_hash ~= '' and l.binding_hash == ARGV[1] and api == ARGV[2] then
    local set = {'status', 'collected'}
    if ARGV[3] ~= '' then set[3] = 'session_id'; set[4] = ARGV[3] end
    redis.call('HSET', KEYS[1], unpack(set))
    for i = 1, #set do all[#all + 1] = set[i] end
    local cleared = 0
    if type(l.email) == 'string' and #l.email <= 128 and string.find(l.email, '^[%w%.@_%+=:/%-]+$') then
      if #ARGV >= 5 then
        local keys = {}
        for i = 5, #ARGV do keys[#keys + 1] = ARGV[4] .. ARGV[i] .. ':' .. l.email end
        redis.call('DEL', unpack(keys))
      end
      cleared = 1
    end
    return {2, all, cleared}
  end
end
return {1, all}
`

// deviceReplySrc defines device_reply, which returns a device's fields
// as HGETALL would, without its replay markers, from one HMGET made by
// the step: "data" first, then the fields the step tests (n in all),
// then "name", "last_used" and "push".
const deviceReplySrc = `
local device_returned = {'name', 'last_used', 'push'}
local function device_reply(f, n)
  local out = {'data', f[1]}
  for i, name in ipairs(device_returned) do
    local v = f[n + i]
    if v then
      out[#out + 1] = name
      out[#out + 1] = v
    end
  end
  return out
end
`

// useDeviceSrc is store.DeviceSteps.UseDevice. A device's markers live
// in its HASH's "seen" field, as "<until ms> <marker>;" each, pruned as
// it is written: no key per request, and they go with the device. The
// field holds at most ARGV[4] of them, so a device signing many requests
// cannot make every one cost more: past that, a marker gets a key of its
// own (KEYS[2]), and "seen_over" says until when such keys may exist.
// Markers are appended in the order they are taken, so the passed ones
// are pruned from the front, and a marker is looked for as a plain
// substring: the field is parsed only on a match. (A marker of a shorter
// lifetime behind a longer one stays, and counts, until the longer one
// passes; a replay is refused all the same.) A full field is not
// rewritten. On a full field the marker's key is taken with SET NX, which
// is also the look for it; "seen_over" only moves forward.
// KEYS[1] the device, KEYS[2] the marker's own key; ARGV[1] the
// marker's TTL in ms, ARGV[2] the last-used time (empty leaves it),
// ARGV[3] the marker (no space, no ';'), ARGV[4] the field's limit.
// Returns {0} without the device, {1} when the marker is set, {2,
// fields} after, fields as HGETALL returns them without the markers.
const useDeviceSrc = deviceReplySrc + useDeviceBody

// useDeviceBody is useDeviceSrc but for device_reply.
const useDeviceBody = `
local f = redis.call('HMGET', KEYS[1], 'data', 'seen', 'seen_over', 'name', 'last_used', 'push')
if not f[1] then return {0} end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local seen = f[2] or ''
local pos = 1
while true do
  local a, b, til = string.find(seen, '^(%d+) [^;]*;', pos)
  if not a or tonumber(til) > now then break end
  pos = b + 1
end
local changed = pos > 1
if changed then seen = string.sub(seen, pos) end
if string.find(seen, ' ' .. ARGV[3] .. ';', 1, true) then
  for til, m in string.gmatch(seen, '(%d+) ([^;]+);') do
    if m == ARGV[3] and tonumber(til) > now then return {1} end
  end
end
local over = tonumber(f[3] or '0')
local n, at = 0, string.find(seen, ';', 1, true)
while at do
  n = n + 1
  at = string.find(seen, ';', at + 1, true)
end
local full = n >= tonumber(ARGV[4])
if not full and over > now and redis.call('EXISTS', KEYS[2]) == 1 then return {1} end
local til = now + tonumber(ARGV[1])
local set = {}
if not full then
  seen = seen .. til .. ' ' .. ARGV[3] .. ';'
  changed = true
else
  if not redis.call('SET', KEYS[2], '1', 'PX', ARGV[1], 'NX') then return {1} end
  set = {'seen_over', tostring(math.max(til, over))}
end
if changed then
  set[#set + 1] = 'seen'
  set[#set + 1] = seen
end
if ARGV[2] ~= '' then
  set[#set + 1] = 'last_used'
  set[#set + 1] = ARGV[2]
  f[5] = ARGV[2]
end
redis.call('HSET', KEYS[1], unpack(set))
return {2, device_reply(f, 3)}
`

// noteApprovalSrc is store.DeviceSteps.NoteApproval.
// KEYS[1] the device. Returns {0} without the device, else {first,
// fields}: first is 0 if the device approved before, 1 if not, 2 if the
// device was made before its approvals were kept (the caller asks the
// older record); fields as HGETALL returns them without the markers.
const noteApprovalSrc = deviceReplySrc + `
local f = redis.call('HMGET', KEYS[1], 'data', 'approved', 'name', 'last_used', 'push')
if not f[1] then return {0} end
local seen = f[2]
local first = 0
if not seen then first = 2 elseif seen == '' then first = 1 end
if first > 0 then redis.call('HSET', KEYS[1], 'approved', '1') end
return {first, device_reply(f, 2)}
`

// decideLoginSrc is store.DecisionSteps.DecideLogin.
// KEYS[1] the login, KEYS[2] its email's pending claim. ARGV[1] the
// device's email, ARGV[2] its id, ARGV[3] the decision's time as
// decided_at (in ms), ARGV[4] it in ms, ARGV[5] the reason of an expiry, ARGV[6]
// and ARGV[7] the status and reason decided, ARGV[8] '1' to check the
// number ARGV[9], ARGV[10] and ARGV[11] the status and reason of a wrong
// number, ARGV[12] the channel and ARGV[13] the message that announce
// the change, ARGV[14] the login's id.
// Returns {0} if there is no such login for the email, {1, fields} if it
// is not pending, {2, fields} once decided, {3, fields} once expired, {9}
// for a login without its window in ms (made before it was kept; the
// caller decides by reading).
const decideLoginSrc = loginChecksSrc + decideLoginBody

// decideLoginBody is decideLoginSrc but for login_checks. The login is
// read once; the fields a decision writes are appended to the reply
// after it, where they replace the values read ("exp", which it
// removes, is no field of a login's record).
const decideLoginBody = `
local all = redis.call('HGETALL', KEYS[1])
if #all == 0 then return {0} end
local f = login_fields(all)
local l = login_checks(f)
if l.email ~= ARGV[1] or l.withheld == true then return {0} end
if f.status ~= 'pending' then return {1, all} end
if not f.exp then return {9} end
local to, reason, out = ARGV[6], ARGV[7], 2
if tonumber(ARGV[4]) > tonumber(f.exp) then
  to, reason, out = 'expired', ARGV[5], 3
elseif ARGV[8] == '1' and tonumber(ARGV[9]) ~= l.code then
  to, reason = ARGV[10], ARGV[11]
end
local set = {'status', to, 'decided_at', ARGV[3]}
if reason ~= '' then set[#set + 1] = 'reason'; set[#set + 1] = reason end
if out == 2 then set[#set + 1] = 'device_id'; set[#set + 1] = ARGV[2] end
redis.call('HSET', KEYS[1], unpack(set))
redis.call('HDEL', KEYS[1], 'exp')
redis.call('PUBLISH', ARGV[12], ARGV[13])
if redis.call('GET', KEYS[2]) == ARGV[14] then redis.call('DEL', KEYS[2]) end
for i = 1, #set do all[#all + 1] = set[i] end
return {out, all}
`

// useAndDecideSrc is store.UseSteps.UseDeviceAndDecide: useDeviceSrc and
// then decideLoginSrc, as one script on keys of one group. Each runs as a
// function of its own KEYS and ARGV.
// KEYS[1] the device, KEYS[2] the marker's own key, KEYS[3] the login,
// KEYS[4] its email's pending claim; ARGV[1..4] useDeviceSrc's,
// ARGV[5..] decideLoginSrc's.
// Returns {10} without the device and {11} when the marker is set (nothing
// changed), else {decideLoginSrc's reply..., the device's fields} (the
// device's fields last, as useDeviceSrc returns them).
const useAndDecideSrc = deviceReplySrc + loginChecksSrc +
	"local function use_device(KEYS, ARGV)\n" + useDeviceBody + "\nend\n" +
	"local function decide_login(KEYS, ARGV)\n" + decideLoginBody + "\nend\n" + `
local u = use_device({KEYS[1], KEYS[2]}, {ARGV[1], ARGV[2], ARGV[3], ARGV[4]})
if u[1] ~= 2 then return {u[1] + 10} end
local d = decide_login({KEYS[3], KEYS[4]}, {unpack(ARGV, 5)})
d[#d + 1] = u[2]
return d
`

// useAndPendingSrc is store.PendingSteps.UseDeviceForPending as one
// script, for a device in its user's group: useDeviceSrc and then
// pendingLoginSrc, each a function of its own KEYS and ARGV.
// KEYS[1] the device, KEYS[2] the marker's own key, KEYS[3] the pending
// claim; ARGV[1..4] useDeviceSrc's, ARGV[5..6] pendingLoginSrc's.
// Returns {10} without the device and {11} when the marker is set
// (nothing changed), else {pendingLoginSrc's reply..., the device's
// fields}.
const useAndPendingSrc = deviceReplySrc +
	"local function use_device(KEYS, ARGV)\n" + useDeviceBody + "\nend\n" +
	"local function pending_login(KEYS, ARGV)\n" + pendingLoginSrc + "\nend\n" + `
local u = use_device({KEYS[1], KEYS[2]}, {ARGV[1], ARGV[2], ARGV[3], ARGV[4]})
if u[1] ~= 2 then return {u[1] + 10} end
local p = pending_login({KEYS[3]}, {ARGV[5], ARGV[6]})
p[#p + 1] = u[2]
return p
`
