package storetest

import (
	"crypto/rand"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/authgate/authgate/gate/store"
)

// groupDevice returns a device of email whose id carries the email's
// group, as store.NewDeviceID makes it.
func groupDevice(email string) *store.Device {
	d := newDevice(email, now())
	d.ID = store.NewDeviceID(email, rand.Text())
	return d
}

// approveAs is a decision by d approving with number.
func approveAs(d *store.Device, number int) store.Decision {
	return store.Decision{Email: d.Email, DeviceID: d.ID, At: now(), ExpiredReason: "expired",
		To: store.LoginApproved, CheckNumber: true, Number: number, WrongTo: store.LoginDenied, WrongReason: "wrong_number"}
}

func runUseDecide(t *testing.T, open Opener) {
	t.Run("a device whose id names its group is kept, listed, renamed, pushed to and deleted as any other", func(t *testing.T) {
		t.Parallel()
		s, ctx := open(t), ctxFor(t)
		email := uniqEmail()
		old, grouped := newDevice(email, now()), groupDevice(email)
		grouped.CreatedAt = old.CreatedAt.Add(time.Second)
		w := watchLogins(t, s)
		for _, d := range []*store.Device{old, grouped} {
			noErr(t, "CreateDevice", s.CreateDevice(ctx, d))
		}
		list, err := s.ListDevices(ctx, email)
		noErr(t, "ListDevices", err)
		if len(list) != 2 || list[0].ID != old.ID || list[1].ID != grouped.ID {
			t.Fatalf("ListDevices: %d devices %v", len(list), list)
		}
		users, err := s.ListUsers(ctx)
		noErr(t, "ListUsers", err)
		if !slices.Contains(users, email) {
			t.Fatalf("ListUsers lacks %s", email)
		}
		noErr(t, "UpdateDevice", s.UpdateDevice(ctx, grouped.ID, "Renamed", time.Time{}))
		grouped.Name = "Renamed"
		grouped.Push = newPush("https://fcm.googleapis.com/fcm/send/" + uniq("g"))
		noErr(t, "SetPushSubscription", s.SetPushSubscription(ctx, grouped.ID, grouped.Push))
		got, err := s.GetDevice(ctx, grouped.ID)
		noErr(t, "GetDevice", err)
		sameDevice(t, "GetDevice of a renamed, subscribed device", got, grouped)
		noErr(t, "DropPushSubscription", s.DropPushSubscription(ctx, grouped.ID, grouped.Push.Endpoint))
		grouped.Push = nil
		got, err = s.GetDevice(ctx, grouped.ID)
		noErr(t, "GetDevice", err)
		sameDevice(t, "GetDevice after the push subscription was dropped", got, grouped)
		_, err = s.UseDevice(ctx, grouped.ID, "sig-1", time.Minute, time.Time{})
		noErr(t, "UseDevice", err)
		_, err = s.UseDevice(ctx, grouped.ID, "sig-1", time.Minute, time.Time{})
		wantErr(t, "UseDevice replayed", err, store.ErrConflict)
		if _, first, err := s.NoteApproval(ctx, grouped.ID); err != nil || !first {
			t.Fatalf("NoteApproval: %v %v", first, err)
		}
		noErr(t, "DeleteDevice", s.DeleteDevice(ctx, grouped.ID))
		w.expect(t, "deletion", store.LoginChange{DeviceID: grouped.ID})
		_, err = s.GetDevice(ctx, grouped.ID)
		wantErr(t, "GetDevice after deletion", err, store.ErrNotFound)
		list, err = s.ListDevices(ctx, email)
		noErr(t, "ListDevices", err)
		if len(list) != 1 || list[0].ID != old.ID {
			t.Fatalf("ListDevices after deletion: %v", list)
		}
	})

	for _, kind := range []struct {
		name string
		make func(email string) *store.Device
	}{
		{"a device whose id names its group", groupDevice},
		{"a device made before groups", func(email string) *store.Device { return newDevice(email, now()) }},
	} {
		t.Run("UseDeviceAndDecide takes the marker and decides, once: "+kind.name, func(t *testing.T) {
			t.Parallel()
			s, ctx := open(t), ctxFor(t)
			l := stepLogin()
			d := kind.make(l.Email)
			noErr(t, "CreateDevice", s.CreateDevice(ctx, d))
			if st, err := s.StartLogin(ctx, fullStart(l)); err != nil || !st.Created {
				t.Fatalf("StartLogin: %+v %v", st, err)
			}
			used := now().Add(time.Hour)
			got, err := s.UseDeviceAndDecide(ctx, store.DeviceUse{ID: d.ID, Mark: "sig-1", TTL: time.Minute, LastUsed: used}, l.ID, approveAs(d, l.Code))
			noErr(t, "UseDeviceAndDecide", err)
			noErr(t, "UseDeviceAndDecide's decision", got.LoginErr)
			if got.Outcome != store.Decided || got.Login.Status != store.LoginApproved || got.Login.DeviceID != d.ID {
				t.Fatalf("UseDeviceAndDecide: %v %+v", got.Outcome, got.Login)
			}
			want := *d
			want.LastUsed = used
			sameDevice(t, "UseDeviceAndDecide's device", got.Device, &want)
			if _, err := s.PendingLogin(ctx, l.Email); err == nil {
				t.Fatal("the pending claim outlived the decision")
			}
			_, err = s.UseDevice(ctx, d.ID, "sig-1", time.Minute, time.Time{})
			wantErr(t, "UseDevice with the marker the decision took", err, store.ErrConflict)
			got, err = s.UseDeviceAndDecide(ctx, store.DeviceUse{ID: d.ID, Mark: "sig-2", TTL: time.Minute}, l.ID, approveAs(d, l.Code))
			noErr(t, "UseDeviceAndDecide of a decided login", err)
			if got.Outcome != store.AlreadyDecided || got.LoginErr != nil {
				t.Fatalf("UseDeviceAndDecide of a decided login: %v %v", got.Outcome, got.LoginErr)
			}
			other := approveAs(d, l.Code)
			other.DeviceID = uniq("dev")
			if _, err := s.UseDeviceAndDecide(ctx, store.DeviceUse{ID: d.ID, Mark: "sig-4", TTL: time.Minute}, l.ID, other); err == nil {
				t.Fatal("UseDeviceAndDecide with a decision of another device: no error")
			}
			got, err = s.UseDeviceAndDecide(ctx, store.DeviceUse{ID: d.ID, Mark: "sig-3", TTL: time.Minute}, uniq("nologin"), approveAs(d, l.Code))
			noErr(t, "UseDeviceAndDecide of no login", err)
			wantErr(t, "UseDeviceAndDecide's decision of no login", got.LoginErr, store.ErrNotFound)
		})

		t.Run("UseDeviceAndDecide replayed, or of no device, changes nothing: "+kind.name, func(t *testing.T) {
			t.Parallel()
			s, ctx := open(t), ctxFor(t)
			l := stepLogin()
			d := kind.make(l.Email)
			noErr(t, "CreateDevice", s.CreateDevice(ctx, d))
			if st, err := s.StartLogin(ctx, fullStart(l)); err != nil || !st.Created {
				t.Fatalf("StartLogin: %+v %v", st, err)
			}
			_, err := s.UseDevice(ctx, d.ID, "sig-1", time.Minute, time.Time{})
			noErr(t, "UseDevice", err)
			got, err := s.UseDeviceAndDecide(ctx, store.DeviceUse{ID: d.ID, Mark: "sig-1", TTL: time.Minute, LastUsed: now().Add(time.Hour)}, l.ID, approveAs(d, l.Code))
			wantErr(t, "UseDeviceAndDecide replayed", err, store.ErrConflict)
			if got != nil {
				t.Fatalf("UseDeviceAndDecide replayed returned %+v", got)
			}
			other := kind.make(l.Email)
			_, err = s.UseDeviceAndDecide(ctx, store.DeviceUse{ID: other.ID, Mark: "sig-2", TTL: time.Minute}, l.ID, approveAs(other, l.Code))
			wantErr(t, "UseDeviceAndDecide of no device", err, store.ErrNotFound)
			pending, err := s.PendingLogin(ctx, l.Email)
			noErr(t, "PendingLogin after refused decisions", err)
			if pending.ID != l.ID || pending.Status != store.LoginPending {
				t.Fatalf("login after refused decisions: %+v", pending)
			}
			stored, err := s.GetDevice(ctx, d.ID)
			noErr(t, "GetDevice", err)
			sameDevice(t, "GetDevice after a replay", stored, d)
		})
	}

	t.Run("UseDeviceAndDecide: of concurrent decisions by one device, one decides", func(t *testing.T) {
		t.Parallel()
		s, ctx := open(t), ctxFor(t)
		l := stepLogin()
		d := groupDevice(l.Email)
		noErr(t, "CreateDevice", s.CreateDevice(ctx, d))
		if st, err := s.StartLogin(ctx, fullStart(l)); err != nil || !st.Created {
			t.Fatalf("StartLogin: %+v %v", st, err)
		}
		var decided, replayed atomic.Int32
		var wg sync.WaitGroup
		for i := range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				mark := "sig-same"
				if i%2 == 1 {
					mark = uniq("sig")
				}
				got, err := s.UseDeviceAndDecide(ctx, store.DeviceUse{ID: d.ID, Mark: mark, TTL: time.Minute}, l.ID, approveAs(d, l.Code))
				switch {
				case err != nil:
					replayed.Add(1)
				case got.LoginErr == nil && got.Outcome == store.Decided:
					decided.Add(1)
				}
			}()
		}
		wg.Wait()
		if decided.Load() != 1 || replayed.Load() != 3 {
			t.Fatalf("%d decided and %d refused as replays, want 1 and 3", decided.Load(), replayed.Load())
		}
	})
}
