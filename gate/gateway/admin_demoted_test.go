package gateway

import (
	"testing"

	"github.com/authgate/authgate/gate/token"
)

// TestAnAdministratorRemovedFromTheGroupLosesTheConsole: a token issued
// while its user was in the admin group opens the console only while the
// running config or the directory still puts the user there; a directory
// that cannot answer is an error, not a yes.
func TestAnAdministratorRemovedFromTheGroupLosesTheConsole(t *testing.T) {
	key, err := token.NewHS256Key("k1", []byte("0123456789abcdef0123456789abcdef"))
	if err != nil {
		t.Fatal(err)
	}
	dir := &fakeDirectory{users: map[string][]string{"dora@example.com": {"admin"}, "ed@example.com": {"devs"}}}
	g, err := New(Config{Groups: map[string][]string{"admin": {"boss@example.com"}}},
		Deps{Store: newMemoryStore(t), Keys: []token.Key{key}, Directory: dir})
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		email  string
		groups []string
		want   bool
	}{
		{"boss@example.com", []string{"admin"}, true},    // by the config's group line
		{"dora@example.com", []string{"admin"}, true},    // by the directory
		{"former@example.com", []string{"admin"}, false}, // in neither any more
		{"ed@example.com", []string{"admin"}, false},     // the directory moved him out
		{"boss@example.com", nil, false},                 // a token without the group
	}
	for _, c := range cases {
		got, err := g.isAdmin(t.Context(), &token.Verified{Email: c.email, Groups: c.groups})
		if err != nil || got != c.want {
			t.Errorf("isAdmin(%s, %v) = %v, %v; want %v", c.email, c.groups, got, err, c.want)
		}
	}
	dir.down = true
	if got, err := g.isAdmin(t.Context(), &token.Verified{Email: "dora@example.com", Groups: []string{"admin"}}); err == nil || got {
		t.Fatalf("with the directory down: %v, %v; want an error", got, err)
	}
	if got, err := g.isAdmin(t.Context(), &token.Verified{Email: "boss@example.com", Groups: []string{"admin"}}); err != nil || !got {
		t.Fatalf("a config admin with the directory down: %v, %v; want yes", got, err)
	}
}
