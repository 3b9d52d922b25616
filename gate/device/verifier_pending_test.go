package device

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/authgate/authgate/gate/store"
	"github.com/authgate/authgate/internal/testenv"
)

// A pending read's request is verified as any other (each signature
// once, on memory and on Redis, the device's key remembered or not), and
// reads its user's pending login with the marker; a refused one reads
// nothing.
func TestVerifyPendingRequestReadsThePendingLoginWithTheMarker(t *testing.T) {
	for _, tc := range []struct {
		name string
		open func(t *testing.T) *fixture
	}{
		{"memory", func(t *testing.T) *fixture { return newFixture(t) }},
		{"redis", func(t *testing.T) *fixture { return newFixtureOn(t, openRedis(t, testenv.StartRedis(t))) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := tc.open(t)
			ctx := context.Background()
			l := &store.Login{ID: store.NewLoginID(f.alice.Email, "pendingread"), Email: f.alice.Email, Status: store.LoginPending,
				CreatedAt: f.now, ExpiresAt: f.now.Add(time.Minute)}
			started, err := f.store.StartLogin(ctx, store.LoginStart{Email: l.Email, Login: l, TTL: time.Minute, PendingTTL: time.Minute})
			if err != nil || !started.Created {
				t.Fatalf("StartLogin: %+v %v", started, err)
			}
			for i := range 2 { // the second with the device's key remembered
				s := signed{method: "GET", target: "/.authgate/device/pending", deviceID: f.alice.ID, key: f.aliceKey, ts: f.now.UnixMilli() + int64(i)}
				r, sig := s.build(t)
				got, err := f.verifier.VerifyPendingRequest(ctx, r, nil)
				if err != nil {
					t.Fatalf("pending read %d: %v", i, err)
				}
				if got.Device.ID != f.alice.ID || got.LoginErr != nil || got.Login == nil || got.Login.ID != l.ID {
					t.Fatalf("pending read %d: device %s, login %+v, %v", i, got.Device.ID, got.Login, got.LoginErr)
				}
				if got, err := f.verifier.VerifyPendingRequest(ctx, s.withSig(sig), nil); !errors.Is(err, ErrReplayed) || got != nil {
					t.Fatalf("replayed pending read %d = %+v, %v; want ErrReplayed and nothing", i, got, err)
				}
			}
			// Bob's pending read finds none of Alice's logins.
			r, _ := signed{method: "GET", target: "/.authgate/device/pending", deviceID: f.bob.ID, key: f.bobKey, ts: f.now.UnixMilli()}.build(t)
			got, err := f.verifier.VerifyPendingRequest(ctx, r, nil)
			if err != nil || got.Login != nil || !errors.Is(got.LoginErr, store.ErrNotFound) {
				t.Fatalf("Bob's pending read: %+v, %v", got, err)
			}
			if err := f.store.DeleteDevice(ctx, f.alice.ID); err != nil {
				t.Fatal(err)
			}
			r, _ = signed{method: "GET", target: "/.authgate/device/pending", deviceID: f.alice.ID, key: f.aliceKey, ts: f.now.UnixMilli() + 5}.build(t)
			if got, err := f.verifier.VerifyPendingRequest(ctx, r, nil); !errors.Is(err, ErrUnknownDevice) || got != nil {
				t.Fatalf("pending read of a removed device = %+v, %v; want ErrUnknownDevice", got, err)
			}
		})
	}
}
