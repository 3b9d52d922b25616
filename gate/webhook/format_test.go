package webhook

import (
	"encoding/json"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/authgate/authgate/gate/event"
)

func loginEvent(typ string, data map[string]any) event.Event {
	e := event.New(typ, data)
	e.Time = time.Date(2026, 3, 21, 12, 0, 0, 0, time.UTC)
	return e
}

func TestAuthGateFormatWritesTheGuidesApprovedBody(t *testing.T) {
	e := loginEvent(event.Login, map[string]any{
		"session_id": "a1b2c3d4", "sid": "s1", "app_id": "ops-centre", "email": "james@axe.onl",
		"ip": "192.168.1.122", "user_agent": "curl", "device_id": "ag-abc123def456",
		"device_name": "James iPhone", "new_device": false, "decided_in_ms": 1200,
	})
	body, err := encodeAs(FormatAuthGate, e)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"event":"approved","session_id":"a1b2c3d4","timestamp":"2026-03-21T12:00:00Z","app_id":"ops-centre",` +
		`"email":"james@axe.onl","ip":"192.168.1.122","device_id":"ag-abc123def456","device_name":"James iPhone","new_device":false}`
	if string(body) != want {
		t.Fatalf("body\n%s\nwant\n%s", body, want)
	}
}

func TestAuthGateFormatWritesDeniedWithReason(t *testing.T) {
	e := loginEvent(event.LoginFailed, map[string]any{
		"session_id": "a1b2c3d4", "app_id": "ops-centre", "email": "james@axe.onl",
		"ip": "192.168.1.122", "device_id": "ag-abc123def456", "reason": "wrong_number",
	})
	body, err := encodeAs(FormatAuthGate, e)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"event":"denied","session_id":"a1b2c3d4","timestamp":"2026-03-21T12:00:00Z","app_id":"ops-centre",` +
		`"email":"james@axe.onl","ip":"192.168.1.122","device_id":"ag-abc123def456","reason":"wrong_number"}`
	if string(body) != want {
		t.Fatalf("body\n%s\nwant\n%s", body, want)
	}
}

func TestAuthGateFormatFlattensOtherEvents(t *testing.T) {
	body, err := encodeAs(FormatAuthGate, loginEvent(event.Ping, map[string]any{"endpoint_id": "wh_1"}))
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"event":"ping","timestamp":"2026-03-21T12:00:00Z","endpoint_id":"wh_1"}`; string(body) != want {
		t.Fatalf("body %s, want %s", body, want)
	}
}

func TestWebgateFormatSanitisesTheUser(t *testing.T) {
	long := strings.Repeat("x", 80) + "\x1b[31m@example.com"
	e := loginEvent(event.LoginFailed, map[string]any{"email": long, "app_id": "a", "reason": "denied"})
	body, err := encodeAs(FormatWebgate, e)
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		Event     string            `json:"event"`
		Timestamp string            `json:"timestamp"`
		Data      map[string]string `json:"data"`
	}
	if err := json.Unmarshal(body, &got); err != nil {
		t.Fatalf("%v: %s", err, body)
	}
	if got.Event != "user_login_failed" || got.Timestamp != "2026-03-21T12:00:00Z" {
		t.Fatalf("envelope %+v", got)
	}
	if u := got.Data["user"]; u != strings.Repeat("x", 64) || got.Data["email"] != "" {
		t.Fatalf("data.user %q (email %q), want 64 x", u, got.Data["email"])
	}
}

func TestFormatsSetTheirOwnHeaders(t *testing.T) {
	body := []byte(`{}`)
	at := time.Unix(1711036800, 0)
	cases := []struct {
		format, ua, sigHeader string
		extra                 map[string]string
	}{
		{"", UserAgent, HeaderSignature, map[string]string{HeaderEvent: "login", HeaderDelivery: "evt_1"}},
		{FormatAuthGate, "AuthGate/1.0", "X-AuthGate-Signature", map[string]string{
			"X-AuthGate-Event": "approved", "X-AuthGate-Delivery": "wh_abc-evt_1"}},
		{FormatWebgate, "webgate-webhook/1.0", "X-Webgate-Signature", map[string]string{HeaderEvent: ""}},
	}
	for _, c := range cases {
		ep := Endpoint{ID: "wh_abc", URL: "https://r.example/", Secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", Format: c.format}
		h, err := SignHeaders(ep, "evt_1", event.Login, body, at)
		if err != nil {
			t.Fatal(err)
		}
		if h.Get("User-Agent") != c.ua {
			t.Errorf("%q: User-Agent %q, want %q", c.format, h.Get("User-Agent"), c.ua)
		}
		if got, want := h.Get(c.sigHeader), "sha256="+HexSignature(ep.Secret, body); got != want {
			t.Errorf("%q: %s %q, want %q", c.format, c.sigHeader, got, want)
		}
		for k, v := range c.extra {
			if h.Get(k) != v {
				t.Errorf("%q: %s %q, want %q", c.format, k, h.Get(k), v)
			}
		}
		for _, std := range []string{HeaderID, HeaderTimestamp, HeaderStdSig} {
			if h.Get(std) == "" {
				t.Errorf("%q: no %s header", c.format, std)
			}
		}
	}
}

func TestEndpointOfAnAppReceivesOnlyThatAppsEvents(t *testing.T) {
	ep := Endpoint{AppID: "app-a"}
	for _, c := range []struct {
		e    event.Event
		want bool
	}{
		{event.New(event.Login, map[string]any{"app_id": "app-a"}), true},
		{event.New(event.Login, map[string]any{"app_id": "app-b"}), false},
		{event.New(event.DeviceEnrolled, map[string]any{"email": "a@example.com"}), false},
		{event.New(event.Ping, map[string]any{}), true},
	} {
		if got := ep.Receives(c.e); got != c.want {
			t.Errorf("%s of %v: receives %v, want %v", c.e.Type, c.e.Data["app_id"], got, c.want)
		}
	}
	if !(Endpoint{}).Receives(event.New(event.Login, map[string]any{"app_id": "app-b"})) {
		t.Error("an endpoint of no app misses an app's event")
	}
}

func TestValidateRefusesAnUnknownFormat(t *testing.T) {
	ep := Endpoint{URL: "https://r.example/", Secret: "s", Format: "xml"}
	if err := ep.Validate(); err == nil || !strings.Contains(err.Error(), "format") {
		t.Fatalf("Validate: %v", err)
	}
}

func TestPublicOnlyDialsRefusePrivateAddresses(t *testing.T) {
	own := func() ([]net.Addr, error) {
		return []net.Addr{&net.IPNet{IP: net.ParseIP("198.51.99.7"), Mask: net.CIDRMask(24, 32)},
			&net.IPNet{IP: net.ParseIP("2a00:1450::7"), Mask: net.CIDRMask(64, 128)}}, nil
	}
	guard := newPublicGuard(own)
	for _, addr := range []string{
		"127.0.0.1:80", "10.0.0.5:443", "192.168.1.2:80", "100.64.0.1:80", "[::1]:80", "[fd00::1]:80", "169.254.169.254:80",
		"0.1.2.3:80", "192.0.0.9:80", "192.0.2.2:80", "198.18.0.1:80", "198.51.100.4:80", "203.0.113.9:443", "240.0.0.1:80",
		"[2001:db8::1]:80", "[64:ff9b::a00:1]:80", "[2002:a00:1::1]:80", "[::ffff:10.0.0.1]:80",
		"198.51.99.7:80", "[2a00:1450::7]:443", // the host's own, public though they are
	} {
		if err := guard.control("tcp", addr, nil); err == nil {
			t.Errorf("public-only dial to %s allowed", addr)
		}
	}
	for _, addr := range []string{"8.8.8.8:443", "1.1.1.1:443", "[2a00:1450::8]:443", "198.51.99.8:80"} {
		if err := guard.control("tcp", addr, nil); err != nil {
			t.Errorf("public-only dial to a public address %s refused: %v", addr, err)
		}
	}
	if err := dialControl("tcp", "127.0.0.1:80", nil); err != nil {
		t.Errorf("an operator's receiver on loopback refused: %v", err)
	}
	failing := newPublicGuard(func() ([]net.Addr, error) { return nil, errors.New("no interfaces") })
	if err := failing.control("tcp", "8.8.8.8:443", nil); err == nil {
		t.Error("with the host's addresses unknown, a dial was allowed")
	}
}

// TestPublicOnlyDialsRefuseThisHostsOwnAddresses: every address of an
// interface of this machine is refused, as the gate's own host.
func TestPublicOnlyDialsRefuseThisHostsOwnAddresses(t *testing.T) {
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		t.Fatal(err)
	}
	guard := newPublicGuard(net.InterfaceAddrs)
	for _, a := range addrs {
		n, ok := a.(*net.IPNet)
		if !ok {
			continue
		}
		if err := guard.control("tcp", net.JoinHostPort(n.IP.String(), "80"), nil); err == nil {
			t.Errorf("public-only dial to this host's %s allowed", n.IP)
		}
	}
}

func TestGuideReceiversVerifyAuthGateBodiesOfTrickyLogins(t *testing.T) {
	secret := GenerateSecret()
	env := []string{"WEBHOOK_SECRET=" + secret}
	tricky := trickyEvent().Data
	e := event.New(event.Login, map[string]any{
		"session_id": "a1b2c3d4", "app_id": "ops\u202e-centre", "email": tricky["email"], "ip": "203.0.113.7",
		"device_id": "dev_1", "device_name": "James’ \"iPhone\" 🦊 \u2028</script>\x1b[31m", "new_device": true,
	})
	body, err := encodeAs(FormatAuthGate, e)
	if err != nil {
		t.Fatal(err)
	}
	ep := Endpoint{ID: "wh_a", Secret: secret, Format: FormatAuthGate}
	for _, url := range []string{
		startReceiver(t, "node", env, "testdata/guide_receiver.js"),
		startReceiver(t, "python3", env, "testdata/guide_receiver.py"),
	} {
		h, err := SignHeaders(ep, e.ID, e.Type, body, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		resp := post(t, url, h, body)
		if resp.StatusCode != 200 {
			t.Fatalf("%s refused %s: %d", url, body, resp.StatusCode)
		}
		if rt := resp.Header.Get("X-Roundtrip"); rt != "" && rt != "same" {
			t.Fatalf("JSON.stringify(JSON.parse(body)) differs from %s", body)
		}
	}
}
