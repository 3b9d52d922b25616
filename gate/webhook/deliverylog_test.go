package webhook

import (
	"testing"
	"time"

	"github.com/authgate/authgate/gate/webhook/outbox"
)

// A worker can claim and finish a delivery before the enqueuing call has
// recorded it: the record must keep the attempt's state, not go back to
// pending.
func TestAnAttemptBeforeTheEnqueueRecordIsKept(t *testing.T) {
	l := newDeliveryLog(100, time.Hour)
	d := outbox.Delivery{EventID: "evt_1", EventType: "login", EndpointID: "ep"}
	since := time.Now()
	l.attempted(d, Attempt{Number: 1, At: time.Now().UTC(), Error: "refused"}, StateDead)
	l.enqueued(d, since)
	if recs := l.records("ep", "evt_1"); len(recs) != 1 || recs[0].State != StateDead {
		t.Fatalf("records %+v, want one, dead", recs)
	}
}

// A replay enqueued after the record ended makes it pending again.
func TestAReplayMakesAnEndedRecordPending(t *testing.T) {
	l := newDeliveryLog(100, time.Hour)
	d := outbox.Delivery{EventID: "evt_1", EventType: "login", EndpointID: "ep"}
	l.attempted(d, Attempt{Number: 1, At: time.Now().UTC().Add(-time.Second), Error: "refused"}, StateDead)
	l.enqueued(d, time.Now())
	if recs := l.records("ep", "evt_1"); len(recs) != 1 || recs[0].State != StatePending {
		t.Fatalf("records %+v, want one, pending", recs)
	}
}
