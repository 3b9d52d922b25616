package e2e

import (
	"bytes"
	"net/http"
	"net/url"
	"regexp"
	"testing"
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
	resp, err := http.Get(g.caddy.Admin + "/config/")
	if err != nil {
		t.Fatal(err)
	}
	cfg := readAll(resp)
	req, _ := http.NewRequest(http.MethodPost, g.caddy.Admin+"/load", bytes.NewReader(cfg))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Cache-Control", "must-revalidate")
	resp, err = http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("reload: %v %v", resp, err)
	}
	resp.Body.Close()
	if status, body := cli.withKey(g.base+"/private", key); status != http.StatusOK {
		t.Fatalf("the key after the reload: %d %s", status, body)
	}
	req, _ = http.NewRequest(http.MethodDelete, g.caddy.Admin+"/authgate/keys/"+key[3:19], nil)
	resp, err = http.DefaultClient.Do(req)
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
