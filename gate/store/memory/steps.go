package memory

import (
	"context"
	"fmt"
	"time"

	"github.com/authgate/authgate/gate/store"
)

// checkUserKeys returns an error unless every non-empty key is a user key
// of email.
func checkUserKeys(email string, keys ...string) error {
	for _, k := range keys {
		if k == "" {
			continue
		}
		if e, _, ok := store.ParseUserKey(k); !ok || e != email {
			return fmt.Errorf("memory store: %q is not a user key of %s", k, email)
		}
	}
	return nil
}

// StartLogin does the checks, the count, the claim, the creation and the
// recent marker of s under the store's lock.
func (s *Store) StartLogin(ctx context.Context, st store.LoginStart) (*store.LoginStarted, error) {
	if err := checkUserKeys(st.Email, append([]string{st.Counter, st.Recent}, st.Pauses...)...); err != nil {
		return nil, err
	}
	if st.Login != nil && st.Login.Email != st.Email {
		return nil, fmt.Errorf("memory store: starting a login of %s as %s", st.Login.Email, st.Email)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.usable(ctx); err != nil {
		return nil, err
	}
	now := time.Now()
	res := &store.LoginStarted{}
	for _, p := range st.Pauses {
		if until, ok := s.marks[p]; ok && now.Before(until) {
			res.Paused, res.PausedFor = p, until.Sub(now)
			return res, nil
		}
	}
	if st.Counter != "" {
		e, ok := s.hits[st.Counter]
		if !ok || !e.live(now) {
			e = timed[int64]{until: now.Add(st.Window)}
		}
		e.v++
		s.hits[st.Counter] = e
		res.Count, res.CountReset = e.v, e.until.Sub(now)
		if e.v > st.Limit {
			res.Limited = true
			return res, nil
		}
	}
	l := st.Login
	if l == nil {
		return res, nil
	}
	if e, ok := s.logins[l.ID]; ok && e.live(now) {
		return nil, fmt.Errorf("memory store: starting login: %w", store.ErrConflict)
	}
	if !st.Unclaimed {
		if e, ok := s.pending[st.Email]; ok && e.live(now) && e.v != l.ID {
			res.Holder = e.v
			return res, nil
		}
		s.pending[st.Email] = timed[string]{v: l.ID, until: now.Add(st.PendingTTL)}
	}
	s.logins[l.ID] = timed[*store.Login]{v: cloneLogin(l), until: now.Add(st.TTL)}
	s.loginSubs.publishLocked(store.LoginChange{ID: l.ID, Email: l.Email})
	res.Created = true
	if st.Recent != "" {
		if until, ok := s.marks[st.Recent]; !ok || !now.Before(until) {
			s.marks[st.Recent] = now.Add(st.RecentTTL)
			res.Recent = true
		}
	}
	return res, nil
}

// PendingLogin returns a copy of the login email's pending claim names.
func (s *Store) PendingLogin(ctx context.Context, email string) (*store.Login, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.usable(ctx); err != nil {
		return nil, err
	}
	now := time.Now()
	p, ok := s.pending[email]
	if !ok || !p.live(now) {
		return nil, fmt.Errorf("memory store: pending login: %w", store.ErrNotFound)
	}
	e, ok := s.logins[p.v]
	if !ok || !e.live(now) {
		return nil, fmt.Errorf("memory store: pending login: %w", store.ErrNotFound)
	}
	return cloneLogin(e.v), nil
}

// CollectLogin collects the login under the store's lock when it is
// approved and c's binding and API mark are its own; it announces
// nothing.
func (s *Store) CollectLogin(ctx context.Context, id string, c store.Collection) (*store.Login, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.usable(ctx); err != nil {
		return nil, false, err
	}
	e, ok := s.logins[id]
	if !ok || !e.live(time.Now()) {
		return nil, false, fmt.Errorf("memory store: collecting login: %w", store.ErrNotFound)
	}
	l := e.v
	if l.Status != store.LoginApproved || l.BindingHash == "" || l.BindingHash != c.BindingHash || l.API != c.API {
		return cloneLogin(l), false, nil
	}
	l.Status = store.LoginCollected
	if c.SessionID != "" {
		l.SessionID = c.SessionID
	}
	for _, name := range c.ResetCounters {
		delete(s.hits, store.UserKey(l.Email, name))
	}
	return cloneLogin(l), true, nil
}

// deviceMarkKey names a device's one-time marker among the store's marks;
// no caller's key starts with a NUL.
func deviceMarkKey(id, mark string) string { return "\x00d\x00" + id + "\x00" + mark }

// approvedFor is how long the store remembers that a device approved a
// login.
const approvedFor = 400 * 24 * time.Hour

// UseDevice takes the device's marker and records its use under the
// store's lock.
func (s *Store) UseDevice(ctx context.Context, id, mark string, ttl time.Duration, lastUsed time.Time) (*store.Device, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.usable(ctx); err != nil {
		return nil, err
	}
	return s.useDeviceLocked(id, mark, ttl, lastUsed)
}

// useDeviceLocked is UseDevice with the store's lock held.
func (s *Store) useDeviceLocked(id, mark string, ttl time.Duration, lastUsed time.Time) (*store.Device, error) {
	d, ok := s.devices[id]
	if !ok {
		return nil, fmt.Errorf("memory store: using device: %w", store.ErrNotFound)
	}
	now := time.Now()
	key := deviceMarkKey(id, mark)
	if until, ok := s.marks[key]; ok && now.Before(until) {
		return nil, fmt.Errorf("memory store: using device: %w", store.ErrConflict)
	}
	s.marks[key] = now.Add(ttl)
	if !lastUsed.IsZero() {
		d.LastUsed = lastUsed
	}
	return cloneDevice(d), nil
}

// NoteApproval records the device's approval under the store's lock.
func (s *Store) NoteApproval(ctx context.Context, id string) (*store.Device, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.usable(ctx); err != nil {
		return nil, false, err
	}
	d, ok := s.devices[id]
	if !ok {
		return nil, false, fmt.Errorf("memory store: noting approval: %w", store.ErrNotFound)
	}
	now := time.Now()
	key := deviceMarkKey(id, "approved")
	until, seen := s.marks[key]
	first := !seen || !now.Before(until)
	s.marks[key] = now.Add(approvedFor)
	return cloneDevice(d), first, nil
}

// DecideLogin records the decision under the store's lock.
func (s *Store) DecideLogin(ctx context.Context, id string, d store.Decision) (*store.Login, store.DecideOutcome, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.usable(ctx); err != nil {
		return nil, 0, err
	}
	return s.decideLocked(id, d)
}

// UseDeviceAndDecide takes the device's marker and decides under one
// hold of the store's lock.
func (s *Store) UseDeviceAndDecide(ctx context.Context, u store.DeviceUse, id string, d store.Decision) (*store.DecideUse, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.usable(ctx); err != nil {
		return nil, err
	}
	if d.DeviceID != u.ID {
		return nil, fmt.Errorf("memory store: deciding with device %s for device %s", u.ID, d.DeviceID)
	}
	dev, err := s.useDeviceLocked(u.ID, u.Mark, u.TTL, u.LastUsed)
	if err != nil {
		return nil, err
	}
	out := &store.DecideUse{Device: dev}
	out.Login, out.Outcome, out.LoginErr = s.decideLocked(id, d)
	return out, nil
}

// decideLocked is DecideLogin with the store's lock held.
func (s *Store) decideLocked(id string, d store.Decision) (*store.Login, store.DecideOutcome, error) {
	e, ok := s.logins[id]
	if !ok || !e.live(time.Now()) || e.v.Email != d.Email || e.v.Withheld {
		return nil, 0, fmt.Errorf("memory store: deciding login: %w", store.ErrNotFound)
	}
	l := e.v
	if l.Status != store.LoginPending {
		return cloneLogin(l), store.AlreadyDecided, nil
	}
	outcome := store.Decided
	switch {
	case d.At.After(l.ExpiresAt):
		l.Status, l.Reason, outcome = store.LoginExpired, d.ExpiredReason, store.Expired
	case d.CheckNumber && d.Number != l.Code:
		l.Status, l.Reason, l.DeviceID = d.WrongTo, d.WrongReason, d.DeviceID
	default:
		l.Status, l.Reason, l.DeviceID = d.To, d.Reason, d.DeviceID
	}
	l.DecidedAt = d.At
	if p, ok := s.pending[l.Email]; ok && p.v == id {
		delete(s.pending, l.Email)
	}
	s.loginSubs.publishLocked(store.LoginChange{ID: id})
	return cloneLogin(l), outcome, nil
}
