package webhook

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/authgate/authgate/gate/event"
	"github.com/authgate/authgate/gate/webhook/outbox"
)

// fastSchedule keeps retries quick in tests.
var fastSchedule = []time.Duration{0, 10 * time.Millisecond, 10 * time.Millisecond}

// received is one request a test receiver saw.
type received struct {
	header http.Header
	body   []byte
}

// receiver is an httptest server answering with answer(n) for its n-th
// request (from 1) and recording every request.
type receiver struct {
	*httptest.Server
	mu   sync.Mutex
	got  []received
	hits atomic.Int64
}

func newReceiver(t *testing.T, answer func(n int64, w http.ResponseWriter, r *http.Request)) *receiver {
	rc := &receiver{}
	rc.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		rc.mu.Lock()
		rc.got = append(rc.got, received{r.Header.Clone(), b})
		rc.mu.Unlock()
		answer(rc.hits.Add(1), w, r)
	}))
	t.Cleanup(rc.Close)
	return rc
}

func (rc *receiver) requests() []received {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]received(nil), rc.got...)
}

func status(code int) func(int64, http.ResponseWriter, *http.Request) {
	return func(_ int64, w http.ResponseWriter, _ *http.Request) { w.WriteHeader(code) }
}

// run starts d's workers and stops them when the test ends, checking that
// Run returns.
func run(t *testing.T, d *Dispatcher) context.CancelFunc {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()
	stop := func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	}
	var once sync.Once
	t.Cleanup(func() { once.Do(stop) })
	return func() { once.Do(stop) }
}

// waitFor polls cond until it holds, failing the test after 10 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func newDispatcher(t *testing.T, cfg Config) *Dispatcher {
	t.Helper()
	if cfg.Schedule == nil {
		cfg.Schedule = fastSchedule
	}
	d, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func state(d *Dispatcher, eventID string) string {
	recs := d.Event(eventID)
	if len(recs) != 1 {
		return ""
	}
	return recs[0].State
}

func TestFailedDeliveryIsRetriedUntilAccepted(t *testing.T) {
	secret := GenerateSecret()
	rc := newReceiver(t, func(n int64, w http.ResponseWriter, _ *http.Request) {
		if n == 1 {
			w.WriteHeader(http.StatusInternalServerError)
		}
	})
	d := newDispatcher(t, Config{Endpoints: []Endpoint{{ID: "app", URL: rc.URL, Secret: secret}}})
	run(t, d)
	e := event.New(event.Login, map[string]any{"email": "alice@example.com"})
	d.Emit(context.Background(), e)
	waitFor(t, "delivery", func() bool { return state(d, e.ID) == StateDelivered })

	rec := d.Event(e.ID)[0]
	if len(rec.Attempts) != 2 || rec.Attempts[0].Status != 500 || rec.Attempts[1].Status != 200 {
		t.Fatalf("attempts %+v, want a 500 then a 200", rec.Attempts)
	}
	st := d.Endpoints()[0]
	if st.Delivered != 1 || st.Failed != 1 || st.LastStatus != 200 || st.LastFiredAt.IsZero() {
		t.Fatalf("endpoint status %+v", st)
	}
	wh, _ := standardwebhooks.NewWebhook(secret)
	reqs := rc.requests()
	for _, r := range reqs {
		if err := wh.Verify(r.body, r.header); err != nil {
			t.Fatalf("attempt does not verify: %v", err)
		}
		if r.header.Get("webhook-id") != e.ID || r.header.Get(HeaderDelivery) != e.ID {
			t.Fatalf("attempt carries id %q, want %q", r.header.Get("webhook-id"), e.ID)
		}
	}
	if string(reqs[0].body) != string(reqs[1].body) {
		t.Fatal("a retry changed the body")
	}
}

func TestGoneDisablesTheEndpoint(t *testing.T) {
	rc := newReceiver(t, status(http.StatusGone))
	d := newDispatcher(t, Config{Endpoints: []Endpoint{{ID: "app", URL: rc.URL, Secret: "s"}}})
	run(t, d)
	e := event.New(event.Logout, nil)
	d.Emit(context.Background(), e)
	waitFor(t, "dead letter", func() bool { return state(d, e.ID) == StateDead })
	if st := d.Endpoints()[0]; !st.Disabled || st.Dead != 1 || st.LastStatus != 410 {
		t.Fatalf("endpoint status %+v, want disabled with one dead delivery", st)
	}
	d.Emit(context.Background(), event.New(event.Logout, nil))
	if n := len(d.Deliveries("app")); n != 1 {
		t.Fatalf("%d deliveries to a disabled endpoint, want only the first", n)
	}
	dead, err := d.Outbox().DeadLetters(context.Background(), 10)
	if err != nil || len(dead) != 1 || !strings.Contains(dead[0].Reason, "410") {
		t.Fatalf("dead letters %+v, %v", dead, err)
	}
	if err := d.Enable("app"); err != nil || d.Endpoints()[0].Disabled {
		t.Fatalf("Enable: %v", err)
	}
}

func TestRedirectIsNotFollowedAndCountsAsFailure(t *testing.T) {
	var followed atomic.Bool
	mux := http.NewServeMux()
	mux.HandleFunc("/hook", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/elsewhere", http.StatusFound)
	})
	mux.HandleFunc("/elsewhere", func(http.ResponseWriter, *http.Request) { followed.Store(true) })
	srv := httptest.NewServer(mux)
	defer srv.Close()
	d := newDispatcher(t, Config{Schedule: []time.Duration{0},
		Endpoints: []Endpoint{{ID: "app", URL: srv.URL + "/hook", Secret: "s"}}})
	run(t, d)
	e := event.New(event.Login, nil)
	d.Emit(context.Background(), e)
	waitFor(t, "dead letter", func() bool { return state(d, e.ID) == StateDead })
	st := d.Endpoints()[0]
	if followed.Load() || st.Delivered != 0 || st.Failed != 1 || st.LastStatus != 302 ||
		!strings.Contains(st.LastError, "redirect") {
		t.Fatalf("followed=%v, endpoint status %+v", followed.Load(), st)
	}
}

func TestSlowReceiverDoesNotHoldUpEmit(t *testing.T) {
	release := make(chan struct{})
	rc := newReceiver(t, func(int64, http.ResponseWriter, *http.Request) { <-release })
	d := newDispatcher(t, Config{Workers: 2, PerEndpoint: 2, Endpoints: []Endpoint{{ID: "app", URL: rc.URL, Secret: "s"}}})
	run(t, d)
	for range 50 {
		d.Emit(context.Background(), event.New(event.Login, nil))
	}
	// Every Emit returned while the receiver still holds the first ones.
	waitFor(t, "the receiver to be busy", func() bool { return rc.hits.Load() == 2 })
	if n, _ := d.Outbox().Depth(context.Background()); n != 50 {
		t.Fatalf("outbox depth %d, want 50", n)
	}
	close(release)
	waitFor(t, "all deliveries", func() bool { return d.Endpoints()[0].Delivered == 50 })
}

func TestFullOutboxCountsWhatItDrops(t *testing.T) {
	d := newDispatcher(t, Config{QueueCapacity: 5, Endpoints: []Endpoint{{ID: "app", URL: "http://127.0.0.1:1/", Secret: "s"}}})
	for range 8 {
		d.Emit(context.Background(), event.New(event.Login, nil))
	}
	m := d.Outbox().(*outbox.Memory)
	if m.Dropped() != 3 || d.Rejected() != 3 {
		t.Fatalf("dropped %d, rejected %d; want 3 and 3", m.Dropped(), d.Rejected())
	}
}

func TestStoppingHandsAnAttemptBack(t *testing.T) {
	entered := make(chan struct{}, 1)
	rc := newReceiver(t, func(_ int64, _ http.ResponseWriter, r *http.Request) {
		entered <- struct{}{}
		<-r.Context().Done()
	})
	d := newDispatcher(t, Config{Workers: 1, Endpoints: []Endpoint{{ID: "app", URL: rc.URL, Secret: "s"}}})
	stop := run(t, d)
	e := event.New(event.Login, nil)
	d.Emit(context.Background(), e)
	<-entered
	stop()
	if n, _ := d.Outbox().Depth(context.Background()); n != 1 {
		t.Fatalf("outbox depth after stop %d, want the delivery back", n)
	}
	if recs := d.Event(e.ID); len(recs[0].Attempts) != 0 {
		t.Fatalf("a cut-short attempt was counted: %+v", recs[0].Attempts)
	}
}

func TestReplayAndPing(t *testing.T) {
	rc := newReceiver(t, status(http.StatusNoContent))
	d := newDispatcher(t, Config{Endpoints: []Endpoint{{ID: "app", URL: rc.URL, Secret: "s", Events: []string{event.Login}}}})
	run(t, d)
	e := event.New(event.Login, map[string]any{"email": "bob@example.com"})
	d.Emit(context.Background(), e)
	waitFor(t, "delivery", func() bool { return rc.hits.Load() == 1 })
	if n, err := d.Replay(context.Background(), e.ID); err != nil || n != 1 {
		t.Fatalf("Replay = %d, %v", n, err)
	}
	id, err := d.Ping(context.Background(), "app")
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "replay and ping", func() bool { return rc.hits.Load() == 3 })
	reqs := rc.requests()
	if string(reqs[0].body) != string(reqs[1].body) && reqs[1].header.Get("webhook-id") != e.ID {
		// order between replay and ping is not fixed; find the replay
		reqs[1], reqs[2] = reqs[2], reqs[1]
	}
	if string(reqs[1].body) != string(reqs[0].body) || reqs[1].header.Get("webhook-id") != e.ID {
		t.Fatal("the replay is not the same event")
	}
	if reqs[2].header.Get(HeaderEvent) != event.Ping || reqs[2].header.Get("webhook-id") != id {
		t.Fatalf("ping carried event %q id %q", reqs[2].header.Get(HeaderEvent), reqs[2].header.Get("webhook-id"))
	}
	if _, err := d.Replay(context.Background(), "evt_unknown"); !errors.Is(err, ErrUnknownEvent) {
		t.Fatalf("Replay of an unknown event = %v", err)
	}
	if _, err := d.Ping(context.Background(), "nope"); !errors.Is(err, ErrUnknownEndpoint) {
		t.Fatalf("Ping of an unknown endpoint = %v", err)
	}
}

func TestForbiddenDestinationsAreRefusedAtDial(t *testing.T) {
	d := newDispatcher(t, Config{Schedule: []time.Duration{0}, Endpoints: []Endpoint{
		{ID: "metadata", URL: "http://169.254.169.254/latest/meta-data/", Secret: "s"},
		{ID: "linklocal6", URL: "http://[fe80::1%25lo]:8080/", Secret: "s"},
	}})
	run(t, d)
	e := event.New(event.Login, nil)
	d.Emit(context.Background(), e)
	waitFor(t, "both dead", func() bool {
		recs := d.Event(e.ID)
		return len(recs) == 2 && recs[0].State == StateDead && recs[1].State == StateDead
	})
	for _, st := range d.Endpoints() {
		if !strings.Contains(st.LastError, "not allowed") {
			t.Errorf("%s: last error %q, want the dialer's refusal", st.ID, st.LastError)
		}
	}
}

func TestCheckAddress(t *testing.T) {
	cases := []struct {
		addr string
		ok   bool
	}{
		{"127.0.0.1", true}, {"::1", true}, {"10.1.2.3", true}, {"192.168.1.5", true}, {"203.0.113.9", true},
		{"169.254.169.254", false}, {"169.254.1.1", false}, {"::ffff:169.254.169.254", false},
		{"fe80::1", false}, {"fe80::1%eth0", false}, {"febf::1", false}, {"fd00:ec2::254", false}, {"100.100.100.200", false},
		{"224.0.0.1", false}, {"0.0.0.0", false}, {"::", false},
	}
	for _, c := range cases {
		err := dialControl("tcp", c.addr+":80", nil)
		if c.addr[0] == ':' || strings.Contains(c.addr, "::") {
			err = dialControl("tcp", "["+c.addr+"]:80", nil)
		}
		if (err == nil) != c.ok {
			t.Errorf("%s: err %v, want allowed=%v", c.addr, err, c.ok)
		}
	}
}

func TestRetryAfterAndSchedule(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	cases := []struct {
		header string
		want   time.Duration
	}{
		{"", 0}, {"120", 2 * time.Minute}, {"0", 0}, {"-5", 0}, {"soon", 0},
		{now.Add(time.Hour).Format(http.TimeFormat), time.Hour},
		{now.Add(-time.Hour).Format(http.TimeFormat), 0},
	}
	for _, c := range cases {
		h := http.Header{}
		if c.header != "" {
			h.Set("Retry-After", c.header)
		}
		if got := retryAfter(h, now); got != c.want {
			t.Errorf("Retry-After %q = %s, want %s", c.header, got, c.want)
		}
	}
	s := DefaultSchedule()
	for attempts, base := range s {
		d, ok := nextDelay(s, attempts, 0, time.Hour)
		if !ok || d < base*8/10 || d > base*12/10 {
			t.Errorf("after %d failures: %s, want %s ±20%%", attempts, d, base)
		}
	}
	if _, ok := nextDelay(s, len(s), 0, time.Hour); ok {
		t.Error("schedule not spent after its last attempt")
	}
	if d, _ := nextDelay(s, 1, 48*time.Hour, time.Hour); d != time.Hour {
		t.Errorf("Retry-After beyond the cap gave %s, want the 1h cap", d)
	}
	if d, _ := nextDelay(s, 1, 3*time.Minute, time.Hour); d != 3*time.Minute {
		t.Errorf("Retry-After 3m over a 5s delay gave %s", d)
	}
}

func TestLogsHoldNoSecretOrSignature(t *testing.T) {
	core, logs := observer.New(zap.DebugLevel)
	secret := GenerateSecret()
	var sigs []string
	var mu sync.Mutex
	rc := newReceiver(t, func(n int64, w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		sigs = append(sigs, r.Header.Get(HeaderSignature), r.Header.Get(HeaderStdSig))
		mu.Unlock()
		if n == 1 {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	})
	d := newDispatcher(t, Config{Logger: zap.New(core), Endpoints: []Endpoint{{ID: "app", URL: rc.URL + "/?token=tok123", Secret: secret}}})
	run(t, d)
	e := event.New(event.Login, nil)
	d.Emit(context.Background(), e)
	waitFor(t, "delivery", func() bool { return state(d, e.ID) == StateDelivered })
	mu.Lock()
	forbidden := append([]string{secret, "tok123"}, sigs...)
	mu.Unlock()
	if logs.Len() == 0 {
		t.Fatal("nothing logged")
	}
	for _, entry := range logs.All() {
		line := fmt.Sprint(entry.Message, entry.ContextMap())
		for _, f := range forbidden {
			if f != "" && strings.Contains(line, strings.TrimPrefix(f, "sha256=")) {
				t.Fatalf("log line reveals %q: %s", f, line)
			}
		}
	}
}

func TestNewRefusesBadEndpoints(t *testing.T) {
	_, err := New(Config{Endpoints: []Endpoint{
		{URL: "https://a.example/x", Secret: "s"},
		{URL: "https://a.example/x", Secret: "s"},
		{URL: "ftp://b", Secret: ""},
	}})
	if err == nil || !strings.Contains(err.Error(), "duplicate") || !strings.Contains(err.Error(), "scheme") {
		t.Fatalf("New = %v, want duplicate id and scheme errors", err)
	}
}

func TestAuthGateDeliveryIDIsOnePerEventAndReceiver(t *testing.T) {
	var mu sync.Mutex
	seen := map[string]bool{}
	failFirst := func(_ int64, w http.ResponseWriter, r *http.Request) { // each event's first attempt fails
		mu.Lock()
		defer mu.Unlock()
		if id := r.Header.Get(HeaderID); !seen[id] {
			seen[id] = true
			w.WriteHeader(http.StatusInternalServerError)
		}
	}
	one := newReceiver(t, failFirst)
	two := newReceiver(t, status(http.StatusOK))
	secret := GenerateSecret()
	d := newDispatcher(t, Config{Endpoints: []Endpoint{
		{ID: "wh_one", URL: one.URL, Secret: secret, Format: FormatAuthGate},
		{ID: "wh_two", URL: two.URL, Secret: secret, Format: FormatAuthGate},
	}})
	run(t, d)
	const n = 14 // in well under a second
	for i := range n {
		d.Emit(context.Background(), event.New(event.Login, map[string]any{"session_id": fmt.Sprint(i)}))
	}
	waitFor(t, "every delivery", func() bool { return len(one.requests()) == 2*n && len(two.requests()) == n })

	ids := map[string]string{} // delivery id → event id
	for _, rc := range []*receiver{one, two} {
		for _, r := range rc.requests() {
			del, evt := r.header.Get("X-AuthGate-Delivery"), r.header.Get(HeaderID)
			if prev, ok := ids[del]; ok && prev != evt {
				t.Fatalf("events %s and %s share the delivery id %q", prev, evt, del)
			}
			ids[del] = evt
		}
	}
	if len(ids) != 2*n {
		t.Fatalf("%d delivery ids for %d events to 2 receivers (retries must keep theirs): %v", len(ids), n, ids)
	}
	for del, evt := range ids {
		if del != "wh_one-"+evt && del != "wh_two-"+evt {
			t.Fatalf("delivery id %q, want wh_<endpoint>-%s", del, evt)
		}
	}
}
