package directory

import (
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/authgate/authgate/internal/testenv"
)

// companyConfig reads the test company's directory at url.
func companyConfig(url string) Config {
	return Config{
		URL: url, BindDN: testenv.LDAPServiceDN, BindPassword: testenv.LDAPServicePassword,
		UserBase: testenv.LDAPPeople, GroupBase: testenv.LDAPGroups,
		GroupMap:    map[string][]string{"devs": {"devs"}, "platform": {"platform"}, "ops": {"ops"}},
		AdminGroups: []string{"admins"},
		Timeout:     3 * time.Second,
	}
}

func newLDAP(t *testing.T, cfg Config) *LDAP {
	t.Helper()
	d, err := NewLDAP(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

func lookup(t *testing.T, d *LDAP, email string) (User, bool) {
	t.Helper()
	u, found, err := d.Lookup(context.Background(), email)
	if err != nil {
		t.Fatalf("Lookup(%q): %v", email, err)
	}
	return u, found
}

func TestLDAPLookupFindsUsersAndMapsTheirGroups(t *testing.T) {
	s := testenv.StartSlapd(t, testenv.SlapdOptions{LDIF: testenv.CompanyLDIF})
	d := newLDAP(t, companyConfig(s.URL))
	for _, c := range []struct {
		email, dn string
		groups    []string
	}{
		{"alice@example.com", "uid=alice,ou=people,dc=example,dc=com", []string{"devs"}},
		{"bob@example.com", "uid=bob,ou=people,dc=example,dc=com", []string{AdminGroup, "ops"}}, // stored as Bob@Example.com
		{"carol@example.com", "uid=carol,ou=people,dc=example,dc=com", nil},
	} {
		u, found := lookup(t, d, c.email)
		if !found || u.DN != c.dn || !slices.Equal(u.Groups, c.groups) {
			t.Errorf("%s: found %v, %+v; want %s %v", c.email, found, u, c.dn, c.groups)
		}
	}
	if u, found := lookup(t, d, "dave@example.com"); found {
		t.Errorf("an email the directory lacks was found: %+v", u)
	}
	if u, found := lookup(t, d, "twin@example.com"); found {
		t.Errorf("an email two entries share was taken as one user: %+v", u)
	}
}

func TestLDAPLookupFollowsNestedGroupsWhenAsked(t *testing.T) {
	s := testenv.StartSlapd(t, testenv.SlapdOptions{LDIF: testenv.CompanyLDIF})
	cfg := companyConfig(s.URL)
	cfg.NestedGroups = true
	cfg.GroupMap["cycle-a"] = []string{"a"}
	cfg.GroupMap["cycle-b"] = []string{"b"}
	d := newLDAP(t, cfg)
	u, found := lookup(t, d, "alice@example.com")
	if !found || !slices.Equal(u.Groups, []string{"devs", "platform"}) {
		t.Fatalf("alice with nested groups: %v %+v", found, u)
	}
	// Groups that hold each other end the walk instead of looping.
	u, found = lookup(t, d, "carol@example.com")
	if !found || !slices.Equal(u.Groups, []string{"a", "b"}) {
		t.Fatalf("carol in a cycle of groups: %v %+v", found, u)
	}
}

// TestLDAPLookupOfAMemberOfManyGroups: alice is in more groups than
// slapd returns from one search (its default size limit is 500); her
// lookup still finds her and the groups that are mapped, instead of
// failing as if the directory were down.
func TestLDAPLookupOfAMemberOfManyGroups(t *testing.T) {
	var ldif strings.Builder
	ldif.WriteString(testenv.CompanyLDIF)
	for i := range 600 {
		fmt.Fprintf(&ldif, "\ndn: cn=team-%d,%s\nobjectClass: groupOfNames\ncn: team-%d\nmember: uid=alice,%s\n",
			i, testenv.LDAPGroups, i, testenv.LDAPPeople)
	}
	s := testenv.StartSlapd(t, testenv.SlapdOptions{LDIF: ldif.String()})
	cfg := companyConfig(s.URL)
	cfg.GroupMap["team-599"] = []string{"last-team"}
	d := newLDAP(t, cfg)
	u, found, err := d.Lookup(context.Background(), "alice@example.com")
	if err != nil || !found || !slices.Equal(u.Groups, []string{"devs", "last-team"}) {
		t.Fatalf("alice in 601 groups: found %v, %+v, %v; want devs and last-team", found, u, err)
	}
	if _, found := lookup(t, d, "dave@example.com"); found {
		t.Fatal("an email the directory lacks was found")
	}
}

// TestLDAPLookupEscapesTheEmail sends filter metacharacters to a real
// slapd: each matches only itself, never a wildcard or an extra clause.
func TestLDAPLookupEscapesTheEmail(t *testing.T) {
	s := testenv.StartSlapd(t, testenv.SlapdOptions{LDIF: testenv.CompanyLDIF})
	d := newLDAP(t, companyConfig(s.URL))
	for _, email := range []string{
		"*", "*@example.com", "ali*@example.com", "alice@example.co*",
		"*)(mail=*", "alice@example.com)(mail=*", "*)(|(objectClass=*",
		"alice@example.com\x00", "alice@example.com\x00x", "\x00", `alice\2a`, "x*", "p(*", `back\*`,
	} {
		if u, found := lookup(t, d, email); found {
			t.Errorf("%q found %s", email, u.DN)
		}
	}
	for email, dn := range map[string]string{
		"x*y@example.com":        "uid=star,ou=people,dc=example,dc=com",
		"p(q)@example.com":       "uid=paren,ou=people,dc=example,dc=com",
		`back\slash@example.com`: "uid=backslash,ou=people,dc=example,dc=com",
	} {
		if u, found := lookup(t, d, email); !found || u.DN != dn {
			t.Errorf("%q: found %v %q, want %s", email, found, u.DN, dn)
		}
	}
}

func TestLDAPLookupFailsWhenTheServiceBindFails(t *testing.T) {
	s := testenv.StartSlapd(t, testenv.SlapdOptions{LDIF: testenv.CompanyLDIF})
	cfg := companyConfig(s.URL)
	cfg.BindPassword = "wrong"
	_, _, err := newLDAP(t, cfg).Lookup(context.Background(), "alice@example.com")
	if !errors.Is(err, ErrUnavailable) {
		t.Fatalf("wrong bind password: %v, want ErrUnavailable", err)
	}
	if strings.Contains(err.Error(), "wrong") {
		t.Fatalf("the error names the password: %v", err)
	}
}

func TestLDAPLookupOutageAndRecovery(t *testing.T) {
	s := testenv.StartSlapd(t, testenv.SlapdOptions{LDIF: testenv.CompanyLDIF})
	d := newLDAP(t, companyConfig(s.URL))
	if _, found := lookup(t, d, "alice@example.com"); !found {
		t.Fatal("alice not found")
	}
	s.Stop()
	if _, _, err := d.Lookup(context.Background(), "alice@example.com"); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("with slapd stopped: %v, want ErrUnavailable", err)
	}
	s.Restart(t)
	if _, found := lookup(t, d, "alice@example.com"); !found {
		t.Fatal("alice not found after slapd came back")
	}
	lookup(t, d, "nobody@example.com")
	if st := d.Stats(); st != (Stats{Found: 2, Absent: 1, Failed: 1}) {
		t.Fatalf("stats %+v, want 2 found, 1 absent, 1 failed", st)
	}
}

// TestLDAPLookupReplacesAStaleConnection restarts slapd between two
// lookups: the pooled connection is dead, and the second lookup dials a
// new one instead of failing.
func TestLDAPLookupReplacesAStaleConnection(t *testing.T) {
	s := testenv.StartSlapd(t, testenv.SlapdOptions{LDIF: testenv.CompanyLDIF})
	d := newLDAP(t, companyConfig(s.URL))
	lookup(t, d, "alice@example.com")
	s.Restart(t)
	if _, found := lookup(t, d, "alice@example.com"); !found {
		t.Fatal("alice not found after a restart")
	}
}

func TestLDAPLookupEndsAtItsTimeout(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() { // accepts and never answers
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			t.Cleanup(func() { c.Close() })
		}
	}()
	cfg := companyConfig("ldap://" + l.Addr().String())
	cfg.Timeout = 300 * time.Millisecond
	d := newLDAP(t, cfg)
	start := time.Now()
	_, _, err = d.Lookup(context.Background(), "alice@example.com")
	if !errors.Is(err, ErrUnavailable) || time.Since(start) > 2*time.Second {
		t.Fatalf("silent server: %v after %v", err, time.Since(start))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	start = time.Now()
	if _, _, err := d.Lookup(ctx, "alice@example.com"); !errors.Is(err, ErrUnavailable) || time.Since(start) > 250*time.Millisecond {
		t.Fatalf("caller's deadline: %v after %v", err, time.Since(start))
	}
}

func TestLDAPOverTLS(t *testing.T) {
	s := testenv.StartSlapd(t, testenv.SlapdOptions{LDIF: testenv.CompanyLDIF, TLS: true})
	ldaps := companyConfig(s.LDAPSURL)
	ldaps.CAFile = s.CAFile
	starttls := companyConfig(s.URL)
	starttls.StartTLS, starttls.CAFile = true, s.CAFile
	for name, cfg := range map[string]Config{"ldaps": ldaps, "starttls": starttls} {
		if u, found := lookup(t, newLDAP(t, cfg), "alice@example.com"); !found || !slices.Equal(u.Groups, []string{"devs"}) {
			t.Errorf("%s: %v %+v", name, found, u)
		}
		cfg.CAFile = "" // the system's roots do not know the test CA
		if _, _, err := newLDAP(t, cfg).Lookup(context.Background(), "alice@example.com"); !errors.Is(err, ErrUnavailable) {
			t.Errorf("%s without the CA: %v, want ErrUnavailable", name, err)
		}
	}
}

func TestLDAPPoolServesConcurrentLookups(t *testing.T) {
	s := testenv.StartSlapd(t, testenv.SlapdOptions{LDIF: testenv.CompanyLDIF})
	cfg := companyConfig(s.URL)
	cfg.PoolSize = 2
	d := newLDAP(t, cfg)
	var dials atomic.Int32
	dial := d.pool.dial
	d.pool.dial = func(ctx context.Context, deadline time.Time) (*conn, error) {
		dials.Add(1)
		return dial(ctx, deadline)
	}
	errs := make(chan error, 20)
	for range 20 {
		go func() {
			u, found, err := d.Lookup(context.Background(), "alice@example.com")
			if err == nil && (!found || u.DN == "") {
				err = errors.New("alice not found")
			}
			errs <- err
		}()
	}
	for range 20 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	if n := dials.Load(); n < 1 || n > 2 {
		t.Fatalf("20 concurrent lookups opened %d connections, pool size 2", n)
	}
	lookup(t, d, "bob@example.com")
	if n := dials.Load(); n > 2 {
		t.Fatalf("a later lookup dialled again (%d connections): the pool kept none", n)
	}
}

func TestNewLDAPRefusesAnUnreadableCAFile(t *testing.T) {
	cfg := companyConfig("ldaps://ldap.example.com")
	cfg.CAFile = t.TempDir() + "/missing.pem"
	if _, err := NewLDAP(cfg, nil); err == nil {
		t.Fatal("a missing ca_file was accepted")
	}
}
