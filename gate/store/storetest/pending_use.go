package storetest

import (
	"testing"
	"time"

	"github.com/authgate/authgate/gate/store"
)

func runPendingUse(t *testing.T, open Opener) {
	for _, kind := range []struct {
		name string
		make func(email string) *store.Device
	}{
		{"a device whose id names its group", groupDevice},
		{"a device made before groups", func(email string) *store.Device { return newDevice(email, now()) }},
	} {
		runPendingUseOf(t, open, kind.name, kind.make)
	}
}

func runPendingUseOf(t *testing.T, open Opener, kind string, newDevice func(email string) *store.Device) {
	t.Run("UseDeviceForPending takes the marker, records the use and reads the pending login: "+kind, func(t *testing.T) {
		t.Parallel()
		s, ctx := open(t), ctxFor(t)
		l := stepLogin()
		d := newDevice(l.Email)
		noErr(t, "CreateDevice", s.CreateDevice(ctx, d))
		got, err := s.UseDeviceForPending(ctx, store.DeviceUse{ID: d.ID, Mark: "sig-1", TTL: time.Minute}, l.Email)
		noErr(t, "UseDeviceForPending without a pending login", err)
		sameDevice(t, "UseDeviceForPending's device", got.Device, d)
		if got.Login != nil {
			t.Fatalf("UseDeviceForPending without a pending login: %+v", got.Login)
		}
		wantErr(t, "UseDeviceForPending's read without a pending login", got.LoginErr, store.ErrNotFound)

		st, err := s.StartLogin(ctx, fullStart(l))
		if err != nil || !st.Created {
			t.Fatalf("StartLogin: %+v %v", st, err)
		}
		used := now().Add(time.Hour)
		got, err = s.UseDeviceForPending(ctx, store.DeviceUse{ID: d.ID, Mark: "sig-2", TTL: time.Minute, LastUsed: used}, l.Email)
		noErr(t, "UseDeviceForPending", err)
		noErr(t, "UseDeviceForPending's read", got.LoginErr)
		if got.Login == nil || got.Login.ID != l.ID || got.Login.Status != store.LoginPending {
			t.Fatalf("UseDeviceForPending's login: %+v, want %s", got.Login, l.ID)
		}
		want := *d
		want.LastUsed = used
		sameDevice(t, "UseDeviceForPending's device after the use", got.Device, &want)
		stored, err := s.GetDevice(ctx, d.ID)
		noErr(t, "GetDevice", err)
		sameDevice(t, "GetDevice after UseDeviceForPending", stored, &want)
	})

	t.Run("UseDeviceForPending refuses a replay and an unknown device, reading nothing: "+kind, func(t *testing.T) {
		t.Parallel()
		s, ctx := open(t), ctxFor(t)
		l := stepLogin()
		d := newDevice(l.Email)
		noErr(t, "CreateDevice", s.CreateDevice(ctx, d))
		st, err := s.StartLogin(ctx, fullStart(l))
		if err != nil || !st.Created {
			t.Fatalf("StartLogin: %+v %v", st, err)
		}
		_, err = s.UseDeviceForPending(ctx, store.DeviceUse{ID: d.ID, Mark: "sig-1", TTL: time.Minute}, l.Email)
		noErr(t, "UseDeviceForPending", err)
		got, err := s.UseDeviceForPending(ctx, store.DeviceUse{ID: d.ID, Mark: "sig-1", TTL: time.Minute, LastUsed: now().Add(time.Hour)}, l.Email)
		wantErr(t, "UseDeviceForPending replayed", err, store.ErrConflict)
		if got != nil {
			t.Fatalf("UseDeviceForPending replayed returned %+v", got)
		}
		stored, err := s.GetDevice(ctx, d.ID)
		noErr(t, "GetDevice", err)
		sameDevice(t, "GetDevice after a replay", stored, d)
		_, err = s.UseDevice(ctx, d.ID, "sig-1", time.Minute, time.Time{})
		wantErr(t, "UseDevice with the marker UseDeviceForPending took", err, store.ErrConflict)
		_, err = s.UseDeviceForPending(ctx, store.DeviceUse{ID: newDevice(l.Email).ID, Mark: "sig-1", TTL: time.Minute}, l.Email)
		wantErr(t, "UseDeviceForPending of no device", err, store.ErrNotFound)
	})
}
