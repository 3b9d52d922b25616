package e2e

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/authgate/authgate/gate/webhook"
	"github.com/authgate/authgate/internal/testenv"
)

// loggedDelivery is the part of GET /authgate/webhooks/{id}/deliveries
// this test reads.
type loggedDelivery struct {
	EventID  string `json:"event_id"`
	State    string `json:"state"`
	Attempts []struct {
		Number int `json:"number"`
		Status int `json:"status"`
	} `json:"attempts"`
}

func deliveriesOf(t *testing.T, admin, id string) []loggedDelivery {
	t.Helper()
	resp, err := http.Get(admin + "/authgate/webhooks/" + id + "/deliveries")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out []loggedDelivery
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("deliveries answered %d", resp.StatusCode)
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatal(err)
	}
	return out
}

// signedReceiver keeps the webhook-id and body of every delivery whose
// signature checks out with the test secret.
type signedReceiver struct {
	mu     sync.Mutex
	ids    []string
	bodies []string
	bad    int
}

func (s *signedReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	s.mu.Lock()
	defer s.mu.Unlock()
	if r.Header.Get(webhook.HeaderSignature) != webhook.DefaultSignaturePrefix+webhook.HexSignature(testWebhookSecret, body) {
		s.bad++
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	s.ids = append(s.ids, r.Header.Get(webhook.HeaderID))
	s.bodies = append(s.bodies, string(body))
}

func (s *signedReceiver) got() (ids, bodies []string, bad int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.ids...), append([]string(nil), s.bodies...), s.bad
}

// A delivery instance A made is listed, with its attempt, by instance B's
// admin API, and B replays it: the receiver gets it again, signed.
func TestInstanceBListsAndReplaysInstanceAsDelivery(t *testing.T) {
	r := testenv.StartRedis(t)
	rc := &signedReceiver{}
	recv := httptest.NewServer(rc)
	t.Cleanup(recv.Close)
	extra := webhookBlock(recv.URL, "events ping")
	a := startGate(t, storeLine(r.URL(0)), newUpstream(t), extra)
	id := listWebhooks(t, a.caddy.Admin)[0].ID

	// Only A runs: A makes the delivery.
	pingWebhook(t, a.caddy.Admin, id)
	wait := func(what string, ok func() bool) {
		t.Helper()
		for end := time.Now().Add(15 * time.Second); time.Now().Before(end); time.Sleep(50 * time.Millisecond) {
			if ok() {
				return
			}
		}
		t.Fatalf("timed out waiting for %s", what)
	}
	wait("A's delivery", func() bool { ids, _, _ := rc.got(); return len(ids) == 1 })

	b := startGate(t, storeLine(r.URL(0)), newUpstream(t), extra)
	var recs []loggedDelivery
	wait("A's delivery in B's log", func() bool {
		recs = deliveriesOf(t, b.caddy.Admin, id)
		return len(recs) == 1 && recs[0].State == "delivered"
	})
	ids, bodies, _ := rc.got()
	if recs[0].EventID != ids[0] || len(recs[0].Attempts) != 1 || recs[0].Attempts[0].Number != 1 || recs[0].Attempts[0].Status != 200 {
		t.Fatalf("B lists %+v for the delivery %s", recs, ids[0])
	}

	resp, err := http.Post(b.caddy.Admin+"/authgate/events/"+ids[0]+"/replay", "application/json", nil)
	if err != nil {
		t.Fatal(err)
	}
	var replay struct{ Enqueued int }
	err = json.NewDecoder(resp.Body).Decode(&replay)
	resp.Body.Close()
	if err != nil || resp.StatusCode != http.StatusOK || replay.Enqueued != 1 {
		t.Fatalf("B's replay answered %d %+v %v", resp.StatusCode, replay, err)
	}
	wait("the replayed delivery", func() bool { ids, _, _ := rc.got(); return len(ids) == 2 })
	ids2, bodies2, bad := rc.got()
	if ids2[1] != ids[0] || bodies2[1] != bodies[0] || bad != 0 {
		t.Fatalf("replayed id %s (want %s), same body %v, %d badly signed", ids2[1], ids[0], bodies2[1] == bodies[0], bad)
	}
	// Both instances list the replay's attempt.
	for _, admin := range []string{a.caddy.Admin, b.caddy.Admin} {
		wait("the replay's attempt in the log of "+admin, func() bool {
			recs := deliveriesOf(t, admin, id)
			return len(recs) == 1 && len(recs[0].Attempts) == 2 && recs[0].State == "delivered"
		})
	}
}
