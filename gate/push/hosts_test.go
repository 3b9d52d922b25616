package push

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/authgate/authgate/gate/store"
	"github.com/authgate/authgate/gate/store/memory"
)

// TestAHangingPushServiceDelaysOnlyItsOwnPushes: with every worker's
// worth of pushes stuck at a push service that never answers, a push to
// another service still goes out at once; and once the hanging one has
// failed three times in a row, its next pushes are not sent to wait.
func TestAHangingPushServiceDelaysOnlyItsOwnPushes(t *testing.T) {
	release := make(chan struct{})
	var reached atomic.Int64
	hang := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		reached.Add(1)
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer hang.Close()
	defer close(release)
	fast := newPushService(t, http.StatusCreated)
	st := memory.New()
	defer st.Close()
	ctx := t.Context()
	b := newBrowser(t)
	login := func(email, endpoint string) *store.Login {
		d := &store.Device{ID: "dev-" + email, Email: email, CreatedAt: time.Now(), Push: b.subscription(endpoint)}
		if err := st.CreateDevice(ctx, d); err != nil {
			t.Fatal(err)
		}
		l := &store.Login{ID: "login-" + email, Email: email, CreatedAt: time.Now(), ExpiresAt: time.Now().Add(time.Minute), Status: store.LoginPending}
		if err := st.CreateLogin(ctx, l, time.Minute); err != nil {
			t.Fatal(err)
		}
		return l
	}
	const timeout = 3 * time.Second
	n := NewNotifier(NotifierConfig{Workers: 4, Timeout: timeout, RetryDelay: 50 * time.Millisecond},
		testSender(t, mustKey(t), hang.URL, fast.URL), st)
	runCtx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { n.Run(runCtx); close(done) }()
	defer func() { cancel(); <-done }()

	for i := range 8 {
		n.LoginStarted(login(fmt.Sprintf("slow%d@example.com", i), hang.URL+"/sub"), "app.example.com")
	}
	time.Sleep(100 * time.Millisecond) // the workers have taken the stuck pushes
	start := time.Now()
	n.LoginStarted(login("fast@example.com", fast.URL+"/sub"), "app.example.com")
	select {
	case <-fast.notify:
	case <-time.After(timeout):
		t.Fatalf("the push to the answering service waited %v behind the hanging one", timeout)
	}
	t.Logf("push to the answering service sent %v after its login started", time.Since(start).Round(time.Millisecond))

	// The stuck pushes time out: the service is failing, and the pushes
	// still waiting for it, retries included, fail without being sent.
	deadline := time.Now().Add(3 * timeout)
	settled := func(s Stats) bool { return s.Failed == 8+s.Retried }
	for !settled(n.Stats()) && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(300 * time.Millisecond) // nothing more should happen
	if s := n.Stats(); !settled(s) || s.Sent != 1 {
		t.Fatalf("stats %+v, want every push to the hanging service failed, once or with its retry", s)
	}
	if got, want := reached.Load(), int64(4-4/4+1); got != want {
		t.Fatalf("the hanging service was sent %d pushes, want %d (three quarters of the workers, then one probe)", got, want)
	}
	if !n.slots.failing(endpointHost(hang.URL)) {
		t.Fatal("the hanging service is not marked failing")
	}
}

// TestPushServiceSlots: a service holds at most three quarters of the
// workers; once a push of it is in flight past slowAfter it gets new
// pushes only under a quarter; once failing, one probe; one answer gives
// its share back.
func TestPushServiceSlots(t *testing.T) {
	h := newHostSlots(8) // 6 of 8 at most, 2 when slow
	now := time.Now()
	var starts []time.Time
	for i := range 6 {
		start, ok, _ := h.take("push.example", now)
		if !ok {
			t.Fatalf("slot %d of 6 refused to a service that answers", i+1)
		}
		starts = append(starts, start)
	}
	if _, ok, failing := h.take("push.example", now); ok || failing {
		t.Fatalf("a seventh push of 8 workers: taken %v, failing %v", ok, failing)
	}
	if _, ok, _ := h.take("other.example", now); !ok {
		t.Fatal("another service refused while the first holds its share")
	}
	later := now.Add(slowAfter + time.Millisecond)
	for _, st := range starts[2:] {
		h.release("push.example", st, answered)
	}
	if _, ok, _ := h.take("push.example", later); ok {
		t.Fatal("a slow service holding 2 pushes got a third")
	}
	for _, st := range starts[:2] {
		h.release("push.example", st, unanswered)
	}
	probe, ok, _ := h.take("push.example", later)
	if !ok {
		t.Fatal("no slot once the slow pushes ended")
	}
	h.release("push.example", probe, unanswered) // the third failure in a row
	probe, ok, _ = h.take("push.example", later)
	if !ok {
		t.Fatal("no probe for a failing service")
	}
	if _, ok, failing := h.take("push.example", later); ok || !failing {
		t.Fatalf("a second push to a failing service: taken %v, failing %v", ok, failing)
	}
	h.release("push.example", probe, neither) // its login ended: no news
	if !h.failing("push.example") {
		t.Fatal("a push cut short by its login's end changed the service's state")
	}
	probe, _, _ = h.take("push.example", later)
	h.release("push.example", probe, answered)
	for i := range 6 {
		if _, ok, _ := h.take("push.example", later); !ok {
			t.Fatalf("slot %d of a service that answered again refused", i+1)
		}
	}
}

// TestABusyHealthyPushServiceGetsItsWholeShare: pushes to a service that
// answers within slowAfter run three quarters of the workers at once.
func TestABusyHealthyPushServiceGetsItsWholeShare(t *testing.T) {
	var inFlight, peak atomic.Int64
	svc := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := inFlight.Add(1)
		for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
		}
		time.Sleep(300 * time.Millisecond)
		inFlight.Add(-1)
		w.WriteHeader(http.StatusCreated)
	}))
	defer svc.Close()
	st := memory.New()
	defer st.Close()
	ctx := t.Context()
	b := newBrowser(t)
	n := NewNotifier(NotifierConfig{Workers: 8, Timeout: 5 * time.Second}, testSender(t, mustKey(t), svc.URL), st)
	runCtx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { n.Run(runCtx); close(done) }()
	defer func() { cancel(); <-done }()
	for i := range 24 {
		email := fmt.Sprintf("u%d@example.com", i)
		if err := st.CreateDevice(ctx, &store.Device{ID: "d" + email, Email: email, CreatedAt: time.Now(), Push: b.subscription(svc.URL + "/sub")}); err != nil {
			t.Fatal(err)
		}
		l := &store.Login{ID: "l" + email, Email: email, CreatedAt: time.Now(), ExpiresAt: time.Now().Add(time.Minute), Status: store.LoginPending}
		if err := st.CreateLogin(ctx, l, time.Minute); err != nil {
			t.Fatal(err)
		}
		n.LoginStarted(l, "app.example.com")
	}
	deadline := time.Now().Add(10 * time.Second)
	for n.Stats().Sent < 24 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if s := n.Stats(); s.Sent != 24 || peak.Load() != 6 {
		t.Fatalf("sent %d of 24, at most %d at once; want all, 6 at once (three quarters of 8 workers)", s.Sent, peak.Load())
	}
}
