package e2e

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/authgate/authgate/gate/device/deviceclient"
)

func TestLoginEndToEnd(t *testing.T) {
	forEachStore(t, func(t *testing.T, storeOpt string) {
		up := newUpstream(t)
		g := startGate(t, storeOpt, up, "group ops alice@example.com\n\t\tgroup staff @example.com")
		dev := g.enroll("alice@example.com")
		b := newBrowser(t, g.base)

		status, h, _ := b.do(http.MethodGet, "/private?x=1", http.Header{"Accept": {"text/html"}}, nil)
		if status != http.StatusFound || h.Get("Location") != "/.authgate/login?rd=%2Fprivate%3Fx%3D1" {
			t.Fatalf("unauthenticated page: %d Location %q", status, h.Get("Location"))
		}
		status, h, body := b.do(http.MethodGet, "/api/data", http.Header{"Accept": {"application/json"}}, nil)
		if status != http.StatusUnauthorized || !strings.HasPrefix(h.Get("WWW-Authenticate"), "Authgate ") || !strings.Contains(string(body), `"error"`) {
			t.Fatalf("unauthenticated API call: %d %q %s", status, h.Get("WWW-Authenticate"), body)
		}
		if _, hits := up.lastHeaders(); hits != 0 {
			t.Fatalf("upstream reached %d times before login", hits)
		}

		b.login(dev, "Alice@Example.com ")

		spoofed := http.Header{
			"Accept":             {"text/html"},
			"Remote-User":        {"mallory@example.com"},
			"Remote_Email":       {"mallory@example.com"},
			"Remote.Groups":      {"admins"},
			"X-Authgate-Session": {"forged"},
			"REMOTE-EMAIL":       {"mallory@example.com"},
			"Cookie":             {"theme=dark"},
		}
		status, _, body = b.do(http.MethodGet, "/private?x=1", spoofed, nil)
		if status != http.StatusOK || string(body) != "hello alice@example.com" {
			t.Fatalf("protected page after login: %d %s", status, body)
		}
		got, _ := up.lastHeaders()
		if got.Get("Remote-Groups") != "ops,staff" {
			t.Errorf("Remote-Groups upstream %q, want ops,staff", got.Get("Remote-Groups"))
		}
		if got.Get("Remote-Email") != "alice@example.com" || got.Get("Remote-User") != "alice@example.com" || got.Get("X-Authgate-Session") == "forged" || got.Get("X-Authgate-Session") == "" {
			t.Fatalf("identity headers upstream: %v", got)
		}
		for name, values := range got {
			for _, v := range values {
				if strings.Contains(v, "mallory") || v == "admins" || v == "forged" {
					t.Errorf("spoofed header reached upstream: %s: %s", name, v)
				}
			}
		}
		if c := got.Get("Cookie"); strings.Contains(c, "authgate") || !strings.Contains(c, "theme=dark") {
			t.Errorf("upstream Cookie header %q: want the app's cookies without the gateway's", c)
		}
		if strings.Contains(g.caddy.Log(), b.sessionCookie()) {
			t.Errorf("the session token reached the log")
		}
	})
}

func TestWrongNumberDeniesAndSecondDecisionIsRefused(t *testing.T) {
	forEachStore(t, func(t *testing.T, storeOpt string) {
		g := startGate(t, storeOpt, newUpstream(t), "")
		dev := g.enroll("bob@example.com")
		b := newBrowser(t, g.base)
		s := b.start("bob@example.com")
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		p, err := dev.WaitPending(ctx, 20*time.Millisecond)
		if err != nil {
			t.Fatal(err)
		}
		wrong := -1
		for _, n := range p.Choices {
			if n != s.Code {
				wrong = n
				break
			}
		}
		if status, err := dev.Decide(ctx, s.SessionID, "approve", wrong); err != nil || status != "denied" {
			t.Fatalf("approving with the wrong number: %q %v, want denied", status, err)
		}
		_, err = dev.Decide(ctx, s.SessionID, "approve", s.Code)
		var apiErr *deviceclient.APIError
		if !errors.As(err, &apiErr) || apiErr.Status != http.StatusConflict {
			t.Fatalf("second decision: %v, want 409", err)
		}
		if st, rd, _ := b.check(s.SessionID); st != "denied" || rd != "" || b.sessionCookie() != "" {
			t.Fatalf("check after wrong number: %q %q cookie %q", st, rd, b.sessionCookie())
		}
	})
}

func TestConcurrentApprovalsExactlyOneWins(t *testing.T) {
	forEachStore(t, func(t *testing.T, storeOpt string) {
		g := startGate(t, storeOpt, newUpstream(t), "")
		dev := g.enroll("carol@example.com")
		b := newBrowser(t, g.base)
		s := b.start("carol@example.com")
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		if _, err := dev.WaitPending(ctx, 20*time.Millisecond); err != nil {
			t.Fatal(err)
		}
		var ok, conflict atomic.Int32
		var wg sync.WaitGroup
		for i := 0; i < 50; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, err := dev.Decide(ctx, s.SessionID, "approve", s.Code)
				var apiErr *deviceclient.APIError
				switch {
				case err == nil:
					ok.Add(1)
				case errors.As(err, &apiErr) && apiErr.Status == http.StatusConflict:
					conflict.Add(1)
				default:
					t.Errorf("approval: %v", err)
				}
			}()
		}
		wg.Wait()
		if ok.Load() != 1 || conflict.Load() != 49 {
			t.Fatalf("50 concurrent approvals: %d succeeded, %d refused; want 1 and 49", ok.Load(), conflict.Load())
		}
	})
}

func TestOnlyTheStartingBrowserGetsTheCookie(t *testing.T) {
	forEachStore(t, func(t *testing.T, storeOpt string) {
		g := startGate(t, storeOpt, newUpstream(t), "")
		dev := g.enroll("dave@example.com")
		owner := newBrowser(t, g.base)
		thief := newBrowser(t, g.base)
		s := owner.start("dave@example.com")
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if _, err := dev.WaitPending(ctx, 20*time.Millisecond); err != nil {
			t.Fatal(err)
		}
		if _, err := dev.Decide(ctx, s.SessionID, "approve", s.Code); err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 3; i++ {
			st, rd, h := thief.check(s.SessionID)
			if rd != "" || thief.sessionCookie() != "" || len(h.Values("Set-Cookie")) != 0 {
				t.Fatalf("a browser without the binding secret got a session: %q %q %v", st, rd, h.Values("Set-Cookie"))
			}
		}
		if st, rd, _ := owner.check(s.SessionID); st != "approved" || rd == "" || owner.sessionCookie() == "" {
			t.Fatalf("the starting browser did not get its session: %q %q", st, rd)
		}
		if _, rd, _ := owner.check(s.SessionID); rd != "" {
			t.Fatalf("a collected login handed out a second session")
		}
	})
}

// TestAnEmailWithAnApostropheEnrolsAndSignsIn: o'brien@example.com gets a
// phone, signs in by push and by an offline code, and reaches the
// upstream under that name; the pages show it escaped.
func TestAnEmailWithAnApostropheEnrolsAndSignsIn(t *testing.T) {
	forEachStore(t, func(t *testing.T, storeOpt string) {
		up := newUpstream(t)
		g := startGate(t, storeOpt, up, "")
		dev := g.enroll("o'brien@example.com")
		b := newBrowser(t, g.base)
		b.login(dev, "O'Brien@Example.com")
		status, _, body := b.do(http.MethodGet, "/private?x=1", http.Header{"Accept": {"text/html"}}, nil)
		if status != http.StatusOK || string(body) != "hello o'brien@example.com" {
			t.Fatalf("protected page after login: %d %s", status, body)
		}
		if got, _ := up.lastHeaders(); got.Get("Remote-Email") != "o'brien@example.com" {
			t.Fatalf("Remote-Email upstream %q", got.Get("Remote-Email"))
		}
		_, _, home := b.do(http.MethodGet, "/.authgate/", http.Header{"Accept": {"text/html"}}, nil)
		if !strings.Contains(string(home), "o&#39;brien@example.com") {
			t.Fatalf("the signed-in page does not show the email escaped: %s", home)
		}
		cb := newBrowser(t, g.base)
		status, loc, page := cb.codeForm(url.Values{"email": {"o'brien@example.com"}, "code": {offlineCode(t, dev, 0)}, "rd": {"/private?x=1"}})
		if status != http.StatusSeeOther || loc != "/private?x=1" || cb.sessionCookie() == "" {
			t.Fatalf("offline code: %d %q %s", status, loc, page)
		}
	})
}
