package caddymodule

import (
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2"
)

func TestParseDirectory(t *testing.T) {
	t.Setenv("LDAP_PASSWORD", "s3cret")
	app, err := parseGlobalText(t, `authgate {
		directory ldap {
			url ldap://ldap.example.com:389
			starttls
			ca_file /etc/ssl/ldap-ca.pem
			bind_dn cn=authgate,ou=svc,dc=example,dc=com
			bind_password {env.LDAP_PASSWORD}
			user_base ou=people,dc=example,dc=com
			user_filter (&(objectClass=inetOrgPerson)(mail={email}))
			group_base ou=groups,dc=example,dc=com
			group_filter (member={dn})
			nested_groups
			group_map devs developers staff
			group_map ops ops
			group_map devs devs
			admin_groups admins
			admin_groups root-ops
			timeout 3s
			pool_size 2
		}
	}`)
	if err != nil {
		t.Fatal(err)
	}
	want := &DirectoryConfig{
		Type: "ldap", URL: "ldap://ldap.example.com:389", StartTLS: true, CAFile: "/etc/ssl/ldap-ca.pem",
		BindDN: "cn=authgate,ou=svc,dc=example,dc=com", BindPassword: "{env.LDAP_PASSWORD}",
		UserBase: "ou=people,dc=example,dc=com", UserFilter: "(&(objectClass=inetOrgPerson)(mail={email}))",
		GroupBase: "ou=groups,dc=example,dc=com", GroupFilter: "(member={dn})", NestedGroups: true,
		GroupMap:    map[string][]string{"devs": {"developers", "staff", "devs"}, "ops": {"ops"}},
		AdminGroups: []string{"admins", "root-ops"},
		Timeout:     caddy.Duration(3 * time.Second), PoolSize: 2,
	}
	if !reflect.DeepEqual(app.Directory, want) {
		t.Fatalf("directory\n got  %+v\n want %+v", app.Directory, want)
	}
}

func TestParseDirectoryErrors(t *testing.T) {
	for name, c := range map[string]struct{ block, want string }{
		"no kind":              {"directory {\n url ldap://h\n user_base dc=x\n}", "directory ldap"},
		"other kind":           {"directory ad {\n}", "directory ldap"},
		"no url":               {"directory ldap {\n user_base dc=x\n}", "url and user_base"},
		"no user base":         {"directory ldap {\n url ldap://h\n}", "url and user_base"},
		"http url":             {"directory ldap {\n url http://h\n user_base dc=x\n}", "url"},
		"filter without email": {"directory ldap {\n url ldap://h\n user_base dc=x\n user_filter (mail=x)\n}", "{email}"},
		"broken filter":        {"directory ldap {\n url ldap://h\n user_base dc=x\n user_filter (mail={email}\n}", "not an LDAP filter"},
		"group filter":         {"directory ldap {\n url ldap://h\n user_base dc=x\n group_base dc=g\n group_filter (member=x)\n}", "{dn}"},
		"map one arg":          {"directory ldap {\n url ldap://h\n user_base dc=x\n group_map devs\n}", "group_map"},
		"map bad name":         {"directory ldap {\n url ldap://h\n user_base dc=x\n group_base dc=g\n group_map devs a,b\n}", "not a group name"},
		"map without base":     {"directory ldap {\n url ldap://h\n user_base dc=x\n group_map devs devs\n}", "group_base"},
		"starttls on ldaps":    {"directory ldap {\n url ldaps://h\n starttls\n user_base dc=x\n}", "starttls"},
		"half a bind":          {"directory ldap {\n url ldap://h\n bind_dn cn=a\n user_base dc=x\n}", "bind_password"},
		"bad timeout":          {"directory ldap {\n url ldap://h\n user_base dc=x\n timeout soon\n}", "timeout"},
		"unknown option":       {"directory ldap {\n url ldap://h\n user_base dc=x\n password x\n}", "unrecognized directory option"},
		"starttls argument":    {"directory ldap {\n url ldap://h\n user_base dc=x\n starttls yes\n}", "wrong argument count"},
	} {
		_, err := parseGlobalText(t, "authgate {\n"+c.block+"\n}")
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one containing %q", name, err, c.want)
			continue
		}
		if !strings.Contains(err.Error(), "Testfile:") {
			t.Errorf("%s: error %q names no file and line", name, err)
		}
	}
}

// TestDirectoryPlaceholdersWaitForProvision: a placeholder in url,
// bind_dn or bind_password is not judged while parsing, and is expanded
// (and then checked) at provision.
func TestDirectoryPlaceholdersWaitForProvision(t *testing.T) {
	t.Setenv("AG_TEST_LDAP_URL", "ldaps://ldap.example.com")
	t.Setenv("AG_TEST_LDAP_DN", "cn=authgate,dc=example,dc=com")
	t.Setenv("AG_TEST_LDAP_PW", "s3cret")
	t.Setenv("AG_TEST_LDAP_CA", "/etc/ssl/ca.pem")
	app, err := parseGlobalText(t, `authgate {
		directory ldap {
			url {env.AG_TEST_LDAP_URL}
			bind_dn {env.AG_TEST_LDAP_DN}
			bind_password {env.AG_TEST_LDAP_PW}
			ca_file {env.AG_TEST_LDAP_CA}
			user_base ou=people,dc=example,dc=com
		}
	}`)
	if err != nil {
		t.Fatal(err)
	}
	if d := app.Directory; d.URL != "{env.AG_TEST_LDAP_URL}" || d.BindPassword != "{env.AG_TEST_LDAP_PW}" {
		t.Fatalf("the parsed config holds expanded values: %+v", d)
	}
	if err := app.expandPlaceholders(); err != nil {
		t.Fatal(err)
	}
	d := app.Directory
	if d.URL != "ldaps://ldap.example.com" || d.BindDN != "cn=authgate,dc=example,dc=com" || d.BindPassword != "s3cret" || d.CAFile != "/etc/ssl/ca.pem" {
		t.Fatalf("expanded: %+v", d)
	}

	_, err = parseGlobalText(t, `authgate {
		directory ldap {
			url ldaps://ldap.example.com
			bind_dn cn=authgate,dc=example,dc=com
			bind_password {env.AG_TEST_LDAP_UNSET}
			user_base ou=people,dc=example,dc=com
		}
	}`)
	if err == nil || !strings.Contains(err.Error(), "bind_password") || !strings.Contains(err.Error(), "Testfile:") {
		t.Fatalf("an unset bind_password while parsing: %v", err)
	}
	// A JSON config skips the Caddyfile: provision still refuses it.
	os.Unsetenv("AG_TEST_LDAP_PW")
	json := &App{Directory: &DirectoryConfig{Type: "ldap", URL: "ldaps://h", BindDN: "cn=a", BindPassword: "{env.AG_TEST_LDAP_PW}", UserBase: "dc=x"}}
	if err := json.expandPlaceholders(); err == nil || !strings.Contains(err.Error(), "directory bind_password") {
		t.Fatalf("an unset bind_password at provision: %v", err)
	}
}
