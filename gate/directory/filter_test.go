package directory

import (
	"slices"
	"strings"
	"testing"

	"github.com/go-ldap/ldap/v3"
)

func TestFillFilterEscapesEveryMetacharacter(t *testing.T) {
	for _, c := range []struct{ email, want string }{
		{"alice@example.com", `(mail=alice@example.com)`},
		{"o'brien@example.com", `(mail=o'brien@example.com)`}, // no metacharacter in RFC 4515
		{"*", `(mail=\2a)`},
		{"*)(mail=*", `(mail=\2a\29\28mail=\2a)`},
		{"a(b", `(mail=a\28b)`},
		{"a)b", `(mail=a\29b)`},
		{`a\b`, `(mail=a\5cb)`},
		{"a\x00b", `(mail=a\00b)`},
		{"*)(|(objectClass=*", `(mail=\2a\29\28|\28objectClass=\2a)`},
		{"é@example.com", `(mail=\c3\a9@example.com)`},
	} {
		got := fillFilter(DefaultUserFilter, EmailPlaceholder, c.email)
		if got != c.want {
			t.Errorf("filter for %q = %s, want %s", c.email, got, c.want)
		}
		if strings.ContainsAny(strings.TrimSuffix(strings.TrimPrefix(got, "(mail="), ")"), "*()\x00") {
			t.Errorf("filter for %q leaves a metacharacter unescaped: %s", c.email, got)
		}
		if _, err := ldap.CompileFilter(got); err != nil {
			t.Errorf("filter for %q does not compile: %v", c.email, err)
		}
	}
}

func TestFillFilterEscapesAllPlaceholdersOfATemplate(t *testing.T) {
	got := fillFilter("(&(objectClass=person)(|(mail={email})(mailAlias={email})))", EmailPlaceholder, "x*")
	want := `(&(objectClass=person)(|(mail=x\2a)(mailAlias=x\2a)))`
	if got != want {
		t.Fatalf("got %s, want %s", got, want)
	}
	dn := fillFilter(DefaultGroupFilter, DNPlaceholder, `cn=a\,b (x),ou=groups`)
	if dn != `(member=cn=a\5c,b \28x\29,ou=groups)` {
		t.Fatalf("group filter %s", dn)
	}
}

func TestCheckFilter(t *testing.T) {
	for _, c := range []struct {
		filter string
		ok     bool
	}{
		{"(mail={email})", true},
		{"(&(objectClass=inetOrgPerson)(mail={email}))", true},
		{"(mail=alice@example.com)", false}, // no placeholder
		{"mail={email}", false},             // not a filter
		{"(mail={email}", false},
		{"(mail={email}))", false},
	} {
		err := checkFilter("user_filter", c.filter, EmailPlaceholder)
		if (err == nil) != c.ok {
			t.Errorf("checkFilter(%q) = %v, want ok=%v", c.filter, err, c.ok)
		}
	}
}

func TestMapperMapsAnyCaseAndDropsTheUnmapped(t *testing.T) {
	m, err := newMapper(map[string][]string{
		"Devs":     {"devs", "staff"},
		"platform": {"staff"},
	}, []string{"ADMINS"})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		cns  []string
		want []string
	}{
		{[]string{"devs"}, []string{"devs", "staff"}},
		{[]string{"DEVS", "Platform"}, []string{"devs", "staff"}},
		{[]string{"admins", "marketing"}, []string{AdminGroup}},
		{[]string{"marketing"}, nil},
		{nil, nil},
	} {
		if got := m.of(c.cns); !slices.Equal(got, c.want) {
			t.Errorf("groups of %v = %v, want %v", c.cns, got, c.want)
		}
	}
}

func TestMapperRefusesBadNames(t *testing.T) {
	for _, c := range []struct {
		m     map[string][]string
		admin []string
	}{
		{map[string][]string{"devs": {"two words"}}, nil},
		{map[string][]string{"devs": {"a,b"}}, nil},
		{map[string][]string{"devs": nil}, nil},
		{map[string][]string{" ": {"devs"}}, nil},
		{nil, []string{""}},
	} {
		if _, err := newMapper(c.m, c.admin); err == nil {
			t.Errorf("newMapper(%v, %v) accepted", c.m, c.admin)
		}
	}
}

func TestConfigCheck(t *testing.T) {
	good := func() Config {
		return Config{
			URL: "ldaps://ldap.example.com", BindDN: "cn=authgate,dc=example,dc=com", BindPassword: "pw",
			UserBase: "ou=people,dc=example,dc=com", GroupBase: "ou=groups,dc=example,dc=com",
			GroupMap: map[string][]string{"devs": {"devs"}}, AdminGroups: []string{"admins"},
		}
	}
	c := good()
	if err := c.Check(); err != nil {
		t.Fatalf("good config: %v", err)
	}
	if c.UserFilter != DefaultUserFilter || c.GroupFilter != DefaultGroupFilter || c.Timeout != DefaultTimeout || c.PoolSize != DefaultPoolSize {
		t.Fatalf("defaults not filled in: %+v", c)
	}
	for name, change := range map[string]func(*Config){
		"http url":              func(c *Config) { c.URL = "http://ldap.example.com" },
		"no host":               func(c *Config) { c.URL = "ldaps://" },
		"base in url":           func(c *Config) { c.URL = "ldap://h/dc=example,dc=com" },
		"starttls on ldaps":     func(c *Config) { c.StartTLS = true },
		"dn without password":   func(c *Config) { c.BindPassword = "" },
		"password without dn":   func(c *Config) { c.BindDN = "" },
		"bad bind dn":           func(c *Config) { c.BindDN = "not a dn" },
		"no user base":          func(c *Config) { c.UserBase = "" },
		"bad group base":        func(c *Config) { c.GroupBase = "===" },
		"filter without email":  func(c *Config) { c.UserFilter = "(mail=x)" },
		"group filter broken":   func(c *Config) { c.GroupFilter = "(member={dn}" },
		"map without base":      func(c *Config) { c.GroupBase = "" },
		"bad map target":        func(c *Config) { c.GroupMap = map[string][]string{"devs": {"a b"}} },
		"negative timeout":      func(c *Config) { c.Timeout = -1 },
		"negative pool size":    func(c *Config) { c.PoolSize = -1 },
		"user info in the url":  func(c *Config) { c.URL = "ldap://u:p@h" },
		"query string in url":   func(c *Config) { c.URL = "ldap://h?x" },
		"empty admin group cn ": func(c *Config) { c.AdminGroups = []string{" "} },
	} {
		c := good()
		change(&c)
		if err := c.Check(); err == nil {
			t.Errorf("%s: accepted %+v", name, c)
		}
	}
}
