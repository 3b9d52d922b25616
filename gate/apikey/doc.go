// Package apikey gives users long-lived bearer keys for scripts, CI and
// cron: minting, hashing, lookup with an in-memory cache of verified keys,
// revocation on every instance, expiry, a per-key rate limit, and the
// events api_key_created, api_key_used (first use from an address) and
// api_key_revoked.
//
// # The key
//
// A key is "ag_", a 16-character id and a 43-character secret, both
// base64url: 96 random bits of id and 256 random bits of secret. The id
// names the key in lists, logs, events and the X-Authgate-Key header; only
// the whole string opens anything.
//
// # Why a fast keyed hash
//
// The store keeps HMAC-SHA256(server key, key string), never the key. A
// slow hash (bcrypt, scrypt, Argon2) exists to make guessing a
// low-entropy secret, a password, expensive once its hash has leaked. A
// key here is 256 uniformly random bits: even at 10^12 guesses per second
// an attacker with the hash needs about 10^57 years on average, so
// stretching adds nothing but CPU cost, and that cost would land on every
// cache miss, where anyone can trigger it. The server key, derived from
// the signing key (HMAC-SHA256 under a fixed label), means a copy of the
// store alone does not even let anyone test a guess. Comparisons are
// constant-time.
//
// # The hot path
//
// A key verified once is held in memory (keyed by the whole string) for
// CacheTTL or until it expires, whichever is first: a warm request reads
// the cache, the revocation set and its rate-limit bucket, and makes no
// store round trip and no allocation. Use is recorded off the request
// path: a bounded queue feeds Run, which writes the last-used time at most
// once a minute per key and instance, and emits api_key_used when an
// address is seen for the first time (a marker in the shared store makes
// that once across instances).
//
// # Revocation
//
// Revoking publishes a revocation through the same machinery that signs
// sessions out (token.Revocations: pub/sub plus periodic resync), under
// the id "apikey:<id>", which no session id can equal, and then deletes
// the record; in that order, a revocation that fails part way can always
// be retried. Every instance refuses the key within the subscription's delay
// (well under a second); the revocation is kept for MaxCacheTTL plus a
// margin, longer than any instance can hold the key in its cache, after
// which the missing record refuses it. A store that refuses the
// revocation's write but deletes the record (a full Redis) still gets
// the key revoked: other instances then refuse it when their cache of it
// ends.
package apikey
