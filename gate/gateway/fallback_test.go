package gateway

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/authgate/authgate/gate/event"
	"github.com/authgate/authgate/gate/flow"
)

func TestAccessPassChecksItsEmailAndLifetime(t *testing.T) {
	lg := startLiveGate(t, newMemoryStore(t))
	ctx := context.Background()
	tests := []struct {
		email string
		ttl   time.Duration
		want  error
	}{
		{"not an email", time.Hour, flow.ErrInvalidEmail},
		{"a@example.com", 30 * time.Second, ErrBadValue},
		{"a@example.com", 8 * 24 * time.Hour, ErrBadValue},
	}
	for _, tt := range tests {
		if _, _, err := lg.gw.AccessPass(ctx, tt.email, tt.ttl); !errors.Is(err, tt.want) {
			t.Errorf("AccessPass(%q, %v): %v, want %v", tt.email, tt.ttl, err, tt.want)
		}
	}
	pass, exp, err := lg.gw.AccessPass(ctx, " A@Example.com", 0)
	if err != nil || len(pass) != 19 || time.Until(exp) < 59*time.Minute || time.Until(exp) > time.Hour {
		t.Fatalf("AccessPass default: %q %v %v", pass, exp, err)
	}
	if got := lg.events.ofType(event.AccessPassIssued); len(got) != 1 || got[0].Data["email"] != "a@example.com" {
		t.Fatalf("access_pass_issued events: %+v", got)
	}
	if _, err := lg.gw.Unblock(ctx, "nope"); !errors.Is(err, flow.ErrInvalidEmail) {
		t.Fatalf("Unblock of a malformed email: %v", err)
	}
}
