package apikey

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/authgate/authgate/gate/event"
	"github.com/authgate/authgate/gate/store"
	"github.com/authgate/authgate/gate/store/memory"
	"github.com/authgate/authgate/gate/token"
)

// errDirectoryDown is the test directory's failure.
var errDirectoryDown = errors.New("directory down")

// countingStore counts the key reads that reach the store.
type countingStore struct {
	store.Store
	gets atomic.Int64
}

func (c *countingStore) GetAPIKey(ctx context.Context, id string) (*store.APIKey, error) {
	c.gets.Add(1)
	return c.Store.GetAPIKey(ctx, id)
}

// recorder keeps emitted events.
type recorder struct {
	mu  sync.Mutex
	evs []event.Event
}

func (r *recorder) Emit(_ context.Context, e event.Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.evs = append(r.evs, e)
}

func (r *recorder) ofType(typ string) []event.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []event.Event
	for _, e := range r.evs {
		if e.Type == typ {
			out = append(out, e)
		}
	}
	return out
}

func testKey(t testing.TB) token.Key {
	t.Helper()
	k, err := token.NewHS256Key("k1", []byte("0123456789abcdef0123456789abcdef"))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// instance is one gateway instance's view: its own revocation set,
// cache and recorder, over a shared store.
type instance struct {
	svc    *Service
	st     *countingStore
	events *recorder
	revs   *token.Revocations
}

// newInstance starts a Service over st with its revocation sync and use
// recorder running until the test ends.
func newInstance(t testing.TB, st store.Store, cfg Config) *instance {
	t.Helper()
	cs := &countingStore{Store: st}
	h, err := NewHasher([]token.Key{testKey(t)})
	if err != nil {
		t.Fatal(err)
	}
	revs := token.NewRevocations(st, token.RevocationOptions{ResyncEvery: time.Second})
	rec := &recorder{}
	svc, err := New(cfg, Deps{
		Store: cs, Hasher: h, Revocations: revs, Events: rec,
		Owner: func(_ context.Context, email string) ([]string, bool, error) {
			switch email {
			case "alice@example.com":
				return []string{"devs", "ops"}, true, nil
			case "gone@example.com":
				return nil, false, nil
			case "down@example.com":
				return nil, false, errDirectoryDown
			}
			return nil, true, nil
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); revs.Run(ctx) }()
	go func() { defer wg.Done(); svc.Run(ctx) }()
	t.Cleanup(func() { cancel(); wg.Wait() })
	select {
	case <-revs.Synced():
	case <-time.After(5 * time.Second):
		t.Fatal("revocations never synced")
	}
	return &instance{svc: svc, st: cs, events: rec, revs: revs}
}

func newMemory(t testing.TB) store.Store {
	st := memory.New()
	t.Cleanup(func() { st.Close() })
	return st
}

// eventually polls cond for up to d.
func eventually(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
