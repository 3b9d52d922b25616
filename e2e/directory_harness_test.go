package e2e

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-ldap/ldap/v3"

	"github.com/authgate/authgate/gate/device/deviceclient"
	"github.com/authgate/authgate/internal/testenv"
)

// startDirectoryGate runs a Caddy whose authgate reads the test company's
// directory at url (with the extra directory lines), in front of a site
// that allows only group devs. The bind password comes from the
// environment, through the replacer.
func startDirectoryGate(t *testing.T, storeOpt, url, dirExtra string, up *upstream) *gate {
	t.Helper()
	t.Setenv("AUTHGATE_E2E_LDAP_PASSWORD", testenv.LDAPServicePassword)
	port := testenv.FreePort(t)
	admin := fmt.Sprintf("127.0.0.1:%d", testenv.FreePort(t))
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	caddyfile := fmt.Sprintf(`{
	admin %s
	auto_https off
	authgate {
		%s
		signing_key %s
		public_url %s
		group devs bob@example.com
		directory ldap {
			url %s
			bind_dn %s
			bind_password {env.AUTHGATE_E2E_LDAP_PASSWORD}
			user_base %s
			user_filter (mail={email})
			group_base %s
			group_filter (member={dn})
			group_map devs devs
			group_map ops ops
			admin_groups admins
			timeout 2s
			%s
		}
	}
}

%s {
	authgate {
		app_id e2e
		allow group devs
	}
	reverse_proxy %s
}
`, admin, storeOpt, testSigningKey, base, url, testenv.LDAPServiceDN, testenv.LDAPPeople, testenv.LDAPGroups,
		dirExtra, base, strings.TrimPrefix(up.URL, "http://"))
	c := testenv.StartCaddy(t, caddyBin, caddyfile, admin, base+"/.authgate/healthz")
	return &gate{t: t, base: base, caddy: c}
}

// modifyDirectory changes entries as the directory's administrator would.
func modifyDirectory(t *testing.T, s *testenv.Slapd, reqs ...*ldap.ModifyRequest) {
	t.Helper()
	conn, err := ldap.DialURL(s.URL)
	if err != nil {
		t.Fatalf("connecting to slapd: %v", err)
	}
	defer conn.Close()
	if err := conn.Bind(s.RootDN, s.RootPassword); err != nil {
		t.Fatalf("binding as the directory's root: %v", err)
	}
	for _, r := range reqs {
		if err := conn.Modify(r); err != nil {
			t.Fatalf("modifying %s: %v", r.DN, err)
		}
	}
}

// groupsUpstream fetches the protected page and returns its status and
// the Remote-Groups header the upstream saw.
func groupsUpstream(b *browser, up *upstream) (int, string) {
	b.t.Helper()
	status, _, _ := b.do(http.MethodGet, "/private", http.Header{"Accept": {"application/json"}}, nil)
	h, _ := up.lastHeaders()
	if status != http.StatusOK || h == nil {
		return status, ""
	}
	return status, h.Get("Remote-Groups")
}

// startAnswer is everything a browser learns from starting a login: the
// JSON API's status, body fields and cookies, and the form's redirect.
type startAnswer struct {
	status    int
	fields    []string
	code      bool
	expiresIn int
	binding   bool
	form      int
	formTo    string
}

func answerOf(t *testing.T, base, email string) (startAnswer, string) {
	t.Helper()
	b := newBrowser(t, base)
	body, _ := json.Marshal(map[string]string{"email": email, "app_id": "e2e", "rd": "/private"})
	status, h, data := b.do(http.MethodPost, "/.authgate/auth/start", http.Header{"Content-Type": {"application/json"}}, body)
	var m map[string]any
	_ = json.Unmarshal(data, &m)
	a := startAnswer{status: status, binding: strings.Contains(strings.Join(h.Values("Set-Cookie"), ";"), "authgate_bind=")}
	for k := range m {
		a.fields = append(a.fields, k)
	}
	slices.Sort(a.fields)
	if c, ok := m["code"].(float64); ok {
		a.code = c >= 10 && c <= 99
	}
	if e, ok := m["expires_in"].(float64); ok {
		a.expiresIn = int(e)
	}
	id, _ := m["session_id"].(string)
	// The same browser again (another would wait for this pending login).
	form := "email=" + strings.ReplaceAll(email, "@", "%40") + "&rd=%2Fprivate"
	a.form, h, _ = b.do(http.MethodPost, "/.authgate/login", http.Header{"Content-Type": {"application/x-www-form-urlencoded"}, "Accept": {"text/html"}}, []byte(form))
	if loc := h.Get("Location"); strings.HasPrefix(loc, "/.authgate/wait/") {
		a.formTo = "/.authgate/wait/…"
	} else {
		a.formTo = loc
	}
	return a, id
}

// noPush fails the test if dev is shown any login within d.
func noPush(t *testing.T, dev *deviceclient.Client, d time.Duration, who string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	p, err := dev.WaitPending(ctx, 50*time.Millisecond)
	if err == nil {
		t.Fatalf("%s: a push reached the device: %+v", who, p)
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("%s: waiting for no push: %v", who, err)
	}
}

func equalAnswers(a, b startAnswer) bool {
	same := a.status == b.status && slices.Equal(a.fields, b.fields) && a.code == b.code &&
		a.binding == b.binding && a.form == b.form && a.formTo == b.formTo
	d := a.expiresIn - b.expiresIn
	return same && d >= -1 && d <= 1
}
