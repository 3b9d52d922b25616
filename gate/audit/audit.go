// Package audit is the audit trail: every event the gateway emits and
// every admin action, with who did it, kept for a retention period and
// capped in size. A Trail stores entries (a Redis Stream shared by every
// instance in package redisaudit, a bounded ring in memory here); the
// Writer takes entries off the request path and writes them in the
// background.
package audit

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/authgate/authgate/gate/event"
)

// Defaults for a Trail's limits.
const (
	// DefaultRetention is how long entries are kept: 30 days.
	DefaultRetention = 30 * 24 * time.Hour
	// DefaultMaxEntries caps the trail's size.
	DefaultMaxEntries = 100_000
	// DefaultLimit is the page size of a listing without a limit.
	DefaultLimit = 100
	// MaxLimit is the largest page a listing returns.
	MaxLimit = 1000
)

// ActionPrefix begins the type of every admin action ("admin.session_revoke").
const ActionPrefix = "admin."

// Entry is one line of the audit trail.
type Entry struct {
	// ID orders entries: a later entry of the same trail has a greater
	// ID. It is the cursor of a listing's next page.
	ID string `json:"id"`
	// Time is when it happened.
	Time time.Time `json:"time"`
	// Type is the event type ("login", "login_failed", …) or, for an admin
	// action, ActionPrefix and the action ("admin.session_revoke").
	Type string `json:"type"`
	// Actor is who did it: the admin for an admin action, the "by" of an
	// event that names one, else the user the event is about.
	Actor string `json:"actor,omitempty"`
	// Email is the user the entry is about, if any.
	Email string `json:"email,omitempty"`
	// EventID is the id of the gateway event this entry records.
	EventID string `json:"event_id,omitempty"`
	// Data holds the event's data or the action's details.
	Data map[string]any `json:"data,omitempty"`
}

// FromEvent makes the entry of a gateway event.
func FromEvent(e event.Event) Entry {
	email, _ := e.Data["email"].(string)
	actor := email
	if by, ok := e.Data["by"].(string); ok && by != "" {
		actor = by
	}
	return Entry{Time: e.Time, Type: e.Type, Actor: actor, Email: email, EventID: e.ID, Data: e.Data}
}

// Action makes the entry of an admin action: actor did action to the
// user email (empty if none), with details.
func Action(actor, action, email string, details map[string]any) Entry {
	return Entry{Time: time.Now().UTC().Truncate(time.Millisecond), Type: ActionPrefix + action,
		Actor: actor, Email: email, Data: details}
}

// Query selects entries. The zero value lists the newest DefaultLimit.
type Query struct {
	// Email keeps entries about this user or done by them.
	Email string
	// Type keeps entries of this type; a value ending in "*" is a prefix
	// ("admin.*").
	Type string
	// Since and Until bound the entries' time (inclusive); zero is open.
	Since, Until time.Time
	// Limit is the page size (DefaultLimit if 0, at most MaxLimit).
	Limit int
	// Before continues a listing: only entries older than this ID (the
	// previous page's Next).
	Before string
}

// ErrBadQuery is wrapped by the error of a query that makes no sense.
var ErrBadQuery = errors.New("bad audit query")

// Normalize checks q and fills in its default limit.
func (q *Query) Normalize() error {
	switch {
	case q.Limit < 0:
		return fmt.Errorf("%w: limit must be positive", ErrBadQuery)
	case q.Limit == 0:
		q.Limit = DefaultLimit
	case q.Limit > MaxLimit:
		q.Limit = MaxLimit
	}
	if !q.Since.IsZero() && !q.Until.IsZero() && q.Until.Before(q.Since) {
		return fmt.Errorf("%w: until is before since", ErrBadQuery)
	}
	return nil
}

// Match reports whether e passes q's filters (not its paging).
func (q *Query) Match(e *Entry) bool {
	if q.Email != "" && e.Email != q.Email && e.Actor != q.Email {
		return false
	}
	if q.Type != "" {
		if n := len(q.Type); q.Type[n-1] == '*' {
			if len(e.Type) < n-1 || e.Type[:n-1] != q.Type[:n-1] {
				return false
			}
		} else if e.Type != q.Type {
			return false
		}
	}
	if !q.Since.IsZero() && e.Time.Before(q.Since) {
		return false
	}
	if !q.Until.IsZero() && e.Time.After(q.Until) {
		return false
	}
	return true
}

// Page is one page of a listing, newest first.
type Page struct {
	Entries []Entry `json:"entries"`
	// Next, if set, is the Query.Before of the following page.
	Next string `json:"next,omitempty"`
}

// Trail keeps the audit trail. Implementations are safe for concurrent
// use.
type Trail interface {
	// Append adds entries, oldest first, giving each its ID; entries older
	// than the retention, and the oldest beyond the size cap, go.
	Append(ctx context.Context, entries ...Entry) error
	// List returns entries matching q, newest first.
	List(ctx context.Context, q Query) (Page, error)
}

// WriteJSONLines writes entries as JSON lines (one object per line), the
// export format.
func WriteJSONLines(w io.Writer, entries []Entry) error {
	enc := json.NewEncoder(w)
	for i := range entries {
		if err := enc.Encode(&entries[i]); err != nil {
			return fmt.Errorf("writing audit entry: %w", err)
		}
	}
	return nil
}

// Limits are a trail's retention and size cap; zero values mean the
// defaults.
type Limits struct {
	Retention  time.Duration
	MaxEntries int
}

// WithDefaults returns l with zero values replaced by the defaults.
func (l Limits) WithDefaults() Limits {
	if l.Retention <= 0 {
		l.Retention = DefaultRetention
	}
	if l.MaxEntries <= 0 {
		l.MaxEntries = DefaultMaxEntries
	}
	return l
}
