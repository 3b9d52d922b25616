package storetest

import (
	"reflect"
	"testing"
	"time"

	"github.com/authgate/authgate/gate/store"
)

// newSession returns a session of email, created at created and live for
// life, with every field set.
func newSession(email string, created time.Time, life time.Duration) *store.Session {
	return &store.Session{
		ID:        uniq("sid"),
		Email:     email,
		DeviceID:  "dev-1",
		AppID:     "ops-centre",
		ClientIP:  "2001:db8::1",
		UserAgent: "Mozilla/5.0 (Macintosh)",
		CreatedAt: created,
		ExpiresAt: created.Add(life),
	}
}

// normSession returns a copy of s with its times normalized by ms.
func normSession(s *store.Session) store.Session {
	c := *s
	c.CreatedAt, c.ExpiresAt = ms(c.CreatedAt), ms(c.ExpiresAt)
	return c
}

// sameSession fails the test unless got and want agree on every field.
func sameSession(t *testing.T, what string, got, want *store.Session) {
	t.Helper()
	if got == nil {
		t.Fatalf("%s: got nil session", what)
	}
	if g, w := normSession(got), normSession(want); !reflect.DeepEqual(g, w) {
		t.Fatalf("%s:\n got  %+v\n want %+v", what, g, w)
	}
}

// sessionIDs returns the ids of ss in order.
func sessionIDs(ss []*store.Session) []string {
	ids := make([]string, 0, len(ss))
	for _, s := range ss {
		ids = append(ids, s.ID)
	}
	return ids
}

func runSessions(t *testing.T, open Opener) {
	t.Run("CreateSession then GetSession round-trips every field", func(t *testing.T) {
		t.Parallel()
		s, ctx := open(t), ctxFor(t)
		sess := newSession(uniqEmail(), now(), time.Hour)
		noErr(t, "CreateSession", s.CreateSession(ctx, sess))
		got, err := s.GetSession(ctx, sess.ID)
		noErr(t, "GetSession", err)
		sameSession(t, "GetSession", got, sess)
	})

	t.Run("CreateSession with an existing id is a conflict", func(t *testing.T) {
		t.Parallel()
		s, ctx := open(t), ctxFor(t)
		sess := newSession(uniqEmail(), now(), time.Hour)
		noErr(t, "CreateSession", s.CreateSession(ctx, sess))
		other := newSession(uniqEmail(), now(), time.Hour)
		other.ID = sess.ID
		wantErr(t, "second CreateSession", s.CreateSession(ctx, other), store.ErrConflict)
		got, err := s.GetSession(ctx, sess.ID)
		noErr(t, "GetSession", err)
		sameSession(t, "GetSession after conflict", got, sess)
	})

	t.Run("GetSession of an unknown id is not found", func(t *testing.T) {
		t.Parallel()
		s, ctx := open(t), ctxFor(t)
		_, err := s.GetSession(ctx, uniq("sid"))
		wantErr(t, "GetSession", err, store.ErrNotFound)
	})

	t.Run("a session created already expired is never returned", func(t *testing.T) {
		t.Parallel()
		s, ctx := open(t), ctxFor(t)
		sess := newSession(uniqEmail(), now().Add(-2*time.Hour), time.Hour)
		_ = s.CreateSession(ctx, sess) // refusing it is as good as storing nothing
		_, err := s.GetSession(ctx, sess.ID)
		wantErr(t, "GetSession", err, store.ErrNotFound)
		list, err := s.ListSessions(ctx, sess.Email)
		noErr(t, "ListSessions", err)
		if len(list) != 0 {
			t.Fatalf("ListSessions = %v, want none", sessionIDs(list))
		}
	})

	t.Run("a session is gone at its ExpiresAt and leaves the user's index", func(t *testing.T) {
		t.Parallel()
		s, ctx := open(t), ctxFor(t)
		email := uniqEmail()
		short := newSession(email, now(), shortTTL)
		long := newSession(email, now(), time.Hour)
		noErr(t, "CreateSession short", s.CreateSession(ctx, short))
		noErr(t, "CreateSession long", s.CreateSession(ctx, long))
		list, err := s.ListSessions(ctx, email)
		noErr(t, "ListSessions before expiry", err)
		if len(list) != 2 {
			t.Fatalf("ListSessions before expiry = %v, want 2", sessionIDs(list))
		}
		time.Sleep(expireWait)
		_, err = s.GetSession(ctx, short.ID)
		wantErr(t, "GetSession after expiry", err, store.ErrNotFound)
		list, err = s.ListSessions(ctx, email)
		noErr(t, "ListSessions after expiry", err)
		if !reflect.DeepEqual(sessionIDs(list), []string{long.ID}) {
			t.Fatalf("ListSessions after expiry = %v, want [%s]", sessionIDs(list), long.ID)
		}
	})

	t.Run("ListSessions returns the user's own live sessions oldest first", func(t *testing.T) {
		t.Parallel()
		s, ctx := open(t), ctxFor(t)
		email, base := uniqEmail(), now()
		// Created order and expiry order differ: the list follows creation.
		older := newSession(email, base.Add(-time.Minute), 3*time.Hour)
		newer := newSession(email, base, time.Hour)
		stranger := newSession(uniqEmail(), base, time.Hour)
		for _, sess := range []*store.Session{newer, stranger, older} {
			noErr(t, "CreateSession", s.CreateSession(ctx, sess))
		}
		list, err := s.ListSessions(ctx, email)
		noErr(t, "ListSessions", err)
		want := []*store.Session{older, newer}
		if !reflect.DeepEqual(sessionIDs(list), sessionIDs(want)) {
			t.Fatalf("ListSessions = %v, want %v", sessionIDs(list), sessionIDs(want))
		}
		for i := range want {
			sameSession(t, "listed session", list[i], want[i])
		}
		none, err := s.ListSessions(ctx, uniqEmail())
		noErr(t, "ListSessions of a user with no sessions", err)
		if len(none) != 0 {
			t.Fatalf("a user with no sessions lists %v", sessionIDs(none))
		}
	})
}
