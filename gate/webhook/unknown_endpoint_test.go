package webhook

import (
	"context"
	"testing"
	"time"

	"github.com/authgate/authgate/gate/webhook/outbox"
)

// settlingOutbox records how claims were settled.
type settlingOutbox struct {
	outbox.Outbox
	retried []outbox.Claim
	at      []time.Time
	dead    []outbox.Claim
}

func (o *settlingOutbox) Retry(_ context.Context, c outbox.Claim, at time.Time) error {
	o.retried, o.at = append(o.retried, c), append(o.at, at)
	return nil
}

func (o *settlingOutbox) DeadLetter(_ context.Context, c outbox.Claim, _ string) error {
	o.dead = append(o.dead, c)
	return nil
}

// TestADeliveryForAReceiverThisInstanceLacksIsLeftForTheOthers: young, it
// goes back to the queue within seconds with its attempts untouched, so
// an instance that has the receiver delivers it at once and in full; old,
// it takes an attempt as before, so one for a receiver no instance has
// any more ends.
func TestADeliveryForAReceiverThisInstanceLacksIsLeftForTheOthers(t *testing.T) {
	ob := &settlingOutbox{}
	d := newDispatcher(t, Config{Outbox: ob, Schedule: []time.Duration{0, 5 * time.Minute}})
	ctx := context.Background()
	young := outbox.Claim{Delivery: outbox.Delivery{EventID: "evt_1", EndpointID: "wh_elsewhere", Attempt: 0, EnqueuedAt: time.Now()}}
	d.unknownEndpoint(ctx, young)
	if len(ob.retried) != 1 || ob.retried[0].Attempt != 0 || time.Until(ob.at[0]) > leaveUnknownEvery {
		t.Fatalf("a young delivery: retried %+v at %v, want attempt 0 again within %s", ob.retried, ob.at, leaveUnknownEvery)
	}
	old := young
	old.EnqueuedAt = time.Now().Add(-leaveUnknownFor - time.Second)
	d.unknownEndpoint(ctx, old)
	if len(ob.retried) != 2 || ob.retried[1].Attempt != 1 || time.Until(ob.at[1]) < 4*time.Minute {
		t.Fatalf("an old delivery: retried %+v at %v, want its attempt taken and the schedule's delay", ob.retried, ob.at)
	}
	old.Attempt = 1
	d.unknownEndpoint(ctx, old)
	if len(ob.dead) != 1 {
		t.Fatalf("an old delivery past its schedule: dead %v", ob.dead)
	}
}
