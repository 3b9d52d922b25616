package device

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/authgate/authgate/gate/store"
	"github.com/authgate/authgate/gate/store/memory"
)

func newEnroller(t *testing.T) (*Enroller, *memory.Store) {
	t.Helper()
	s := memory.New()
	t.Cleanup(func() { s.Close() })
	return &Enroller{Devices: s}, s
}

func TestEnrollStoresTheDevice(t *testing.T) {
	e, s := newEnroller(t)
	ctx := context.Background()
	before := time.Now()
	token, expires, err := e.CreateToken(ctx, "alice@example.com")
	if err != nil {
		t.Fatalf("CreateToken: %v", err)
	}
	if !validToken(token) {
		t.Fatalf("token %q is not 32 bytes of base64url", token)
	}
	if expires.Before(before.Add(DefaultEnrollmentTTL)) || expires.After(time.Now().Add(DefaultEnrollmentTTL)) {
		t.Fatalf("expiresAt = %v, want about 15 minutes from now", expires)
	}
	_, der := newKey(t)
	d, err := e.Enroll(ctx, token, der, " Alice's\x00 phone\n", "Mozilla/5.0\x1b")
	if err != nil {
		t.Fatalf("Enroll: %v", err)
	}
	if !strings.HasPrefix(d.ID, "dev") || store.DeviceGroup(d.ID) != store.GroupOf(d.Email) || len(d.ID) != len("dev_")+3+22 {
		t.Errorf("device id %q is not dev, its email's group, _ and 16 random bytes", d.ID)
	}
	if d.Email != "alice@example.com" || d.Name != "Alice's phone" || d.UserAgent != "Mozilla/5.0" {
		t.Errorf("device = %+v", d)
	}
	got, err := s.GetDevice(ctx, d.ID)
	if err != nil || string(got.PublicKey) != string(der) || got.Email != d.Email {
		t.Fatalf("stored device = %+v, %v", got, err)
	}
}

func TestEnrollTokenWorksOnce(t *testing.T) {
	e, _ := newEnroller(t)
	ctx := context.Background()
	token, _, err := e.CreateToken(ctx, "alice@example.com")
	if err != nil {
		t.Fatal(err)
	}
	_, der := newKey(t)
	if _, err := e.Enroll(ctx, token, der, "", ""); err != nil {
		t.Fatalf("first Enroll: %v", err)
	}
	if _, err := e.Enroll(ctx, token, der, "", ""); !errors.Is(err, ErrEnrollmentInvalid) {
		t.Fatalf("second Enroll = %v, want ErrEnrollmentInvalid", err)
	}
}

func TestEnrollRefusals(t *testing.T) {
	e, s := newEnroller(t)
	ctx := context.Background()
	_, der := newKey(t)
	p384DER := mustPKIX(t, &mustP384(t).PublicKey)

	t.Run("unknown token", func(t *testing.T) {
		if _, err := e.Enroll(ctx, testToken, der, "", ""); !errors.Is(err, ErrEnrollmentInvalid) {
			t.Fatalf("Enroll = %v, want ErrEnrollmentInvalid", err)
		}
	})
	t.Run("malformed token", func(t *testing.T) {
		if _, err := e.Enroll(ctx, "short", der, "", ""); !errors.Is(err, ErrEnrollmentInvalid) {
			t.Fatalf("Enroll = %v, want ErrEnrollmentInvalid", err)
		}
	})
	t.Run("expired token", func(t *testing.T) {
		short := &Enroller{Devices: s, TTL: time.Millisecond}
		token, _, err := short.CreateToken(ctx, "alice@example.com")
		if err != nil {
			t.Fatal(err)
		}
		time.Sleep(20 * time.Millisecond) // let the store's TTL pass
		if _, err := e.Enroll(ctx, token, der, "", ""); !errors.Is(err, ErrEnrollmentInvalid) {
			t.Fatalf("Enroll = %v, want ErrEnrollmentInvalid", err)
		}
	})
	t.Run("a bad key does not burn the token", func(t *testing.T) {
		token, _, err := e.CreateToken(ctx, "alice@example.com")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.Enroll(ctx, token, p384DER, "", ""); !errors.Is(err, ErrInvalidKey) {
			t.Fatalf("Enroll with a P-384 key = %v, want ErrInvalidKey", err)
		}
		d, err := e.Enroll(ctx, token, der, "", "")
		if err != nil {
			t.Fatalf("Enroll with a good key after a bad one = %v", err)
		}
		if d.Name != DefaultDeviceName {
			t.Errorf("name = %q, want %q", d.Name, DefaultDeviceName)
		}
	})
	t.Run("the store keeps the hash, not the token", func(t *testing.T) {
		token, _, err := e.CreateToken(ctx, "alice@example.com")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.ConsumeEnrollment(ctx, token); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("the raw token is a store key: %v", err)
		}
		if _, err := e.Enroll(ctx, token, der, "", ""); err != nil {
			t.Fatalf("Enroll: %v", err)
		}
	})
	t.Run("empty email", func(t *testing.T) {
		if _, _, err := e.CreateToken(ctx, " "); err == nil {
			t.Fatal("CreateToken with no email succeeded")
		}
	})
	t.Run("store outage", func(t *testing.T) {
		closed := memory.New()
		closed.Close()
		broken := &Enroller{Devices: closed}
		if _, _, err := broken.CreateToken(ctx, "alice@example.com"); !errors.Is(err, store.ErrUnavailable) {
			t.Fatalf("CreateToken on a closed store = %v, want ErrUnavailable", err)
		}
		if _, err := broken.Enroll(ctx, testToken, der, "", ""); !errors.Is(err, store.ErrUnavailable) {
			t.Fatalf("Enroll on a closed store = %v, want ErrUnavailable", err)
		}
	})
}
