package storetest

import (
	"testing"
	"time"

	"github.com/authgate/authgate/gate/store"
)

func runRecovery(t *testing.T, open Opener) {
	t.Run("Recovery codes are used once and replaced whole", func(t *testing.T) {
		t.Parallel()
		s, ctx := open(t), ctxFor(t)
		alice, bob := uniqEmail(), uniqEmail()
		n, err := s.RecoveryCodesLeft(ctx, alice)
		noErr(t, "RecoveryCodesLeft before any", err)
		if n != 0 {
			t.Fatalf("left before any: %d", n)
		}
		noErr(t, "ReplaceRecoveryCodes", s.ReplaceRecoveryCodes(ctx, alice, []string{"h1", "h2", "h3"}))
		noErr(t, "ReplaceRecoveryCodes bob", s.ReplaceRecoveryCodes(ctx, bob, []string{"b1"}))
		_, err = s.UseRecoveryCode(ctx, alice, []string{"b1"})
		wantErr(t, "using bob's code for alice", err, store.ErrNotFound)
		left, err := s.UseRecoveryCode(ctx, alice, []string{"old-key-hash", "h2"})
		noErr(t, "UseRecoveryCode", err)
		if left != 2 {
			t.Fatalf("left after one use: %d, want 2", left)
		}
		_, err = s.UseRecoveryCode(ctx, alice, []string{"h2"})
		wantErr(t, "using h2 again", err, store.ErrNotFound)
		_, err = s.UseRecoveryCode(ctx, alice, nil)
		wantErr(t, "using no hash", err, store.ErrNotFound)
		if n, _ := s.RecoveryCodesLeft(ctx, alice); n != 2 {
			t.Fatalf("a refused use changed the count: %d", n)
		}
		noErr(t, "replacing", s.ReplaceRecoveryCodes(ctx, alice, []string{"n1", "n2", "n3", "n4"}))
		_, err = s.UseRecoveryCode(ctx, alice, []string{"h1"})
		wantErr(t, "using a replaced code", err, store.ErrNotFound)
		if n, _ := s.RecoveryCodesLeft(ctx, alice); n != 4 {
			t.Fatalf("left after replace: %d, want 4", n)
		}
		if n, _ := s.RecoveryCodesLeft(ctx, bob); n != 1 {
			t.Fatalf("bob's codes changed: %d", n)
		}
		noErr(t, "removing all", s.ReplaceRecoveryCodes(ctx, alice, nil))
		if n, _ := s.RecoveryCodesLeft(ctx, alice); n != 0 {
			t.Fatalf("left after removing all: %d", n)
		}
	})

	t.Run("Of concurrent uses of one recovery code one wins", func(t *testing.T) {
		t.Parallel()
		s, ctx := open(t), ctxFor(t)
		other := open(t) // a second instance on the same backend
		email := uniqEmail()
		noErr(t, "ReplaceRecoveryCodes", s.ReplaceRecoveryCodes(ctx, email, []string{"x", "y"}))
		errs := race(8, func(i int) error {
			st := s
			if i%2 == 1 {
				st = other
			}
			_, err := st.UseRecoveryCode(ctx, email, []string{"x"})
			return err
		})
		wins := 0
		for _, err := range errs {
			if err == nil {
				wins++
			} else {
				wantErr(t, "losing use", err, store.ErrNotFound)
			}
		}
		if wins != 1 {
			t.Fatalf("%d uses of one code won, want 1", wins)
		}
	})

	t.Run("ResetHits starts a counter over", func(t *testing.T) {
		t.Parallel()
		s, ctx := open(t), ctxFor(t)
		key := uniq("fail:alice")
		for range 3 {
			_, _, err := s.Hit(ctx, key, time.Minute)
			noErr(t, "Hit", err)
		}
		noErr(t, "ResetHits", s.ResetHits(ctx, key))
		noErr(t, "ResetHits of an unset key", s.ResetHits(ctx, uniq("never")))
		n, _, err := s.Hit(ctx, key, time.Minute)
		noErr(t, "Hit after reset", err)
		if n != 1 {
			t.Fatalf("Hit after ResetHits = %d, want 1", n)
		}
	})

	t.Run("A device keeps its sealed OTP secret", func(t *testing.T) {
		t.Parallel()
		s, ctx := open(t), ctxFor(t)
		d := &store.Device{ID: uniq("dev"), Email: uniqEmail(), Name: "P", PublicKey: []byte{1},
			CreatedAt: now(), OTPSecret: []byte{0, 1, 2, 250}, OTPAlgorithm: "SHA-256"}
		noErr(t, "CreateDevice", s.CreateDevice(ctx, d))
		noErr(t, "UpdateDevice", s.UpdateDevice(ctx, d.ID, "Q", now()))
		got, err := s.GetDevice(ctx, d.ID)
		noErr(t, "GetDevice", err)
		if string(got.OTPSecret) != string(d.OTPSecret) || got.OTPAlgorithm != "SHA-256" {
			t.Fatalf("OTP fields: %v %q", got.OTPSecret, got.OTPAlgorithm)
		}
	})
}
