package storetest

import (
	"slices"
	"testing"
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
}
