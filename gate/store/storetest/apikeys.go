package storetest

import (
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/authgate/authgate/gate/store"
)

// newAPIKey returns a key record of email, created at at, with every field
// but LastUsed set.
func newAPIKey(email string, at time.Time, expires time.Time) *store.APIKey {
	return &store.APIKey{
		ID: uniq("key"), Email: email, Name: "deploy from CI",
		Hash: []byte{0xde, 0xad, 0xbe, 0xef, 0x00, 0x01}, HashKeyID: "kid-1",
		CreatedAt: at, ExpiresAt: expires,
	}
}

// sameAPIKey fails the test unless got and want agree on every field.
func sameAPIKey(t *testing.T, what string, got, want *store.APIKey) {
	t.Helper()
	if got == nil {
		t.Fatalf("%s: got nil API key", what)
	}
	norm := func(k *store.APIKey) store.APIKey {
		c := *k
		c.CreatedAt, c.ExpiresAt, c.LastUsed = ms(c.CreatedAt), ms(c.ExpiresAt), ms(c.LastUsed)
		return c
	}
	if g, w := norm(got), norm(want); !reflect.DeepEqual(g, w) {
		t.Fatalf("%s:\n got  %+v\n want %+v", what, g, w)
	}
}

// apiKeyIDs returns the ids of ks in order.
func apiKeyIDs(ks []*store.APIKey) []string {
	ids := make([]string, 0, len(ks))
	for _, k := range ks {
		ids = append(ids, k.ID)
	}
	return ids
}

func runAPIKeys(t *testing.T, open Opener) {
	t.Run("a created key reads back whole and is listed under its user", func(t *testing.T) {
		t.Parallel()
		s, ctx := open(t), ctxFor(t)
		email := uniqEmail()
		k := newAPIKey(email, now(), now().Add(time.Hour))
		noErr(t, "CreateAPIKey", s.CreateAPIKey(ctx, k))
		got, err := s.GetAPIKey(ctx, k.ID)
		noErr(t, "GetAPIKey", err)
		sameAPIKey(t, "GetAPIKey", got, k)
		got.Hash[0] = 0 // a returned record shares nothing with the store
		again, _ := s.GetAPIKey(ctx, k.ID)
		sameAPIKey(t, "GetAPIKey after changing a copy", again, k)
		list, err := s.ListAPIKeys(ctx, email)
		noErr(t, "ListAPIKeys", err)
		if len(list) != 1 {
			t.Fatalf("ListAPIKeys: %d keys, want 1", len(list))
		}
		sameAPIKey(t, "listed key", list[0], k)
		other, err := s.ListAPIKeys(ctx, uniqEmail())
		noErr(t, "ListAPIKeys of another user", err)
		if len(other) != 0 {
			t.Fatalf("another user lists %d keys", len(other))
		}
	})

	t.Run("a key without expiry lives on; a second key with the id conflicts", func(t *testing.T) {
		t.Parallel()
		s, ctx := open(t), ctxFor(t)
		k := newAPIKey(uniqEmail(), now(), time.Time{})
		noErr(t, "CreateAPIKey", s.CreateAPIKey(ctx, k))
		dup := newAPIKey(uniqEmail(), now(), time.Time{})
		dup.ID = k.ID
		wantErr(t, "CreateAPIKey with a taken id", s.CreateAPIKey(ctx, dup), store.ErrConflict)
		got, err := s.GetAPIKey(ctx, k.ID)
		noErr(t, "GetAPIKey", err)
		sameAPIKey(t, "the first key is unchanged", got, k)
		if !got.ExpiresAt.IsZero() {
			t.Fatalf("a key without expiry reads back expiring at %v", got.ExpiresAt)
		}
	})

	t.Run("an already expired key is refused", func(t *testing.T) {
		t.Parallel()
		s, ctx := open(t), ctxFor(t)
		k := newAPIKey(uniqEmail(), now().Add(-time.Hour), now().Add(-time.Second))
		if err := s.CreateAPIKey(ctx, k); err == nil {
			t.Fatal("CreateAPIKey of an expired key succeeded")
		}
		_, err := s.GetAPIKey(ctx, k.ID)
		wantErr(t, "GetAPIKey", err, store.ErrNotFound)
	})

	t.Run("a key is gone once it expires", func(t *testing.T) {
		t.Parallel()
		s, ctx := open(t), ctxFor(t)
		email := uniqEmail()
		k := newAPIKey(email, now(), now().Add(shortTTL))
		noErr(t, "CreateAPIKey", s.CreateAPIKey(ctx, k))
		time.Sleep(expireWait)
		_, err := s.GetAPIKey(ctx, k.ID)
		wantErr(t, "GetAPIKey after expiry", err, store.ErrNotFound)
		list, err := s.ListAPIKeys(ctx, email)
		noErr(t, "ListAPIKeys", err)
		if len(list) != 0 {
			t.Fatalf("an expired key is still listed: %v", apiKeyIDs(list))
		}
		wantErr(t, "TouchAPIKey after expiry", s.TouchAPIKey(ctx, k.ID, now()), store.ErrNotFound)
	})

	t.Run("keys list oldest first", func(t *testing.T) {
		t.Parallel()
		s, ctx := open(t), ctxFor(t)
		email := uniqEmail()
		base := now()
		var want []string
		for _, d := range []time.Duration{2 * time.Second, 0, time.Second} {
			k := newAPIKey(email, base.Add(d), time.Time{})
			noErr(t, "CreateAPIKey", s.CreateAPIKey(ctx, k))
			want = append(want, k.ID)
		}
		want = []string{want[1], want[2], want[0]}
		list, err := s.ListAPIKeys(ctx, email)
		noErr(t, "ListAPIKeys", err)
		if got := apiKeyIDs(list); !slices.Equal(got, want) {
			t.Fatalf("ListAPIKeys order %v, want %v", got, want)
		}
	})

	t.Run("touching records use and never moves it back", func(t *testing.T) {
		t.Parallel()
		s, ctx := open(t), ctxFor(t)
		k := newAPIKey(uniqEmail(), now(), time.Time{})
		noErr(t, "CreateAPIKey", s.CreateAPIKey(ctx, k))
		used := now().Add(time.Minute)
		noErr(t, "TouchAPIKey", s.TouchAPIKey(ctx, k.ID, used))
		noErr(t, "TouchAPIKey earlier", s.TouchAPIKey(ctx, k.ID, used.Add(-30*time.Second)))
		got, err := s.GetAPIKey(ctx, k.ID)
		noErr(t, "GetAPIKey", err)
		if !ms(got.LastUsed).Equal(used) {
			t.Fatalf("last used %v, want %v", got.LastUsed, used)
		}
		want := *k
		want.LastUsed = used
		sameAPIKey(t, "touched key", got, &want)
		wantErr(t, "TouchAPIKey of an unknown key", s.TouchAPIKey(ctx, uniq("key"), used), store.ErrNotFound)
	})

	t.Run("deleting returns the record, unlists it, and works once", func(t *testing.T) {
		t.Parallel()
		s, ctx := open(t), ctxFor(t)
		email := uniqEmail()
		k := newAPIKey(email, now(), now().Add(time.Hour))
		keep := newAPIKey(email, now().Add(time.Second), time.Time{})
		noErr(t, "CreateAPIKey", s.CreateAPIKey(ctx, k))
		noErr(t, "CreateAPIKey", s.CreateAPIKey(ctx, keep))
		errs := race(4, func(int) error {
			_, err := s.DeleteAPIKey(ctx, k.ID)
			return err
		})
		ok := 0
		for _, err := range errs {
			if err == nil {
				ok++
			} else {
				wantErr(t, "a losing DeleteAPIKey", err, store.ErrNotFound)
			}
		}
		if ok != 1 {
			t.Fatalf("%d concurrent deletes succeeded, want 1", ok)
		}
		_, err := s.GetAPIKey(ctx, k.ID)
		wantErr(t, "GetAPIKey after delete", err, store.ErrNotFound)
		list, err := s.ListAPIKeys(ctx, email)
		noErr(t, "ListAPIKeys", err)
		if got := apiKeyIDs(list); !slices.Equal(got, []string{keep.ID}) {
			t.Fatalf("after delete the user lists %v, want only %s", got, keep.ID)
		}
		_, err = s.DeleteAPIKey(ctx, uniq("key"))
		wantErr(t, "DeleteAPIKey of an unknown key", err, store.ErrNotFound)
	})

	t.Run("a second instance sees the first one's keys", func(t *testing.T) {
		t.Parallel()
		a, b, ctx := open(t), open(t), ctxFor(t)
		k := newAPIKey(uniqEmail(), now(), time.Time{})
		noErr(t, "CreateAPIKey on A", a.CreateAPIKey(ctx, k))
		got, err := b.GetAPIKey(ctx, k.ID)
		noErr(t, "GetAPIKey on B", err)
		sameAPIKey(t, "B's copy", got, k)
		deleted, err := b.DeleteAPIKey(ctx, k.ID)
		noErr(t, "DeleteAPIKey on B", err)
		sameAPIKey(t, "deleted record", deleted, k)
		_, err = a.GetAPIKey(ctx, k.ID)
		wantErr(t, "GetAPIKey on A after B deleted", err, store.ErrNotFound)
	})
}
