package flow

import (
	"errors"
	"sync"
	"testing"

	"github.com/authgate/authgate/gate/directory"
	"github.com/authgate/authgate/gate/event"
	"github.com/authgate/authgate/gate/store"
	"github.com/authgate/authgate/gate/store/memory"
)

type startRecorder struct {
	mu     sync.Mutex
	logins []*store.Login
	sites  []string
}

func (r *startRecorder) LoginStarted(l *store.Login, site string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.logins, r.sites = append(r.logins, l), append(r.sites, site)
}

func TestStartTellsTheNotifierOnlyOfLoginsThatStarted(t *testing.T) {
	st := memory.New()
	defer st.Close()
	rec := &startRecorder{}
	s := New(Config{PushesPerEmail: 1}, st, event.Discard{}, WithStartNotifier(rec))
	ctx := t.Context()
	started, err := s.Start(ctx, StartRequest{Email: "A@Example.com", AppID: "ops", Site: "app.example.com"})
	if err != nil {
		t.Fatal(err)
	}
	if len(rec.logins) != 1 || rec.logins[0].ID != started.Login.ID || rec.sites[0] != "app.example.com" || rec.logins[0].Email != "a@example.com" {
		t.Fatalf("notified %+v %v", rec.logins, rec.sites)
	}
	// A refused start (rate limit) tells the notifier nothing.
	_, err = s.Start(ctx, StartRequest{Email: "a@example.com", PreviousBinding: started.Binding})
	var le *LimitError
	if !errors.As(err, &le) {
		t.Fatalf("second start: %v, want a limit error", err)
	}
	if len(rec.logins) != 1 {
		t.Fatalf("a refused login was notified: %d", len(rec.logins))
	}
}

func TestQuietAndWithheldStartsWakeNoPhone(t *testing.T) {
	st := memory.New()
	defer st.Close()
	rec := &startRecorder{}
	dir := &fakeDirectory{users: map[string]directory.User{"known@example.com": {DN: "uid=known"}}}
	s := New(Config{}, st, event.Discard{}, WithStartNotifier(rec), WithDirectory(dir))
	ctx := t.Context()
	if _, err := s.Start(ctx, StartRequest{Email: "known@example.com", Quiet: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Start(ctx, StartRequest{Email: "stranger@example.com"}); err != nil {
		t.Fatal(err)
	}
	if len(rec.logins) != 0 {
		t.Fatalf("a quiet or withheld start was pushed: %+v", rec.logins)
	}
}
