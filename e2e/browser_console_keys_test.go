package e2e

import (
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// longKeyName is a key name of the longest kind the gate keeps (64
// runes), in one word.
const longKeyName = "deploy-from-the-continuous-integration-pipeline-of-the-main-repo"

// adminUsers is GET /authgate/users as the test reads it.
type adminUsers struct {
	Users []struct {
		Email   string `json:"email"`
		State   string `json:"state"`
		Note    string `json:"note"`
		APIKeys []struct {
			ID string `json:"id"`
		} `json:"api_keys"`
	} `json:"users"`
}

// TestConsoleOffboardingRevokesAUsersAPIKeys is the offboarding path in
// Chromium: alice has two API keys; the admin removes her phone, finds
// her still listed (console and admin API) as having no phone but keys,
// revokes one key on her page, and the key then gets 401 while the other
// still works; the trail names the admin. Each new page state passes axe
// and keeps inside the page at phone and laptop size. With either store.
func TestConsoleOffboardingRevokesAUsersAPIKeys(t *testing.T) {
	forEachStore(t, func(t *testing.T, storeOpt string) {
		hook := newFlakyReceiver(t)
		g := browserGate(t, storeOpt, consoleOptions(hook.URL))
		shots := newShooter(t)
		chrome := startChromium(t)

		alicePhone := g.enroll("alice@example.com")
		alice := newBrowser(t, g.base)
		alice.login(alicePhone, "alice@example.com")
		forever := alice.createKeyHTTP(longKeyName, "")
		monthly := alice.createKeyHTTP("cron", "30d")
		foreverID, monthlyID := forever[3:19], monthly[3:19]
		cli := script(t)
		for _, k := range []string{forever, monthly} {
			if status, body := cli.withKey(g.base+"/private", k); status != http.StatusOK {
				t.Fatalf("a key before the offboarding: %d %s", status, body)
			}
		}

		bossPhone := g.enroll("boss@example.com")
		laptop := newTab(t, chrome, "boss laptop", laptopScreen, shots)
		laptop.signInToConsole(g.base, bossPhone, "boss@example.com")

		// Alice's page lists both keys; her phone goes first.
		laptop.do(chromedp.Navigate(g.base + "/.authgate/admin/users?email=alice%40example.com"))
		laptop.waitFor("alice's page", `document.readyState === "complete" && !!document.querySelector("#keys [data-key]")`)
		if ids := eval[string](laptop, `[...document.querySelectorAll("#keys [data-key]")].map(e => e.dataset.key).sort().join(",")`); ids != strings.Join(sortedPair(foreverID, monthlyID), ",") {
			t.Fatalf("alice's page lists the keys %q, want %s and %s", ids, foreverID, monthlyID)
		}
		if s := laptop.text(`#keys [data-key="` + foreverID + `"]`); !strings.Contains(s, longKeyName) || !strings.Contains(s, "never expires") || !strings.Contains(s, "last used") {
			t.Fatalf("the key that never expires is shown as %q", s)
		}
		laptop.clickAndLoad(`#devices [data-device] button`)
		laptop.waitPath("/.authgate/admin/users?done=device&email=alice%40example.com")

		// Without a phone, alice is still listed, with why.
		laptop.do(chromedp.Navigate(g.base + "/.authgate/admin/"))
		laptop.waitFor("the user list", `document.readyState === "complete" && !!document.querySelector("#users [data-user]")`)
		if note := laptop.text(`#users [data-user="alice@example.com"][data-no-phone] .bad`); note != "no phone, 2 API keys, 1 session" {
			t.Fatalf("the console lists alice as %q", note)
		}
		laptop.checkLayout("user list", phoneScreen, "")
		laptop.checkLayout("user list", laptopScreen, "")
		laptop.checkAccessibilityBothSchemes("user list")
		laptop.shoot("console-keys-users")
		resp, err := http.Get(g.caddy.Admin + "/authgate/users")
		if err != nil {
			t.Fatal(err)
		}
		var au adminUsers
		err = json.NewDecoder(resp.Body).Decode(&au)
		resp.Body.Close()
		listed := false
		for _, u := range au.Users {
			if u.Email == "alice@example.com" {
				listed = u.Note == "no phone, 2 API keys, 1 session" && len(u.APIKeys) == 2
			}
		}
		if err != nil || !listed {
			t.Fatalf("GET /authgate/users: %+v %v, want alice with no phone and 2 API keys", au, err)
		}

		out, _, code := g.runCLI("users")
		if line := aliceLine(out); code != 0 || !regexp.MustCompile(`^alice@example\.com\s+signed in\s+none\s+1\s+2\s`).MatchString(line) {
			t.Fatalf("caddy authgate users (exit %d) lists alice as %q:\n%s", code, line, out)
		}

		laptop.clickAndLoad(`#users [data-user="alice@example.com"] a`)
		laptop.waitPath("/.authgate/admin/users?email=alice%40example.com")
		laptop.checkLayout("user's keys", phoneScreen, "")
		laptop.checkLayout("user's keys", laptopScreen, "")
		laptop.checkAccessibilityBothSchemes("user's keys")
		eval[bool](laptop, `(document.getElementById("keys-title").scrollIntoView(), true)`)
		laptop.shoot("console-keys-user")

		laptop.clickAndLoad(`#keys [data-key="` + foreverID + `"] button`)
		laptop.waitPath("/.authgate/admin/users?done=key&email=alice%40example.com")
		if n := eval[int](laptop, `document.querySelectorAll("#keys [data-key]").length`); n != 1 {
			t.Fatalf("after the revocation alice's page lists %d keys, want 1", n)
		}
		if s := laptop.text(".notice"); !strings.Contains(s, "API key was revoked") {
			t.Fatalf("the notice after the revocation: %q", s)
		}
		laptop.checkAccessibilityBothSchemes("user's keys after a revocation")
		laptop.shoot("console-keys-revoked")
		eval[bool](laptop, `(document.getElementById("keys-title").scrollIntoView(), true)`)
		laptop.shoot("console-keys-revoked-list")
		if status, body := cli.withKey(g.base+"/private", forever); status != http.StatusUnauthorized {
			t.Fatalf("the revoked key: %d %s, want 401", status, body)
		}
		if status, body := cli.withKey(g.base+"/private", monthly); status != http.StatusOK {
			t.Fatalf("the other key after the revocation: %d %s", status, body)
		}

		laptop.do(chromedp.Navigate(g.base + "/.authgate/admin/audit?email=alice%40example.com"))
		laptop.waitFor("the audit trail", `document.readyState === "complete" && !!document.querySelector('#audit tr[data-type="api_key_revoked"]')`)
		for _, typ := range []string{"api_key_revoked", "admin.api_key_revoke"} {
			if actor := eval[string](laptop, `(document.querySelector('#audit tr[data-type="`+typ+`"]') || {dataset: {}}).dataset.actor || ""`); actor != "boss@example.com" {
				t.Errorf("the audit trail's %s names %q as the actor", typ, actor)
			}
		}
	})
}

// aliceLine is alice's line of a table.
func aliceLine(table string) string {
	for l := range strings.Lines(table) {
		if strings.HasPrefix(l, "alice@example.com") {
			return strings.TrimRight(l, "\n")
		}
	}
	return ""
}

func sortedPair(a, b string) []string {
	if a > b {
		a, b = b, a
	}
	return []string{a, b}
}
