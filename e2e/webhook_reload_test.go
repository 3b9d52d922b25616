package e2e

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/authgate/authgate/gate/webhook"
)

// TestMemoryStoreKeepsDeadLettersAndHealthAcrossAReload: with the memory
// store, a delivery that ran out of retries before a config reload can
// still be listed and replayed after it, the receiver's counters are
// kept, and a receiver disabled by 410 Gone stays disabled (a secret
// rotation is a reload; its refused deliveries must stay replayable).
func TestMemoryStoreKeepsDeadLettersAndHealthAcrossAReload(t *testing.T) {
	var failing atomic.Bool
	failing.Store(true)
	var got atomic.Int32
	flaky := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got.Add(1)
		if failing.Load() {
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(flaky.Close)
	gone := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusGone)
	}))
	t.Cleanup(gone.Close)
	g := startGate(t, storeLine(""), newUpstream(t), fmt.Sprintf("webhook_schedule 0s\n\t\t%s\n\t\t%s",
		webhookBlock(flaky.URL+"/flaky", "events ping"), webhookBlock(gone.URL+"/gone", "events ping")))
	ids := map[string]string{}
	var eps []webhook.EndpointStatus
	if status, _ := apiCall(t, http.MethodGet, g.caddy.Admin+"/authgate/webhooks", nil, "", &eps); status != http.StatusOK {
		t.Fatalf("listing receivers: %d", status)
	}
	for _, ep := range eps {
		ids[ep.URL] = ep.ID
	}
	flakyID, goneID := ids[flaky.URL+"/flaky"], ids[gone.URL+"/gone"]
	var ping struct {
		EventID string `json:"event_id"`
	}
	for _, id := range []string{flakyID, goneID} {
		if status, _ := apiCall(t, http.MethodPost, g.caddy.Admin+"/authgate/webhooks/"+id+"/ping", nil, "", &ping); status/100 != 2 {
			t.Fatalf("pinging %s: %d", id, status)
		}
	}
	flakyEvent := ""
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) && flakyEvent == "" {
		var recs []webhook.EventRecord
		apiCall(t, http.MethodGet, g.caddy.Admin+"/authgate/webhooks/"+flakyID+"/deliveries", nil, "", &recs)
		if len(recs) == 1 && recs[0].State == webhook.StateDead {
			flakyEvent = recs[0].EventID
		}
		time.Sleep(20 * time.Millisecond)
	}
	if flakyEvent == "" {
		t.Fatal("the failing receiver's ping was not dead-lettered")
	}

	g.reload()

	var recs []webhook.EventRecord
	apiCall(t, http.MethodGet, g.caddy.Admin+"/authgate/webhooks/"+flakyID+"/deliveries", nil, "", &recs)
	if len(recs) != 1 || recs[0].EventID != flakyEvent || recs[0].State != webhook.StateDead {
		t.Fatalf("deliveries after the reload: %+v, want the dead ping %s", recs, flakyEvent)
	}
	eps = nil
	apiCall(t, http.MethodGet, g.caddy.Admin+"/authgate/webhooks", nil, "", &eps)
	for _, ep := range eps {
		switch ep.ID {
		case flakyID:
			if ep.Failed != 1 || ep.Dead != 1 || ep.LastStatus != http.StatusInternalServerError {
				t.Errorf("failing receiver's health after the reload: %+v", ep)
			}
		case goneID:
			if !ep.Disabled {
				t.Errorf("the receiver that answered 410 is enabled again after the reload: %+v", ep)
			}
		}
	}
	failing.Store(false)
	before := got.Load()
	if status, _ := apiCall(t, http.MethodPost, g.caddy.Admin+"/authgate/events/"+flakyEvent+"/replay", nil, "", nil); status/100 != 2 {
		t.Fatalf("replaying the dead ping after the reload: %d", status)
	}
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline) && got.Load() == before; {
		time.Sleep(20 * time.Millisecond)
	}
	if got.Load() == before {
		t.Fatal("the replayed ping never reached the receiver")
	}
}
