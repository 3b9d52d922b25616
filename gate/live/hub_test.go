package live

import (
	"context"
	"testing"
	"time"

	"github.com/authgate/authgate/gate/store"
	"github.com/authgate/authgate/gate/store/memory"
)

// startHub runs a hub on a fresh memory store until the test ends and
// waits for its subscription.
func startHub(t *testing.T) (*Hub, *memory.Store) {
	t.Helper()
	st := memory.New()
	t.Cleanup(func() { _ = st.Close() })
	h := New(st, nil)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); h.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	for deadline := time.Now().Add(5 * time.Second); !h.Up(); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the hub never subscribed")
		}
	}
	return h, st
}

func signalled(w *Watch) bool {
	select {
	case <-w.C:
		return true
	case <-time.After(200 * time.Millisecond):
		return false
	}
}

func TestWatchesAreSignalledOnlyForWhatTheyWatch(t *testing.T) {
	h, st := startHub(t)
	ctx := context.Background()
	user := h.Watch("ann@example.com", "dev-1")
	defer user.Stop()
	other := h.Watch("bob@example.com", "dev-2")
	defer other.Stop()

	l := &store.Login{ID: "l1", Email: "ann@example.com", Status: store.LoginPending, ExpiresAt: time.Now().Add(time.Minute)}
	if err := st.CreateLogin(ctx, l, time.Minute); err != nil {
		t.Fatal(err)
	}
	if !signalled(user) {
		t.Fatal("a new login of the watched email did not signal")
	}
	if signalled(other) {
		t.Fatal("a login of another email signalled")
	}

	browser := h.Watch("", "", "l1")
	defer browser.Stop()
	if _, err := st.TransitionLogin(ctx, "l1", store.Transition{From: store.LoginPending, To: store.LoginApproved}); err != nil {
		t.Fatal(err)
	}
	if !signalled(browser) {
		t.Fatal("a transition of the watched login did not signal")
	}
	if signalled(user) {
		t.Fatal("a transition of a login the watch does not hold signalled")
	}
	user.SetLogins([]string{"l1"})
	if _, err := st.TransitionLogin(ctx, "l1", store.Transition{From: store.LoginApproved, To: store.LoginCollected}); err != nil {
		t.Fatal(err)
	}
	if !signalled(user) {
		t.Fatal("SetLogins did not add the login")
	}

	if err := st.CreateDevice(ctx, &store.Device{ID: "dev-2", Email: "bob@example.com"}); err != nil {
		t.Fatal(err)
	}
	if err := st.DeleteDevice(ctx, "dev-2"); err != nil {
		t.Fatal(err)
	}
	if !signalled(other) {
		t.Fatal("removing the watched device did not signal")
	}

	browser.Stop()
	user.Stop()
	other.Stop()
	if n := h.Watching(); n != 0 {
		t.Fatalf("Watching after every Stop = %d, want 0", n)
	}
	if len(h.byKey) != 0 {
		t.Fatalf("index after every Stop holds %d keys, want 0", len(h.byKey))
	}
}

func TestHubSignalsEveryWatchWhenItSubscribesAgain(t *testing.T) {
	st := memory.New()
	h := New(st, nil)
	w := h.Watch("ann@example.com", "")
	defer w.Stop()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); h.Run(ctx) }()
	defer func() { cancel(); <-done }()
	if !signalled(w) {
		t.Fatal("establishing the subscription did not wake the watch")
	}
	if !h.Up() {
		t.Fatal("Up is false with the subscription established")
	}
	_ = st.Close() // the subscription breaks
	if !signalled(w) {
		t.Fatal("losing the subscription did not wake the watch")
	}
	for deadline := time.Now().Add(2 * time.Second); h.Up(); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("Up stayed true after the store closed")
		}
	}
}
