package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-ldap/ldap/v3"

	"github.com/authgate/authgate/internal/testenv"
)

// TestDirectoryGroupsReachTheSiteAndRefreshAtLogin: alice is in devs in
// the directory and reaches a site that allows group devs; bob's
// directory groups merge with a group line. Taking alice out of devs
// leaves her running session as it was (the token holds its groups; the
// directory is not asked per request) and shows at her next login.
func TestDirectoryGroupsReachTheSiteAndRefreshAtLogin(t *testing.T) {
	forEachStore(t, func(t *testing.T, storeOpt string) {
		s := testenv.StartSlapd(t, testenv.SlapdOptions{LDIF: testenv.CompanyLDIF})
		up := newUpstream(t)
		g := startDirectoryGate(t, storeOpt, s.URL, "", up)

		alice := newBrowser(t, g.base)
		aliceDev := g.enroll("alice@example.com")
		alice.login(aliceDev, "alice@example.com")
		if status, groups := groupsUpstream(alice, up); status != http.StatusOK || groups != "devs" {
			t.Fatalf("alice on the devs site: %d Remote-Groups %q, want 200 devs", status, groups)
		}

		bob := newBrowser(t, g.base)
		bob.login(g.enroll("bob@example.com"), "bob@example.com")
		if status, groups := groupsUpstream(bob, up); status != http.StatusOK || groups != "admin,devs,ops" {
			t.Fatalf("bob: %d Remote-Groups %q, want admin,devs,ops (directory ops and admins, devs from a group line)", status, groups)
		}

		modifyDirectory(t, s,
			&ldap.ModifyRequest{DN: "cn=devs," + testenv.LDAPGroups, Changes: []ldap.Change{{
				Operation: ldap.DeleteAttribute, Modification: ldap.PartialAttribute{Type: "member", Vals: []string{"uid=alice," + testenv.LDAPPeople}},
			}}},
			&ldap.ModifyRequest{DN: "cn=ops," + testenv.LDAPGroups, Changes: []ldap.Change{{
				Operation: ldap.AddAttribute, Modification: ldap.PartialAttribute{Type: "member", Vals: []string{"uid=alice," + testenv.LDAPPeople}},
			}}})
		if status, groups := groupsUpstream(alice, up); status != http.StatusOK || groups != "devs" {
			t.Fatalf("alice's running session after the directory change: %d %q, want 200 devs until she logs in again", status, groups)
		}
		alice.login(aliceDev, "alice@example.com")
		if status, _, _ := alice.do(http.MethodGet, "/private", http.Header{"Accept": {"application/json"}}, nil); status != http.StatusForbidden {
			t.Fatalf("alice out of devs, after her next login: %d, want 403", status)
		}
		var v struct{ Groups []string }
		if st := alice.getJSON("/.authgate/auth/verify?token="+alice.sessionCookie(), &v); st != http.StatusOK || !slices.Equal(v.Groups, []string{"ops"}) {
			t.Fatalf("alice's new token: %d groups %v, want [ops]", st, v.Groups)
		}
	})
}

// TestDirectoryAbsentUserGetsTheUnknownEmailAnswer: dave has a phone
// enrolled but is not in the directory. His login start is answered as a
// never-seen email's is, his phone gets no push and cannot approve, and
// filter metacharacters in an email match no one: a wildcard address
// finds no entry, and an address with parentheses is refused as before.
func TestDirectoryAbsentUserGetsTheUnknownEmailAnswer(t *testing.T) {
	s := testenv.StartSlapd(t, testenv.SlapdOptions{LDIF: testenv.CompanyLDIF})
	up := newUpstream(t)
	g := startDirectoryGate(t, storeLine(""), s.URL, "", up)
	daveDev := g.enroll("dave@example.com")
	aliceDev := g.enroll("alice@example.com")

	unknown, _ := answerOf(t, g.base, "nobody@example.com")
	known, _ := answerOf(t, g.base, "carol@example.com") // in the directory, no phone
	want := startAnswer{status: 200, fields: []string{"code", "expires_in", "session_id"}, code: true, expiresIn: 120, binding: true, form: 303, formTo: "/.authgate/wait/…"}
	for name, a := range map[string]startAnswer{"unknown email": unknown, "directory user without a phone": known} {
		if !equalAnswers(a, want) {
			t.Fatalf("%s: %+v, want %+v", name, a, want)
		}
	}
	dave, daveID := answerOf(t, g.base, "dave@example.com")
	if !equalAnswers(dave, unknown) {
		t.Fatalf("dave (enrolled, not in the directory): %+v; unknown email: %+v", dave, unknown)
	}
	noPush(t, daveDev, time.Second, "dave")
	if _, err := daveDev.Decide(context.Background(), daveID, "approve", 42); err == nil {
		t.Fatal("dave's phone decided a login it was never shown")
	}

	// Someone enrols a phone for an address that is a wildcard filter. An
	// unescaped search would find alice's entry, push to this phone, and
	// its approval would carry alice's groups; escaped, it finds no one.
	for _, email := range []string{"ali*@example.com", "alice@example.co*", "*@example.com"} {
		dev := g.enroll(email)
		a, _ := answerOf(t, g.base, email)
		if !equalAnswers(a, unknown) {
			t.Fatalf("%q: %+v, want the unknown email's answer %+v", email, a, unknown)
		}
		noPush(t, dev, time.Second, email)
	}
	noPush(t, aliceDev, 100*time.Millisecond, "wildcard emails")
	for _, email := range []string{"*)(mail=*", "alice@example.com)(mail=*", `*)(|(mail=*`} {
		b := newBrowser(t, g.base)
		body, _ := json.Marshal(map[string]string{"email": email})
		if status, _, data := b.do(http.MethodPost, "/.authgate/auth/start", http.Header{"Content-Type": {"application/json"}}, body); status != http.StatusBadRequest {
			t.Fatalf("%q: %d %s, want 400 (not an email address)", email, status, data)
		}
	}
	noPush(t, aliceDev, 300*time.Millisecond, "filter injection")
	if _, hits := up.lastHeaders(); hits != 0 {
		t.Fatalf("the upstream was reached %d times", hits)
	}
}

// TestDirectoryOutageFailsNewLoginsClosed stops slapd: new logins get the
// 503 page (JSON for the API) with Retry-After and no push; a logged-in
// user keeps access, since the hot path never asks the directory. When
// slapd is back, logins work again.
func TestDirectoryOutageFailsNewLoginsClosed(t *testing.T) {
	s := testenv.StartSlapd(t, testenv.SlapdOptions{LDIF: testenv.CompanyLDIF})
	up := newUpstream(t)
	g := startDirectoryGate(t, storeLine(""), s.URL, "", up)
	aliceDev := g.enroll("alice@example.com")
	alice := newBrowser(t, g.base)
	alice.login(aliceDev, "alice@example.com")

	s.Stop()
	b := newBrowser(t, g.base)
	status, h, body := b.do(http.MethodPost, "/.authgate/auth/start", http.Header{"Content-Type": {"application/json"}}, []byte(`{"email":"alice@example.com"}`))
	if status != http.StatusServiceUnavailable || h.Get("Retry-After") == "" || !strings.Contains(string(body), "directory") {
		t.Fatalf("start with slapd down: %d Retry-After=%q %s", status, h.Get("Retry-After"), body)
	}
	status, _, page := b.do(http.MethodPost, "/.authgate/login", http.Header{"Content-Type": {"application/x-www-form-urlencoded"}, "Accept": {"text/html"}}, []byte("email=alice%40example.com&rd=%2Fprivate"))
	if status != http.StatusServiceUnavailable || !strings.Contains(string(page), "<html") || !strings.Contains(string(page), "Temporarily unavailable") {
		t.Fatalf("login form with slapd down: %d %.300s", status, page)
	}
	noPush(t, aliceDev, 500*time.Millisecond, "slapd down")
	// The operator's status says logins cannot work, and why.
	out, errOut, code := g.runCLI("status")
	if code == 0 || !strings.Contains(out, "directory") || !strings.Contains(out, "UNREACHABLE") {
		t.Errorf("caddy authgate status with slapd down (exit %d):\n%s%s", code, out, errOut)
	}
	// The gate stays healthy: a load balancer must not take away the
	// instances that still serve everyone signed in.
	if st := b.getJSON("/.authgate/healthz", nil); st != http.StatusOK {
		t.Fatalf("health with slapd down: %d, want 200", st)
	}
	for i := 0; i < 5; i++ {
		if status, groups := groupsUpstream(alice, up); status != http.StatusOK || groups != "devs" {
			t.Fatalf("logged-in alice with slapd down: %d %q", status, groups)
		}
		time.Sleep(100 * time.Millisecond)
	}

	s.Restart(t)
	if out, _, code := g.runCLI("status"); code != 0 || !strings.Contains(out, "directory") {
		t.Errorf("caddy authgate status once slapd is back (exit %d):\n%s", code, out)
	}
	again := newBrowser(t, g.base)
	again.login(aliceDev, "alice@example.com")
	if status, groups := groupsUpstream(again, up); status != http.StatusOK || groups != "devs" {
		t.Fatalf("login after slapd came back: %d %q", status, groups)
	}
	resp, err := http.Get(g.caddy.Admin + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	metrics := string(readAll(resp))
	for _, want := range []string{`authgate_directory_lookups_total{result="failed"} 2`, `authgate_directory_lookups_total{result="found"} 2`} {
		if !strings.Contains(metrics, want) {
			t.Errorf("metrics lack %q", want)
		}
	}
	if log := g.caddy.Log(); strings.Contains(log, testenv.LDAPServicePassword) || strings.Contains(log, "panic") {
		t.Fatal("the log holds the bind password or a panic")
	}
}

// TestDirectoryOverTLS reads the directory over LDAPS and over StartTLS,
// trusting the test CA through ca_file.
func TestDirectoryOverTLS(t *testing.T) {
	s := testenv.StartSlapd(t, testenv.SlapdOptions{LDIF: testenv.CompanyLDIF, TLS: true})
	for name, c := range map[string]struct{ url, extra string }{
		"ldaps":    {s.LDAPSURL, "ca_file " + s.CAFile},
		"starttls": {s.URL, "starttls\n\t\t\tca_file " + s.CAFile},
	} {
		t.Run(name, func(t *testing.T) {
			up := newUpstream(t)
			g := startDirectoryGate(t, storeLine(""), c.url, c.extra, up)
			b := newBrowser(t, g.base)
			b.login(g.enroll("alice@example.com"), "alice@example.com")
			if status, groups := groupsUpstream(b, up); status != http.StatusOK || groups != "devs" {
				t.Fatalf("%s: %d %q", name, status, groups)
			}
		})
	}
}

// TestDirectoryConfigMistakesAreRefusedByValidate runs caddy validate on
// directory blocks with mistakes: each is named, and a good block
// validates without the directory answering (nothing listens there).
func TestDirectoryConfigMistakesAreRefusedByValidate(t *testing.T) {
	block := func(lines string) string {
		return "{\n\tadmin off\n\tauthgate {\n\t\tdirectory ldap {\n\t\t\turl ldap://127.0.0.1:1\n\t\t\tuser_base ou=people,dc=example,dc=com\n" +
			lines + "\t\t}\n\t}\n}\n"
	}
	for _, tc := range []struct {
		name, lines string
		want        []string
	}{
		{"a user filter without {email}", "\t\t\tuser_filter (mail=alice@example.com)\n", []string{"Caddyfile:", "user_filter", "{email}"}},
		{"an unset bind password", "\t\t\tbind_dn cn=authgate,dc=example,dc=com\n\t\t\tbind_password {env.AG_E2E_UNSET_VARIABLE}\n", []string{"Caddyfile:8", "bind_password", "AG_E2E_UNSET_VARIABLE"}},
		{"a group_map target with a comma", "\t\t\tgroup_base ou=groups,dc=example,dc=com\n\t\t\tgroup_map devs a,b\n", []string{"Caddyfile:", "not a group name"}},
		{"a misspelt option", "\t\t\tgroup_mapp devs devs\n", []string{"Caddyfile:7", "unrecognized directory option 'group_mapp'"}},
		{"an unreadable ca_file", "\t\t\tca_file /nonexistent/ldap-ca.pem\n", []string{"ca_file", "/nonexistent/ldap-ca.pem"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, ok := caddyCommand(t, block(tc.lines), nil, "validate")
			if ok {
				t.Fatalf("caddy validate accepted it:\n%s", out)
			}
			for _, w := range tc.want {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
		})
	}
	t.Run("a good block needs no directory to answer", func(t *testing.T) {
		if out, ok := caddyCommand(t, block("\t\t\tgroup_base ou=groups,dc=example,dc=com\n\t\t\tgroup_map devs devs\n"), nil, "validate"); !ok {
			t.Fatalf("caddy validate refused it:\n%s", out)
		}
	})
}

// TestDirectoryGroupsThroughTheFormAndWaitPage logs in without script:
// the form starts the login, the wait page collects it, and the cookie it
// sets carries the directory's groups too.
func TestDirectoryGroupsThroughTheFormAndWaitPage(t *testing.T) {
	s := testenv.StartSlapd(t, testenv.SlapdOptions{LDIF: testenv.CompanyLDIF})
	up := newUpstream(t)
	g := startDirectoryGate(t, storeLine(""), s.URL, "", up)
	dev := g.enroll("alice@example.com")
	b := newBrowser(t, g.base)
	status, h, _ := b.do(http.MethodPost, "/.authgate/login", http.Header{"Content-Type": {"application/x-www-form-urlencoded"}, "Accept": {"text/html"}}, []byte("email=alice%40example.com&rd=%2Fprivate"))
	wait := h.Get("Location")
	if status != http.StatusSeeOther || !strings.HasPrefix(wait, "/.authgate/wait/") {
		t.Fatalf("login form: %d Location %q", status, wait)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	p, err := dev.WaitPending(ctx, 20*time.Millisecond)
	if err != nil || "/.authgate/wait/"+p.SessionID != wait {
		t.Fatalf("push: %+v %v", p, err)
	}
	var code int
	status, _, page := b.do(http.MethodGet, wait, http.Header{"Accept": {"text/html"}}, nil)
	for _, c := range p.Choices {
		if status == http.StatusOK && strings.Contains(string(page), fmt.Sprintf(">%d<", c)) {
			code = c
		}
	}
	if code == 0 {
		t.Fatalf("the wait page shows none of %v: %d %.300s", p.Choices, status, page)
	}
	if st, err := dev.Decide(ctx, p.SessionID, "approve", code); err != nil || st != "approved" {
		t.Fatalf("approve: %q %v", st, err)
	}
	status, h, _ = b.do(http.MethodGet, wait, http.Header{"Accept": {"text/html"}}, nil)
	if status != http.StatusSeeOther || h.Get("Location") != "/private" {
		t.Fatalf("wait page after approval: %d Location %q", status, h.Get("Location"))
	}
	if status, groups := groupsUpstream(b, up); status != http.StatusOK || groups != "devs" {
		t.Fatalf("after a login without script: %d %q", status, groups)
	}
}

// TestDirectoryGroupsTravelWithTheLoginAcrossInstances starts a login on
// instance A and collects it on instance B of the same Redis, with slapd
// stopped in between: the groups A looked up travel on the login, and B
// mints them without asking the directory.
func TestDirectoryGroupsTravelWithTheLoginAcrossInstances(t *testing.T) {
	s := testenv.StartSlapd(t, testenv.SlapdOptions{LDIF: testenv.CompanyLDIF})
	r := testenv.StartRedis(t)
	up := newUpstream(t)
	a := startDirectoryGate(t, storeLine(r.URL(0)), s.URL, "", up)
	other := startDirectoryGate(t, storeLine(r.URL(0)), s.URL, "", up)
	dev := a.enroll("alice@example.com")
	onA := newBrowser(t, a.base)
	started := onA.start("alice@example.com")
	s.Stop()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if st, err := dev.Decide(ctx, started.SessionID, "approve", started.Code); err != nil || st != "approved" {
		t.Fatalf("approve: %q %v", st, err)
	}
	onB := onA.at(other.base)
	if st, rd, _ := onB.check(started.SessionID); st != "approved" || rd == "" {
		t.Fatalf("collect on B: %q %q", st, rd)
	}
	if status, groups := groupsUpstream(onB, up); status != http.StatusOK || groups != "devs" {
		t.Fatalf("on B with the login's groups: %d %q", status, groups)
	}
}
