package redisstore

import (
	"context"
	"fmt"

	"github.com/authgate/authgate/gate/store"
)

// replaceSetSrc makes a SET hold exactly the given members.
// KEYS[1] the SET; ARGV the members (none: the key is deleted).
const replaceSetSrc = `
redis.call('DEL', KEYS[1])
if #ARGV > 0 then redis.call('SADD', KEYS[1], unpack(ARGV)) end
return 1
`

// takeMemberSrc removes the first of the given members that the SET
// holds. KEYS[1] the SET; ARGV the candidates.
// Returns the members left, or -1 if it held none of them.
const takeMemberSrc = `
for i = 1, #ARGV do
  if redis.call('SREM', KEYS[1], ARGV[i]) == 1 then return redis.call('SCARD', KEYS[1]) end
end
return -1
`

// recoveryKey is the SET of a user's unused recovery-code hashes (no
// TTL: the codes last until used or replaced).
func (s *Store) recoveryKey(email string) string { return s.userKey(email) + ":recovery" }

// ResetHits deletes the counter key.
func (s *Store) ResetHits(ctx context.Context, key string) error {
	if err := s.check(); err != nil {
		return err
	}
	return wrap("resetting counter", s.client.Del(ctx, s.hitKey(key)).Err())
}

// ReplaceRecoveryCodes makes hashes the user's only recovery codes, in
// one script.
func (s *Store) ReplaceRecoveryCodes(ctx context.Context, email string, hashes []string) error {
	if err := s.check(); err != nil {
		return err
	}
	args := make([]any, len(hashes))
	for i, h := range hashes {
		args[i] = h
	}
	return wrap("replacing recovery codes", s.scripts.replaceSet.Run(ctx, s.pipe, []string{s.recoveryKey(email)}, args...).Err())
}

// UseRecoveryCode removes the first held of hashes in one script and
// returns how many codes are left, or ErrNotFound.
func (s *Store) UseRecoveryCode(ctx context.Context, email string, hashes []string) (int, error) {
	if err := s.check(); err != nil {
		return 0, err
	}
	if len(hashes) == 0 {
		return 0, fmt.Errorf("redis store: using recovery code: %w", store.ErrNotFound)
	}
	args := make([]any, len(hashes))
	for i, h := range hashes {
		args[i] = h
	}
	left, err := s.scripts.takeMember.Run(ctx, s.pipe, []string{s.recoveryKey(email)}, args...).Int()
	if err != nil {
		return 0, wrap("using recovery code", err)
	}
	if left < 0 {
		return 0, fmt.Errorf("redis store: using recovery code: %w", store.ErrNotFound)
	}
	return left, nil
}

// RecoveryCodesLeft returns the size of the user's SET.
func (s *Store) RecoveryCodesLeft(ctx context.Context, email string) (int, error) {
	if err := s.check(); err != nil {
		return 0, err
	}
	n, err := s.client.SCard(ctx, s.recoveryKey(email)).Result()
	if err != nil {
		return 0, wrap("counting recovery codes", err)
	}
	return int(n), nil
}
