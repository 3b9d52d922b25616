package flow

import (
	"context"
	"errors"
	"testing"
	"time"
)

// TestCodeFormStartsDoNotUseUpThePushBudget: starts of the code form
// have a per-minute budget of their own, so someone typing codes for an
// email cannot keep the user's push logins rate limited.
func TestCodeFormStartsDoNotUseUpThePushBudget(t *testing.T) {
	f := newFixture(t, Config{LoginTimeout: time.Minute, PushesPerEmail: 3, PushesPerIP: 100})
	ctx := context.Background()
	quiet := func() error {
		_, err := f.svc.Start(ctx, StartRequest{Email: "alice@example.com", ClientIP: "192.0.2.7", ReturnURL: "/", Quiet: true})
		return err
	}
	for i := range 3 {
		if err := quiet(); err != nil {
			t.Fatalf("code form start %d: %v", i+1, err)
		}
	}
	var le *LimitError
	if err := quiet(); !errors.As(err, &le) {
		t.Fatalf("a fourth code form start in the minute: %v, want a limit", err)
	}
	if _, err := f.svc.Start(ctx, StartRequest{Email: "alice@example.com", ClientIP: "192.0.2.8", ReturnURL: "/"}); err != nil {
		t.Fatalf("the user's push login after the code form's starts: %v", err)
	}
}
