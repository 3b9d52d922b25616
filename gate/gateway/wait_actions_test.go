package gateway

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

func (b *testBrowser) postForm(path string, form url.Values) *http.Response {
	b.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, b.base+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := b.http.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	resp.Body.Close()
	return resp
}

func TestCancelEndsThePendingLoginOnlyForItsBrowser(t *testing.T) {
	lg := startLiveGate(t, newMemoryStore(t))
	dev := lg.enroll(t, "alice@example.com")
	owner, stranger := lg.browser(t), lg.browser(t)
	id, _ := owner.start("alice@example.com")

	if resp := stranger.postForm("/.authgate/wait/"+id+"/cancel", nil); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("another browser's cancel: %d", resp.StatusCode)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if p, err := dev.Pending(ctx); err != nil || len(p) != 1 {
		t.Fatalf("the login is no longer pending after a refused cancel: %v %v", p, err)
	}
	resp := owner.postForm("/.authgate/wait/"+id+"/cancel", url.Values{"then": {"change"}})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/.authgate/login?rd=%2Fafter&change=1" {
		t.Fatalf("cancel: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	if p, err := dev.Pending(ctx); err != nil || len(p) != 0 {
		t.Fatalf("the phone still sees %v (%v)", p, err)
	}
	if n := len(lg.events.ofType("login_failed")); n != 1 {
		t.Fatalf("%d login_failed events, want 1 (cancelled)", n)
	}
	// The email is free again at once.
	if id2, _ := owner.start("alice@example.com"); id2 == id {
		t.Fatal("the same login came back")
	}
}

func TestResendReplacesTheLoginAndRefusesStrangers(t *testing.T) {
	lg := startLiveGate(t, newMemoryStore(t))
	dev := lg.enroll(t, "alice@example.com")
	owner, stranger := lg.browser(t), lg.browser(t)
	id, _ := owner.start("alice@example.com")
	if resp := stranger.postForm("/.authgate/wait/"+id+"/resend", nil); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("another browser's resend: %d", resp.StatusCode)
	}
	req, _ := http.NewRequest(http.MethodPost, lg.srv.URL+"/.authgate/wait/"+id+"/resend", nil)
	req.Header.Set("Origin", "https://evil.example")
	resp, err := owner.http.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("cross-site resend: %d", resp.StatusCode)
	}
	resp = owner.postForm("/.authgate/wait/"+id+"/resend", nil)
	loc := resp.Header.Get("Location")
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, "/.authgate/wait/") || loc == "/.authgate/wait/"+id {
		t.Fatalf("resend: %d to %q", resp.StatusCode, loc)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	p, err := dev.Pending(ctx)
	if err != nil || len(p) != 1 || "/.authgate/wait/"+p[0].SessionID != loc {
		t.Fatalf("the phone sees %v (%v), want only the new login", p, err)
	}
	if p[0].SiteTitle != "sse-test" {
		t.Fatalf("the pending login names the site %q, want the app id", p[0].SiteTitle)
	}
}

func TestWhereFromSaysOnThisNetwork(t *testing.T) {
	locate := func(ip string) string {
		if ip == "81.2.69.160" {
			return "London, United Kingdom"
		}
		return ""
	}
	tests := []struct {
		login, phone, want string
		same               bool
	}{
		{"203.0.113.7", "203.0.113.7", "on this network", true},
		{"203.0.113.7", "198.51.100.1", "203.0.113.7", false},
		{"81.2.69.160", "198.51.100.1", "81.2.69.160 (London, United Kingdom)", false},
		{"", "198.51.100.1", "an unknown address", false},
	}
	for _, tc := range tests {
		from, same, _ := whereFrom(tc.login, tc.phone, locate)
		if from != tc.want || same != tc.same {
			t.Errorf("whereFrom(%q, %q) = %q %v", tc.login, tc.phone, from, same)
		}
	}
	if from, _, _ := whereFrom("81.2.69.160", "x", nil); from != "81.2.69.160" {
		t.Errorf("without a GeoIP database: %q", from)
	}
}

func TestApproverQRIsThisSitesAddress(t *testing.T) {
	lg := startLiveGate(t, newMemoryStore(t))
	resp, err := lg.srv.Client().Get(lg.srv.URL + "/.authgate/approver-qr.png")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "image/png" {
		t.Fatalf("QR: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	r, _ := http.NewRequest(http.MethodGet, "http://gate.example.com:8080/x", nil)
	if got := lg.gw.approverURL(r); got != "http://gate.example.com:8080/.authgate/app" {
		t.Fatalf("approver URL %q", got)
	}
	r, _ = http.NewRequest(http.MethodGet, "http://gate.example.com:80/x", nil)
	if got := lg.gw.approverURL(r); got != "http://gate.example.com/.authgate/app" {
		t.Fatalf("approver URL %q", got)
	}
}
