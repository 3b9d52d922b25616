package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/authgate/authgate/gate/device/deviceclient"
)

// wantJSONError checks a 4xx answer with a JSON error body.
func wantJSONError(t *testing.T, what string, status, want int, body []byte) {
	t.Helper()
	var e struct {
		Error string `json:"error"`
	}
	if status != want || json.Unmarshal(body, &e) != nil || e.Error == "" {
		t.Errorf("%s: %d %s; want %d with a JSON error", what, status, body, want)
	}
}

func TestBadInputGetsAClearErrorAndChangesNothing(t *testing.T) {
	forEachStore(t, func(t *testing.T, storeOpt string) {
		g := startGate(t, storeOpt, newUpstream(t), "")
		dev := g.enroll("gina@example.com")
		b := newBrowser(t, g.base)
		jsonHeader := http.Header{"Content-Type": {"application/json"}}

		status, _, body := b.do(http.MethodPost, "/.authgate/auth/start", jsonHeader, []byte(`{"email": "gina@example.com"`))
		wantJSONError(t, "malformed JSON", status, http.StatusBadRequest, body)
		for _, trailing := range []string{`}`, `]`, ` {"email": "other@example.com"}`, ` x`} {
			status, _, body = b.do(http.MethodPost, "/.authgate/auth/start", jsonHeader, []byte(`{"email": "gina@example.com"}`+trailing))
			wantJSONError(t, "data after the JSON object: "+trailing, status, http.StatusBadRequest, body)
		}
		status, _, body = b.do(http.MethodPost, "/.authgate/auth/start", jsonHeader, []byte(`{"email": "gina@example.com", "admin": true}`))
		wantJSONError(t, "unknown field", status, http.StatusBadRequest, body)
		big := []byte(`{"email": "` + strings.Repeat("a", 70<<10) + `@example.com"}`)
		status, _, body = b.do(http.MethodPost, "/.authgate/auth/start", jsonHeader, big)
		wantJSONError(t, "body over 64 KiB", status, http.StatusRequestEntityTooLarge, body)
		status, _, body = b.do(http.MethodPost, "/.authgate/auth/start", jsonHeader, []byte(`{"email": "not-an-email"}`))
		wantJSONError(t, "invalid email", status, http.StatusBadRequest, body)
		status, _, body = b.do(http.MethodPost, "/.authgate/auth/start", jsonHeader, []byte(`{"email": "gina@example.com", "rd": "https://evil.example/"}`))
		wantJSONError(t, "open-redirect return URL", status, http.StatusBadRequest, body)
		status, _, body = b.do(http.MethodPost, "/.authgate/auth/start", jsonHeader, []byte(`{"email": "gina@example.com", "rd": "//evil.example/"}`))
		wantJSONError(t, "protocol-relative return URL", status, http.StatusBadRequest, body)
		status, _, body = b.do(http.MethodGet, "/.authgate/auth/check/unknown-id", nil, nil)
		wantJSONError(t, "unknown login id", status, http.StatusNotFound, body)

		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if p, err := dev.Pending(ctx); err != nil || len(p) != 0 {
			t.Fatalf("a refused start left a pending login: %v %v", p, err)
		}

		_, err := dev.Decide(ctx, "unknown-id", "approve", 42)
		var apiErr *deviceclient.APIError
		if !errors.As(err, &apiErr) || apiErr.Status != http.StatusNotFound {
			t.Errorf("decision on an unknown login: %v, want 404", err)
		}

		s := b.start("gina@example.com")
		// A replayed request: the same signed bytes sent twice.
		body, _ = json.Marshal(map[string]any{"session_id": s.SessionID, "decision": "deny", "number": 0, "ts": time.Now().UnixMilli(), "sig": "AAAA"})
		req, _ := http.NewRequest(http.MethodGet, g.base+"/.authgate/device/pending", nil)
		if err := dev.SignRequest(req, nil); err != nil {
			t.Fatal(err)
		}
		first, _ := http.DefaultClient.Do(req)
		first.Body.Close()
		replay, _ := http.NewRequest(http.MethodGet, g.base+"/.authgate/device/pending", nil)
		replay.Header = req.Header.Clone()
		resp, err := http.DefaultClient.Do(replay)
		if err != nil {
			t.Fatal(err)
		}
		rb := readAll(resp)
		if first.StatusCode != http.StatusOK {
			t.Fatalf("signed request refused: %d", first.StatusCode)
		}
		wantJSONError(t, "replayed device request", resp.StatusCode, http.StatusUnauthorized, rb)

		// A stale request: signed 2 minutes ago.
		stale, _ := http.NewRequest(http.MethodPost, g.base+"/.authgate/device/decide", bytes.NewReader(body))
		if err := dev.SignRequest(stale, body); err != nil {
			t.Fatal(err)
		}
		stale.Header.Set("X-Authgate-Timestamp", formatMillis(time.Now().Add(-2*time.Minute)))
		resp, err = http.DefaultClient.Do(stale)
		if err != nil {
			t.Fatal(err)
		}
		wantJSONError(t, "stale device request", resp.StatusCode, http.StatusUnauthorized, readAll(resp))

		// An unsigned decision and a body tampered with after signing.
		resp, _ = http.Post(g.base+"/.authgate/device/decide", "application/json", bytes.NewReader(body))
		wantJSONError(t, "unsigned decision", resp.StatusCode, http.StatusUnauthorized, readAll(resp))
		tampered, _ := http.NewRequest(http.MethodPost, g.base+"/.authgate/device/decide", bytes.NewReader(body))
		if err := dev.SignRequest(tampered, []byte(`{"other":"body"}`)); err != nil {
			t.Fatal(err)
		}
		resp, _ = http.DefaultClient.Do(tampered)
		wantJSONError(t, "tampered device request", resp.StatusCode, http.StatusUnauthorized, readAll(resp))

		// None of it decided the login.
		if st, _, _ := b.check(s.SessionID); st != "pending" {
			t.Fatalf("bad device requests changed the login: %q", st)
		}
		if status, err := dev.Decide(ctx, s.SessionID, "approve", s.Code); err != nil || status != "approved" {
			t.Fatalf("the login could not be approved after the bad requests: %q %v", status, err)
		}
		if strings.Contains(g.caddy.Log(), "panic") {
			t.Fatalf("a panic reached the log:\n%s", g.caddy.Log())
		}
	})
}
