package deadline

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/authgate/authgate/gate/store"
	"github.com/authgate/authgate/gate/store/memory"
)

// stalled is a store whose reads wait for their context, as a client on a
// stalled server does, and whose subscription reports its context's
// deadline.
type stalled struct {
	store.Store
	subDeadline chan bool
}

func (s *stalled) GetLogin(ctx context.Context, _ string) (*store.Login, error) {
	<-ctx.Done()
	return nil, ctx.Err()
}

func (s *stalled) SubscribeLogins(ctx context.Context, _ func(), _ func(store.LoginChange)) error {
	_, has := ctx.Deadline()
	s.subDeadline <- has
	return nil
}

func TestEachCallEndsWithinTheTimeoutAndSubscriptionsHaveNone(t *testing.T) {
	mem := memory.New()
	defer mem.Close()
	inner := &stalled{Store: mem, subDeadline: make(chan bool, 1)}
	st := Wrap(inner, 50*time.Millisecond)
	start := time.Now()
	_, err := st.GetLogin(context.Background(), "l1")
	if took := time.Since(start); !errors.Is(err, context.DeadlineExceeded) || took > 500*time.Millisecond {
		t.Fatalf("GetLogin on a stalled store: %v after %v, want the deadline after about 50ms", err, took)
	}
	_ = st.SubscribeLogins(context.Background(), func() {}, func(store.LoginChange) {})
	if <-inner.subDeadline {
		t.Fatal("SubscribeLogins got a deadline")
	}
	// Calls the wrapper does not stall pass through to the store.
	if err := st.CreateLogin(context.Background(), &store.Login{ID: "l2", Status: store.LoginPending}, time.Minute); err != nil {
		t.Fatal(err)
	}
	if w := Wrap(st, time.Second); w.Unwrap() != store.Store(inner) || w.Timeout != time.Second {
		t.Fatalf("wrapping twice stacks: %T %v", w.Unwrap(), w.Timeout)
	}
}
