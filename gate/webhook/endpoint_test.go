package webhook

import (
	"strings"
	"testing"
	"time"

	"github.com/authgate/authgate/gate/event"
)

func TestEndpointValidate(t *testing.T) {
	good := Endpoint{URL: "https://app.example.com/hook", Secret: GenerateSecret()}
	cases := []struct {
		name    string
		edit    func(*Endpoint)
		wantErr string
	}{
		{"minimal", func(*Endpoint) {}, ""},
		{"http loopback", func(e *Endpoint) { e.URL = "http://127.0.0.1:8080/x" }, ""},
		{"plain secret", func(e *Endpoint) { e.Secret = "not-standard" }, ""},
		{"events", func(e *Endpoint) { e.Events = []string{"login", "access", "*"} }, ""},
		{"authgear header", func(e *Endpoint) { e.SignatureHeader = "X-Authgear-Body-Signature" }, ""},
		{"relative url", func(e *Endpoint) { e.URL = "/hook" }, "scheme"},
		{"ftp url", func(e *Endpoint) { e.URL = "ftp://x/y" }, "scheme"},
		{"no host", func(e *Endpoint) { e.URL = "https:///x" }, "no host"},
		{"credentials", func(e *Endpoint) { e.URL = "https://u:p@x/y" }, "credentials"},
		{"bad url", func(e *Endpoint) { e.URL = "http://[::1" }, "url"},
		{"empty secret", func(e *Endpoint) { e.Secret = "" }, "secret: empty"},
		{"bad whsec", func(e *Endpoint) { e.Secret = "whsec_!!!" }, "secret"},
		{"bad previous", func(e *Endpoint) { e.PreviousSecret = "whsec_%%" }, "previous_secret"},
		{"unknown event", func(e *Endpoint) { e.Events = []string{"login", "logon"} }, `unknown event "logon"`},
		{"negative timeout", func(e *Endpoint) { e.Timeout = -time.Second }, "timeout"},
		{"bad header", func(e *Endpoint) { e.SignatureHeader = "X Sig" }, "signature_header"},
		{"reserved header", func(e *Endpoint) { e.SignatureHeader = "webhook-signature" }, "signature_header"},
		{"sample rate", func(e *Endpoint) { e.AccessSampleRate = 1.5 }, "access_sample_rate"},
		{"credentials and a token", func(e *Endpoint) { e.URL = "https://svc:PASSWORD@x/y?token=TOKEN" }, "credentials"},
		{"ftp with a token", func(e *Endpoint) { e.URL = "ftp://x/y?token=TOKEN" }, "scheme"},
		{"bad escape with a password", func(e *Endpoint) { e.URL = "https://svc:PASSWORD@x/%zz?token=TOKEN" }, "invalid URL escape"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ep := good
			c.edit(&ep)
			err := ep.Validate()
			switch {
			case c.wantErr == "" && err != nil:
				t.Fatalf("unexpected error %v", err)
			case c.wantErr != "" && (err == nil || !strings.Contains(err.Error(), c.wantErr)):
				t.Fatalf("error %v, want one mentioning %q", err, c.wantErr)
			}
			if err != nil && ep.Secret != "" && strings.Contains(err.Error(), ep.Secret) {
				t.Fatalf("error reveals the secret: %v", err)
			}
			if err != nil && (strings.Contains(err.Error(), "PASSWORD") || strings.Contains(err.Error(), "TOKEN")) {
				t.Fatalf("error reveals what the URL carries: %v", err)
			}
		})
	}
}

func TestEndpointWants(t *testing.T) {
	cases := []struct {
		name   string
		events []string
		rate   float64
		typ    string
		want   bool
	}{
		{"empty means all", nil, 0, event.Login, true},
		{"star", []string{"*"}, 0, event.Logout, true},
		{"listed", []string{event.Login}, 0, event.Login, true},
		{"not listed", []string{event.Login}, 0, event.Logout, false},
		{"access on under star", []string{"*"}, 0, event.Access, true},
		{"access sampled under star", []string{"*"}, 1e-300, event.Access, false},
		{"access off by default", nil, 0, event.Access, false},
		{"access listed", []string{event.Access}, 0, event.Access, true},
		{"access full rate", []string{event.Access}, 1, event.Access, true},
		{"ping always", []string{event.Login}, 0, event.Ping, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ep := Endpoint{Events: c.events, AccessSampleRate: c.rate}
			if got := ep.Wants(c.typ); got != c.want {
				t.Errorf("Wants(%q) = %v, want %v", c.typ, got, c.want)
			}
		})
	}
}

func TestAccessSamplingDeliversAFraction(t *testing.T) {
	ep := Endpoint{Events: []string{event.Access}, AccessSampleRate: 0.25}
	n := 0
	for range 4000 {
		if ep.Wants(event.Access) {
			n++
		}
	}
	// 1000 expected; the bounds are many standard deviations (27) wide.
	if n < 700 || n > 1300 {
		t.Fatalf("sampled %d of 4000 at rate 0.25", n)
	}
}

func TestEndpointIDIsDerivedFromURL(t *testing.T) {
	a := Endpoint{URL: "https://a.example/x"}.withDefaults()
	b := Endpoint{URL: "https://a.example/x"}.withDefaults()
	c := Endpoint{URL: "https://b.example/x"}.withDefaults()
	if a.ID == "" || a.ID != b.ID || a.ID == c.ID || a.Timeout != DefaultTimeout {
		t.Fatalf("ids %q %q %q, timeout %s", a.ID, b.ID, c.ID, a.Timeout)
	}
}
