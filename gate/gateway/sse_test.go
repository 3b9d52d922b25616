package gateway

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/authgate/authgate/gate/store"
)

// loginEvents opens the login's event stream as browser b.
func (b *testBrowser) loginEvents(id string) *sseReader {
	b.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, b.base+"/.authgate/auth/events/"+id, nil)
	req.Header.Set("Accept", "text/event-stream")
	return openStream(b.t, b.http, req)
}

func TestLoginEventsTellTheBrowserOfApprovalThenEnd(t *testing.T) {
	forEachTestStore(t, func(t *testing.T, st store.Store) {
		lg := startLiveGate(t, st)
		dev := lg.enroll(t, "alice@example.com")
		b := lg.browser(t)
		id, code := b.start("alice@example.com")
		stream := b.loginEvents(id)

		var ev loginStatusEvent
		stream.mustNext(t, "status", &ev)
		if ev.Status != "pending" || ev.ExpiresIn <= 0 || ev.ExpiresIn > 120 {
			t.Fatalf("first event %+v, want pending with the seconds left", ev)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if status, err := dev.Decide(ctx, id, "approve", code); err != nil || status != "approved" {
			t.Fatalf("approve: %q %v", status, err)
		}
		stream.mustNext(t, "status", &ev)
		if ev.Status != "approved" {
			t.Fatalf("after approval: %+v", ev)
		}
		if _, err := stream.next(); !errors.Is(err, io.EOF) {
			t.Fatalf("stream after the final event: %v, want the end", err)
		}
		// The stream did not collect the session: the browser still can.
		var chk checkResponse
		if status := getJSON(t, b, "/.authgate/auth/check/"+id, &chk); status != http.StatusOK || chk.Redirect != "/after" {
			t.Fatalf("check after the stream: %d %+v", status, chk)
		}
	})
}

func TestLoginEventsCarryTheDenialReason(t *testing.T) {
	forEachTestStore(t, func(t *testing.T, st store.Store) {
		lg := startLiveGate(t, st)
		dev := lg.enroll(t, "bob@example.com")
		b := lg.browser(t)
		id, code := b.start("bob@example.com")
		stream := b.loginEvents(id)
		var ev loginStatusEvent
		stream.mustNext(t, "status", &ev)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		wrong := (code+1)%90 + 10
		if _, err := dev.Decide(ctx, id, "approve", wrong); err != nil {
			t.Fatal(err)
		}
		stream.mustNext(t, "status", &ev)
		if ev.Status != "denied" || ev.Reason != "wrong_number" {
			t.Fatalf("after a wrong number: %+v, want denied/wrong_number", ev)
		}
	})
}

func TestLoginEventsOnlyForTheStartingBrowser(t *testing.T) {
	lg := startLiveGate(t, newMemoryStore(t))
	owner := lg.browser(t)
	id, _ := owner.start("carol@example.com")
	tests := []struct {
		name   string
		b      *testBrowser
		id     string
		status int
	}{
		{"another browser", lg.browser(t), id, http.StatusForbidden},
		{"unknown login", owner, "nope", http.StatusNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := tt.b.http.Get(tt.b.base + "/.authgate/auth/events/" + tt.id)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d, want %d", resp.StatusCode, tt.status)
			}
		})
	}
}

// deviceEvents opens dev's signed event stream.
func deviceEvents(t *testing.T, lg *liveGate, dev interface {
	SignRequestQuery(*http.Request, []byte) error
}) *sseReader {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, lg.srv.URL+"/.authgate/device/events", nil)
	if err := dev.SignRequestQuery(req, nil); err != nil {
		t.Fatal(err)
	}
	return openStream(t, lg.srv.Client(), req)
}

func TestDeviceEventsFollowThePendingLogins(t *testing.T) {
	forEachTestStore(t, func(t *testing.T, st store.Store) {
		lg := startLiveGate(t, st)
		dev := lg.enroll(t, "dora@example.com")
		stream := deviceEvents(t, lg, dev)

		var ev pendingEvent
		stream.mustNext(t, "pending", &ev)
		if ev.Logins == nil || len(ev.Logins) != 0 {
			t.Fatalf("first event %+v, want an empty list", ev)
		}
		b := lg.browser(t)
		id, code := b.start("dora@example.com")
		stream.mustNext(t, "pending", &ev)
		if len(ev.Logins) != 1 {
			t.Fatalf("after a start: %+v", ev)
		}
		got := ev.Logins[0]
		if got.SessionID != id || got.AppID != "sse-test" || got.Browser != "Chrome on Linux" ||
			len(got.Choices) != 3 || got.ExpiresInMS <= 0 || got.ClientIP == "" {
			t.Fatalf("pending login %+v", got)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if _, err := dev.Decide(ctx, id, "approve", code); err != nil {
			t.Fatal(err)
		}
		stream.mustNext(t, "pending", &ev)
		if len(ev.Logins) != 0 {
			t.Fatalf("after the decision: %+v, want an empty list", ev)
		}

		if err := lg.gw.RevokeDevice(ctx, dev.DeviceID); err != nil {
			t.Fatal(err)
		}
		var none struct{}
		stream.mustNext(t, "revoked", &none)
		if _, err := stream.next(); !errors.Is(err, io.EOF) {
			t.Fatalf("stream after revocation: %v, want the end", err)
		}
	})
}

func TestDeviceEventsRefuseUnsignedAndReplayedRequests(t *testing.T) {
	lg := startLiveGate(t, newMemoryStore(t))
	dev := lg.enroll(t, "erin@example.com")
	signed, _ := http.NewRequest(http.MethodGet, lg.srv.URL+"/.authgate/device/events", nil)
	if err := dev.SignRequestQuery(signed, nil); err != nil {
		t.Fatal(err)
	}
	first := openStream(t, lg.srv.Client(), signed.Clone(context.Background()))
	var ev pendingEvent
	first.mustNext(t, "pending", &ev)

	tests := []struct {
		name string
		url  string
	}{
		{"unsigned", lg.srv.URL + "/.authgate/device/events"},
		{"replayed", signed.URL.String()},
		{"signature for another path", lg.srv.URL + "/.authgate/device/events?x=1&" + signed.URL.RawQuery},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := lg.srv.Client().Get(tt.url)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusUnauthorized {
				t.Fatalf("status %d, want 401", resp.StatusCode)
			}
		})
	}
}

func getJSON(t *testing.T, b *testBrowser, path string, v any) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, b.base+path, nil)
	req.Header.Set("Accept", "application/json")
	resp, err := b.http.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatalf("GET %s: %d: %v", path, resp.StatusCode, err)
	}
	return resp.StatusCode
}
