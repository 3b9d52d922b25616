package redisstore

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/authgate/authgate/gate/store"
)

// CreateSession stores sess until its ExpiresAt (SET NX PXAT) and then adds
// it to its user's index, scored by expiry. ErrConflict if the id exists;
// an error if ExpiresAt has already passed.
func (s *Store) CreateSession(ctx context.Context, sess *store.Session) error {
	if err := s.check(); err != nil {
		return err
	}
	if !time.Now().Before(sess.ExpiresAt) {
		return fmt.Errorf("redis store: creating session that expired at %v", sess.ExpiresAt)
	}
	data, err := json.Marshal(sess)
	if err != nil {
		return fmt.Errorf("redis store: encoding session: %w", err)
	}
	set, err := s.client.SetArgs(ctx, s.sessionKey(sess.ID), data, redis.SetArgs{Mode: "NX", ExpireAt: sess.ExpiresAt}).Result()
	if err == redis.Nil || (err == nil && set != "OK") {
		return fmt.Errorf("redis store: creating session: %w", store.ErrConflict)
	}
	if err != nil {
		return wrap("creating session", err)
	}
	if err := s.index(ctx, sess.Email, "add", sess.ExpiresAt, sess.ID); err != nil {
		return err
	}
	return s.replicated(ctx, "creating session")
}

// index runs indexSrc on the user's session index.
func (s *Store) index(ctx context.Context, email, op string, expires time.Time, id string) error {
	err := s.scripts.index.Run(ctx, s.pipe, []string{s.sessionsKey(email)},
		time.Now().UnixMilli(), op, expires.UnixMilli(), id).Err()
	return wrap("indexing session", err)
}

// GetSession returns a live session, or ErrNotFound.
func (s *Store) GetSession(ctx context.Context, id string) (*store.Session, error) {
	if err := s.check(); err != nil {
		return nil, err
	}
	data, err := s.pipe.get(ctx, s.sessionKey(id)).Bytes()
	if err != nil {
		return nil, wrap("reading session", err)
	}
	var sess store.Session
	if err := json.Unmarshal(data, &sess); err != nil {
		return nil, fmt.Errorf("redis store: decoding session: %w", err)
	}
	return &sess, nil
}

// ListSessions returns the user's live sessions, oldest first (ties by
// id). Expired entries are pruned from the index first, and entries whose
// session is gone (revoked) as they are found.
func (s *Store) ListSessions(ctx context.Context, email string) ([]*store.Session, error) {
	if err := s.check(); err != nil {
		return nil, err
	}
	if err := s.index(ctx, email, "prune", time.Time{}, ""); err != nil {
		return nil, err
	}
	index := s.sessionsKey(email)
	ids, err := s.client.ZRange(ctx, index, 0, -1).Result()
	if err != nil {
		return nil, wrap("listing sessions", err)
	}
	cmds := make([]*redis.StringCmd, len(ids))
	_, err = s.client.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, id := range ids {
			cmds[i] = p.Get(ctx, s.sessionKey(id))
		}
		return nil
	})
	if err != nil && err != redis.Nil {
		return nil, wrap("listing sessions", err)
	}
	out := make([]*store.Session, 0, len(ids))
	var stale []any
	for i, cmd := range cmds {
		data, err := cmd.Bytes()
		if err == redis.Nil {
			stale = append(stale, ids[i])
			continue
		}
		if err != nil {
			return nil, wrap("listing sessions", err)
		}
		var sess store.Session
		if err := json.Unmarshal(data, &sess); err != nil {
			return nil, fmt.Errorf("redis store: decoding session: %w", err)
		}
		if sess.Email != email {
			stale = append(stale, ids[i])
			continue
		}
		out = append(out, &sess)
	}
	if len(stale) > 0 {
		if err := s.client.ZRem(ctx, index, stale...).Err(); err != nil {
			return nil, wrap("pruning the session index", err)
		}
	}
	slices.SortFunc(out, func(a, b *store.Session) int {
		return cmp.Or(a.CreatedAt.Compare(b.CreatedAt), cmp.Compare(a.ID, b.ID))
	})
	return out, nil
}

// RevokeSession records id as revoked until until (pruning what has
// passed), deletes the session and its index entry, and publishes the
// revocation on the channel every instance listens to; then it waits for
// the replicas if the store is configured to.
func (s *Store) RevokeSession(ctx context.Context, id string, until time.Time) error {
	if err := s.check(); err != nil {
		return err
	}
	op := "add"
	if !time.Now().Before(until) {
		op = "prune"
	}
	err := s.scripts.index.Run(ctx, s.pipe, []string{s.revokedKey()},
		time.Now().UnixMilli(), op, until.UnixMilli(), id).Err()
	if err != nil {
		return wrap("recording revocation", err)
	}
	data, err := s.client.GetDel(ctx, s.sessionKey(id)).Bytes()
	switch {
	case err == redis.Nil:
	case err != nil:
		return wrap("deleting session", err)
	default:
		var sess store.Session
		if err := json.Unmarshal(data, &sess); err != nil {
			return fmt.Errorf("redis store: decoding session: %w", err)
		}
		if err := s.index(ctx, sess.Email, "rem", time.Time{}, id); err != nil {
			return err
		}
	}
	if err := s.publish(ctx, store.RevocationEvent{SessionID: id, Until: until}); err != nil {
		return err
	}
	return s.replicated(ctx, "recording revocation")
}

// publish sends ev to every instance's subscription.
func (s *Store) publish(ctx context.Context, ev store.RevocationEvent) error {
	msg, err := json.Marshal(ev)
	if err != nil {
		return fmt.Errorf("redis store: encoding revocation: %w", err)
	}
	return wrap("publishing revocation", s.client.Publish(ctx, s.channel(), msg).Err())
}

// BumpGeneration raises the user's generation by one (HINCRBY), publishes
// it and returns it.
func (s *Store) BumpGeneration(ctx context.Context, email string) (int64, error) {
	if err := s.check(); err != nil {
		return 0, err
	}
	gen, err := s.client.HIncrBy(ctx, s.generationsKey(), email, 1).Result()
	if err != nil {
		return 0, wrap("bumping generation", err)
	}
	if err := s.publish(ctx, store.RevocationEvent{Email: email, Generation: gen}); err != nil {
		return gen, err
	}
	return gen, s.replicated(ctx, "bumping generation")
}

// Generation returns the user's generation, 0 if never bumped.
func (s *Store) Generation(ctx context.Context, email string) (int64, error) {
	if err := s.check(); err != nil {
		return 0, err
	}
	gen, err := s.pipe.hget(ctx, s.generationsKey(), email).Int64()
	if err == redis.Nil {
		return 0, nil
	}
	if err != nil {
		return 0, wrap("reading generation", err)
	}
	return gen, nil
}
