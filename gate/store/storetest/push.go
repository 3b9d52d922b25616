package storetest

import (
	"testing"

	"github.com/authgate/authgate/gate/store"
)

// newPush returns a subscription to endpoint with every field set.
func newPush(endpoint string) *store.PushSubscription {
	return &store.PushSubscription{
		Endpoint: endpoint, P256dh: append([]byte{4}, make([]byte, 64)...),
		Auth: []byte("0123456789abcdef"), KeyID: "k1", UpdatedAt: now(),
	}
}

func runPush(t *testing.T, open Opener) {
	t.Run("a push subscription round-trips and is listed with its device", func(t *testing.T) {
		t.Parallel()
		s, ctx := open(t), ctxFor(t)
		d := newDevice(uniqEmail(), now())
		noErr(t, "CreateDevice", s.CreateDevice(ctx, d))
		d.Push = newPush("https://fcm.googleapis.com/fcm/send/" + uniq("a"))
		noErr(t, "SetPushSubscription", s.SetPushSubscription(ctx, d.ID, d.Push))
		got, err := s.GetDevice(ctx, d.ID)
		noErr(t, "GetDevice", err)
		sameDevice(t, "GetDevice", got, d)
		got.Push.Auth[0] = 'X' // the caller's copy is its own
		list, err := s.ListDevices(ctx, d.Email)
		noErr(t, "ListDevices", err)
		if len(list) != 1 {
			t.Fatalf("ListDevices: %d devices, want 1", len(list))
		}
		sameDevice(t, "ListDevices", list[0], d)
	})

	t.Run("a device created with a subscription keeps it; rename does not touch it", func(t *testing.T) {
		t.Parallel()
		s, ctx := open(t), ctxFor(t)
		d := newDevice(uniqEmail(), now())
		d.Push = newPush("https://updates.push.services.mozilla.com/wpush/v2/" + uniq("b"))
		noErr(t, "CreateDevice", s.CreateDevice(ctx, d))
		noErr(t, "UpdateDevice", s.UpdateDevice(ctx, d.ID, "Renamed", now()))
		got, err := s.GetDevice(ctx, d.ID)
		noErr(t, "GetDevice", err)
		if got.Push == nil || got.Push.Endpoint != d.Push.Endpoint || got.Name != "Renamed" {
			t.Fatalf("after rename: %+v", got)
		}
	})

	t.Run("setting nil removes the subscription; an unknown device is not found", func(t *testing.T) {
		t.Parallel()
		s, ctx := open(t), ctxFor(t)
		d := newDevice(uniqEmail(), now())
		noErr(t, "CreateDevice", s.CreateDevice(ctx, d))
		noErr(t, "SetPushSubscription", s.SetPushSubscription(ctx, d.ID, newPush("https://a.example/1")))
		noErr(t, "SetPushSubscription nil", s.SetPushSubscription(ctx, d.ID, nil))
		got, err := s.GetDevice(ctx, d.ID)
		noErr(t, "GetDevice", err)
		if got.Push != nil {
			t.Fatalf("subscription still there: %+v", got.Push)
		}
		wantErr(t, "SetPushSubscription of an unknown device",
			s.SetPushSubscription(ctx, uniq("dev"), newPush("https://a.example/2")), store.ErrNotFound)
	})

	t.Run("DropPushSubscription removes only the endpoint it names", func(t *testing.T) {
		t.Parallel()
		s, ctx := open(t), ctxFor(t)
		d := newDevice(uniqEmail(), now())
		noErr(t, "CreateDevice", s.CreateDevice(ctx, d))
		noErr(t, "SetPushSubscription", s.SetPushSubscription(ctx, d.ID, newPush("https://a.example/new")))
		noErr(t, "DropPushSubscription of an older endpoint", s.DropPushSubscription(ctx, d.ID, "https://a.example/old"))
		got, err := s.GetDevice(ctx, d.ID)
		noErr(t, "GetDevice", err)
		if got.Push == nil || got.Push.Endpoint != "https://a.example/new" {
			t.Fatalf("a drop of another endpoint changed the subscription: %+v", got.Push)
		}
		noErr(t, "DropPushSubscription", s.DropPushSubscription(ctx, d.ID, "https://a.example/new"))
		got, err = s.GetDevice(ctx, d.ID)
		noErr(t, "GetDevice", err)
		if got.Push != nil {
			t.Fatalf("subscription not dropped: %+v", got.Push)
		}
		noErr(t, "DropPushSubscription again", s.DropPushSubscription(ctx, d.ID, "https://a.example/new"))
		noErr(t, "DropPushSubscription of an unknown device", s.DropPushSubscription(ctx, uniq("dev"), "x"))
	})

	t.Run("a deleted device takes its subscription with it", func(t *testing.T) {
		t.Parallel()
		s, ctx := open(t), ctxFor(t)
		d := newDevice(uniqEmail(), now())
		noErr(t, "CreateDevice", s.CreateDevice(ctx, d))
		noErr(t, "SetPushSubscription", s.SetPushSubscription(ctx, d.ID, newPush("https://a.example/3")))
		noErr(t, "DeleteDevice", s.DeleteDevice(ctx, d.ID))
		wantErr(t, "SetPushSubscription after delete", s.SetPushSubscription(ctx, d.ID, newPush("https://a.example/4")), store.ErrNotFound)
		_, err := s.GetDevice(ctx, d.ID)
		wantErr(t, "GetDevice after delete", err, store.ErrNotFound)
	})
}
