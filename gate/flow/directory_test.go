package flow

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/authgate/authgate/gate/directory"
	"github.com/authgate/authgate/gate/store"
)

// fakeDirectory answers from a map, or fails with err.
type fakeDirectory struct {
	mu    sync.Mutex
	users map[string]directory.User
	err   error
	asked []string
}

func (d *fakeDirectory) Lookup(_ context.Context, email string) (directory.User, bool, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.asked = append(d.asked, email)
	if d.err != nil {
		return directory.User{}, false, d.err
	}
	u, ok := d.users[email]
	return u, ok, nil
}

func newDirectoryFixture(t *testing.T, dir *fakeDirectory) *fixture {
	t.Helper()
	f := newFixture(t, Config{})
	f.svc = New(Config{}, f.store, f.events, WithClock(f.clock.Now), WithDirectory(dir))
	return f
}

func TestDirectoryUserGetsTheirGroupsOnTheLoginAndSession(t *testing.T) {
	dir := &fakeDirectory{users: map[string]directory.User{
		"alice@example.com": {DN: "uid=alice", Groups: []string{"devs"}},
	}}
	f := newDirectoryFixture(t, dir)
	ctx := context.Background()
	s := f.start(t, "Alice@Example.com", "192.0.2.1", "")
	if s.Login.Withheld || !slices.Equal(s.Login.Groups, []string{"devs"}) || !slices.Equal(dir.asked, []string{"alice@example.com"}) {
		t.Fatalf("login %+v, directory asked %v", s.Login, dir.asked)
	}
	if p, err := f.svc.Pending(ctx, f.dev); err != nil || len(p) != 1 {
		t.Fatalf("the directory user's device sees %v, %v", p, err)
	}
	if _, err := f.svc.Decide(ctx, f.dev, s.Login.ID, DecisionApprove, s.Login.Code); err != nil {
		t.Fatal(err)
	}
	res, err := f.svc.Check(ctx, s.Login.ID, s.Binding)
	if err != nil || res.Session == nil || !slices.Equal(res.Login.Groups, []string{"devs"}) {
		t.Fatalf("collected: %+v %v", res, err)
	}

	// The directory changes: the next login carries the new groups.
	dir.mu.Lock()
	dir.users["alice@example.com"] = directory.User{DN: "uid=alice", Groups: []string{"devs", "ops"}}
	dir.mu.Unlock()
	again := f.start(t, "alice@example.com", "192.0.2.1", "")
	if !slices.Equal(again.Login.Groups, []string{"devs", "ops"}) {
		t.Fatalf("groups at the next login: %v", again.Login.Groups)
	}
}

// TestEmailMissingFromTheDirectoryIsAnsweredAsAnUnknownEmail: alice has
// a device but has left the directory. Her login starts like any other
// (same answer, same events), her device is never shown it and cannot
// decide it, and it runs out like the login of an email without a device.
func TestEmailMissingFromTheDirectoryIsAnsweredAsAnUnknownEmail(t *testing.T) {
	f := newDirectoryFixture(t, &fakeDirectory{users: map[string]directory.User{}})
	ctx := context.Background()
	s := f.start(t, "alice@example.com", "192.0.2.1", "")
	nobody := f.start(t, "nobody@example.com", "192.0.2.1", "")
	if !s.Login.Withheld || !nobody.Login.Withheld || s.Login.Status != store.LoginPending || s.Binding == "" {
		t.Fatalf("logins: %+v %+v", s.Login, nobody.Login)
	}
	if p, err := f.svc.Pending(ctx, f.dev); err != nil || len(p) != 0 {
		t.Fatalf("the device of a user not in the directory sees %v, %v", p, err)
	}
	if _, err := f.svc.Decide(ctx, f.dev, s.Login.ID, DecisionApprove, s.Login.Code); !errors.Is(err, ErrNotFound) {
		t.Fatalf("deciding a withheld login: %v, want ErrNotFound", err)
	}
	if _, err := f.svc.Start(ctx, StartRequest{Email: "alice@example.com", ClientIP: "192.0.2.9"}); err == nil {
		t.Fatal("a second browser started a login while one was pending")
	}
	f.clock.Add(3 * time.Minute)
	res, err := f.svc.Check(ctx, s.Login.ID, s.Binding)
	if err != nil || res.Login.Status != store.LoginExpired || res.Session != nil {
		t.Fatalf("withheld login after its window: %+v %v", res, err)
	}
	if f.events.count("login_requested") != 2 {
		t.Fatalf("events: %+v", f.events.events)
	}
}

func TestDirectoryOutageRefusesTheLoginAndStoresNothing(t *testing.T) {
	f := newDirectoryFixture(t, &fakeDirectory{err: directory.ErrUnavailable})
	_, err := f.svc.Start(context.Background(), StartRequest{Email: "alice@example.com", ClientIP: "192.0.2.1"})
	if !errors.Is(err, ErrDirectoryUnavailable) {
		t.Fatalf("Start with the directory down: %v", err)
	}
	if _, err := f.store.PendingFor(context.Background(), "alice@example.com"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("a pending login was claimed: %v", err)
	}
	if p, _ := f.svc.Pending(context.Background(), f.dev); len(p) != 0 {
		t.Fatalf("a push went out: %v", p)
	}
}

func TestInvalidEmailNeverReachesTheDirectory(t *testing.T) {
	dir := &fakeDirectory{}
	f := newDirectoryFixture(t, dir)
	for _, email := range []string{"*)(mail=*", "a(b@example.com", `a\b@example.com`, "a\x00@example.com"} {
		if _, err := f.svc.Start(context.Background(), StartRequest{Email: email}); !errors.Is(err, ErrInvalidEmail) {
			t.Errorf("Start(%q): %v, want ErrInvalidEmail", email, err)
		}
	}
	if len(dir.asked) != 0 {
		t.Fatalf("the directory was asked about %q", dir.asked)
	}
}
