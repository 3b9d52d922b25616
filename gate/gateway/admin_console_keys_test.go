package gateway

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/authgate/authgate/gate/apikey"
	"github.com/authgate/authgate/gate/audit"
)

// TestConsoleListsAUsersAPIKeysAndRevokesOne: the user's page lists
// every API key of the user (name, id, created, last used, expiry) with a
// revoke button; revoking one from the console refuses the key at once,
// leaves the other, and puts api_key_revoked and admin.api_key_revoke on
// the trail with the admin as the actor.
func TestConsoleListsAUsersAPIKeysAndRevokesOne(t *testing.T) {
	cg := startConsoleGate(t, newMemoryStore(t), time.Minute)
	ctx := context.Background()
	cg.enroll(t, "alice@example.com")
	forever, err := cg.gw.apikeys.Create(ctx, "alice@example.com", "deploy <from> CI", time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	monthly, err := cg.gw.apikeys.Create(ctx, "alice@example.com", "cron", time.Now().Add(30*24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cg.gw.apikeys.Authenticate(ctx, forever.Key, "192.0.2.1", time.Now()); err != nil {
		t.Fatalf("the key before: %v", err)
	}
	bossPhone := cg.enroll(t, "boss@example.com")
	boss := cg.browser(t)
	raw := cg.loginWith(t, boss, bossPhone, "boss@example.com")

	status, body := boss.send(http.MethodGet, "/.authgate/admin/users?email=alice@example.com", nil, nil)
	if status != http.StatusOK {
		t.Fatalf("alice's page: %d", status)
	}
	for _, want := range []string{
		`id="keys"`, `data-key="` + forever.Record.ID + `"`, `data-key="` + monthly.Record.ID + `"`,
		"<code>" + forever.Record.ID + "</code>", "deploy &lt;from&gt; CI", "never expires",
		"expires " + monthly.Record.ExpiresAt.UTC().Format("2 Jan 2006"),
		`action="/.authgate/admin/users/keys/` + forever.Record.ID + `/revoke"`,
		`aria-label="Revoke API key deploy &lt;from&gt; CI"`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("alice's page lacks %s", want)
		}
	}
	if strings.Contains(body, forever.Key) || strings.Contains(body, "<from>") {
		t.Fatal("alice's page shows a key itself or an unescaped name")
	}

	form := url.Values{"csrf": {csrfToken(raw)}, "back": {"/.authgate/admin/users?email=alice%40example.com"}}
	req, _ := http.NewRequest(http.MethodPost, boss.base+"/.authgate/admin/users/keys/"+forever.Record.ID+"/revoke", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", boss.base)
	resp, err := boss.http.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusSeeOther || loc != "/.authgate/admin/users?done=key&email=alice%40example.com" {
		t.Fatalf("revoking from the console: %d %q", resp.StatusCode, loc)
	}
	if _, err := cg.gw.apikeys.Authenticate(ctx, forever.Key, "192.0.2.1", time.Now()); !errors.Is(err, apikey.ErrRevoked) && !errors.Is(err, apikey.ErrInvalid) {
		t.Fatalf("the revoked key: %v, want it refused", err)
	}
	if _, err := cg.gw.apikeys.Authenticate(ctx, monthly.Key, "192.0.2.1", time.Now()); err != nil {
		t.Fatalf("the other key after the revocation: %v", err)
	}
	_, body = boss.send(http.MethodGet, "/.authgate/admin/users?done=key&email=alice@example.com", nil, nil)
	if strings.Contains(body, `data-key="`+forever.Record.ID+`"`) || !strings.Contains(body, `data-key="`+monthly.Record.ID+`"`) ||
		!strings.Contains(body, "The API key was revoked.") {
		t.Fatalf("alice's page after the revocation:\n%s", body)
	}
	if status, body := boss.send(http.MethodPost, "/.authgate/admin/users/keys/"+forever.Record.ID+"/revoke", form,
		map[string]string{"Origin": boss.base}); status != http.StatusNotFound || !strings.Contains(body, "no such API key") {
		t.Fatalf("revoking it again: %d", status)
	}

	deadline := time.Now().Add(5 * time.Second)
	var revoked, action *audit.Entry
	for time.Now().Before(deadline) && (revoked == nil || action == nil) {
		p, _ := cg.trail.List(ctx, audit.Query{Email: "alice@example.com"})
		for i, e := range p.Entries {
			switch e.Type {
			case "api_key_revoked":
				revoked = &p.Entries[i]
			case "admin.api_key_revoke":
				action = &p.Entries[i]
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	if revoked == nil || revoked.Actor != "boss@example.com" || revoked.Data["key_id"] != forever.Record.ID {
		t.Fatalf("api_key_revoked on the trail: %+v, want it by boss@example.com", revoked)
	}
	if action == nil || action.Actor != "boss@example.com" || action.Email != "alice@example.com" || action.Data["key_id"] != forever.Record.ID {
		t.Fatalf("admin.api_key_revoke on the trail: %+v", action)
	}
}

// TestUsersWithoutAPhoneAreListedWhileAKeyLives: once a user's last phone
// is removed, the operator's list (admin API and console) still shows
// them while an API key of theirs works, saying why; once it is revoked
// they are gone from it.
func TestUsersWithoutAPhoneAreListedWhileAKeyLives(t *testing.T) {
	cg := startConsoleGate(t, newMemoryStore(t), time.Minute)
	ctx := context.Background()
	phone := cg.enroll(t, "alice@example.com")
	id := cg.apiKey(t, "alice@example.com")
	cg.apiKey(t, "alice@example.com")
	bossPhone := cg.enroll(t, "boss@example.com")
	boss := cg.browser(t)
	cg.loginWith(t, boss, bossPhone, "boss@example.com")
	if err := cg.gw.RevokeDevice(ctx, phone.DeviceID); err != nil {
		t.Fatal(err)
	}

	users, err := cg.gw.ListUsers(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var alice *UserSummary
	for i := range users {
		if users[i].Email == "alice@example.com" {
			alice = &users[i]
		}
	}
	if alice == nil || alice.State() != "no phone" || alice.Note() != "no phone, 2 API keys" || len(alice.APIKeys) != 2 {
		t.Fatalf("alice in the users list: %+v", alice)
	}
	status, body := boss.send(http.MethodGet, "/.authgate/admin/", nil, nil)
	if status != http.StatusOK || !strings.Contains(body, `data-user="alice@example.com" data-no-phone`) ||
		!strings.Contains(body, `<strong class="bad">no phone, 2 API keys</strong>`) ||
		!strings.Contains(body, `href="/.authgate/admin/users?email=alice%40example.com"`) {
		t.Fatalf("the console's user list: %d\n%s", status, body)
	}
	if !strings.Contains(body, `data-user="boss@example.com">`) || !strings.Contains(body, "signed in · 1 phone · 1 session · 0 API keys") {
		t.Fatalf("the console's user list does not show boss as he is:\n%s", body)
	}

	if _, err := cg.gw.RevokeAPIKey(ctx, id); err != nil {
		t.Fatal(err)
	}
	_, body = boss.send(http.MethodGet, "/.authgate/admin/", nil, nil)
	if !strings.Contains(body, "no phone, 1 API key<") {
		t.Fatalf("after one key is revoked the list does not say one is left:\n%s", body)
	}
	keys, _ := cg.gw.ListAPIKeys(ctx, "alice@example.com")
	if _, err := cg.gw.RevokeAPIKey(ctx, keys[0].ID); err != nil {
		t.Fatal(err)
	}
	users, _ = cg.gw.ListUsers(ctx)
	for _, u := range users {
		if u.Email == "alice@example.com" {
			t.Fatalf("alice is listed with nothing left: %+v", u)
		}
	}
}

// TestConsoleStartPageKeepsTheSearchWhenTheStoreFails: a store that
// cannot list users leaves the console's start page with its search and
// a word on why the list is missing, not an error page.
func TestConsoleStartPageKeepsTheSearchWhenTheStoreFails(t *testing.T) {
	st := newMemoryStore(t)
	cg := startConsoleGate(t, st, time.Minute)
	bossPhone := cg.enroll(t, "boss@example.com")
	boss := cg.browser(t)
	cg.loginWith(t, boss, bossPhone, "boss@example.com")
	st.Close()
	status, body := boss.send(http.MethodGet, "/.authgate/admin/", nil, nil)
	if status != http.StatusOK || !strings.Contains(body, `role="search"`) || !strings.Contains(body, "The list of users cannot be read right now") {
		t.Fatalf("the start page with the store down: %d\n%s", status, body)
	}
}
