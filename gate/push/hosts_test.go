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
		t.Fatalf("the hanging service was sent %d pushes, want %d (its share of the workers, then one probe)", got, want)
	}
	if !n.slots.failing(endpointHost(hang.URL)) {
		t.Fatal("the hanging service is not marked failing")
	}
}

// TestAPushServiceThatAnswersAgainGetsItsShareBack: one answer ends a
// service's run of failures.
func TestAPushServiceThatAnswersAgainGetsItsShareBack(t *testing.T) {
	h := newHostSlots(3)
	for range failingAfter {
		if ok, _ := h.take("push.example"); !ok {
			t.Fatal("no slot for a healthy service")
		}
		h.release("push.example", false)
	}
	if ok, _ := h.take("push.example"); !ok {
		t.Fatal("no probe for a failing service")
	}
	if ok, failing := h.take("push.example"); ok || !failing {
		t.Fatalf("a second push to a failing service: taken %v, failing %v", ok, failing)
	}
	h.release("push.example", true)
	for i := range 3 {
		if ok, _ := h.take("push.example"); !ok {
			t.Fatalf("slot %d of a service that answered again refused", i+1)
		}
	}
	if ok, failing := h.take("push.example"); ok || failing {
		t.Fatalf("a fourth push with three allowed: taken %v, failing %v", ok, failing)
	}
}
