package webhook

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/authgate/authgate/gate/store"
)

func TestPreLoginHookAnswers(t *testing.T) {
	secret := GenerateSecret()
	tests := []struct {
		name         string
		status       int
		body         string
		sleep        time.Duration
		allowOnError bool
		wantAllowed  bool
		wantReason   string
	}{
		{"allowed", 200, `{"is_allowed": true}`, 0, false, true, ""},
		{"refused with a reason", 200, `{"is_allowed": false, "reason": "outside office hours\u0007"}`, 0, false, false, "outside office hours"},
		{"refused without a reason", 200, `{"is_allowed": false}`, 0, false, false, "refused by policy"},
		{"server error denies", 500, `{"is_allowed": true}`, 0, false, false, "the sign-in check is unavailable; please try again later"},
		{"malformed answer denies", 200, `{"allowed": true}`, 0, false, false, "the sign-in check is unavailable; please try again later"},
		{"timeout denies", 200, `{"is_allowed": true}`, 500 * time.Millisecond, false, false, "the sign-in check is unavailable; please try again later"},
		{"timeout allowed when configured", 200, `{"is_allowed": false}`, 500 * time.Millisecond, true, true, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var signed atomic.Bool
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				body, _ := io.ReadAll(r.Body)
				signed.Store(r.Header.Get(HeaderSignature) == "sha256="+HexSignature(secret, body) &&
					r.Header.Get(HeaderEvent) == PreLogin)
				time.Sleep(tt.sleep)
				w.WriteHeader(tt.status)
				_, _ = io.WriteString(w, tt.body)
			}))
			defer srv.Close()
			h, err := NewPreLoginHook(Endpoint{URL: srv.URL, Secret: secret, Timeout: 200 * time.Millisecond}, tt.allowOnError, nil)
			if err != nil {
				t.Fatal(err)
			}
			allowed, reason := h.Check(context.Background(), &store.Login{ID: "l1", Email: "alice@example.com", AppID: "app"})
			if allowed != tt.wantAllowed || reason != tt.wantReason {
				t.Fatalf("Check = %v %q, want %v %q", allowed, reason, tt.wantAllowed, tt.wantReason)
			}
			srv.Close() // waits for the handler
			if !signed.Load() {
				t.Fatal("the hook's request was not signed as a pre_login event")
			}
		})
	}
}

func TestPreLoginHookSendsItsFormatsBodyAndReadsTheSameAnswer(t *testing.T) {
	secret := GenerateSecret()
	cases := []struct {
		format, sigHeader string
		bodyOK            func(m map[string]any) bool
	}{
		{FormatEnvelope, HeaderSignature, func(m map[string]any) bool {
			d, _ := m["data"].(map[string]any)
			return m["event"] == PreLogin && m["id"] != nil && d["email"] == "alice@example.com"
		}},
		{FormatAuthGate, "X-AuthGate-Signature", func(m map[string]any) bool {
			return m["event"] == PreLogin && m["id"] == nil && m["email"] == "alice@example.com" && m["session_id"] == "l1"
		}},
		{FormatWebgate, WebgateSignatureHeader, func(m map[string]any) bool {
			d, _ := m["data"].(map[string]any)
			return m["event"] == PreLogin && m["id"] == nil && d["user"] == "alice@example.com" && d["email"] == nil
		}},
	}
	for _, c := range cases {
		t.Run(c.format, func(t *testing.T) {
			var body []byte
			var header http.Header
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				body, _ = io.ReadAll(r.Body)
				header = r.Header.Clone()
				_, _ = io.WriteString(w, `{"is_allowed": false, "reason": "not from there"}`)
			}))
			defer srv.Close()
			h, err := NewPreLoginHook(Endpoint{URL: srv.URL, Secret: secret, Format: c.format}, false, nil)
			if err != nil {
				t.Fatal(err)
			}
			allowed, reason := h.Check(context.Background(), &store.Login{ID: "l1", Email: "alice@example.com", AppID: "app"})
			if allowed || reason != "not from there" {
				t.Fatalf("Check = %v %q, want the hook's refusal", allowed, reason)
			}
			srv.Close()
			var m map[string]any
			if err := json.Unmarshal(body, &m); err != nil || !c.bodyOK(m) {
				t.Fatalf("body %s is not a %s pre_login body (%v)", body, c.format, err)
			}
			if got, want := header.Get(c.sigHeader), "sha256="+HexSignature(secret, body); got != want {
				t.Fatalf("%s %q, want %q", c.sigHeader, got, want)
			}
		})
	}
}

// TestAnUnreachablePreLoginHookLogsNoTokenOfItsURL: the failure is
// logged without the URL, whose query may carry a token.
func TestAnUnreachablePreLoginHookLogsNoTokenOfItsURL(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL + "/pre?token=HOOKTOKEN"
	srv.Close() // nothing listens there any more
	core, logs := observer.New(zap.DebugLevel)
	h, err := NewPreLoginHook(Endpoint{URL: url, Secret: GenerateSecret(), Timeout: time.Second}, false, zap.New(core))
	if err != nil {
		t.Fatal(err)
	}
	if allowed, _ := h.Check(context.Background(), &store.Login{ID: "l1", Email: "alice@example.com", AppID: "app"}); allowed {
		t.Fatal("an unreachable hook allowed the login")
	}
	entries := logs.All()
	if len(entries) == 0 {
		t.Fatal("the failure was not logged")
	}
	for _, e := range entries {
		line := e.Message + fmt.Sprint(e.ContextMap())
		if strings.Contains(line, "HOOKTOKEN") {
			t.Fatalf("log line reveals the URL's token: %s", line)
		}
	}
}
