package e2e

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/authgate/authgate/gate/device/deviceclient"
	"github.com/authgate/authgate/gate/push"
)

// pushGateOptions are the global options that let the gate push to a
// push service on loopback: listed exactly, with its port.
func pushGateOptions(pushBase string) string {
	return "push_contact mailto:ops@example.com\n\t\tpush_services " + pushBase
}

// servedPushKey returns the VAPID public key the gate serves.
func servedPushKey(t *testing.T, base string) string {
	t.Helper()
	resp, err := http.Get(base + "/.authgate/push/key")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var k struct {
		PublicKey string `json:"public_key"`
	}
	if resp.StatusCode != http.StatusOK || json.NewDecoder(resp.Body).Decode(&k) != nil || len(k.PublicKey) != 87 {
		t.Fatalf("GET /push/key: %d %q", resp.StatusCode, k.PublicKey)
	}
	return k.PublicKey
}

// adminNotifications returns the notifications flag of each of the user's
// devices, as the admin API lists them.
func (g *gate) adminNotifications(email string) map[string]bool {
	g.t.Helper()
	resp, err := http.Get(g.caddy.Admin + "/authgate/devices?email=" + url.QueryEscape(email))
	if err != nil {
		g.t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct {
		Devices []struct {
			ID            string `json:"id"`
			Notifications bool   `json:"notifications"`
		} `json:"devices"`
	}
	if resp.StatusCode != http.StatusOK || json.NewDecoder(resp.Body).Decode(&out) != nil {
		g.t.Fatalf("admin devices: %d", resp.StatusCode)
	}
	m := map[string]bool{}
	for _, d := range out.Devices {
		m[d.ID] = d.Notifications
	}
	return m
}

// TestPushReachesAWebPushServiceThatIsNotOurs runs the whole push path
// through the built Caddy against web-push-testing: the device registers
// a subscription made with the served key, a login start sends one push,
// the service verifies its VAPID JWT with that key and decrypts it, the
// payload names the app and site and not the number; a 410 removes the
// subscription.
func TestPushReachesAWebPushServiceThatIsNotOurs(t *testing.T) {
	ps := startWebPushService(t)
	g := startGate(t, "store memory", newUpstream(t), pushGateOptions(ps.base))
	const email = "pat@example.com"
	dev := g.enroll(email)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	sub, hash := ps.subscribe(servedPushKey(t, g.base))
	info, err := dev.SetPush(ctx, sub)
	if err != nil || !info.Notifications {
		t.Fatalf("registering the subscription: %+v %v", info, err)
	}
	if got := g.adminNotifications(email); !got[dev.DeviceID] {
		t.Fatalf("admin API shows notifications %v", got)
	}
	if out := g.caddyCLI("devices", email); !strings.Contains(out, "NOTIFICATIONS") || !strings.Contains(out, " on") {
		t.Fatalf("caddy authgate devices does not show notifications on:\n%s", out)
	}

	b := newBrowser(t, g.base)
	s := b.start(email)
	msgs := ps.waitMessages(hash, 1)
	var p map[string]any
	if err := json.Unmarshal([]byte(msgs[0]), &p); err != nil {
		t.Fatalf("decrypted payload is not JSON: %q", msgs[0])
	}
	site := strings.TrimPrefix(g.base, "http://")
	if p["type"] != "login" || p["login_id"] != s.SessionID || p["app"] != "e2e" || p["site"] != site ||
		p["title"] != "Sign in to e2e on "+site+"?" {
		t.Fatalf("payload %v", p)
	}
	code := strconv.Itoa(s.Code)
	for k, v := range p {
		if k == "code" || k == "number" || k == "choices" || fmt.Sprint(v) == code || strings.Contains(fmt.Sprint(v), " "+code+" ") {
			t.Fatalf("payload holds the number %s in %q: %v", code, k, p)
		}
	}
	// One push per start: nothing more arrives for this login.
	time.Sleep(300 * time.Millisecond)
	if n := len(ps.messages(hash)); n != 1 {
		t.Fatalf("%d messages for one login", n)
	}

	// The subscription expires at the push service: the next push gets
	// 410 and the gate removes the subscription. (A second login within
	// 15 s sends no second push: the repeat window is cleared first.)
	ps.expire(hash)
	if err := unblock(ctx, g.caddy.Admin, email); err != nil {
		t.Fatal(err)
	}
	b.start(email) // the same browser replaces its pending login
	deadline := time.Now().Add(10 * time.Second)
	for g.adminNotifications(email)[dev.DeviceID] {
		if time.Now().After(deadline) {
			t.Fatal("the subscription was kept after 410")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if me, err := dev.Me(ctx); err != nil || me.Notifications {
		t.Fatalf("device still sees notifications on: %+v %v", me, err)
	}
}

// TestPushRefusesEndpointsOffTheAllowList registers endpoints on
// loopback, private, metadata and unlisted hosts: each is refused with
// 400, none is stored, and a login start dials none of them.
func TestPushRefusesEndpointsOffTheAllowList(t *testing.T) {
	var hits atomic.Int64
	trap := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.WriteHeader(http.StatusCreated)
	}))
	defer trap.Close()
	trapPort := trap.URL[strings.LastIndexByte(trap.URL, ':')+1:]
	// The listed service is localhost on another port: the trap's port
	// is not listed, whatever the host.
	g := startGate(t, "store memory", newUpstream(t), pushGateOptions(fmt.Sprintf("http://localhost:%d", 1+mustAtoi(t, trapPort)%60000)))
	const email = "quinn@example.com"
	dev := g.enroll(email)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for _, endpoint := range []string{
		trap.URL + "/wpush/x",                       // loopback, unlisted
		"http://localhost:" + trapPort + "/wpush/x", // listed host, unlisted port
		"https://10.0.0.8/wpush/x",                  // private
		"https://169.254.169.254/latest/meta-data/", // cloud metadata
		"https://[::1]/wpush/x",                     // loopback over IPv6
		"https://push.attacker.example/wpush/x",     // unlisted host
		"https://fcm.googleapis.com/fcm/send/x",     // a default, replaced by push_services
		"ftp://localhost/x",                         // not http(s)
	} {
		sub := push.SubscriptionJSON{Endpoint: endpoint}
		sub.Keys.P256dh = validP256dh
		sub.Keys.Auth = "AAAAAAAAAAAAAAAAAAAAAA"
		_, err := dev.SetPush(ctx, sub)
		var apiErr *deviceclient.APIError
		if !errors.As(err, &apiErr) || apiErr.Status != http.StatusBadRequest || !strings.Contains(apiErr.Message, "push services") {
			t.Errorf("%s: %v, want 400 naming the push service list", endpoint, err)
		}
	}
	// Malformed keys on an allowed endpoint are refused too.
	sub := push.SubscriptionJSON{Endpoint: fmt.Sprintf("http://localhost:%d/x", 1+mustAtoi(t, trapPort)%60000)}
	sub.Keys.P256dh, sub.Keys.Auth = "AAAA", "AAAAAAAAAAAAAAAAAAAAAA"
	if _, err := dev.SetPush(ctx, sub); err == nil {
		t.Error("a malformed p256dh was accepted")
	}
	if got := g.adminNotifications(email); got[dev.DeviceID] {
		t.Fatal("a refused subscription was stored")
	}
	b := newBrowser(t, g.base)
	b.start(email)
	time.Sleep(500 * time.Millisecond)
	if n := hits.Load(); n != 0 {
		t.Fatalf("the loopback trap was dialled %d times", n)
	}
}

// validP256dh is a browser's public key (RFC 8291 Appendix A).
const validP256dh = "BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4"

func mustAtoi(t *testing.T, s string) int {
	t.Helper()
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestDevicePushBadInput sends the push routes what a careless or hostile
// client might: unsigned, malformed, oversized. Each gets a clear 4xx and
// changes nothing.
func TestDevicePushBadInput(t *testing.T) {
	g := startGate(t, "store memory", newUpstream(t), "")
	const email = "uma@example.com"
	dev := g.enroll(email)
	send := func(method, body string, sign bool) (int, string) {
		t.Helper()
		req, err := http.NewRequest(method, g.base+"/.authgate/device/push", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/json")
		if sign {
			if err := dev.SignRequest(req, []byte(body)); err != nil {
				t.Fatal(err)
			}
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		return resp.StatusCode, string(readAll(resp))
	}
	good := `{"endpoint":"https://fcm.googleapis.com/fcm/send/x","keys":{"p256dh":"` + validP256dh + `","auth":"AAAAAAAAAAAAAAAAAAAAAA"}}`
	for _, tc := range []struct {
		name, method, body string
		sign               bool
		want               int
	}{
		{"unsigned", http.MethodPost, good, false, http.StatusUnauthorized},
		{"unsigned delete", http.MethodDelete, "", false, http.StatusUnauthorized},
		{"not JSON", http.MethodPost, `{"endpoint":`, true, http.StatusBadRequest},
		{"unknown field", http.MethodPost, `{"endpoint":"https://fcm.googleapis.com/x","admin":true}`, true, http.StatusBadRequest},
		{"no keys", http.MethodPost, `{"endpoint":"https://fcm.googleapis.com/fcm/send/x"}`, true, http.StatusBadRequest},
		{"short auth", http.MethodPost, strings.Replace(good, "AAAAAAAAAAAAAAAAAAAAAA", "AAAA", 1), true, http.StatusBadRequest},
		{"too large", http.MethodPost, `{"endpoint":"https://fcm.googleapis.com/` + strings.Repeat("a", 70<<10) + `"}`, true, http.StatusRequestEntityTooLarge},
	} {
		if st, body := send(tc.method, tc.body, tc.sign); st != tc.want || !strings.Contains(body, `"error"`) {
			t.Errorf("%s: %d %s, want %d with an error", tc.name, st, body, tc.want)
		}
	}
	if got := g.adminNotifications(email); got[dev.DeviceID] {
		t.Fatal("bad input stored a subscription")
	}
	// The good one is taken (also in the shape a browser's toJSON()
	// gives, with expirationTime), and DELETE removes it.
	if st, body := send(http.MethodPost, good, true); st != http.StatusOK || !strings.Contains(body, `"notifications":true`) {
		t.Fatalf("good subscription: %d %s", st, body)
	}
	fromBrowser := strings.Replace(good, `"keys"`, `"expirationTime":null,"keys"`, 1)
	if st, body := send(http.MethodPost, fromBrowser, true); st != http.StatusOK || !strings.Contains(body, `"notifications":true`) {
		t.Fatalf("a browser's PushSubscription.toJSON(): %d %s", st, body)
	}
	if st, body := send(http.MethodDelete, "", true); st != http.StatusOK || !strings.Contains(body, `"notifications":false`) {
		t.Fatalf("delete: %d %s", st, body)
	}
	if got := g.adminNotifications(email); got[dev.DeviceID] {
		t.Fatal("DELETE kept the subscription")
	}
}
