package redisstore

import (
	"context"
	"testing"
	"time"

	"github.com/authgate/authgate/gate/store"
	"github.com/authgate/authgate/internal/testenv"
)

// Records an earlier version wrote stay usable: a login under its old key
// (its JSON with id and status, its decision time in RFC 3339) is read,
// decided and collected by its id, and a device that approved a login
// before (the old marker) is not new.
func TestRecordsOfTheEarlierLayoutStillWork(t *testing.T) {
	r := testenv.StartRedis(t)
	s, err := Open(r.URL(0), Options{Prefix: "legacy"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	ctx := context.Background()

	// A login as the earlier version wrote it.
	id := "oldLoginIdWithoutGroup"
	at := time.Now().Truncate(time.Millisecond).UTC()
	data := `{"id":"` + id + `","email":"alice@example.com","app_id":"app","code":42,"choices":[1,42,3],` +
		`"binding_hash":"bh","return_url":"/","client_ip":"203.0.113.1","user_agent":"UA",` +
		`"created_at":"` + at.Format(time.RFC3339Nano) + `","expires_at":"` + at.Add(time.Minute).Format(time.RFC3339Nano) + `","status":"pending"}`
	key := s.prefix + ":login:{l:" + id + "}"
	if err := s.client.HSet(ctx, key, "data", data, "status", "pending", "reason", "", "device_id", "", "decided_at", "", "session_id", "").Err(); err != nil {
		t.Fatal(err)
	}
	s.client.Expire(ctx, key, time.Minute)
	l, err := s.GetLogin(ctx, id)
	if err != nil || l.ID != id || l.Email != "alice@example.com" || l.Status != store.LoginPending || l.Code != 42 {
		t.Fatalf("GetLogin of an old record: %+v %v", l, err)
	}
	d, outcome, err := s.DecideLogin(ctx, id, store.Decision{Email: "alice@example.com", DeviceID: "dev", At: time.Now(),
		To: store.LoginApproved, CheckNumber: true, Number: 42, WrongTo: store.LoginDenied, WrongReason: "w"})
	if err != nil || outcome != store.Decided || d.Status != store.LoginApproved || d.DeviceID != "dev" {
		t.Fatalf("DecideLogin of an old record: %v %+v %v", outcome, d, err)
	}
	c, collected, err := s.CollectLogin(ctx, id, store.Collection{BindingHash: "bh", SessionID: "sid", ResetCounters: []string{"fail"}})
	if err != nil || !collected || c.Status != store.LoginCollected || c.SessionID != "sid" {
		t.Fatalf("CollectLogin of an old record: %v %+v %v", collected, c, err)
	}
	// An RFC 3339 decision time, as the earlier version wrote it.
	s.client.HSet(ctx, key, "decided_at", at.Format(time.RFC3339Nano))
	if l, err := s.GetLogin(ctx, id); err != nil || !l.DecidedAt.Equal(at) {
		t.Fatalf("decision time of an old record: %v %v", l.DecidedAt, err)
	}

	// Devices made before approvals were kept in the device.
	for _, tc := range []struct {
		name, id string
		approved bool
	}{{"a device that approved before", "dev-old-1", true}, {"a device that never approved", "dev-old-2", false}} {
		dev := &store.Device{ID: tc.id, Email: "alice@example.com", Name: "Phone", PublicKey: []byte{1}, CreatedAt: time.Now()}
		if err := s.CreateDevice(ctx, dev); err != nil {
			t.Fatal(err)
		}
		s.client.HDel(ctx, s.deviceKey(dev.ID), fieldApproved)
		if tc.approved {
			if err := s.Mark(ctx, legacyApprovalMark(dev.ID), time.Hour); err != nil {
				t.Fatal(err)
			}
		}
		_, first, err := s.NoteApproval(ctx, dev.ID)
		if err != nil || first == tc.approved {
			t.Fatalf("%s: first %v %v", tc.name, first, err)
		}
		if _, first, err := s.NoteApproval(ctx, dev.ID); err != nil || first {
			t.Fatalf("%s, again: first %v %v", tc.name, first, err)
		}
	}
}
