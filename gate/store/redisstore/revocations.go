package redisstore

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/authgate/authgate/gate/store"
)

// snapshotSrc writes the epoch marker if there is none, then reads it with
// the revocations still in force, all in one atomic step. It writes only
// when the marker is missing: a Redis at its maxmemory under noeviction
// refuses a script's SET even when NX would leave the key alone, and
// the read alone must go on working there, or every logged-in user gets
// 503 once revocations grow stale while Redis still answers reads.
// KEYS[1] the revoked ZSET, KEYS[2] the generations HASH, KEYS[3] the
// marker; ARGV[1] now in ms, ARGV[2] the marker to write if none.
// Returns {marker, {sid, until…}, {email, gen…}}.
const snapshotSrc = `
local marker = redis.call('GET', KEYS[3])
if not marker then
  redis.call('SET', KEYS[3], ARGV[2])
  marker = ARGV[2]
end
return {marker,
  redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. ARGV[1], '+inf', 'WITHSCORES'),
  redis.call('HGETALL', KEYS[2])}
`

// restoreSrc merges revocations back: a session keeps the later of its
// untils (ZADD GT), a generation only rises; then the revoked index is
// pruned and expires with its last member, as indexSrc keeps it.
// KEYS[1] the revoked ZSET, KEYS[2] the generations HASH; ARGV[1] now in
// ms, ARGV[2] the number n of sessions, then n pairs sid, until in ms,
// then pairs email, generation.
// Returns {{sid, until…}, {email, gen…}}: the entries it changed.
const restoreSrc = `
local now = tonumber(ARGV[1])
local sessions, gens = {}, {}
local i = 3
for _ = 1, tonumber(ARGV[2]) do
  if tonumber(ARGV[i + 1]) > now and redis.call('ZADD', KEYS[1], 'GT', 'CH', ARGV[i + 1], ARGV[i]) > 0 then
    table.insert(sessions, ARGV[i])
    table.insert(sessions, ARGV[i + 1])
  end
  i = i + 2
end
while i < #ARGV do
  local cur = tonumber(redis.call('HGET', KEYS[2], ARGV[i]) or '0')
  if tonumber(ARGV[i + 1]) > cur then
    redis.call('HSET', KEYS[2], ARGV[i], ARGV[i + 1])
    table.insert(gens, ARGV[i])
    table.insert(gens, ARGV[i + 1])
  end
  i = i + 2
end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
local last = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
if #last > 0 then redis.call('PEXPIREAT', KEYS[1], last[2]) end
return {sessions, gens}
`

// restoreBatch is how many entries one restore script call carries, so
// that a large write-back never blocks Redis for long.
const restoreBatch = 500

// Revocations returns the revocations still in force and the epoch
// marker, writing a fresh marker first if there is none, in one script
// (every key shares the {rev} tag).
func (s *Store) Revocations(ctx context.Context) (*store.RevocationSnapshot, error) {
	if err := s.check(); err != nil {
		return nil, err
	}
	now := time.Now()
	res, err := s.scripts.snapshot.Run(ctx, s.pipe,
		[]string{s.revokedKey(), s.generationsKey(), s.epochKey()},
		now.UnixMilli(), store.NewEpoch(now).String()).Slice()
	if err != nil {
		return nil, wrap("reading revocations", err)
	}
	if len(res) != 3 {
		return nil, fmt.Errorf("redis store: reading revocations: unexpected reply of %d parts", len(res))
	}
	marker, _ := res[0].(string)
	epoch, err := store.ParseEpoch(marker)
	if err != nil {
		return nil, fmt.Errorf("redis store: reading revocations: %w", err)
	}
	revoked, err := pairs(res[1])
	if err != nil {
		return nil, fmt.Errorf("redis store: reading revoked sessions: %w", err)
	}
	gens, err := pairs(res[2])
	if err != nil {
		return nil, fmt.Errorf("redis store: reading generations: %w", err)
	}
	snap := &store.RevocationSnapshot{
		Sessions:    make(map[string]time.Time, len(revoked)),
		Generations: make(map[string]int64, len(gens)),
		Epoch:       epoch,
	}
	for id, score := range revoked {
		until, err := strconv.ParseFloat(score, 64)
		if err != nil {
			return nil, fmt.Errorf("redis store: until of a revoked session: %w", err)
		}
		snap.Sessions[id] = time.UnixMilli(int64(until))
	}
	for email, v := range gens {
		gen, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("redis store: generation of a user: %w", err)
		}
		snap.Generations[email] = gen
	}
	return snap, nil
}

// RestoreRevocations merges snap back into Redis in batches of
// restoreBatch entries, publishes what it changed, then waits for the
// replicas when the store is configured to.
func (s *Store) RestoreRevocations(ctx context.Context, snap *store.RevocationSnapshot) error {
	if err := s.check(); err != nil {
		return err
	}
	now := time.Now().UnixMilli()
	var sessions, gens []any
	flush := func() error {
		if len(sessions)+len(gens) == 0 {
			return nil
		}
		args := append(append([]any{now, len(sessions) / 2}, sessions...), gens...)
		sessions, gens = sessions[:0], gens[:0]
		res, err := s.scripts.restore.Run(ctx, s.pipe, []string{s.revokedKey(), s.generationsKey()}, args...).Slice()
		if err != nil {
			return wrap("restoring revocations", err)
		}
		return s.publishRestored(ctx, res)
	}
	for id, until := range snap.Sessions {
		if until.UnixMilli() <= now {
			continue
		}
		sessions = append(sessions, id, until.UnixMilli())
		if len(sessions)/2 >= restoreBatch {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	for email, gen := range snap.Generations {
		if gen <= 0 {
			continue
		}
		gens = append(gens, email, gen)
		if len(sessions)/2+len(gens)/2 >= restoreBatch {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	if err := flush(); err != nil {
		return err
	}
	return s.replicated(ctx, "restoring revocations")
}

// publishRestored publishes the entries a restore script changed, so that
// every instance learns them now rather than at its next resync.
func (s *Store) publishRestored(ctx context.Context, res []any) error {
	if len(res) != 2 {
		return fmt.Errorf("redis store: restoring revocations: unexpected reply of %d parts", len(res))
	}
	sessions, err := pairs(res[0])
	if err != nil {
		return fmt.Errorf("redis store: restored sessions: %w", err)
	}
	gens, err := pairs(res[1])
	if err != nil {
		return fmt.Errorf("redis store: restored generations: %w", err)
	}
	for id, v := range sessions {
		ms, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return fmt.Errorf("redis store: until of a restored session: %w", err)
		}
		if err := s.publish(ctx, store.RevocationEvent{SessionID: id, Until: time.UnixMilli(ms)}); err != nil {
			return err
		}
	}
	for email, v := range gens {
		gen, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return fmt.Errorf("redis store: restored generation: %w", err)
		}
		if err := s.publish(ctx, store.RevocationEvent{Email: email, Generation: gen}); err != nil {
			return err
		}
	}
	return nil
}
