package e2e

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"testing"
	"time"

	"github.com/go-ldap/ldap/v3"
	"github.com/redis/go-redis/v9"

	"github.com/authgate/authgate/internal/testenv"
)

// newKeyValue finds the key the account page shows once.
var newKeyValue = regexp.MustCompile(`id="new-key-value">(ag_[A-Za-z0-9_-]{59})<`)

// createKeyHTTP creates a key through the account page's form, as the
// page would post it, and returns the key the answer shows.
func (b *browser) createKeyHTTP(name, expires string) string {
	b.t.Helper()
	_, _, home := b.do(http.MethodGet, "/.authgate/", nil, nil)
	m := csrfField.FindSubmatch(home)
	if m == nil {
		b.t.Fatalf("no CSRF token on the signed-in page")
	}
	form := url.Values{"csrf": {string(m[1])}, "name": {name}, "expires": {expires}}.Encode()
	status, _, page := b.do(http.MethodPost, "/.authgate/keys",
		http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}, []byte(form))
	k := newKeyValue.FindSubmatch(page)
	if status != http.StatusOK || k == nil {
		b.t.Fatalf("creating a key: %d", status)
	}
	return string(k[1])
}

// TestAPIKeysOutliveAReload: with the memory store, a key made before a
// config reload works after it, and a revocation after the reload holds.
func TestAPIKeysOutliveAReload(t *testing.T) {
	g := startGate(t, storeLine(""), newUpstream(t), "")
	dev := g.enroll("nia@example.com")
	b := newBrowser(t, g.base)
	b.login(dev, "nia@example.com")
	key := b.createKeyHTTP("cron", "7d")
	cli := script(t)
	if status, body := cli.withKey(g.base+"/private", key); status != http.StatusOK {
		t.Fatalf("the key before the reload: %d %s", status, body)
	}
	g.reload()
	if status, body := cli.withKey(g.base+"/private", key); status != http.StatusOK {
		t.Fatalf("the key after the reload: %d %s", status, body)
	}
	req, _ := http.NewRequest(http.MethodDelete, g.caddy.Admin+"/authgate/keys/"+key[3:19], nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("revoking through the admin API: %v %v", resp, err)
	}
	resp.Body.Close()
	if status, _ := cli.withKey(g.base+"/private", key); status != http.StatusUnauthorized {
		t.Fatalf("the revoked key: %d", status)
	}
	req, _ = http.NewRequest(http.MethodDelete, g.caddy.Admin+"/authgate/keys/"+key[3:19], nil)
	if resp, err = http.DefaultClient.Do(req); err != nil || resp.StatusCode != http.StatusNotFound {
		t.Fatalf("revoking it again: %v %v", resp, err)
	}
	resp.Body.Close()
}

// TestAPIKeysTakeTheOwnersDirectoryGroups: with an LDAP directory, a key
// passes with the groups the directory gives its owner, read when the key
// is first used; a key first used after the owner left a group, or left
// the directory, does not pass; while slapd is down a key in use keeps
// working and a new one gets 503.
func TestAPIKeysTakeTheOwnersDirectoryGroups(t *testing.T) {
	s := testenv.StartSlapd(t, testenv.SlapdOptions{LDIF: testenv.CompanyLDIF})
	up := newUpstream(t)
	g := startDirectoryGate(t, storeLine(""), s.URL, "", up)
	b := newBrowser(t, g.base)
	b.login(g.enroll("alice@example.com"), "alice@example.com")
	first := b.createKeyHTTP("ci", "7d")
	cli := script(t)
	if status, _ := cli.withKey(g.base+"/private", first); status != http.StatusOK {
		t.Fatalf("alice's key on the devs site: %d", status)
	}
	if h, _ := up.lastHeaders(); h.Get("Remote-Groups") != "devs" || h.Get("X-Authgate-Key") != first[3:19] {
		t.Fatalf("upstream headers for alice's key: %v", h)
	}

	alice := "uid=alice," + testenv.LDAPPeople
	modifyDirectory(t, s, &ldap.ModifyRequest{DN: "cn=devs," + testenv.LDAPGroups, Changes: []ldap.Change{{
		Operation: ldap.DeleteAttribute, Modification: ldap.PartialAttribute{Type: "member", Vals: []string{alice}},
	}}})
	second := b.createKeyHTTP("after leaving devs", "7d")
	if status, _ := cli.withKey(g.base+"/private", second); status != http.StatusForbidden {
		t.Fatalf("a key first used after alice left devs: %d, want 403", status)
	}

	modifyDirectory(t, s, &ldap.ModifyRequest{DN: alice, Changes: []ldap.Change{{
		Operation: ldap.ReplaceAttribute, Modification: ldap.PartialAttribute{Type: "mail", Vals: []string{"former@example.com"}},
	}}})
	third := b.createKeyHTTP("after leaving the company", "7d")
	if status, _ := cli.withKey(g.base+"/private", third); status != http.StatusUnauthorized {
		t.Fatalf("a key of a user gone from the directory: %d, want 401", status)
	}

	s.Stop()
	if status, _ := cli.withKey(g.base+"/private", first); status != http.StatusOK {
		t.Fatalf("a key in use with slapd down: %d, want 200", status)
	}
	fourth := b.createKeyHTTP("while the directory is down", "7d")
	if status, _ := cli.withKey(g.base+"/private", fourth); status != http.StatusServiceUnavailable {
		t.Fatalf("a new key with slapd down: %d, want 503", status)
	}
}

// TestAPIKeyRevocationThatCannotBePublishedCanBeRetried: when the store
// keeps the key's record writable but refuses the shared revocation (a
// Redis that refuses some writes part way), the operator's revoke fails
// with nothing changed: the key is still listed and still works. Once the
// store takes writes again, the same revoke succeeds, another instance
// refuses the key within a second, and the trail records the revocation.
func TestAPIKeyRevocationThatCannotBePublishedCanBeRetried(t *testing.T) {
	r := testenv.StartRedis(t)
	up := newUpstream(t)
	a := startKeyGate(t, storeLine(r.URL(0)), up)
	b := startKeyGate(t, storeLine(r.URL(0)), up)
	browser := newBrowser(t, a.base)
	browser.login(a.enroll("alice@example.com"), "alice@example.com")
	key := browser.createKeyHTTP("ci", "7d")
	id := key[3:19]
	cli := script(t)
	if status, _ := cli.withKey(b.base+"/private", key); status != http.StatusOK {
		t.Fatalf("the key on instance B: %d", status)
	}

	rc := redis.NewClient(&redis.Options{Addr: r.Addr})
	defer rc.Close()
	ctx := context.Background()
	// Reads everywhere; writes only to key records and user indexes, so
	// the record can be deleted but the revocation cannot be recorded.
	if err := rc.Do(ctx, "ACL", "SETUSER", "default", "resetkeys", "%R~*", "%W~authgate:apikey:*", "%W~authgate:{u:*").Err(); err != nil {
		if testenv.InCI() {
			t.Fatalf("CI's Redis must have read/write key selectors (Redis 7): %v", err)
		}
		t.Skipf("this Redis has no read/write key selectors: %v", err)
	}
	status := a.adminDo(http.MethodDelete, "/authgate/keys/"+id, nil)
	if err := rc.Do(ctx, "ACL", "SETUSER", "default", "resetkeys", "~*").Err(); err != nil {
		t.Fatal(err)
	}
	if status != http.StatusServiceUnavailable {
		t.Fatalf("revoking while the revocation cannot be recorded: %d, want 503", status)
	}
	var listed struct{ Keys []struct{ ID string } }
	if st := a.adminDo(http.MethodGet, "/authgate/keys?email=alice@example.com", &listed); st != http.StatusOK || len(listed.Keys) != 1 || listed.Keys[0].ID != id {
		t.Fatalf("after the failed revoke the key is not listed as it was: %d %+v", st, listed)
	}
	for _, site := range []string{a.base, b.base} {
		if status, _ := cli.withKey(site+"/private", key); status != http.StatusOK {
			t.Fatalf("%s: the key after a revoke that changed nothing: %d, want 200", site, status)
		}
	}

	if status := a.adminDo(http.MethodDelete, "/authgate/keys/"+id, nil); status != http.StatusOK {
		t.Fatalf("revoking again once the store takes writes: %d, want 200", status)
	}
	for start := time.Now(); ; time.Sleep(10 * time.Millisecond) {
		if status, _ := cli.withKey(b.base+"/private", key); status == http.StatusUnauthorized {
			break
		}
		if time.Since(start) > time.Second {
			t.Fatal("instance B still accepts the key a second after the retried revoke")
		}
	}
	for start := time.Now(); !slices.Contains(a.auditList("type=api_key_revoked"), auditLine{"api_key_revoked", "admin", "alice@example.com"}); time.Sleep(50 * time.Millisecond) {
		if time.Since(start) > 5*time.Second {
			t.Fatalf("the trail never records the revocation: %v", a.auditList("email=alice@example.com"))
		}
	}
}
