package otp

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"github.com/authgate/authgate/gate/store"
	"github.com/authgate/authgate/gate/store/memory"
)

func newCodes(t *testing.T) (*Codes, *memory.Store) {
	t.Helper()
	st := memory.New()
	t.Cleanup(func() { st.Close() })
	keys, err := NewKeys(bytes.Repeat([]byte("k"), 32))
	if err != nil {
		t.Fatal(err)
	}
	return &Codes{Store: st, Keys: keys}, st
}

func enrolDevice(t *testing.T, c *Codes, st *memory.Store, id, email string) []byte {
	t.Helper()
	secret, sealed := c.NewDeviceSecret(id)
	d := &store.Device{ID: id, Email: email, PublicKey: []byte{1}, CreatedAt: time.Now(), OTPSecret: sealed, OTPAlgorithm: string(DefaultAlgorithm)}
	if err := st.CreateDevice(context.Background(), d); err != nil {
		t.Fatal(err)
	}
	return secret
}

func TestCheckAcceptsAnOfflineCodeOncePerStep(t *testing.T) {
	c, st := newCodes(t)
	ctx := context.Background()
	alice := enrolDevice(t, c, st, "dev_a", "alice@example.com")
	bob := enrolDevice(t, c, st, "dev_b", "bob@example.com")
	code, _ := Code(alice, DefaultAlgorithm, time.Now())
	bobCode, _ := Code(bob, DefaultAlgorithm, time.Now())
	if bobCode == code {
		t.Skip("two random secrets gave one code")
	}
	if _, err := c.Check(ctx, "alice@example.com", bobCode); !errors.Is(err, ErrWrong) {
		t.Fatalf("bob's code for alice: %v, want ErrWrong", err)
	}
	res, err := c.Check(ctx, "alice@example.com", code)
	if err != nil || res.Kind != KindTOTP || res.DeviceID != "dev_a" {
		t.Fatalf("alice's code: %+v %v", res, err)
	}
	if _, err := c.Check(ctx, "alice@example.com", code); !errors.Is(err, ErrReplayed) {
		t.Fatalf("replayed code: %v, want ErrReplayed", err)
	}
	if _, err := c.Check(ctx, "nobody@example.com", code); !errors.Is(err, ErrWrong) {
		t.Fatalf("unknown email: %v, want ErrWrong", err)
	}
	for _, bad := range []string{"12345", "1234567", "12a456", "", "!!!!!!"} {
		if _, err := c.Check(ctx, "alice@example.com", bad); !errors.Is(err, ErrMalformed) {
			t.Errorf("%q: %v, want ErrMalformed", bad, err)
		}
	}
}

func TestRecoveryCodesAndPassesWorkOnceForTheirUser(t *testing.T) {
	c, _ := newCodes(t)
	ctx := context.Background()
	codes, err := c.IssueRecoveryCodes(ctx, "alice@example.com")
	if err != nil || len(codes) != RecoveryCount {
		t.Fatalf("IssueRecoveryCodes: %v %v", codes, err)
	}
	if _, err := c.Check(ctx, "bob@example.com", codes[0]); !errors.Is(err, ErrWrong) {
		t.Fatalf("alice's recovery code for bob: %v", err)
	}
	res, err := c.Check(ctx, "alice@example.com", " "+codes[0]+" ")
	if err != nil || res.Left != RecoveryCount-1 || res.DeviceID != ByRecoveryCode {
		t.Fatalf("recovery code: %+v %v", res, err)
	}
	if _, err := c.Check(ctx, "alice@example.com", codes[0]); !errors.Is(err, ErrWrong) {
		t.Fatalf("reused recovery code: %v", err)
	}
	pass, exp, err := c.IssuePass(ctx, "alice@example.com", time.Hour)
	if err != nil || time.Until(exp) < 59*time.Minute {
		t.Fatalf("IssuePass: %v %v", exp, err)
	}
	if _, err := c.Check(ctx, "bob@example.com", pass); !errors.Is(err, ErrWrong) {
		t.Fatalf("alice's pass for bob: %v", err)
	}
	if res, err := c.Check(ctx, "alice@example.com", pass); err != nil || res.Kind != KindPass {
		t.Fatalf("pass: %+v %v", res, err)
	}
	if _, err := c.Check(ctx, "alice@example.com", pass); !errors.Is(err, ErrWrong) {
		t.Fatalf("reused pass: %v", err)
	}
}
