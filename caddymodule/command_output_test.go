package caddymodule

import (
	"errors"
	"strings"
	"testing"
)

func TestAdminErrorsAreExplainedInWords(t *testing.T) {
	tests := map[string]struct {
		err    string
		want   string
		status int
	}{
		"json body": {"caddy responded with error: HTTP 404: {\"error\":\"no such device dev_x\"}\n", "no such device dev_x", 404},
		"text body": {"caddy responded with error: HTTP 500: boom\n", "boom", 500},
		"no routes": {"caddy responded with error: HTTP 404: {\"error\":\"unknown route: /authgate/users\"}", "no authgate admin routes", 404},
	}
	for name, tc := range tests {
		err := explainAdminError("localhost:2019", errors.New(tc.err))
		if !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "caddy responded") || !isAdminStatus(err, tc.status) {
			t.Errorf("%s: %q (status %v)", name, err, isAdminStatus(err, tc.status))
		}
	}
	err := explainAdminError("localhost:1", errors.New("performing request: dial tcp 127.0.0.1:1: connect: connection refused"))
	if !strings.Contains(err.Error(), "cannot reach Caddy's admin endpoint localhost:1") {
		t.Errorf("refused: %q", err)
	}
}

func TestEnrollChecks(t *testing.T) {
	if base, w := checkBase("gate.example.com"); base != "https://gate.example.com" || len(w) != 1 {
		t.Errorf("bare base: %q %v", base, w)
	}
	if base, w := checkBase("https://gate.example.com"); base != "https://gate.example.com" || w != nil {
		t.Errorf("full base: %q %v", base, w)
	}
	for link, warn := range map[string]bool{
		"http://gate.example.com/.authgate/app#enroll=x":  true,
		"http://localhost:8080/.authgate/app#enroll=x":    false,
		"http://127.0.0.1:8080/.authgate/app#enroll=x":    false,
		"https://gate.example.com/.authgate/app#enroll=x": false,
	} {
		if got := len(linkWarnings(link)) > 0; got != warn {
			t.Errorf("%s: warned %v", link, got)
		}
	}
	hosts := []string{"app.example.com", "*.corp.example.com"}
	for link, warn := range map[string]bool{
		"https://app.example.com/x":      false,
		"https://a.corp.example.com/x":   false,
		"https://a.b.corp.example.com/x": true,
		"https://other.example.com/x":    true,
		"https://APP.example.com:8443/x": false,
	} {
		if got := len(hostWarnings(link, hosts)) > 0; got != warn {
			t.Errorf("%s: warned %v", link, got)
		}
	}
	if w := hostWarnings("https://anything.example/x", nil); w != nil {
		t.Errorf("a config that names no host serves every host: %v", w)
	}
}

func TestCellShowsControlCharactersAsText(t *testing.T) {
	tests := map[string]string{
		"Pixel 8 ☎":          "Pixel 8 ☎",
		"/c\x1b[2Jd":         `/c\x1b[2Jd`,
		"a\x1b]0;owned\x07b": `a\x1b]0;owned\ab`,
		"row\n2099\tlogin":   `row\n2099\tlogin`,
		"rtl\u202eevil":      `rtl\u202eevil`,
		"bad\xffbyte":        `bad\ufffdbyte`,
	}
	for in, want := range tests {
		if got := cell(in); got != want {
			t.Errorf("cell(%q) = %q, want %q", in, got, want)
		}
	}
}

// An operator reads `caddy authgate status`, not the admin API's JSON:
// another instance on the store running with other settings must show
// there too, with what differs.
func TestStatusNamesSettingsOtherInstancesDiffer(t *testing.T) {
	st := statusResponse{
		Healthy: true, Store: storeStatus{Type: "redis", Reachable: true},
		Revocations: revocationStatus{Fresh: true}, Pushes: "enabled",
		SettingsDiffer: []string{"signing key", "login settings (login_timeout, session_lifetime)"},
	}
	var out strings.Builder
	if err := printStatus(&out, st); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "instances") || !strings.Contains(out.String(), "signing key") ||
		!strings.Contains(out.String(), "login settings (login_timeout, session_lifetime)") {
		t.Errorf("status does not say what other instances run differently:\n%s", out.String())
	}
	st.SettingsDiffer = nil
	out.Reset()
	if err := printStatus(&out, st); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(out.String(), "instances") {
		t.Errorf("status names a difference when there is none:\n%s", out.String())
	}
}
