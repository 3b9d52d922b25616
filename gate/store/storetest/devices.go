package storetest

import (
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/authgate/authgate/gate/store"
)

// newDevice returns a device of email, created at at, with every field set.
func newDevice(email string, at time.Time) *store.Device {
	return &store.Device{
		ID:        uniq("dev"),
		Email:     email,
		Name:      "Alice's phone",
		PublicKey: []byte{0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01},
		CreatedAt: at,
		LastUsed:  at.Add(time.Second),
		UserAgent: "Mozilla/5.0 (iPhone)",
	}
}

// normDevice returns a copy of d with its times normalized by ms.
func normDevice(d *store.Device) store.Device {
	c := *d
	c.CreatedAt, c.LastUsed = ms(c.CreatedAt), ms(c.LastUsed)
	if c.Push != nil {
		p := *c.Push
		p.UpdatedAt = ms(p.UpdatedAt)
		c.Push = &p
	}
	return c
}

// sameDevice fails the test unless got and want agree on every field.
func sameDevice(t *testing.T, what string, got, want *store.Device) {
	t.Helper()
	if got == nil {
		t.Fatalf("%s: got nil device", what)
	}
	if g, w := normDevice(got), normDevice(want); !reflect.DeepEqual(g, w) {
		t.Fatalf("%s:\n got  %+v\n want %+v", what, g, w)
	}
}

// deviceIDs returns the ids of ds in order.
func deviceIDs(ds []*store.Device) []string {
	ids := make([]string, 0, len(ds))
	for _, d := range ds {
		ids = append(ids, d.ID)
	}
	return ids
}

func runEnrollments(t *testing.T, open Opener) {
	t.Run("an enrolment token works once", func(t *testing.T) {
		t.Parallel()
		s, ctx := open(t), ctxFor(t)
		token, email := uniq("tok"), uniqEmail()
		noErr(t, "CreateEnrollment", s.CreateEnrollment(ctx, token, email, time.Minute))
		got, err := s.ConsumeEnrollment(ctx, token)
		noErr(t, "first ConsumeEnrollment", err)
		if got != email {
			t.Fatalf("ConsumeEnrollment = %q, want %q", got, email)
		}
		_, err = s.ConsumeEnrollment(ctx, token)
		wantErr(t, "second ConsumeEnrollment", err, store.ErrNotFound)
	})

	t.Run("ConsumeEnrollment of an unknown token is not found", func(t *testing.T) {
		t.Parallel()
		s, ctx := open(t), ctxFor(t)
		_, err := s.ConsumeEnrollment(ctx, uniq("tok"))
		wantErr(t, "ConsumeEnrollment", err, store.ErrNotFound)
	})

	t.Run("an enrolment token is gone after its TTL", func(t *testing.T) {
		t.Parallel()
		s, ctx := open(t), ctxFor(t)
		token := uniq("tok")
		noErr(t, "CreateEnrollment", s.CreateEnrollment(ctx, token, uniqEmail(), shortTTL))
		time.Sleep(expireWait)
		_, err := s.ConsumeEnrollment(ctx, token)
		wantErr(t, "ConsumeEnrollment after expiry", err, store.ErrNotFound)
	})

	t.Run("of 20 concurrent consumers exactly one gets the email", func(t *testing.T) {
		t.Parallel()
		s, ctx := open(t), ctxFor(t)
		token, email := uniq("tok"), uniqEmail()
		noErr(t, "CreateEnrollment", s.CreateEnrollment(ctx, token, email, time.Minute))
		const n = 20
		got := make([]string, n)
		errs := race(n, func(i int) error {
			var err error
			got[i], err = s.ConsumeEnrollment(ctx, token)
			return err
		})
		winners := 0
		for i, err := range errs {
			switch {
			case err == nil:
				winners++
				if got[i] != email {
					t.Fatalf("consumer %d got %q, want %q", i, got[i], email)
				}
			case !errors.Is(err, store.ErrNotFound):
				t.Fatalf("consumer %d: unexpected error %v", i, err)
			}
		}
		if winners != 1 {
			t.Fatalf("%d consumers got the email, want exactly 1", winners)
		}
	})
}

func runDevices(t *testing.T, open Opener) {
	t.Run("CreateDevice then GetDevice round-trips every field", func(t *testing.T) {
		t.Parallel()
		s, ctx := open(t), ctxFor(t)
		d := newDevice(uniqEmail(), now())
		noErr(t, "CreateDevice", s.CreateDevice(ctx, d))
		got, err := s.GetDevice(ctx, d.ID)
		noErr(t, "GetDevice", err)
		sameDevice(t, "GetDevice", got, d)
		got.PublicKey[0] = 0xff // the caller's copy is its own
		again, err := s.GetDevice(ctx, d.ID)
		noErr(t, "GetDevice again", err)
		sameDevice(t, "GetDevice after mutating a returned copy", again, d)
	})

	t.Run("a device never used round-trips a zero LastUsed", func(t *testing.T) {
		t.Parallel()
		s, ctx := open(t), ctxFor(t)
		d := newDevice(uniqEmail(), now())
		d.LastUsed, d.UserAgent = time.Time{}, ""
		noErr(t, "CreateDevice", s.CreateDevice(ctx, d))
		got, err := s.GetDevice(ctx, d.ID)
		noErr(t, "GetDevice", err)
		sameDevice(t, "GetDevice", got, d)
	})

	t.Run("CreateDevice with an existing id is a conflict and changes nothing", func(t *testing.T) {
		t.Parallel()
		s, ctx := open(t), ctxFor(t)
		d := newDevice(uniqEmail(), now())
		noErr(t, "CreateDevice", s.CreateDevice(ctx, d))
		other := newDevice(uniqEmail(), now())
		other.ID = d.ID
		wantErr(t, "second CreateDevice", s.CreateDevice(ctx, other), store.ErrConflict)
		got, err := s.GetDevice(ctx, d.ID)
		noErr(t, "GetDevice", err)
		sameDevice(t, "GetDevice after conflict", got, d)
		list, err := s.ListDevices(ctx, other.Email)
		noErr(t, "ListDevices of the loser's email", err)
		if len(list) != 0 {
			t.Fatalf("the losing email lists %v, want none", deviceIDs(list))
		}
	})

	t.Run("GetDevice of an unknown id is not found", func(t *testing.T) {
		t.Parallel()
		s, ctx := open(t), ctxFor(t)
		_, err := s.GetDevice(ctx, uniq("dev"))
		wantErr(t, "GetDevice", err, store.ErrNotFound)
	})

	t.Run("UpdateDevice replaces only the name and last-used time", func(t *testing.T) {
		t.Parallel()
		s, ctx := open(t), ctxFor(t)
		d := newDevice(uniqEmail(), now())
		noErr(t, "CreateDevice", s.CreateDevice(ctx, d))
		used := now().Add(time.Hour)
		noErr(t, "UpdateDevice", s.UpdateDevice(ctx, d.ID, "Work phone", used))
		want := *d
		want.Name, want.LastUsed = "Work phone", used
		got, err := s.GetDevice(ctx, d.ID)
		noErr(t, "GetDevice", err)
		sameDevice(t, "GetDevice after update", got, &want)
		list, err := s.ListDevices(ctx, d.Email)
		noErr(t, "ListDevices", err)
		if len(list) != 1 {
			t.Fatalf("ListDevices = %v, want one device", deviceIDs(list))
		}
		sameDevice(t, "listed device after update", list[0], &want)
	})

	t.Run("UpdateDevice leaves an empty name and a zero time as they are", func(t *testing.T) {
		t.Parallel()
		s, ctx := open(t), ctxFor(t)
		d := newDevice(uniqEmail(), now())
		noErr(t, "CreateDevice", s.CreateDevice(ctx, d))
		noErr(t, "rename", s.UpdateDevice(ctx, d.ID, "Renamed", time.Time{}))
		used := now().Add(time.Minute)
		noErr(t, "record use", s.UpdateDevice(ctx, d.ID, "", used))
		want := *d
		want.Name, want.LastUsed = "Renamed", used
		got, err := s.GetDevice(ctx, d.ID)
		noErr(t, "GetDevice", err)
		sameDevice(t, "GetDevice after rename and use", got, &want)
		noErr(t, "no change", s.UpdateDevice(ctx, d.ID, "", time.Time{}))
		wantErr(t, "no change to an unknown device", s.UpdateDevice(ctx, uniq("dev"), "", time.Time{}), store.ErrNotFound)
	})

	t.Run("UpdateDevice of an unknown id is not found and creates nothing", func(t *testing.T) {
		t.Parallel()
		s, ctx := open(t), ctxFor(t)
		id := uniq("dev")
		wantErr(t, "UpdateDevice", s.UpdateDevice(ctx, id, "x", now()), store.ErrNotFound)
		_, err := s.GetDevice(ctx, id)
		wantErr(t, "GetDevice", err, store.ErrNotFound)
	})

	t.Run("ListDevices returns the user's own devices oldest first", func(t *testing.T) {
		t.Parallel()
		s, ctx := open(t), ctxFor(t)
		email, base := uniqEmail(), now()
		newer := newDevice(email, base.Add(2*time.Second))
		older := newDevice(email, base)
		middle := newDevice(email, base.Add(time.Second))
		stranger := newDevice(uniqEmail(), base)
		for _, d := range []*store.Device{newer, stranger, older, middle} {
			noErr(t, "CreateDevice", s.CreateDevice(ctx, d))
		}
		list, err := s.ListDevices(ctx, email)
		noErr(t, "ListDevices", err)
		want := []*store.Device{older, middle, newer}
		if !reflect.DeepEqual(deviceIDs(list), deviceIDs(want)) {
			t.Fatalf("ListDevices = %v, want %v", deviceIDs(list), deviceIDs(want))
		}
		for i := range want {
			sameDevice(t, "listed device", list[i], want[i])
		}
		none, err := s.ListDevices(ctx, uniqEmail())
		noErr(t, "ListDevices of a user with no devices", err)
		if len(none) != 0 {
			t.Fatalf("a user with no devices lists %v", deviceIDs(none))
		}
	})

	t.Run("DeleteDevice removes the device and its index entry", func(t *testing.T) {
		t.Parallel()
		s, ctx := open(t), ctxFor(t)
		email := uniqEmail()
		keep, gone := newDevice(email, now()), newDevice(email, now().Add(time.Second))
		noErr(t, "CreateDevice keep", s.CreateDevice(ctx, keep))
		noErr(t, "CreateDevice gone", s.CreateDevice(ctx, gone))
		noErr(t, "DeleteDevice", s.DeleteDevice(ctx, gone.ID))
		_, err := s.GetDevice(ctx, gone.ID)
		wantErr(t, "GetDevice after delete", err, store.ErrNotFound)
		list, err := s.ListDevices(ctx, email)
		noErr(t, "ListDevices", err)
		if !reflect.DeepEqual(deviceIDs(list), []string{keep.ID}) {
			t.Fatalf("ListDevices after delete = %v, want [%s]", deviceIDs(list), keep.ID)
		}
		wantErr(t, "second DeleteDevice", s.DeleteDevice(ctx, gone.ID), store.ErrNotFound)
		wantErr(t, "UpdateDevice after delete", s.UpdateDevice(ctx, gone.ID, "x", now()), store.ErrNotFound)
	})
}
