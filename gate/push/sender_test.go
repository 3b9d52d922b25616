package push

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// loopbackLookup resolves every name to 127.0.0.1, as a hostile DNS
// answer for a public name might.
func loopbackLookup(context.Context, string) ([]netip.Addr, error) {
	return []netip.Addr{netip.MustParseAddr("127.0.0.1")}, nil
}

// testSender sends to services through a lookup that maps every name to
// loopback.
func testSender(t *testing.T, key *Key, services ...string) *Sender {
	t.Helper()
	allow, err := NewAllowList(services)
	if err != nil {
		t.Fatal(err)
	}
	s, err := NewSender(SenderConfig{Key: key, Contact: "mailto:ops@example.com", Allow: allow, Lookup: loopbackLookup})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func mustKey(t *testing.T) *Key {
	t.Helper()
	k, err := GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestSendEncryptsSignsAndSetsTheHeaders(t *testing.T) {
	key := mustKey(t)
	svc := newPushService(t, http.StatusCreated)
	port := svc.URL[strings.LastIndexByte(svc.URL, ':')+1:]
	origin := "http://push.example.com:" + port
	s := testSender(t, key, origin)
	b := newBrowser(t)
	msg := []byte(`{"hello":"phone"}`)
	before := time.Now()
	err := s.Send(t.Context(), b.subscription(origin+"/wpush/abc"), msg, Message{TTL: 90*time.Second + time.Millisecond, Urgency: "high", Topic: key.topic("a@example.com")})
	if err != nil {
		t.Fatalf("Send: %v", err)
	}
	got := svc.requests()
	if len(got) != 1 {
		t.Fatalf("%d requests, want 1", len(got))
	}
	h := got[0].header
	for name, want := range map[string]string{
		"Ttl": "91", "Urgency": "high", "Content-Encoding": "aes128gcm", "Topic": key.topic("a@example.com"),
	} {
		if h.Get(name) != want {
			t.Errorf("%s = %q, want %q", name, h.Get(name), want)
		}
	}
	if len(h.Get("Topic")) != 32 {
		t.Errorf("Topic %q is not 32 characters", h.Get("Topic"))
	}
	plain, err := b.decrypt(got[0].body)
	if err != nil || string(plain) != string(msg) {
		t.Fatalf("decrypted %q, %v; want %q", plain, err, msg)
	}
	// Authorization: vapid t=<jwt>, k=<public key>
	auth := h.Get("Authorization")
	tok, k, ok := strings.Cut(strings.TrimPrefix(auth, "vapid t="), ", k=")
	if !strings.HasPrefix(auth, "vapid t=") || !ok || k != key.PublicKey() {
		t.Fatalf("Authorization %q", auth)
	}
	pubBytes, _ := base64.RawURLEncoding.DecodeString(k)
	pub, err := parsePublicPoint(pubBytes)
	if err != nil {
		t.Fatal(err)
	}
	parsed, err := jwt.Parse(tok, func(*jwt.Token) (any, error) { return pub, nil },
		jwt.WithValidMethods([]string{"ES256"}), jwt.WithAudience(origin), jwt.WithExpirationRequired())
	if err != nil {
		t.Fatalf("VAPID JWT does not verify with the public key: %v", err)
	}
	claims := parsed.Claims.(jwt.MapClaims)
	exp, _ := claims.GetExpirationTime()
	if exp.Time.After(before.Add(12*time.Hour+time.Second)) || exp.Time.Before(before.Add(11*time.Hour)) {
		t.Errorf("exp %v is not 12 h from now", exp)
	}
	if claims["sub"] != "mailto:ops@example.com" {
		t.Errorf("sub = %v", claims["sub"])
	}
}

func TestSendClassifiesAnswers(t *testing.T) {
	key := mustKey(t)
	for _, tc := range []struct {
		status int
		check  func(error) bool
	}{
		{http.StatusNotFound, func(err error) bool { return errors.Is(err, ErrGone) }},
		{http.StatusGone, func(err error) bool { return errors.Is(err, ErrGone) }},
		{http.StatusTooManyRequests, func(err error) bool {
			var se *StatusError
			return errors.As(err, &se) && se.Status == 429
		}},
		{http.StatusInternalServerError, func(err error) bool {
			var se *StatusError
			return errors.As(err, &se) && se.Status == 500
		}},
	} {
		svc := newPushService(t, tc.status)
		s := testSender(t, key, svc.URL)
		err := s.Send(t.Context(), newBrowser(t).subscription(svc.URL+"/x"), []byte("m"), Message{TTL: time.Minute})
		if !tc.check(err) {
			t.Errorf("status %d: error %v", tc.status, err)
		}
	}
}

func TestSendDoesNotFollowRedirects(t *testing.T) {
	target := newPushService(t, http.StatusCreated)
	redirector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, target.URL+"/stolen", http.StatusTemporaryRedirect)
	}))
	defer redirector.Close()
	s := testSender(t, mustKey(t), redirector.URL, target.URL)
	err := s.Send(t.Context(), newBrowser(t).subscription(redirector.URL+"/x"), []byte("m"), Message{TTL: time.Minute})
	var se *StatusError
	if !errors.As(err, &se) || se.Status != http.StatusTemporaryRedirect {
		t.Fatalf("error %v, want the 307 itself", err)
	}
	if n := len(target.requests()); n != 0 {
		t.Fatalf("the redirect target got %d requests", n)
	}
}

// TestLoopbackBehindAListedNameIsNeverDialled resolves allowed names to
// loopback: a wildcard entry (like the defaults) must refuse the address
// at dial time, an operator's exact entry may reach it.
func TestLoopbackBehindAListedNameIsNeverDialled(t *testing.T) {
	svc := newPushService(t, http.StatusCreated)
	port := svc.URL[strings.LastIndexByte(svc.URL, ':')+1:]
	wild := testSender(t, mustKey(t), "http://*.example.com:"+port)
	err := wild.Send(t.Context(), newBrowser(t).subscription("http://push.example.com:"+port+"/x"), []byte("m"), Message{TTL: time.Minute})
	if !errors.Is(err, ErrNotAllowed) {
		t.Fatalf("wildcard entry resolving to loopback: error %v, want ErrNotAllowed", err)
	}
	if n := len(svc.requests()); n != 0 {
		t.Fatalf("loopback was dialled: %d requests", n)
	}
	exact := testSender(t, mustKey(t), "http://push.example.com:"+port)
	if err := exact.Send(t.Context(), newBrowser(t).subscription("http://push.example.com:"+port+"/x"), []byte("m"), Message{TTL: time.Minute}); err != nil {
		t.Fatalf("exact entry: %v", err)
	}
}

func TestDefaultServicesNeverReachPrivateAddresses(t *testing.T) {
	allow, err := NewAllowList(nil)
	if err != nil {
		t.Fatal(err)
	}
	d := &safeDialer{allow: allow, lookup: func(context.Context, string) ([]netip.Addr, error) {
		return []netip.Addr{netip.MustParseAddr("10.0.0.7"), netip.MustParseAddr("169.254.169.254"), netip.MustParseAddr("::1")}, nil
	}}
	_, err = d.DialContext(t.Context(), "tcp", "fcm.googleapis.com:443")
	if !errors.Is(err, ErrNotAllowed) {
		t.Fatalf("dial error %v, want ErrNotAllowed", err)
	}
}

// TestDefaultServicesListedExactlyNeverReachPrivateAddresses lists the
// public push services by name beside a self-hosted one, as an operator
// who adds one must: the public names must still never be dialled on a
// private or loopback address, only the self-hosted one may.
func TestDefaultServicesListedExactlyNeverReachPrivateAddresses(t *testing.T) {
	allow, err := NewAllowList(append(DefaultServices(), "web.push.apple.com", "https://ntfy.internal.example.com"))
	if err != nil {
		t.Fatal(err)
	}
	d := &safeDialer{allow: allow, lookup: func(context.Context, string) ([]netip.Addr, error) {
		return []netip.Addr{netip.MustParseAddr("10.0.0.7"), netip.MustParseAddr("::1")}, nil
	}}
	for _, host := range []string{"fcm.googleapis.com", "updates.push.services.mozilla.com", "web.push.apple.com"} {
		if _, err := d.DialContext(t.Context(), "tcp", host+":443"); !errors.Is(err, ErrNotAllowed) {
			t.Errorf("%s resolving to private addresses: dial error %v, want ErrNotAllowed", host, err)
		}
	}
	if !allow.allowsPrivate("ntfy.internal.example.com", "443") {
		t.Error("the self-hosted service may not reach its private address")
	}
}

func TestPayloadNamesAppSiteAndBrowserButNoNumber(t *testing.T) {
	p := LoginPayload("L1", "ops-centre", "app.example.com", "Firefox on Linux", time.UnixMilli(1_700_000_000_000))
	var m map[string]any
	if err := json.Unmarshal(p.Encode(), &m); err != nil {
		t.Fatal(err)
	}
	if m["title"] != "Sign in to ops-centre on app.example.com?" || !strings.HasPrefix(m["body"].(string), "From Firefox on Linux.") {
		t.Fatalf("payload %v", m)
	}
	for _, k := range []string{"code", "number", "choices"} {
		if _, ok := m[k]; ok {
			t.Fatalf("payload has %q", k)
		}
	}
}

func TestSendErrorsNameTheHostButNotTheEndpointPath(t *testing.T) {
	svc := newPushService(t, http.StatusCreated)
	url := svc.URL
	svc.Close() // nothing listens any more
	s := testSender(t, mustKey(t), url)
	err := s.Send(t.Context(), newBrowser(t).subscription(url+"/wpush/secret-path"), []byte("m"), Message{TTL: time.Minute})
	if err == nil || strings.Contains(err.Error(), "secret-path") || !strings.Contains(err.Error(), strings.TrimPrefix(url, "http://")) {
		t.Fatalf("error %v", err)
	}
}
