package gateway

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/authgate/authgate/gate/flow"
	"github.com/authgate/authgate/gate/store"
)

// unsubscribable is a store whose login change subscription always
// fails, as while Redis pub/sub is unreachable.
type unsubscribable struct{ store.Store }

func (unsubscribable) SubscribeLogins(context.Context, func(), func(store.LoginChange)) error {
	return errors.New("no subscription today")
}

func TestStreamsPollWhileTheSubscriptionIsDown(t *testing.T) {
	lg := startLiveGate(t, unsubscribable{newMemoryStore(t)})
	if lg.gw.live.Up() {
		t.Fatal("the hub reports a subscription that cannot exist")
	}
	dev := lg.enroll(t, "pat@example.com")
	phone := deviceEvents(t, lg, dev)
	var pe pendingEvent
	phone.mustNext(t, "pending", &pe)
	b := lg.browser(t)
	id, code := b.start("pat@example.com")
	phone.mustNext(t, "pending", &pe)
	if len(pe.Logins) != 1 || pe.Logins[0].SessionID != id {
		t.Fatalf("the phone, polling, shows %+v", pe)
	}
	stream := b.loginEvents(id)
	var ev loginStatusEvent
	stream.mustNext(t, "status", &ev)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	decided := time.Now()
	if _, err := dev.Decide(ctx, id, "approve", code); err != nil {
		t.Fatal(err)
	}
	stream.mustNext(t, "status", &ev)
	if ev.Status != "approved" {
		t.Fatalf("after approval: %+v", ev)
	}
	t.Logf("approval reached the polling browser in %v", time.Since(decided).Round(time.Millisecond))
}

func TestStreamsLearnOfExpiryWithoutPolling(t *testing.T) {
	forEachTestStore(t, func(t *testing.T, st store.Store) {
		lg := startLiveGateConfig(t, st, Config{Flow: flow.Config{LoginTimeout: time.Second}})
		dev := lg.enroll(t, "quinn@example.com")
		phone := deviceEvents(t, lg, dev)
		var pe pendingEvent
		phone.mustNext(t, "pending", &pe)
		b := lg.browser(t)
		id, _ := b.start("quinn@example.com")
		phone.mustNext(t, "pending", &pe)
		stream := b.loginEvents(id)
		var ev loginStatusEvent
		stream.mustNext(t, "status", &ev)
		started := time.Now()
		stream.mustNext(t, "status", &ev)
		if ev.Status != "expired" {
			t.Fatalf("after the window: %+v", ev)
		}
		phone.mustNext(t, "pending", &pe)
		if len(pe.Logins) != 0 {
			t.Fatalf("the phone still shows %+v after the window", pe)
		}
		if took := time.Since(started); took > 3*time.Second {
			t.Fatalf("expiry took %v to reach the streams, want about the 1 s window", took)
		}
	})
}
