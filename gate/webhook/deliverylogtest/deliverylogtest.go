// Package deliverylogtest is the contract every webhook.DeliveryLog
// passes: run it from each implementation's tests with a constructor of
// fresh, empty logs.
package deliverylogtest

import (
	"bytes"
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/authgate/authgate/gate/webhook"
	"github.com/authgate/authgate/gate/webhook/outbox"
)

// NewLog returns an empty log that keeps keep events per endpoint, each
// for ttl, and lives until the test ends.
type NewLog func(t *testing.T, keep int, ttl time.Duration) webhook.DeliveryLog

// Run runs the contract suite.
func Run(t *testing.T, newLog NewLog) {
	t.Run("AnAttemptBeforeTheEnqueueRecordIsKept", func(t *testing.T) { attemptBeforeEnqueue(t, newLog) })
	t.Run("AReplayMakesAnEndedRecordPending", func(t *testing.T) { replayMakesPending(t, newLog) })
	t.Run("AttemptsAreKeptInOrderAndCapped", func(t *testing.T) { attemptsCapped(t, newLog) })
	t.Run("EachEndpointKeepsItsNewestEvents", func(t *testing.T) { keepCount(t, newLog) })
	t.Run("EventsOlderThanTheTTLGo", func(t *testing.T) { ttlDrops(t, newLog) })
	t.Run("TheBodyIsKeptForReplay", func(t *testing.T) { bodyKept(t, newLog) })
	t.Run("AGiveUpKillsTheRecord", func(t *testing.T) { gaveUp(t, newLog) })
	t.Run("QueriesSelectEndpointsAndEvents", func(t *testing.T) { queries(t, newLog) })
	t.Run("ForgetDropsOneEndpoint", func(t *testing.T) { forget(t, newLog) })
	t.Run("OneBatchAppliesInOrder", func(t *testing.T) { batch(t, newLog) })
}

// Delivery returns a delivery of event n to endpoint ep.
func Delivery(ep string, n int) outbox.Delivery {
	return outbox.Delivery{EventID: fmt.Sprintf("evt_%d", n), EventType: "login", EndpointID: ep,
		Body: []byte(fmt.Sprintf(`{"id":"evt_%d","n":"é\"<\n"}`, n))}
}

func apply(t *testing.T, l webhook.DeliveryLog, cs ...webhook.LogChange) {
	t.Helper()
	if err := l.Apply(context.Background(), cs); err != nil {
		t.Fatalf("Apply: %v", err)
	}
}

func records(t *testing.T, l webhook.DeliveryLog, q webhook.LogQuery) []webhook.EventRecord {
	t.Helper()
	recs, err := l.Records(context.Background(), q)
	if err != nil {
		t.Fatalf("Records(%+v): %v", q, err)
	}
	return recs
}

func enqueued(d outbox.Delivery, at time.Time) webhook.LogChange {
	return webhook.LogChange{Kind: webhook.ChangeEnqueued, Delivery: d, At: at}
}

func attempted(d outbox.Delivery, a webhook.Attempt, state string) webhook.LogChange {
	return webhook.LogChange{Kind: webhook.ChangeAttempted, Delivery: d, At: a.At, Attempt: a, State: state}
}

// A worker can claim and finish a delivery before the enqueuing call has
// recorded it: the record must keep the attempt's state, not go back to
// pending.
func attemptBeforeEnqueue(t *testing.T, newLog NewLog) {
	l := newLog(t, 100, time.Hour)
	d := Delivery("ep", 1)
	since := time.Now()
	apply(t, l, attempted(d, webhook.Attempt{Number: 1, At: time.Now().UTC(), Error: "refused"}, webhook.StateDead))
	apply(t, l, enqueued(d, since))
	if recs := records(t, l, webhook.LogQuery{EndpointIDs: []string{"ep"}, EventID: d.EventID}); len(recs) != 1 || recs[0].State != webhook.StateDead {
		t.Fatalf("records %+v, want one, dead", recs)
	}
}

// A replay enqueued after the record ended makes it pending again, its
// attempts kept.
func replayMakesPending(t *testing.T, newLog NewLog) {
	l := newLog(t, 100, time.Hour)
	d := Delivery("ep", 1)
	apply(t, l, attempted(d, webhook.Attempt{Number: 1, At: time.Now().UTC().Add(-time.Second), Error: "refused"}, webhook.StateDead))
	apply(t, l, enqueued(d, time.Now()))
	recs := records(t, l, webhook.LogQuery{EndpointIDs: []string{"ep"}, EventID: d.EventID})
	if len(recs) != 1 || recs[0].State != webhook.StatePending || len(recs[0].Attempts) != 1 {
		t.Fatalf("records %+v, want one, pending, with its attempt", recs)
	}
}

func attemptsCapped(t *testing.T, newLog NewLog) {
	l := newLog(t, 100, time.Hour)
	d := Delivery("ep", 1)
	start := time.Now().UTC().Truncate(time.Microsecond)
	apply(t, l, enqueued(d, start))
	n := webhook.MaxAttemptsKept + 3
	for i := 1; i <= n; i++ {
		a := webhook.Attempt{Number: i, At: start.Add(time.Duration(i) * time.Millisecond), Status: 500,
			Error: "status 500", Duration: 1500 * time.Microsecond, Response: "oops \"quoted\"\nline"}
		state := webhook.StateRetrying
		if i == n {
			state = webhook.StateDead
		}
		apply(t, l, attempted(d, a, state))
	}
	recs := records(t, l, webhook.LogQuery{EndpointIDs: []string{"ep"}})
	if len(recs) != 1 {
		t.Fatalf("%d records, want 1", len(recs))
	}
	r := recs[0]
	if r.State != webhook.StateDead || r.EventID != d.EventID || r.EventType != "login" || r.EndpointID != "ep" {
		t.Fatalf("record %+v", r)
	}
	if len(r.Attempts) != webhook.MaxAttemptsKept {
		t.Fatalf("%d attempts kept, want %d", len(r.Attempts), webhook.MaxAttemptsKept)
	}
	first, last := r.Attempts[0], r.Attempts[len(r.Attempts)-1]
	if first.Number != n-webhook.MaxAttemptsKept+1 || last.Number != n {
		t.Fatalf("attempts %d..%d, want %d..%d", first.Number, last.Number, n-webhook.MaxAttemptsKept+1, n)
	}
	want := webhook.Attempt{Number: n, At: start.Add(time.Duration(n) * time.Millisecond), Status: 500,
		Error: "status 500", Duration: 1500 * time.Microsecond, Response: "oops \"quoted\"\nline"}
	if !last.At.Equal(want.At) || last.Status != want.Status || last.Error != want.Error ||
		last.Duration != want.Duration || last.Response != want.Response {
		t.Fatalf("last attempt %+v, want %+v", last, want)
	}
	if !r.UpdatedAt.Equal(want.At) {
		t.Fatalf("updated at %v, want the last attempt's %v", r.UpdatedAt, want.At)
	}
}

func keepCount(t *testing.T, newLog NewLog) {
	l := newLog(t, 3, time.Hour)
	base := time.Now()
	for i := range 5 {
		apply(t, l, enqueued(Delivery("ep", i), base.Add(time.Duration(i)*time.Millisecond)))
	}
	apply(t, l, enqueued(Delivery("other", 9), base))
	recs := records(t, l, webhook.LogQuery{EndpointIDs: []string{"ep"}})
	var ids []string
	for _, r := range recs {
		ids = append(ids, r.EventID)
	}
	if fmt.Sprint(ids) != "[evt_4 evt_3 evt_2]" {
		t.Fatalf("kept %v, want the three newest, newest first", ids)
	}
	if recs := records(t, l, webhook.LogQuery{EndpointIDs: []string{"other"}}); len(recs) != 1 {
		t.Fatalf("the other endpoint keeps %d records, want its 1", len(recs))
	}
}

func ttlDrops(t *testing.T, newLog NewLog) {
	l := newLog(t, 100, time.Hour)
	now := time.Now()
	apply(t, l, enqueued(Delivery("ep", 1), now.Add(-2*time.Hour)))
	apply(t, l, enqueued(Delivery("ep", 2), now))
	recs := records(t, l, webhook.LogQuery{EndpointIDs: []string{"ep"}})
	if len(recs) != 1 || recs[0].EventID != "evt_2" {
		t.Fatalf("records %+v, want evt_2 only", recs)
	}
}

func bodyKept(t *testing.T, newLog NewLog) {
	l := newLog(t, 100, time.Hour)
	d := Delivery("ep", 1)
	apply(t, l, enqueued(d, time.Now()))
	// Later changes carry the claim's copy of the body; the first one stays.
	later := d
	later.Body = []byte("changed")
	apply(t, l, attempted(later, webhook.Attempt{Number: 1, At: time.Now().UTC(), Status: 200}, webhook.StateDelivered))
	recs := records(t, l, webhook.LogQuery{EndpointIDs: []string{"ep"}, EventID: d.EventID, Body: true})
	if len(recs) != 1 || !bytes.Equal(recs[0].Body, d.Body) {
		t.Fatalf("records %+v, want one with body %q", recs, d.Body)
	}
	if recs := records(t, l, webhook.LogQuery{EndpointIDs: []string{"ep"}}); len(recs) != 1 || recs[0].Body != nil {
		t.Fatalf("a listing without Body returned %+v", recs)
	}
}

func gaveUp(t *testing.T, newLog NewLog) {
	l := newLog(t, 100, time.Hour)
	d := Delivery("ep", 1)
	now := time.Now()
	apply(t, l, enqueued(d, now))
	apply(t, l, attempted(d, webhook.Attempt{Number: 1, At: now.UTC(), Status: 503}, webhook.StateRetrying))
	apply(t, l, webhook.LogChange{Kind: webhook.ChangeGaveUp, Delivery: d, At: now.Add(time.Millisecond)})
	fresh := Delivery("ep", 2)
	apply(t, l, webhook.LogChange{Kind: webhook.ChangeGaveUp, Delivery: fresh, At: now})
	recs := records(t, l, webhook.LogQuery{EndpointIDs: []string{"ep"}})
	if len(recs) != 2 {
		t.Fatalf("%d records, want 2", len(recs))
	}
	for _, r := range recs {
		if r.State != webhook.StateDead {
			t.Fatalf("record %+v, want dead", r)
		}
		if r.EventID == d.EventID && len(r.Attempts) != 1 {
			t.Fatalf("record %+v lost its attempt", r)
		}
	}
}

func queries(t *testing.T, newLog NewLog) {
	l := newLog(t, 100, time.Hour)
	now := time.Now()
	apply(t, l, enqueued(Delivery("a", 1), now), enqueued(Delivery("b", 1), now.Add(time.Millisecond)),
		enqueued(Delivery("a", 2), now.Add(2*time.Millisecond)), enqueued(Delivery("c", 1), now))
	all := records(t, l, webhook.LogQuery{EndpointIDs: []string{"a", "b"}})
	var got []string
	for _, r := range all {
		got = append(got, r.EndpointID+"/"+r.EventID)
	}
	if fmt.Sprint(got) != "[a/evt_2 b/evt_1 a/evt_1]" {
		t.Fatalf("records of a and b: %v, want newest first", got)
	}
	one := records(t, l, webhook.LogQuery{EndpointIDs: []string{"a", "b", "c"}, EventID: "evt_1"})
	if len(one) != 3 {
		t.Fatalf("evt_1 has %d records, want one per endpoint (3)", len(one))
	}
	if none := records(t, l, webhook.LogQuery{EndpointIDs: []string{"a", "nope"}, EventID: "evt_9"}); len(none) != 0 {
		t.Fatalf("an unknown event has records %+v", none)
	}
	if none := records(t, l, webhook.LogQuery{}); len(none) != 0 {
		t.Fatalf("no endpoints: records %+v", none)
	}
}

func forget(t *testing.T, newLog NewLog) {
	l := newLog(t, 100, time.Hour)
	apply(t, l, enqueued(Delivery("a", 1), time.Now()), enqueued(Delivery("b", 1), time.Now()))
	if err := l.Forget(context.Background(), "a"); err != nil {
		t.Fatal(err)
	}
	if recs := records(t, l, webhook.LogQuery{EndpointIDs: []string{"a"}}); len(recs) != 0 {
		t.Fatalf("a forgotten endpoint keeps %+v", recs)
	}
	if recs := records(t, l, webhook.LogQuery{EndpointIDs: []string{"a"}, EventID: "evt_1"}); len(recs) != 0 {
		t.Fatalf("a forgotten endpoint keeps %+v", recs)
	}
	if recs := records(t, l, webhook.LogQuery{EndpointIDs: []string{"b"}}); len(recs) != 1 {
		t.Fatalf("the other endpoint keeps %d records, want 1", len(recs))
	}
	if err := l.Forget(context.Background(), "never"); err != nil {
		t.Fatalf("forgetting an endpoint without records: %v", err)
	}
}

func batch(t *testing.T, newLog NewLog) {
	l := newLog(t, 100, time.Hour)
	d := Delivery("ep", 1)
	now := time.Now().UTC()
	apply(t, l, enqueued(d, now),
		attempted(d, webhook.Attempt{Number: 1, At: now.Add(time.Millisecond), Status: 500}, webhook.StateRetrying),
		attempted(d, webhook.Attempt{Number: 2, At: now.Add(2 * time.Millisecond), Status: 200}, webhook.StateDelivered))
	recs := records(t, l, webhook.LogQuery{EndpointIDs: []string{"ep"}})
	if len(recs) != 1 || recs[0].State != webhook.StateDelivered || len(recs[0].Attempts) != 2 ||
		recs[0].Attempts[0].Number != 1 || recs[0].Attempts[1].Status != 200 {
		t.Fatalf("records %+v, want one delivered with attempts 1 and 2", recs)
	}
}
