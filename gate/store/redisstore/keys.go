package redisstore

import (
	"crypto/sha256"
	"encoding/base64"

	"github.com/authgate/authgate/gate/store"
)

// maxRawTag is the longest user-supplied string that tag keeps as it is.
const maxRawTag = 128

// tag returns a form of s that is safe inside a Redis hash tag and in a
// key: s itself when it is short and made only of letters, digits and
// ._@+=-:/ (every ordinary email and id), else "~" and the base64url
// SHA-256 of s. "~" never appears in a kept string, so the two forms
// cannot collide; distinct strings give distinct tags (up to SHA-256
// collisions).
func tag(s string) string {
	if s != "" && len(s) <= maxRawTag && rawTagSafe(s) {
		return s
	}
	sum := sha256.Sum256([]byte(s))
	return "~" + base64.RawURLEncoding.EncodeToString(sum[:])
}

// rawTagSafe reports whether every byte of s may stand in a key as it is.
func rawTagSafe(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case c == '.', c == '_', c == '@', c == '+', c == '=', c == '-', c == ':', c == '/':
		default:
			return false
		}
	}
	return true
}

// The key layout. Each key has exactly one hash tag, the part in braces;
// keys that one script or index operation touches together share it:
//
//	<p>:{g:<grp>}:l:<id>        HASH  a login in flight (TTL: its approval window and retention)
//	<p>:{g:<grp>}:p:<email>     STRING the id of the user's pending login (TTL)
//	<p>:{g:<grp>}:h:<n>:<email> STRING a user's rate counter (store.UserKey; TTL: its window)
//	<p>:{g:<grp>}:m:<n>:<email> STRING a user's one-time marker (store.UserKey; TTL)
//	<p>:login:{l:<id>}          HASH  a login whose id has no group (made before groups; read only)
//	<p>:enroll:{e:<hash>}       STRING the email of a one-time enrolment token (TTL)
//	<p>:{g:<grp>}:d:<id>        HASH  an enrolled device whose id names a group (store.NewDeviceID)
//	<p>:{g:<grp>}:d:<id>:m:<m>  STRING its replay marker past the 16 "seen" holds (TTL)
//	<p>:device:{d:<id>}         HASH  an enrolled device (until deleted), its replay markers in "seen"
//	<p>:device:{d:<id>}:m:<m>   STRING a replay marker past the 16 "seen" holds (TTL)
//	<p>:session:{s:<id>}        STRING a session's JSON (expires at ExpiresAt)
//	<p>:{u:<email>}:devices     ZSET  device ids by creation time (pruned on delete)
//	<p>:{u:<email>}:sessions    ZSET  session ids by expiry (pruned; expires with the last)
//	<p>:{u:<email>}:recovery    SET   unused recovery-code hashes (until used or replaced)
//	<p>:{rev}:sessions          ZSET  revoked session ids by until (pruned; expires with the last)
//	<p>:{rev}:generations       HASH  email → generation (one field per user who logged out everywhere)
//	<p>:{rev}:epoch             STRING the epoch marker, "<id> <created ms>" (no TTL; written once, SET NX)
//	<p>:{rev}:wait              STRING a scratch key written before WAIT (TTL)
//	<p>:{write-check}           STRING written by a status check to see that Redis takes writes (TTL 10 s; on a Cluster, one shard's)
//	<p>:{expiries}:handed       ZSET  pending logins a stopped instance handed over, by window end (TTL 24 h)
//	<p>:hit:{h:<key>}           STRING a rate counter (TTL: its window)
//	<p>:mark:{m:<key>}          STRING a one-time marker (TTL)
//	<p>:apikey:{k:<id>}         HASH  an API key's record (expires with the key, if it does)
//	<p>:{u:<email>}:apikeys     ZSET  API key ids by creation time (pruned on delete and list)
//	<p>:revocations             the pub/sub channel of revocation events
//	<p>:logins                  the pub/sub channel of login changes (subscribe_logins.go)
//
// <id>, <email>, <hash>, <key>, <n> and <m> pass through tag. <grp> is
// store.GroupOf(email), which a login id made by store.NewLoginID starts
// with: a login, its user's pending claim, counters and markers share a
// hash tag, so one script starts, or collects, a login. A device id made
// by store.NewDeviceID names the group too, so one script takes a signed
// request's marker and decides.

func (s *Store) groupKey(grp string) string    { return s.prefix + ":{g:" + grp + "}" }
func (s *Store) loginPrefix(grp string) string { return s.groupKey(grp) + ":l:" }
func (s *Store) deviceMarkKey(id, mark string) string {
	return s.deviceKey(id) + ":m:" + tag(mark)
}

// loginKey is the key of the login id: beside its email's records when
// the id names a group, else where logins were kept before groups.
func (s *Store) loginKey(id string) string {
	if grp := store.LoginGroup(id); grp != "" {
		return s.loginPrefix(grp) + tag(id)
	}
	return s.prefix + ":login:{l:" + tag(id) + "}"
}

// userScoped returns the key of a store.UserKey, kind "h" (counter) or
// "m" (marker), in its email's group; ok is false for any other key.
func (s *Store) userScoped(kind, key string) (string, bool) {
	email, name, ok := store.ParseUserKey(key)
	if !ok {
		return "", false
	}
	return s.groupKey(store.GroupOf(email)) + ":" + kind + ":" + tag(name) + ":" + tag(email), true
}
func (s *Store) enrollKey(hash string) string { return s.prefix + ":enroll:{e:" + tag(hash) + "}" }

// deviceKey is the key of the device id: beside its user's logins when
// the id names a group (store.NewDeviceID), else in a slot of its own.
func (s *Store) deviceKey(id string) string {
	if grp := store.DeviceGroup(id); grp != "" {
		return s.groupKey(grp) + ":d:" + tag(id)
	}
	return s.prefix + ":device:{d:" + tag(id) + "}"
}
func (s *Store) sessionKey(id string) string { return s.prefix + ":session:{s:" + tag(id) + "}" }
func (s *Store) pendingKey(email string) string {
	return s.groupKey(store.GroupOf(email)) + ":p:" + tag(email)
}
func (s *Store) devicesKey(email string) string  { return s.userKey(email) + ":devices" }
func (s *Store) sessionsKey(email string) string { return s.userKey(email) + ":sessions" }
func (s *Store) userKey(email string) string     { return s.prefix + ":{u:" + tag(email) + "}" }
func (s *Store) usersKey() string                { return s.prefix + ":{users}" }
func (s *Store) revokedKey() string              { return s.prefix + ":{rev}:sessions" }
func (s *Store) generationsKey() string          { return s.prefix + ":{rev}:generations" }
func (s *Store) epochKey() string                { return s.prefix + ":{rev}:epoch" }
func (s *Store) waitKey() string                 { return s.prefix + ":{rev}:wait" }
func (s *Store) writeCheckKey() string           { return s.prefix + ":{write-check}" }
func (s *Store) hitKey(key string) string {
	if k, ok := s.userScoped("h", key); ok {
		return k
	}
	return s.prefix + ":hit:{h:" + tag(key) + "}"
}
func (s *Store) markKey(key string) string {
	if k, ok := s.userScoped("m", key); ok {
		return k
	}
	return s.prefix + ":mark:{m:" + tag(key) + "}"
}
func (s *Store) channel() string                { return s.prefix + ":revocations" }
func (s *Store) apiKeyKey(id string) string     { return s.prefix + ":apikey:{k:" + tag(id) + "}" }
func (s *Store) apiKeysKey(email string) string { return s.userKey(email) + ":apikeys" }
