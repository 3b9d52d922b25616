package apps

import (
	"strings"
	"testing"
)

func TestNormalizeOrigin(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"https://App.Example.com", "https://app.example.com"},
		{"https://app.example.com:443/", "https://app.example.com"},
		{"http://localhost:8080", "http://localhost:8080"},
		{"http://[::1]:9000", "http://[::1]:9000"},
	} {
		got, err := NormalizeOrigin(c.in)
		if err != nil || got != c.want {
			t.Errorf("NormalizeOrigin(%q) = %q, %v; want %q", c.in, got, err, c.want)
		}
	}
	for _, bad := range []string{"*", "null", "app.example.com", "https://*.example.com", "https://app.example.com/path",
		"ftp://app.example.com", "https://u:p@app.example.com", "https://app.example.com?x=1", ""} {
		if got, err := NormalizeOrigin(bad); err == nil {
			t.Errorf("NormalizeOrigin(%q) = %q, want an error", bad, got)
		}
	}
}

func TestOriginsAreAllowedPerApp(t *testing.T) {
	r, err := New([]App{
		{ID: "a", Origins: []string{"https://a.example.com"}},
		{ID: "b", Origins: []string{"https://b.example.com"}},
	}, "")
	if err != nil {
		t.Fatal(err)
	}
	if !r.AllowsOrigin("a", "https://a.example.com") || r.AllowsOrigin("a", "https://b.example.com") ||
		r.AllowsOrigin("c", "https://a.example.com") || r.AllowsOrigin("a", "https://a.example.com.evil.test") {
		t.Fatal("origins not kept per app")
	}
	if !r.KnownOrigin("https://b.example.com") || r.KnownOrigin("https://c.example.com") {
		t.Fatal("KnownOrigin")
	}
}

func TestAuthorizeTakesTheAdminKeyOrTheAppsOwnSecret(t *testing.T) {
	admin := "admin-key-0123456789abcdef"
	r, err := New([]App{
		{ID: "a", Secret: "secret-of-app-a-0123456789"},
		{ID: "b", Secret: "secret-of-app-b-0123456789"},
		{ID: "c"},
	}, admin)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		bearer, app string
		want        bool
	}{
		{admin, "a", true}, {admin, "c", true}, {admin, "", true},
		{"secret-of-app-a-0123456789", "a", true},
		{"secret-of-app-a-0123456789", "b", false},
		{"secret-of-app-a-0123456789", "", false},
		{"", "c", false}, {"", "", false},
		{"wrong", "a", false},
	} {
		if got := r.Authorize(c.bearer, c.app); got != c.want {
			t.Errorf("Authorize(%q, %q) = %v, want %v", c.bearer, c.app, got, c.want)
		}
	}
}

func TestNewRefusesBadApps(t *testing.T) {
	for _, c := range []struct {
		apps  []App
		admin string
		want  string
	}{
		{[]App{{ID: ""}}, "", "id"},
		{[]App{{ID: "a"}, {ID: "a"}}, "", "twice"},
		{[]App{{ID: "a", Origins: []string{"*"}}}, "", "wildcard"},
		{[]App{{ID: "a", Secret: "short"}}, "", "secret"},
		{nil, "short", "admin_key"},
		{[]App{{ID: "a", Secret: "same-key-0123456789"}}, "same-key-0123456789", "admin key"},
		{[]App{{ID: "a", Secret: "same-key-0123456789"}, {ID: "b", Secret: "same-key-0123456789"}}, "", `app "b": secret is the same as app "a"'s`},
	} {
		_, err := New(c.apps, c.admin)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("New(%+v, %q) = %v, want an error about %s", c.apps, c.admin, err, c.want)
		}
	}
}
