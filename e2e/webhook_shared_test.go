package e2e

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/authgate/authgate/internal/testenv"
)

// sharedStatus is the part of GET /authgate/webhooks this test reads.
type sharedStatus struct {
	ID         string `json:"id"`
	Disabled   bool   `json:"disabled"`
	LastStatus int    `json:"last_status"`
	Delivered  int64  `json:"delivered"`
	Failed     int64  `json:"failed"`
	Dead       int64  `json:"dead"`
}

// listWebhooks lists the receivers the admin API at admin shows, which
// must be exactly one.
func listWebhooks(t *testing.T, admin string) []sharedStatus {
	t.Helper()
	out := receivers(t, admin)
	if len(out) != 1 {
		t.Fatalf("webhooks listed: %v", out)
	}
	return out
}

// receivers lists the receivers the admin API at admin shows.
func receivers(t *testing.T, admin string) []sharedStatus {
	t.Helper()
	resp, err := http.Get(admin + "/authgate/webhooks")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out []sharedStatus
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatalf("webhooks listed: %v", err)
	}
	return out
}

func pingWebhook(t *testing.T, admin, id string) {
	t.Helper()
	resp, err := http.Post(admin+"/authgate/webhooks/"+id+"/ping", "application/json", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		t.Fatalf("ping answered %d", resp.StatusCode)
	}
}

func TestTwoInstancesShowOneWebhookHealth(t *testing.T) {
	r := testenv.StartRedis(t)
	var status, got atomic.Int64
	status.Store(http.StatusOK)
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		got.Add(1)
		w.WriteHeader(int(status.Load()))
	}))
	t.Cleanup(recv.Close)
	extra := webhookBlock(recv.URL, "events ping")
	a := startGate(t, storeLine(r.URL(0)), newUpstream(t), extra)
	b := startGate(t, storeLine(r.URL(0)), newUpstream(t), extra)
	id := listWebhooks(t, a.caddy.Admin)[0].ID

	wait := func(what string, ok func() bool) {
		t.Helper()
		for end := time.Now().Add(15 * time.Second); time.Now().Before(end); time.Sleep(50 * time.Millisecond) {
			if ok() {
				return
			}
		}
		t.Fatalf("timed out waiting for %s; a: %+v b: %+v", what, listWebhooks(t, a.caddy.Admin), listWebhooks(t, b.caddy.Admin))
	}
	// Whichever instance delivers the ping, both report it.
	pingWebhook(t, a.caddy.Admin, id)
	wait("both instances to report the delivery", func() bool {
		sa, sb := listWebhooks(t, a.caddy.Admin)[0], listWebhooks(t, b.caddy.Admin)[0]
		return sa.Delivered == 1 && sb == sa && sb.LastStatus == 200
	})

	// A 410 disables the endpoint on both.
	status.Store(http.StatusGone)
	pingWebhook(t, a.caddy.Admin, id)
	wait("both instances to report the 410", func() bool {
		sa, sb := listWebhooks(t, a.caddy.Admin)[0], listWebhooks(t, b.caddy.Admin)[0]
		return sa.Disabled && sb == sa && sb.LastStatus == 410 && sb.Dead == 1
	})

	// Neither instance delivers to it any more.
	status.Store(http.StatusOK)
	time.Sleep(1500 * time.Millisecond) // more than one health sync
	before := got.Load()
	for range 4 {
		pingWebhook(t, b.caddy.Admin, id)
		pingWebhook(t, a.caddy.Admin, id)
	}
	wait("the pings to be given up on", func() bool { return listWebhooks(t, b.caddy.Admin)[0].Dead == 9 })
	if n := got.Load() - before; n != 0 {
		t.Fatalf("the receiver got %d deliveries after it answered 410", n)
	}
}

func TestReceiversAddedOnOneInstanceReachTheOther(t *testing.T) {
	r := testenv.StartRedis(t)
	var got atomic.Int64
	recv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { got.Add(1) }))
	t.Cleanup(recv.Close)
	a := startGate(t, storeLine(r.URL(0)), newUpstream(t), "")
	b := startGate(t, storeLine(r.URL(0)), newUpstream(t), "")
	added := addPingReceiver(t, a.caddy.Admin, recv.URL)
	start := time.Now()
	for len(receiverIDs(t, b.caddy.Admin)) != 1 {
		if time.Since(start) > 10*time.Second {
			t.Fatal("the receiver added on A never reached B")
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Logf("B knew the receiver %v after it was added on A", time.Since(start).Round(10*time.Millisecond))
	pingWebhook(t, b.caddy.Admin, added)
	for got.Load() == 0 {
		if time.Since(start) > 15*time.Second {
			t.Fatal("B's ping never reached the receiver")
		}
		time.Sleep(50 * time.Millisecond)
	}

	req, _ := http.NewRequest(http.MethodDelete, b.caddy.Admin+"/authgate/webhooks/"+added, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		t.Fatalf("removing on B answered %d", resp.StatusCode)
	}
	start = time.Now()
	for len(receiverIDs(t, a.caddy.Admin)) != 0 {
		if time.Since(start) > 10*time.Second {
			t.Fatal("the receiver removed on B stayed on A")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// addPingReceiver adds a receiver of ping events at url through the admin
// API at admin and returns its id.
func addPingReceiver(t *testing.T, admin, url string) string {
	t.Helper()
	resp, err := http.Post(admin+"/authgate/webhooks", "application/json",
		strings.NewReader(`{"url":"`+url+`","events":["ping"]}`))
	if err != nil {
		t.Fatal(err)
	}
	var added struct{ ID string }
	err = json.NewDecoder(resp.Body).Decode(&added)
	resp.Body.Close()
	if err != nil || added.ID == "" {
		t.Fatalf("adding a receiver: %d %v", resp.StatusCode, err)
	}
	return added.ID
}

// receiverIDs lists the ids of the receivers the admin API at admin shows.
func receiverIDs(t *testing.T, admin string) []string {
	t.Helper()
	var ids []string
	for _, s := range receivers(t, admin) {
		ids = append(ids, s.ID)
	}
	return ids
}
