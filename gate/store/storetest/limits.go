package storetest

import (
	"errors"
	"testing"
	"time"

	"github.com/authgate/authgate/gate/store"
)

func runLimits(t *testing.T, open Opener) {
	t.Run("Hit counts within a window and starts over after it", func(t *testing.T) {
		t.Parallel()
		s, ctx := open(t), ctxFor(t)
		key := uniq("push:alice")
		for want := int64(1); want <= 3; want++ {
			n, reset, err := s.Hit(ctx, key, shortTTL)
			noErr(t, "Hit", err)
			if n != want {
				t.Fatalf("Hit = %d, want %d", n, want)
			}
			if reset <= 0 || reset > shortTTL {
				t.Fatalf("Hit reset in %v, want within (0, %v]", reset, shortTTL)
			}
		}
		other, _, err := s.Hit(ctx, uniq("push:bob"), shortTTL)
		noErr(t, "Hit on another key", err)
		if other != 1 {
			t.Fatalf("another key counts %d, want 1", other)
		}
		time.Sleep(expireWait)
		n, reset, err := s.Hit(ctx, key, shortTTL)
		noErr(t, "Hit after the window", err)
		if n != 1 {
			t.Fatalf("Hit after the window = %d, want 1", n)
		}
		if reset <= 0 || reset > shortTTL {
			t.Fatalf("new window resets in %v, want within (0, %v]", reset, shortTTL)
		}
	})

	t.Run("Mark takes a key once until it is cleared", func(t *testing.T) {
		t.Parallel()
		s, ctx := open(t), ctxFor(t)
		key := uniq("nonce")
		noErr(t, "Mark", s.Mark(ctx, key, time.Minute))
		wantErr(t, "second Mark", s.Mark(ctx, key, time.Hour), store.ErrConflict)
		left, err := s.MarkTTL(ctx, key)
		noErr(t, "MarkTTL", err)
		if left <= 0 || left > time.Minute {
			t.Fatalf("MarkTTL = %v, want within (0, 1m]: the losing Mark must change nothing", left)
		}
		noErr(t, "Unmark", s.Unmark(ctx, key))
		_, err = s.MarkTTL(ctx, key)
		wantErr(t, "MarkTTL after Unmark", err, store.ErrNotFound)
		noErr(t, "Mark after Unmark", s.Mark(ctx, key, time.Minute))
	})

	t.Run("MarkTTL and Unmark of an unset key", func(t *testing.T) {
		t.Parallel()
		s, ctx := open(t), ctxFor(t)
		key := uniq("nonce")
		_, err := s.MarkTTL(ctx, key)
		wantErr(t, "MarkTTL", err, store.ErrNotFound)
		noErr(t, "Unmark", s.Unmark(ctx, key))
	})

	t.Run("a mark lapses after its TTL", func(t *testing.T) {
		t.Parallel()
		s, ctx := open(t), ctxFor(t)
		key := uniq("nonce")
		noErr(t, "Mark", s.Mark(ctx, key, shortTTL))
		time.Sleep(expireWait)
		_, err := s.MarkTTL(ctx, key)
		wantErr(t, "MarkTTL after expiry", err, store.ErrNotFound)
		noErr(t, "Mark after expiry", s.Mark(ctx, key, time.Minute))
	})

	t.Run("of 20 concurrent marks of one key exactly one wins", func(t *testing.T) {
		t.Parallel()
		s, ctx := open(t), ctxFor(t)
		key := uniq("nonce")
		errs := race(20, func(int) error { return s.Mark(ctx, key, time.Minute) })
		winners := 0
		for i, err := range errs {
			switch {
			case err == nil:
				winners++
			case !errors.Is(err, store.ErrConflict):
				t.Fatalf("mark %d: unexpected error %v", i, err)
			}
		}
		if winners != 1 {
			t.Fatalf("%d marks won, want exactly 1", winners)
		}
	})
}

func runLifecycle(t *testing.T, open Opener) {
	t.Run("Ping answers while the store is open", func(t *testing.T) {
		t.Parallel()
		s, ctx := open(t), ctxFor(t)
		noErr(t, "Ping", s.Ping(ctx))
	})

	t.Run("Close ends subscriptions and leaves the store unusable", func(t *testing.T) {
		t.Parallel()
		s, ctx := open(t), ctxFor(t)
		sub := subscribe(t, s)
		noErr(t, "Close", s.Close())
		select {
		case err := <-sub.done:
			sub.done <- err // for the cleanup
			if err == nil {
				t.Fatal("SubscribeRevocations returned nil after Close, want the reason it broke")
			}
		case <-time.After(10 * time.Second):
			t.Fatal("SubscribeRevocations did not return after Close")
		}
		if err := s.Ping(ctx); err == nil {
			t.Fatal("Ping after Close succeeded")
		}
		if _, err := s.GetLogin(ctx, uniq("login")); err == nil || errors.Is(err, store.ErrNotFound) {
			t.Fatalf("GetLogin after Close = %v, want an error other than not found", err)
		}
	})
}
