package gateway

import (
	"context"
	"errors"
	"testing"
	"time"

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
