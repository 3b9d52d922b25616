package e2e

import (
	"fmt"
	"net/http"
	"net/url"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/authgate/authgate/internal/testenv"
)

// keyGate is a Caddy with two sites in front of one upstream: base
// accepts cookies and keys, apiOnly (its own port) accepts only keys. It
// logs at debug level, so the test can look for keys in everything the
// gateway might say.
type keyGate struct {
	*gate
	apiOnly string
	admin   string
}

func startKeyGate(t *testing.T, storeOpt string, up *upstream, extra ...string) *keyGate {
	t.Helper()
	port, apiPort := testenv.FreePort(t), testenv.FreePort(t)
	admin := fmt.Sprintf("127.0.0.1:%d", testenv.FreePort(t))
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	apiOnly := fmt.Sprintf("http://127.0.0.1:%d", apiPort)
	upAddr := strings.TrimPrefix(up.URL, "http://")
	caddyfile := fmt.Sprintf(`{
	debug
	admin %s
	auto_https off
	authgate {
		%s
		signing_key %s
		public_url %s
		revocation_max_staleness 3s
		group ops alice@example.com
		%s
	}
}

%s {
	authgate {
		app_id e2e
		allow domain example.com
	}
	reverse_proxy %s
}

%s {
	authgate {
		app_id e2e-api
		allow group ops
		api_keys only
	}
	reverse_proxy %s
}
`, admin, storeOpt, testSigningKey, base, strings.Join(extra, "\n\t\t"), base, upAddr, apiOnly, upAddr)
	c := testenv.StartCaddy(t, caddyBin, caddyfile, admin, base+"/.authgate/healthz")
	return &keyGate{gate: &gate{t: t, base: base, caddy: c}, apiOnly: apiOnly, admin: admin}
}

// script is a client with no cookies, like curl in a CI job.
func script(t *testing.T) *browser { return newBrowser(t, "") }

// withKey sends GET url with the key in the Authorization header.
func (b *browser) withKey(rawURL, key string) (int, []byte) {
	b.t.Helper()
	status, _, body := b.do(http.MethodGet, rawURL, http.Header{"Authorization": {"Bearer " + key}, "Accept": {"application/json"}}, nil)
	return status, body
}

// createKey fills the account page's form and returns the key it shows
// once. expires is one of the form's choices, or a duration the test
// puts in as a choice of its own.
func createKey(laptop *tab, name, expires string) string {
	laptop.t.Helper()
	laptop.do(chromedp.WaitVisible(chromedp.ID("key-name")))
	if expires != "" {
		eval[bool](laptop, `(() => { const s = document.getElementById("key-expires");
			if (![...s.options].some(o => o.value === "`+expires+`")) s.add(new Option("test", "`+expires+`"));
			s.value = "`+expires+`"; return true })()`)
	} else {
		laptop.do(chromedp.SetValue(chromedp.ID("key-expires"), ""))
	}
	eval[bool](laptop, `window.beforeCreate = true`)
	laptop.do(
		chromedp.SendKeys(chromedp.ID("key-name"), name),
		chromedp.Click(chromedp.ID("create-key")),
	)
	laptop.waitFor("the new key", `!window.beforeCreate && document.readyState === "complete" && !!document.getElementById("new-key-value")`)
	if got := laptop.text("#new-key strong"); !strings.Contains(got, name) {
		laptop.t.Fatalf("the page shows the new key as %q, want %q", got, name)
	}
	return laptop.text("#new-key-value")
}

// TestBrowserAPIKeys: a user signed in with a phone creates keys on the
// account page in Chromium; a script uses one to reach the app as that
// user; revoking it on one instance refuses it on another within a
// second; an expired key is refused; a key in a cookie or a query string
// is refused; no key ever appears in Caddy's log.
func TestBrowserAPIKeys(t *testing.T) {
	forEachStore(t, func(t *testing.T, storeOpt string) {
		shared := strings.HasPrefix(storeOpt, "store redis")
		shots := newShooter(t)
		up := newUpstream(t)
		a := startKeyGate(t, storeOpt, up)
		b := a // with the memory store there is one instance
		if shared {
			b = startKeyGate(t, storeOpt, up)
		}
		chrome := startChromium(t)
		laptop := newTab(t, chrome, "laptop", laptopScreen, shots)
		phone := newTab(t, chrome, "phone", phoneScreen, nil)
		enrolPhone(phone, a.enrollmentLink("alice@example.com").Link)
		loginWithPhone(laptop, phone, a.base, "alice@example.com")

		laptop.do(chromedp.Navigate(a.base + "/.authgate/"))
		laptop.waitPath("/.authgate/")
		key := createKey(laptop, "deploy from CI", "")
		laptop.do(chromedp.Click(chromedp.ID("copy-key")))
		laptop.waitFor("the copy button's answer", `/Copied|Selected/.test(document.getElementById("copy-status").textContent)`)
		laptop.shoot("account-key-created")
		if !strings.HasPrefix(key, "ag_") || len(key) != 62 {
			t.Fatalf("the page shows %q as the new key", key)
		}
		second := createKey(laptop, "nightly report", "30d")
		var keys []string
		laptop.do(chromedp.Navigate(a.base + "/.authgate/"))
		laptop.waitPath("/.authgate/")
		if n := eval[int](laptop, `document.querySelectorAll("#keys .item[data-key]").length`); n != 2 {
			t.Fatalf("the account page lists %d keys, want 2", n)
		}
		if page := laptop.text("main"); strings.Contains(page, key) || strings.Contains(page, second) || !strings.Contains(page, "never used") {
			t.Fatalf("the reloaded account page shows a key, or no 'never used': %q", page)
		}
		keys = append(keys, key, second)

		// A script with the key reaches the app as alice, on both sites.
		cli := script(t)
		for _, site := range []string{a.base, a.apiOnly, b.base} {
			status, body := cli.withKey(site+"/private?x=1", key)
			if status != http.StatusOK || string(body) != "hello alice@example.com" {
				t.Fatalf("%s with the key: %d %s", site, status, body)
			}
			got, _ := up.lastHeaders()
			id := got.Get("X-Authgate-Key")
			if got.Get("Remote-User") != "alice@example.com" || got.Get("Remote-Groups") != "ops" || id == "" ||
				!strings.HasPrefix(key, "ag_"+id) || got.Get("Authorization") != "" || got.Get("X-Authgate-Session") != "" {
				t.Fatalf("%s: upstream headers %v", site, got)
			}
		}
		// The API-only site refuses the browser's cookie; the other takes it.
		laptop.do(chromedp.Navigate(a.apiOnly + "/private"))
		if body := laptop.text("body"); !strings.Contains(body, "API key is required") {
			t.Fatalf("the API-only site shows the browser %q", body)
		}
		// Last used shows on the page once recorded.
		for deadline := time.Now().Add(5 * time.Second); ; {
			laptop.do(chromedp.Navigate(a.base + "/.authgate/"))
			laptop.waitPath("/.authgate/")
			if strings.Contains(laptop.text("#keys"), "last used") {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("the account page never shows the key's last use: %q", laptop.text("#keys"))
			}
			time.Sleep(100 * time.Millisecond)
		}
		eval[bool](laptop, `(document.getElementById("keys-title").scrollIntoView(), true)`)
		laptop.shoot("account-keys-listed")

		// A key in a cookie or the query string is refused.
		for _, path := range []string{"/private?api_key=" + url.QueryEscape(key), "/private?access_token=" + key} {
			if status, _, _ := cli.do(http.MethodGet, a.base+path, http.Header{"Accept": {"application/json"}}, nil); status != http.StatusUnauthorized {
				t.Errorf("key in the query string %s: %d, want 401", path[:20], status)
			}
		}
		for _, cookie := range []string{"authgate_session=" + key, "api_key=" + key} {
			status, _, _ := cli.do(http.MethodGet, a.base+"/private", http.Header{"Cookie": {cookie}, "Accept": {"application/json"}}, nil)
			if status != http.StatusUnauthorized {
				t.Errorf("key in cookie %s: %d, want 401", strings.SplitN(cookie, "=", 2)[0], status)
			}
		}
		// A key cannot make keys or see the account page.
		status, h, _ := cli.do(http.MethodGet, a.base+"/.authgate/", http.Header{"Authorization": {"Bearer " + key}}, nil)
		if status != http.StatusFound || !strings.HasPrefix(h.Get("Location"), "/.authgate/login") {
			t.Fatalf("the account page with a key: %d %s", status, h.Get("Location"))
		}
		status, _, _ = cli.do(http.MethodPost, a.base+"/.authgate/keys", http.Header{"Authorization": {"Bearer " + key},
			"Content-Type": {"application/x-www-form-urlencoded"}}, []byte("name=x&expires="))
		if status != http.StatusForbidden {
			t.Fatalf("creating a key with a key: %d", status)
		}

		// The operator sees the keys; the CLI lists them.
		out, err := exec.Command(caddyBin, "authgate", "keys", "list", "alice@example.com", "--address", a.admin).CombinedOutput()
		if err != nil || !strings.Contains(string(out), "deploy from CI") || !strings.Contains(string(out), "nightly report") || strings.Contains(string(out), "ag_") {
			t.Fatalf("caddy authgate keys list: %v\n%s", err, out)
		}

		// Revoke on A (the page's button); B refuses within a second.
		laptop.do(chromedp.Navigate(a.base + "/.authgate/"))
		laptop.waitPath("/.authgate/")
		laptop.do(chromedp.Click(chromedp.CSS(`#keys .item[data-key="` + strings.TrimPrefix(key, "ag_")[:16] + `"] button`)))
		start := time.Now()
		laptop.waitPath("/.authgate/?removed=key")
		for {
			status, _ := cli.withKey(b.base+"/private", key)
			if status == http.StatusUnauthorized {
				break
			}
			if time.Since(start) > time.Second {
				t.Fatalf("instance B still accepts the revoked key after %v (status %d)", time.Since(start), status)
			}
			time.Sleep(10 * time.Millisecond)
		}
		if shared {
			t.Logf("the revocation on instance A reached instance B in %v", time.Since(start))
		} else {
			t.Logf("the revocation took effect in %v (one instance: the memory store is not shared)", time.Since(start))
		}
		eval[bool](laptop, `(document.getElementById("keys-title").scrollIntoView(), true)`)
		laptop.shoot("account-key-revoked")
		if status, _ := cli.withKey(b.base+"/private", second); status != http.StatusOK {
			t.Fatalf("the other key after revoking one: %d", status)
		}

		// The operator revokes the second through the CLI.
		id := strings.TrimPrefix(second, "ag_")[:16]
		out, err = exec.Command(caddyBin, "authgate", "keys", "revoke", id, "--address", a.admin).CombinedOutput()
		if err != nil || !strings.Contains(string(out), "Revoked key "+id) {
			t.Fatalf("caddy authgate keys revoke: %v\n%s", err, out)
		}
		if status, _ := cli.withKey(a.base+"/private", second); status != http.StatusUnauthorized {
			t.Fatalf("the key revoked by the operator: %d", status)
		}

		// An expired key is refused, though it worked a moment before.
		laptop.do(chromedp.Navigate(a.base + "/.authgate/"))
		laptop.waitPath("/.authgate/")
		made := time.Now()
		short := createKey(laptop, "five seconds", "5s")
		shown := time.Now() // the server made the key before this
		keys = append(keys, short)
		if status, _ := cli.withKey(b.base+"/private", short); status != http.StatusOK {
			t.Fatalf("the short-lived key before expiry (%v after asking for it): %d", time.Since(made), status)
		}
		time.Sleep(time.Until(shown.Add(5*time.Second + 100*time.Millisecond)))
		for _, site := range []string{a.base, b.base} {
			if status, body := cli.withKey(site+"/private", short); status != http.StatusUnauthorized {
				t.Fatalf("%s: the expired key: %d %s", site, status, body)
			}
		}

		// No key, nor its secret part, in anything Caddy logged.
		for _, g := range []*keyGate{a, b} {
			log := g.caddy.Log()
			if !strings.Contains(log, "authgate") {
				t.Fatalf("caddy logged nothing of authgate; this check would prove nothing")
			}
			for _, k := range keys {
				if strings.Contains(log, k) || strings.Contains(log, k[19:]) {
					t.Fatalf("a key appears in caddy's log")
				}
			}
		}
	})
}

// TestBrowserCreatingAKeyAsksForAFreshSignIn: once the sign-in is older
// than api_key_fresh_login, the account page offers to sign in again
// instead of the form; signing in again brings the form back.
func TestBrowserCreatingAKeyAsksForAFreshSignIn(t *testing.T) {
	shots := newShooter(t)
	g := startKeyGate(t, storeLine(""), newUpstream(t), "api_key_fresh_login 3s")
	chrome := startChromium(t)
	laptop := newTab(t, chrome, "laptop", laptopScreen, shots)
	phone := newTab(t, chrome, "phone", phoneScreen, nil)
	enrolPhone(phone, g.enrollmentLink("alice@example.com").Link)
	loginWithPhone(laptop, phone, g.base, "alice@example.com")
	signedIn := time.Now()

	laptop.do(chromedp.Navigate(g.base + "/.authgate/"))
	laptop.waitPath("/.authgate/")
	laptop.do(chromedp.WaitVisible(chromedp.ID("key-form")))
	time.Sleep(time.Until(signedIn.Add(3*time.Second + 200*time.Millisecond)))
	// The open form is now stale: sending it is refused with a way on.
	laptop.do(chromedp.SendKeys(chromedp.ID("key-name"), "late"), chromedp.Click(chromedp.ID("create-key")))
	laptop.waitFor("the refusal", `document.readyState === "complete" && !!document.getElementById("key-error")`)
	if got := laptop.text("#key-error"); !strings.Contains(got, "recent sign-in") {
		t.Fatalf("a stale form's answer says %q", got)
	}
	if n := eval[int](laptop, `document.querySelectorAll("#new-key, #key-form").length`); n != 0 {
		t.Fatalf("a stale sign-in still shows a new key or the form (%d)", n)
	}
	eval[bool](laptop, `(document.getElementById("keys-title").scrollIntoView(), true)`)
	laptop.shoot("account-key-relogin")

	laptop.do(chromedp.Click(chromedp.CSS("#key-relogin a")))
	laptop.waitPath("/.authgate/login?rd=%2F.authgate%2F")
	laptop.typeEmail("alice@example.com")
	laptop.do(chromedp.Click(chromedp.CSS("#login-form button[type=submit]")))
	laptop.waitFor("the waiting page", `location.pathname.startsWith("/.authgate/wait/") && !!document.getElementById("code")`)
	code := laptop.text("#code")
	waitRequest(phone)
	tapNumber(phone, code)
	phone.do(chromedp.Click(chromedp.CSS(requestSel + " .approve")))
	laptop.waitPath("/.authgate/")
	if key := createKey(laptop, "after signing in again", "7d"); !strings.HasPrefix(key, "ag_") {
		t.Fatalf("after signing in again the page shows %q", key)
	}
}
