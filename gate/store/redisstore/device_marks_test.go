package redisstore

import (
	"context"
	"errors"
	"strconv"
	"testing"
	"time"

	"github.com/authgate/authgate/gate/store"
	"github.com/authgate/authgate/internal/testenv"
)

// A device's markers are pruned from the front of its field; one of a
// shorter lifetime behind a longer one is kept there after it passes,
// and may be taken again all the same. A full field refuses every replay
// and is not rewritten.
func TestDeviceMarkersOutOfOrderAndFull(t *testing.T) {
	s, d, use := markedDevice(t, "dev-marks")
	ctx := context.Background()
	if err := use("long", time.Minute); err != nil {
		t.Fatal(err)
	}
	if err := use("short", 50*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	if err := use("short", time.Minute); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("a live marker taken again: %v", err)
	}
	time.Sleep(100 * time.Millisecond)
	if err := use("short", time.Minute); err != nil {
		t.Fatalf("a passed marker behind a live one: %v", err)
	}
	if err := use("long", time.Minute); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("the live marker taken again: %v", err)
	}

	for i := range deviceMarksKept + 4 {
		if err := use("m"+strconv.Itoa(i), time.Minute); err != nil {
			t.Fatal(err)
		}
	}
	seen := s.client.HGet(ctx, s.deviceKey(d.ID), "seen").Val()
	if err := use("over", time.Minute); err != nil {
		t.Fatal(err)
	}
	if got := s.client.HGet(ctx, s.deviceKey(d.ID), "seen").Val(); got != seen {
		t.Fatalf("a full field was rewritten:\n%s\n%s", seen, got)
	}
	for _, m := range []string{"long", "short", "m0", "m" + strconv.Itoa(deviceMarksKept+3), "over"} {
		if err := use(m, time.Minute); !errors.Is(err, store.ErrConflict) {
			t.Fatalf("marker %s replayed on a full field: %v", m, err)
		}
	}
	got, err := s.GetDevice(ctx, d.ID)
	if err != nil || got.Name != "Phone" || got.Email != d.Email {
		t.Fatalf("the device after its markers: %+v %v", got, err)
	}
}

// A marker kept in a key of its own past a full field is refused while it
// lives, even after a marker of a shorter lifetime was keyed behind it and
// the field's markers have passed.
func TestDeviceMarkerKeyOutlivesAShorterOne(t *testing.T) {
	_, _, use := markedDevice(t, "dev-keyed")
	for i := range deviceMarksKept {
		if err := use("f"+strconv.Itoa(i), 200*time.Millisecond); err != nil {
			t.Fatal(err)
		}
	}
	if err := use("keyed", time.Minute); err != nil {
		t.Fatal(err)
	}
	if err := use("brief", 50*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	if err := use("keyed", time.Minute); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("a keyed marker replayed on a full field: %v", err)
	}
	time.Sleep(300 * time.Millisecond)
	if err := use("keyed", time.Minute); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("a keyed marker replayed once the field's markers passed: %v", err)
	}
	if err := use("brief", time.Minute); err != nil {
		t.Fatalf("a passed keyed marker: %v", err)
	}
}

// markedDevice opens a store on a new redis-server, creates device id in
// it and returns use, which takes a marker of the device for ttl.
func markedDevice(t *testing.T, id string) (*Store, *store.Device, func(mark string, ttl time.Duration) error) {
	t.Helper()
	r := testenv.StartRedis(t)
	s, err := Open(r.URL(0), Options{Prefix: "marks"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	d := &store.Device{ID: id, Email: "alice@example.com", Name: "Phone", PublicKey: []byte{1}, CreatedAt: time.Now()}
	if err := s.CreateDevice(context.Background(), d); err != nil {
		t.Fatal(err)
	}
	use := func(mark string, ttl time.Duration) error {
		_, err := s.UseDevice(context.Background(), d.ID, mark, ttl, time.Time{})
		return err
	}
	return s, d, use
}
