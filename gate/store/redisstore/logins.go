package redisstore

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/authgate/authgate/gate/store"
)

// A login is a HASH: "data" holds the login's JSON as created, and the
// fields a transition changes live beside it, so the transition script
// never parses JSON.
const (
	fieldData      = "data"
	fieldStatus    = "status"
	fieldReason    = "reason"
	fieldDeviceID  = "device_id"
	fieldDecidedAt = "decided_at"
	fieldSessionID = "session_id"
)

// formatTime renders t for a HASH field; the zero time is "".
func formatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Format(time.RFC3339Nano)
}

// parseTime reads a time written by formatTime.
func parseTime(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("redis store: stored time %q: %w", s, err)
	}
	return t, nil
}

// formatDecidedAt renders a login's decision time for its field, in
// Unix ms (shorter than RFC 3339: a field is kept for every login); the
// zero time is "".
func formatDecidedAt(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return strconv.FormatInt(t.UnixMilli(), 10)
}

// parseDecidedAt reads a time written by formatDecidedAt, or by
// formatTime (logins written before).
func parseDecidedAt(s string) (time.Time, error) {
	if ms, err := strconv.ParseInt(s, 10, 64); err == nil {
		return time.UnixMilli(ms).UTC(), nil
	}
	return parseTime(s)
}

// ttlMillis converts a lifetime to whole milliseconds, refusing one too
// short to store.
func ttlMillis(what string, ttl time.Duration) (int64, error) {
	ms := ttl.Milliseconds()
	if ms <= 0 {
		return 0, fmt.Errorf("redis store: %s: lifetime %v is under a millisecond", what, ttl)
	}
	return ms, nil
}

// CreateLogin stores l for ttl. ErrConflict if the id exists.
func (s *Store) CreateLogin(ctx context.Context, l *store.Login, ttl time.Duration) error {
	if err := s.check(); err != nil {
		return err
	}
	ms, err := ttlMillis("creating login", ttl)
	if err != nil {
		return err
	}
	fields, err := loginFields(l)
	if err != nil {
		return err
	}
	msg, err := changeMessage(store.LoginChange{ID: l.ID, Email: l.Email})
	if err != nil {
		return err
	}
	created, err := s.scripts.createLogin.Run(ctx, s.pipe, []string{s.loginKey(l.ID)},
		append([]any{ms, s.loginChannel(), msg}, fields...)...).Int()
	if err != nil {
		return wrap("creating login", err)
	}
	if created == 0 {
		return fmt.Errorf("redis store: creating login: %w", store.ErrConflict)
	}
	// Confirmed with the pending claim made before it: a browser whose
	// login a failover dropped would hold a binding to nothing, and be
	// refused as "another login is pending" until the old claim expired.
	return s.replicated(ctx, "creating login")
}

// GetLogin returns the login, or ErrNotFound.
func (s *Store) GetLogin(ctx context.Context, id string) (*store.Login, error) {
	if err := s.check(); err != nil {
		return nil, err
	}
	fields, err := s.pipe.hgetall(ctx, s.loginKey(id)).Result()
	if err != nil {
		return nil, wrap("reading login", err)
	}
	if len(fields) == 0 {
		return nil, fmt.Errorf("redis store: reading login: %w", store.ErrNotFound)
	}
	return decodeLogin(id, fields)
}

// storedLogin is a login's JSON in its HASH: without its id (the key
// has it) and status (a field of its own), so that the JSON stays in a
// smaller allocation. Older records carry both; they are read as they
// are.
type storedLogin struct {
	*store.Login
	ID     string            `json:"id,omitempty"`
	Status store.LoginStatus `json:"status,omitempty"`
}

// encodeLogin renders l's JSON for its HASH: without the values of its
// fieldChecks when it has one (checks true).
func encodeLogin(l *store.Login, checks bool) ([]byte, error) {
	var v any = storedLogin{Login: l}
	if checks {
		v = compactLogin{storedLogin: storedLogin{Login: l}}
	}
	data, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("redis store: encoding login: %w", err)
	}
	return data, nil
}

// decodeLogin rebuilds the login id from its HASH fields.
func decodeLogin(id string, fields map[string]string) (*store.Login, error) {
	var l store.Login
	if err := json.Unmarshal([]byte(fields[fieldData]), &storedLogin{Login: &l}); err != nil {
		return nil, fmt.Errorf("redis store: decoding login: %w", err)
	}
	l.ID = id
	if k, ok := fields[fieldChecks]; ok {
		if err := parseChecks(&l, k); err != nil {
			return nil, err
		}
	}
	decided, err := parseDecidedAt(fields[fieldDecidedAt])
	if err != nil {
		return nil, err
	}
	l.Status = store.LoginStatus(fields[fieldStatus])
	l.Reason, l.DeviceID, l.SessionID = fields[fieldReason], fields[fieldDeviceID], fields[fieldSessionID]
	l.DecidedAt = decided
	return &l, nil
}

// TransitionLogin moves the login from t.From to t.To in one Lua script,
// keeping the login's TTL. Non-zero fields of t (Reason, DeviceID, At as
// DecidedAt, SessionID) replace the login's; zero ones leave them as they
// were.
func (s *Store) TransitionLogin(ctx context.Context, id string, t store.Transition) (*store.Login, error) {
	if err := s.check(); err != nil {
		return nil, err
	}
	if t.To == "" {
		return nil, fmt.Errorf("redis store: transition of login to an empty status")
	}
	msg, err := changeMessage(store.LoginChange{ID: id})
	if err != nil {
		return nil, err
	}
	keys := []string{s.loginKey(id)}
	releaseAfter := t.ReleaseEmail != ""
	if grp := store.LoginGroup(id); releaseAfter && grp != "" && store.GroupOf(t.ReleaseEmail) == grp {
		keys, releaseAfter = append(keys, s.pendingKey(t.ReleaseEmail)), false
	}
	res, err := s.scripts.transition.Run(ctx, s.pipe, keys,
		string(t.From), string(t.To), t.Reason, t.DeviceID, formatDecidedAt(t.At), t.SessionID,
		s.loginChannel(), msg, id,
	).Slice()
	if err != nil {
		return nil, wrap("transition of login", err)
	}
	outcome, _ := res[0].(int64)
	if outcome == 0 {
		return nil, fmt.Errorf("redis store: transition of login: %w", store.ErrNotFound)
	}
	fields, err := pairs(res[1])
	if err != nil {
		return nil, fmt.Errorf("redis store: transition of login: %w", err)
	}
	l, err := decodeLogin(id, fields)
	if err != nil {
		return nil, err
	}
	if outcome == 1 {
		return l, fmt.Errorf("redis store: transition of login from %s, but it is %s: %w", t.From, l.Status, store.ErrConflict)
	}
	if releaseAfter { // a login made before groups: its claim is elsewhere
		if err := s.ReleasePending(ctx, t.ReleaseEmail, id); err != nil {
			return l, err
		}
	}
	// A transition a failover could undo would let a login be decided,
	// or collected, twice.
	return l, s.replicated(ctx, "transition of login")
}

// pairs turns a flat field, value… reply into a map.
func pairs(v any) (map[string]string, error) {
	flat, ok := v.([]any)
	if !ok || len(flat)%2 != 0 {
		return nil, fmt.Errorf("unexpected script reply %T", v)
	}
	m := make(map[string]string, len(flat)/2)
	for i := 0; i < len(flat); i += 2 {
		k, _ := flat[i].(string)
		val, _ := flat[i+1].(string)
		m[k] = val
	}
	return m, nil
}

// ClaimPending records id as email's pending login for ttl, also when id
// already holds the claim (its lifetime starts over). If another id holds
// it, it returns that id and ErrConflict.
func (s *Store) ClaimPending(ctx context.Context, email, id string, ttl time.Duration) (string, error) {
	if err := s.check(); err != nil {
		return "", err
	}
	ms, err := ttlMillis("claiming pending login", ttl)
	if err != nil {
		return "", err
	}
	res, err := s.scripts.claim.Run(ctx, s.pipe, []string{s.pendingKey(email)}, id, ms).Slice()
	if err != nil {
		return "", wrap("claiming pending login", err)
	}
	won, _ := res[0].(int64)
	holder, _ := res[1].(string)
	if won == 0 {
		return holder, fmt.Errorf("redis store: claiming pending login: %w", store.ErrConflict)
	}
	return holder, nil
}

// PendingFor returns the id holding email's pending claim, or ErrNotFound.
func (s *Store) PendingFor(ctx context.Context, email string) (string, error) {
	if err := s.check(); err != nil {
		return "", err
	}
	id, err := s.pipe.get(ctx, s.pendingKey(email)).Result()
	if err != nil {
		return "", wrap("reading pending login", err)
	}
	return id, nil
}

// ReleasePending clears email's pending claim if id holds it; otherwise it
// changes nothing and returns nil.
func (s *Store) ReleasePending(ctx context.Context, email, id string) error {
	if err := s.check(); err != nil {
		return err
	}
	err := s.scripts.release.Run(ctx, s.pipe, []string{s.pendingKey(email)}, id).Err()
	if err != nil && err != redis.Nil {
		return wrap("releasing pending login", err)
	}
	return nil
}
