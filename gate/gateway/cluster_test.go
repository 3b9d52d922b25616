package gateway

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/authgate/authgate/gate/event"
	"github.com/authgate/authgate/gate/store/redisstore"
	"github.com/authgate/authgate/gate/webhook"
	"github.com/authgate/authgate/gate/webhook/redisoutbox"
	"github.com/authgate/authgate/internal/testenv"
)

// TestTwoInstancesOnARedisCluster runs two gateway instances on a
// three-primary Redis Cluster of real redis-server processes: a login
// started on one is approved and its browser told so by the other's event
// stream, the session works on both, a revocation made on one reaches the
// other, and a webhook goes through the Cluster outbox.
func TestTwoInstancesOnARedisCluster(t *testing.T) {
	c := testenv.StartRedisCluster(t)
	open := func() *redisstore.Store {
		st, err := redisstore.Open(c.URL(), redisstore.Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		return st
	}
	stA, stB := open(), open()
	a, b := startLiveGate(t, stA), startLiveGate(t, stB)
	for deadline := time.Now().Add(5 * time.Second); !a.gw.live.Up() || !b.gw.live.Up(); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the live hubs never subscribed")
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	const email = "cara@example.com"
	dev := a.enroll(t, email)
	onA := a.browser(t)
	id, code := onA.start(email)
	// The same browser (one cookie jar: cookies ignore the port) waits on
	// the other instance.
	onB := &testBrowser{t: t, base: b.srv.URL, http: onA.http}
	stream := onB.loginEvents(id)
	var ev loginStatusEvent
	stream.mustNext(t, "status", &ev)
	decided := time.Now()
	if status, err := dev.Decide(ctx, id, "approve", code); err != nil || status != "approved" {
		t.Fatalf("approve on A: %q %v", status, err)
	}
	stream.mustNext(t, "status", &ev)
	if ev.Status != "approved" {
		t.Fatalf("B's stream after approval on A: %+v", ev)
	}
	t.Logf("approval on instance A reached the browser waiting on B in %v", time.Since(decided).Round(time.Microsecond))
	var chk checkResponse
	if status := getJSON(t, onA, "/.authgate/auth/check/"+id, &chk); status != http.StatusOK || chk.Redirect == "" {
		t.Fatalf("collect on A: %d %+v", status, chk)
	}

	protected := func(br *testBrowser) int {
		req, _ := http.NewRequest(http.MethodGet, br.base+"/private", nil)
		req.Header.Set("Accept", "application/json")
		resp, err := br.http.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if sa, sb := protected(onA), protected(onB); sa != http.StatusOK || sb != http.StatusOK {
		t.Fatalf("protected request with the session: A %d, B %d", sa, sb)
	}
	sessions, err := stA.ListSessions(ctx, email)
	if err != nil || len(sessions) != 1 {
		t.Fatalf("sessions of %s: %v %v", email, sessions, err)
	}
	revoked := time.Now()
	if _, err := a.gw.RevokeSession(ctx, sessions[0].ID); err != nil {
		t.Fatal(err)
	}
	for protected(onB) == http.StatusOK {
		if time.Since(revoked) > 5*time.Second {
			t.Fatal("the revocation made on A never reached B")
		}
		time.Sleep(2 * time.Millisecond)
	}
	t.Logf("revocation on A reached B in %v", time.Since(revoked).Round(time.Microsecond))

	var got atomic.Int64
	recv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { got.Add(1) }))
	t.Cleanup(recv.Close)
	ob, err := redisoutbox.New(ctx, stB.Client(), redisoutbox.Options{Prefix: stB.Prefix() + ":{wh}"})
	if err != nil {
		t.Fatal(err)
	}
	disp, err := webhook.New(webhook.Config{Outbox: ob, Endpoints: []webhook.Endpoint{{ID: "app", URL: recv.URL, Secret: "s"}}})
	if err != nil {
		t.Fatal(err)
	}
	dctx, dcancel := context.WithCancel(ctx)
	ddone := make(chan struct{})
	go func() { defer close(ddone); _ = disp.Run(dctx) }()
	t.Cleanup(func() { dcancel(); <-ddone })
	disp.Emit(ctx, event.New(event.Login, map[string]any{"email": email}))
	for deadline := time.Now().Add(10 * time.Second); got.Load() == 0; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the webhook through the Cluster outbox never arrived")
		}
	}
}
