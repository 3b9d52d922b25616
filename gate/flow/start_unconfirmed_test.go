package flow

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"

	"github.com/authgate/authgate/gate/store"
	"github.com/authgate/authgate/gate/store/memory"
)

// unconfirmedStart makes one StartLogin that creates a login report the
// error of replicas that did not confirm it.
type unconfirmedStart struct {
	store.Store
	fail atomic.Bool
}

func (u *unconfirmedStart) StartLogin(ctx context.Context, st store.LoginStart) (*store.LoginStarted, error) {
	res, err := u.Store.StartLogin(ctx, st)
	if err == nil && res.Created && u.fail.CompareAndSwap(true, false) {
		return nil, errUnconfirmed
	}
	return res, err
}

// A start the store took but could not confirm fails, and its claim does
// not make the user's next start (from any browser) wait: the browser
// never learnt of that login.
func TestAnUnconfirmedStartLeavesNoClaimBehind(t *testing.T) {
	mem := memory.New()
	t.Cleanup(func() { mem.Close() })
	st := &unconfirmedStart{Store: mem}
	st.fail.Store(true)
	svc := New(Config{}, st, &recorder{})
	ctx := context.Background()
	if _, err := svc.Start(ctx, StartRequest{Email: "alice@example.com", AppID: "app", ReturnURL: "/"}); !errors.Is(err, store.ErrUnavailable) {
		t.Fatalf("unconfirmed start: %v, want ErrUnavailable", err)
	}
	if _, err := mem.PendingFor(ctx, "alice@example.com"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("claim after the unconfirmed start: %v, want none", err)
	}
	if s, err := svc.Start(ctx, StartRequest{Email: "alice@example.com", AppID: "app", ReturnURL: "/"}); err != nil || s.Login == nil {
		t.Fatalf("the next start: %+v %v", s, err)
	}
}
