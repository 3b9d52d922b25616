package redisstore

import (
	"context"
	"testing"
	"time"

	"github.com/authgate/authgate/gate/store"
	"github.com/authgate/authgate/internal/testenv"
)

// OpenSession's pipeline runs its scripts by SHA: on a server that lost
// them (a restart, SCRIPT FLUSH) each is loaded and run once more, and
// the session is indexed and the approval noted all the same, in one
// round trip when the scripts are loaded.
func TestOpenSessionAfterTheServerLostItsScripts(t *testing.T) {
	r := testenv.StartRedis(t)
	s, err := Open(r.URL(0), Options{Prefix: "open"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	ctx := context.Background()
	d := &store.Device{ID: "dev-open", Email: "alice@example.com", Name: "Phone", PublicKey: []byte{1}, CreatedAt: time.Now()}
	if err := s.CreateDevice(ctx, d); err != nil {
		t.Fatal(err)
	}
	for i, wantFirst := range []bool{true, false} {
		if err := s.client.ScriptFlush(ctx).Err(); err != nil {
			t.Fatal(err)
		}
		now := time.Now().Truncate(time.Millisecond)
		sess := &store.Session{ID: "sess-" + string(rune('a'+i)), Email: d.Email, DeviceID: d.ID, CreatedAt: now, ExpiresAt: now.Add(time.Hour)}
		opened, err := s.OpenSession(ctx, store.SessionOpening{Session: sess, DeviceID: d.ID})
		if err != nil {
			t.Fatal(err)
		}
		if opened.NoteErr != nil || opened.Device == nil || opened.Device.Name != "Phone" || opened.FirstApproval != wantFirst {
			t.Fatalf("OpenSession %d after SCRIPT FLUSH: %+v", i, opened)
		}
	}
	list, err := s.ListSessions(ctx, d.Email)
	if err != nil || len(list) != 2 {
		t.Fatalf("ListSessions: %d sessions, %v", len(list), err)
	}
}
