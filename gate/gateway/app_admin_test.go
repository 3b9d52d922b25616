package gateway

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/authgate/authgate/gate/device/deviceclient"
	"github.com/authgate/authgate/gate/event"
	"github.com/authgate/authgate/gate/store"
)

// loginWith runs a whole login of b for email, approved by dev, and
// returns b's session cookie value.
func (lg *liveGate) loginWith(t *testing.T, b *testBrowser, dev *deviceclient.Client, email string) string {
	t.Helper()
	id, code := b.start(email)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := dev.Decide(ctx, id, "approve", code); err != nil {
		t.Fatal(err)
	}
	var chk checkResponse
	if status := getJSON(t, b, "/.authgate/auth/check/"+id, &chk); status != http.StatusOK || chk.Redirect == "" {
		t.Fatalf("check: %d %+v", status, chk)
	}
	u, _ := url.Parse(b.base)
	for _, c := range b.http.Jar.Cookies(u) {
		if c.Name == cookieSession {
			return c.Value
		}
	}
	t.Fatal("no session cookie after login")
	return ""
}

// page fetches a protected path as a browser navigation and returns
// the status and the Location header.
func (b *testBrowser) page(path string) (int, string, string) {
	b.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, b.base+path, nil)
	req.Header.Set("Accept", "text/html")
	resp, err := b.http.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("Location"), string(body)
}

// post sends a same-origin form post.
func (b *testBrowser) post(path string, form url.Values) (int, string) {
	b.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, b.base+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", b.base)
	resp, err := b.http.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode, resp.Header.Get("Location")
}

func TestAdminRevokeSessionTakesEffectHereAtOnce(t *testing.T) {
	forEachTestStore(t, func(t *testing.T, st store.Store) {
		lg := startLiveGate(t, st)
		dev := lg.enroll(t, "alice@example.com")
		b := lg.browser(t)
		lg.loginWith(t, b, dev, "alice@example.com")
		if status, _, _ := b.page("/app"); status != http.StatusOK {
			t.Fatalf("protected page after login: %d", status)
		}
		ctx := context.Background()
		sessions, err := lg.gw.ListSessions(ctx, " Alice@Example.com")
		if err != nil || len(sessions) != 1 || !strings.Contains(sessions[0].UserAgent, "Chrome") {
			t.Fatalf("ListSessions: %v %+v", err, sessions)
		}
		if rev, err := lg.gw.RevokeSession(ctx, sessions[0].ID); err != nil || !rev.Found || !rev.Until.Equal(sessions[0].ExpiresAt) {
			t.Fatalf("RevokeSession = %+v, %v; want the record found, revoked until %v", rev, err, sessions[0].ExpiresAt)
		}
		// No waiting for the published revocation: this instance applied it.
		if status, loc, _ := b.page("/app"); status != http.StatusFound || !strings.HasPrefix(loc, "/.authgate/login") {
			t.Fatalf("protected page after revocation: %d %q, want the gate", status, loc)
		}
		if got := lg.events.ofType(event.SessionRevoked); len(got) != 1 || got[0].Data["by"] != "admin" {
			t.Fatalf("session_revoked events: %+v", got)
		}
		// Revoking an id whose record is gone still revokes it, for a
		// whole session lifetime: the store may have lost the record.
		rev, err := lg.gw.RevokeSession(ctx, sessions[0].ID)
		if err != nil || rev.Found || rev.Until.Before(time.Now().Add(11*time.Hour)) {
			t.Fatalf("revoking it again: %+v, %v; want revoked without a record, for a session lifetime", rev, err)
		}
		for _, bad := range []string{"", strings.Repeat("x", 129), "sid\n"} {
			if _, err := lg.gw.RevokeSession(ctx, bad); !errors.Is(err, ErrInvalidSessionID) {
				t.Fatalf("RevokeSession(%q): %v, want ErrInvalidSessionID", bad, err)
			}
		}
	})
}

func TestAdminListAndRevokeDevices(t *testing.T) {
	forEachTestStore(t, func(t *testing.T, st store.Store) {
		lg := startLiveGate(t, st)
		dev := lg.enroll(t, "bob@example.com")
		ctx := context.Background()
		devices, err := lg.gw.ListDevices(ctx, "bob@example.com")
		if err != nil || len(devices) != 1 || devices[0].ID != dev.DeviceID || devices[0].Name != "Test phone" {
			t.Fatalf("ListDevices: %v %+v", err, devices)
		}
		if _, err := lg.gw.ListDevices(ctx, "not an email"); err == nil {
			t.Fatal("ListDevices accepted a malformed email")
		}
		if err := lg.gw.RevokeDevice(ctx, dev.DeviceID); err != nil {
			t.Fatal(err)
		}
		if _, err := dev.Pending(ctx); err == nil {
			t.Fatal("a revoked device is still served")
		}
		if got := lg.events.ofType(event.DeviceRevoked); len(got) != 1 || got[0].Data["device_id"] != dev.DeviceID {
			t.Fatalf("device_revoked events: %+v", got)
		}
		if err := lg.gw.RevokeDevice(ctx, dev.DeviceID); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("revoking it again: %v, want ErrNotFound", err)
		}
	})
}

func TestUserRemovesOwnDeviceFromTheAccountPage(t *testing.T) {
	lg := startLiveGate(t, newMemoryStore(t))
	alicePhone := lg.enroll(t, "alice@example.com")
	bobPhone := lg.enroll(t, "bob@example.com")
	b := lg.browser(t)
	cookie := lg.loginWith(t, b, alicePhone, "alice@example.com")
	csrf := csrfToken(cookie)

	status, _, body := b.page("/.authgate/")
	if status != http.StatusOK || !strings.Contains(body, "Chrome on Linux") || !strings.Contains(body, alicePhone.DeviceID) {
		t.Fatalf("account page: %d, want the session's browser name and the phone", status)
	}
	tests := []struct {
		name   string
		device string
		csrf   string
		status int
	}{
		{"without the CSRF token", alicePhone.DeviceID, "", http.StatusForbidden},
		{"another user's device", bobPhone.DeviceID, csrf, http.StatusNotFound},
		{"unknown device", "dev_nope", csrf, http.StatusNotFound},
		{"own device", alicePhone.DeviceID, csrf, http.StatusSeeOther},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, _ := b.post("/.authgate/devices/"+tt.device+"/revoke", url.Values{"csrf": {tt.csrf}})
			if got != tt.status {
				t.Fatalf("status %d, want %d", got, tt.status)
			}
		})
	}
	ctx := context.Background()
	if left, _ := lg.gw.ListDevices(ctx, "alice@example.com"); len(left) != 0 {
		t.Fatalf("alice still has %d devices", len(left))
	}
	if left, _ := lg.gw.ListDevices(ctx, "bob@example.com"); len(left) != 1 {
		t.Fatalf("bob's device was touched: %d left", len(left))
	}
	if got := lg.events.ofType(event.DeviceRevoked); len(got) != 1 || got[0].Data["by"] != "alice@example.com" {
		t.Fatalf("device_revoked events: %+v", got)
	}
}
