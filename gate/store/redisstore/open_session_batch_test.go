package redisstore_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/authgate/authgate/gate/store"
)

// TestConcurrentSessionOpeningsShareSocketReads holds Redis still while
// 64 logins open their sessions (four commands each), then lets it go:
// the openings must reach Redis in shared batches, not one socket read
// per opening, and each must still get its own session, generation and
// note.
func TestConcurrentSessionOpeningsShareSocketReads(t *testing.T) {
	r, st := warmStore(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	const openings = 64
	devices := make([]string, openings+1) // the last is the warm-up's
	for i := range devices {
		email := fmt.Sprintf("open%d@example.com", i)
		d := &store.Device{ID: store.NewDeviceID(email, fmt.Sprint(i)), Email: email, Name: "phone", PublicKey: []byte{1}, CreatedAt: time.Now()}
		if err := st.CreateDevice(ctx, d); err != nil {
			t.Fatal(err)
		}
		devices[i] = d.ID
	}
	// One opening first, so the scripts are loaded.
	if _, err := st.OpenSession(ctx, opening("warm-sess", fmt.Sprintf("open%d@example.com", openings), devices[openings])); err != nil {
		t.Fatal(err)
	}

	opened := make([]*store.SessionOpened, openings)
	errs := make([]error, openings)
	d := heldCalls(t, r, openings, func(i int) {
		o := opening(fmt.Sprintf("sess-%d", i), fmt.Sprintf("open%d@example.com", i), devices[i])
		opened[i], errs[i] = st.OpenSession(ctx, o)
	})

	for i, err := range errs {
		if err != nil {
			t.Fatalf("opening %d: %v", i, err)
		}
		if o := opened[i]; o.Device == nil || o.Device.ID != devices[i] || !o.FirstApproval || o.NoteErr != nil {
			t.Fatalf("opening %d: %+v, want device %s noted at its first approval", i, o, devices[i])
		}
		if s, err := st.GetSession(ctx, fmt.Sprintf("sess-%d", i)); err != nil || s.Email != fmt.Sprintf("open%d@example.com", i) {
			t.Fatalf("session of opening %d: %+v, %v", i, s, err)
		}
	}
	t.Logf("%d concurrent session openings: %s", openings, d)
	if d.Calls["evalsha"] < 2*openings || d.Calls["set"] < openings {
		t.Fatalf("%v: the openings' commands did not run", d.Calls)
	}
	if d.Reads > openings/4 {
		t.Errorf("%d socket reads for %d concurrent session openings, want at most %d: the openings are not batched", d.Reads, openings, openings/4)
	}
}

// TestASessionOpeningKeepsItsDeadline: while Redis is stalled, opening a
// session returns ErrUnavailable when its deadline passes, both alone
// (its own pipeline) and beside another call waiting on Redis (the
// shared batches).
func TestASessionOpeningKeepsItsDeadline(t *testing.T) {
	for _, beside := range []bool{false, true} {
		t.Run(fmt.Sprintf("beside another call %v", beside), func(t *testing.T) {
			r, st := warmStore(t)
			if beside {
				ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
				t.Cleanup(cancel)
				r.Pause(t)
				held := make(chan struct{})
				go func() {
					defer close(held)
					_, _, _ = st.Hit(ctx, "held", time.Minute)
				}()
				t.Cleanup(func() { <-held })
				time.Sleep(50 * time.Millisecond) // the Hit is waiting
			}
			stalledCall(t, r, "OpenSession", func(ctx context.Context) error {
				_, err := st.OpenSession(ctx, opening("stalled-sess", "stalled@example.com", "dev-stalled"))
				return err
			})
		})
	}
}

// opening is a session's opening of an hour for email, approved by
// device (none if empty).
func opening(id, email, device string) store.SessionOpening {
	now := time.Now().Truncate(time.Millisecond)
	return store.SessionOpening{Session: &store.Session{ID: id, Email: email, DeviceID: device,
		CreatedAt: now, ExpiresAt: now.Add(time.Hour)}, DeviceID: device}
}
