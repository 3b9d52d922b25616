package storetest

import (
	"slices"
	"testing"
	"time"
)

func runUsers(t *testing.T, open Opener) {
	t.Run("ListUsers names the emails with devices, sorted, until their last device goes", func(t *testing.T) {
		t.Parallel()
		s, ctx := open(t), ctxFor(t)
		a, b := uniqEmail(), uniqEmail()
		d1, d2, d3 := newDevice(a, now()), newDevice(a, now()), newDevice(b, now())
		noErr(t, "CreateDevice", s.CreateDevice(ctx, d1))
		noErr(t, "CreateDevice", s.CreateDevice(ctx, d2))
		noErr(t, "CreateDevice", s.CreateDevice(ctx, d3))
		users, err := s.ListUsers(ctx)
		noErr(t, "ListUsers", err)
		if !slices.Contains(users, a) || !slices.Contains(users, b) {
			t.Fatalf("ListUsers = %v, want %s and %s among them", users, a, b)
		}
		if !slices.IsSorted(users) {
			t.Fatalf("ListUsers = %v, not sorted", users)
		}
		noErr(t, "DeleteDevice", s.DeleteDevice(ctx, d1.ID))
		users, err = s.ListUsers(ctx)
		noErr(t, "ListUsers", err)
		if !slices.Contains(users, a) {
			t.Fatalf("ListUsers = %v: %s still has a device", users, a)
		}
		noErr(t, "DeleteDevice", s.DeleteDevice(ctx, d2.ID))
		users, err = s.ListUsers(ctx)
		noErr(t, "ListUsers", err)
		if slices.Contains(users, a) || !slices.Contains(users, b) {
			t.Fatalf("ListUsers = %v: want %s gone and %s kept", users, a, b)
		}
	})

	t.Run("ListUsers keeps a user without a device while a live session or API key is left", func(t *testing.T) {
		t.Parallel()
		s, ctx := open(t), ctxFor(t)
		withKey, withSession, keyOnly, expiring := uniqEmail(), uniqEmail(), uniqEmail(), uniqEmail()
		listed := func(email string) bool {
			t.Helper()
			users, err := s.ListUsers(ctx)
			noErr(t, "ListUsers", err)
			if !slices.IsSorted(users) {
				t.Fatalf("ListUsers = %v, not sorted", users)
			}
			return slices.Contains(users, email)
		}
		for _, e := range []string{withKey, withSession, expiring} {
			noErr(t, "CreateDevice", s.CreateDevice(ctx, newDevice(e, now())))
		}
		key := newAPIKey(withKey, now(), time.Time{})
		noErr(t, "CreateAPIKey", s.CreateAPIKey(ctx, key))
		sess := newSession(withSession, now(), time.Hour)
		noErr(t, "CreateSession", s.CreateSession(ctx, sess))
		noErr(t, "CreateAPIKey", s.CreateAPIKey(ctx, newAPIKey(keyOnly, now(), time.Time{})))
		noErr(t, "CreateAPIKey", s.CreateAPIKey(ctx, newAPIKey(expiring, now(), now().Add(shortTTL))))
		for _, e := range []string{withKey, withSession, expiring} {
			devices, err := s.ListDevices(ctx, e)
			noErr(t, "ListDevices", err)
			for _, d := range devices {
				noErr(t, "DeleteDevice", s.DeleteDevice(ctx, d.ID))
			}
		}
		for _, e := range []string{withKey, withSession, keyOnly, expiring} {
			if !listed(e) {
				t.Fatalf("ListUsers lacks %s, who has no device but a live session or API key", e)
			}
		}
		_, err := s.DeleteAPIKey(ctx, key.ID)
		noErr(t, "DeleteAPIKey", err)
		noErr(t, "RevokeSession", s.RevokeSession(ctx, sess.ID, now().Add(time.Hour)))
		if listed(withKey) || listed(withSession) {
			t.Fatalf("ListUsers still names %s or %s, who have nothing left", withKey, withSession)
		}
		time.Sleep(shortTTL + 200*time.Millisecond)
		if listed(expiring) {
			t.Fatalf("ListUsers still names %s, whose only API key expired", expiring)
		}
		if !listed(keyOnly) {
			t.Fatalf("ListUsers lacks %s, who still has an API key", keyOnly)
		}
	})
}
