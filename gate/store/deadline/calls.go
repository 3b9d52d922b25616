package deadline

// One method per store call that answers a request; keep it in step with
// package store (a method missing here passes through without a
// deadline).

import (
	"context"
	"time"

	"github.com/authgate/authgate/gate/store"
)

// CreateLogin calls the store's CreateLogin with the deadline.
func (s *Store) CreateLogin(ctx context.Context, l *store.Login, ttl time.Duration) error {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	return s.Store.CreateLogin(ctx, l, ttl)
}

// GetLogin calls the store's GetLogin with the deadline.
func (s *Store) GetLogin(ctx context.Context, id string) (*store.Login, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	return s.Store.GetLogin(ctx, id)
}

// TransitionLogin calls the store's TransitionLogin with the deadline.
func (s *Store) TransitionLogin(ctx context.Context, id string, t store.Transition) (*store.Login, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	return s.Store.TransitionLogin(ctx, id, t)
}

// ClaimPending calls the store's ClaimPending with the deadline.
func (s *Store) ClaimPending(ctx context.Context, email, id string, ttl time.Duration) (string, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	return s.Store.ClaimPending(ctx, email, id, ttl)
}

// PendingFor calls the store's PendingFor with the deadline.
func (s *Store) PendingFor(ctx context.Context, email string) (string, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	return s.Store.PendingFor(ctx, email)
}

// ReleasePending calls the store's ReleasePending with the deadline.
func (s *Store) ReleasePending(ctx context.Context, email, id string) error {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	return s.Store.ReleasePending(ctx, email, id)
}

// CreateEnrollment calls the store's CreateEnrollment with the deadline.
func (s *Store) CreateEnrollment(ctx context.Context, tokenHash, email string, ttl time.Duration) error {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	return s.Store.CreateEnrollment(ctx, tokenHash, email, ttl)
}

// ConsumeEnrollment calls the store's ConsumeEnrollment with the deadline.
func (s *Store) ConsumeEnrollment(ctx context.Context, tokenHash string) (string, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	return s.Store.ConsumeEnrollment(ctx, tokenHash)
}

// CreateDevice calls the store's CreateDevice with the deadline.
func (s *Store) CreateDevice(ctx context.Context, d *store.Device) error {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	return s.Store.CreateDevice(ctx, d)
}

// GetDevice calls the store's GetDevice with the deadline.
func (s *Store) GetDevice(ctx context.Context, id string) (*store.Device, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	return s.Store.GetDevice(ctx, id)
}

// UpdateDevice calls the store's UpdateDevice with the deadline.
func (s *Store) UpdateDevice(ctx context.Context, id, name string, lastUsed time.Time) error {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	return s.Store.UpdateDevice(ctx, id, name, lastUsed)
}

// ListDevices calls the store's ListDevices with the deadline.
func (s *Store) ListDevices(ctx context.Context, email string) ([]*store.Device, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	return s.Store.ListDevices(ctx, email)
}

// DeleteDevice calls the store's DeleteDevice with the deadline.
func (s *Store) DeleteDevice(ctx context.Context, id string) error {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	return s.Store.DeleteDevice(ctx, id)
}

// CreateSession calls the store's CreateSession with the deadline.
func (s *Store) CreateSession(ctx context.Context, sess *store.Session) error {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	return s.Store.CreateSession(ctx, sess)
}

// GetSession calls the store's GetSession with the deadline.
func (s *Store) GetSession(ctx context.Context, id string) (*store.Session, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	return s.Store.GetSession(ctx, id)
}

// ListSessions calls the store's ListSessions with the deadline.
func (s *Store) ListSessions(ctx context.Context, email string) ([]*store.Session, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	return s.Store.ListSessions(ctx, email)
}

// RevokeSession calls the store's RevokeSession with the deadline.
func (s *Store) RevokeSession(ctx context.Context, id string, until time.Time) error {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	return s.Store.RevokeSession(ctx, id, until)
}

// BumpGeneration calls the store's BumpGeneration with the deadline.
func (s *Store) BumpGeneration(ctx context.Context, email string) (int64, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	return s.Store.BumpGeneration(ctx, email)
}

// Generation calls the store's Generation with the deadline.
func (s *Store) Generation(ctx context.Context, email string) (int64, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	return s.Store.Generation(ctx, email)
}

// Hit calls the store's Hit with the deadline.
func (s *Store) Hit(ctx context.Context, key string, window time.Duration) (int64, time.Duration, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	return s.Store.Hit(ctx, key, window)
}

// Mark calls the store's Mark with the deadline.
func (s *Store) Mark(ctx context.Context, key string, ttl time.Duration) error {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	return s.Store.Mark(ctx, key, ttl)
}

// MarkTTL calls the store's MarkTTL with the deadline.
func (s *Store) MarkTTL(ctx context.Context, key string) (time.Duration, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	return s.Store.MarkTTL(ctx, key)
}

// Unmark calls the store's Unmark with the deadline.
func (s *Store) Unmark(ctx context.Context, key string) error {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	return s.Store.Unmark(ctx, key)
}

// ResetHits calls the store's ResetHits with the deadline.
func (s *Store) ResetHits(ctx context.Context, key string) error {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	return s.Store.ResetHits(ctx, key)
}

// CreateAPIKey calls the store's CreateAPIKey with the deadline.
func (s *Store) CreateAPIKey(ctx context.Context, k *store.APIKey) error {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	return s.Store.CreateAPIKey(ctx, k)
}

// GetAPIKey calls the store's GetAPIKey with the deadline.
func (s *Store) GetAPIKey(ctx context.Context, id string) (*store.APIKey, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	return s.Store.GetAPIKey(ctx, id)
}

// ListAPIKeys calls the store's ListAPIKeys with the deadline.
func (s *Store) ListAPIKeys(ctx context.Context, email string) ([]*store.APIKey, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	return s.Store.ListAPIKeys(ctx, email)
}

// TouchAPIKey calls the store's TouchAPIKey with the deadline.
func (s *Store) TouchAPIKey(ctx context.Context, id string, t time.Time) error {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	return s.Store.TouchAPIKey(ctx, id, t)
}

// DeleteAPIKey calls the store's DeleteAPIKey with the deadline.
func (s *Store) DeleteAPIKey(ctx context.Context, id string) (*store.APIKey, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	return s.Store.DeleteAPIKey(ctx, id)
}

// ReplaceRecoveryCodes calls the store's ReplaceRecoveryCodes with the deadline.
func (s *Store) ReplaceRecoveryCodes(ctx context.Context, email string, hashes []string) error {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	return s.Store.ReplaceRecoveryCodes(ctx, email, hashes)
}

// UseRecoveryCode calls the store's UseRecoveryCode with the deadline.
func (s *Store) UseRecoveryCode(ctx context.Context, email string, hashes []string) (int, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	return s.Store.UseRecoveryCode(ctx, email, hashes)
}

// RecoveryCodesLeft calls the store's RecoveryCodesLeft with the deadline.
func (s *Store) RecoveryCodesLeft(ctx context.Context, email string) (int, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	return s.Store.RecoveryCodesLeft(ctx, email)
}

// Ping calls the store's Ping with the deadline.
func (s *Store) Ping(ctx context.Context) error {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	return s.Store.Ping(ctx)
}
