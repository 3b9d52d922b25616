package device

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"

	"github.com/authgate/authgate/gate/store"
)

// countingDevices counts the device reads a verifier makes.
type countingDevices struct {
	store.Store
	reads atomic.Int32
}

func (c *countingDevices) GetDevice(ctx context.Context, id string) (*store.Device, error) {
	c.reads.Add(1)
	return c.Store.GetDevice(ctx, id)
}

// A device's second request is checked with the key its first one
// verified with, without reading the device again; a device removed
// since is refused at its next request all the same.
func TestAVerifiedDeviceKeyIsRememberedAndRemovalStillRefuses(t *testing.T) {
	f := newFixture(t)
	counting := &countingDevices{Store: f.store}
	v := &Verifier{Devices: counting, Now: f.verifier.Now}
	ctx := context.Background()
	for i := range 3 {
		s := signed{method: "GET", target: "/.authgate/device/pending", deviceID: f.alice.ID, key: f.aliceKey, ts: f.now.UnixMilli() + int64(i)}
		req, _ := s.build(t)
		if d, err := v.VerifyRequest(ctx, req, nil); err != nil || d.ID != f.alice.ID || d.Email != f.alice.Email {
			t.Fatalf("request %d: %+v %v", i, d, err)
		}
	}
	if n := counting.reads.Load(); n != 1 {
		t.Fatalf("three requests read the device %d times, want 1", n)
	}
	// A bad signature with a remembered key is refused as before.
	bad := signed{method: "GET", target: "/.authgate/device/pending", deviceID: f.alice.ID, key: f.bobKey, ts: f.now.UnixMilli() + 10}
	req, _ := bad.build(t)
	if _, err := v.VerifyRequest(ctx, req, nil); !errors.Is(err, ErrBadSignature) {
		t.Fatalf("forged request: %v, want ErrBadSignature", err)
	}
	if err := f.store.DeleteDevice(ctx, f.alice.ID); err != nil {
		t.Fatal(err)
	}
	s := signed{method: "GET", target: "/.authgate/device/pending", deviceID: f.alice.ID, key: f.aliceKey, ts: f.now.UnixMilli() + 20}
	req, _ = s.build(t)
	if _, err := v.VerifyRequest(ctx, req, nil); !errors.Is(err, ErrUnknownDevice) {
		t.Fatalf("request of a removed device: %v, want ErrUnknownDevice", err)
	}
	// Forgotten with the removal: the next request reads the store.
	s.ts++
	req, _ = s.build(t)
	if _, err := v.VerifyRequest(ctx, req, nil); !errors.Is(err, ErrUnknownDevice) || counting.reads.Load() != 2 {
		t.Fatalf("request after the removal: %v after %d reads, want ErrUnknownDevice after 2", err, counting.reads.Load())
	}
}
