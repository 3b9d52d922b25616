package e2e

import (
	"fmt"
	"strings"
	"testing"
)

// TestEveryPlaceholderOptionNamesItsLine writes, in turn, an unset
// variable and a missing file behind every option the README says takes
// placeholders, and checks that caddy validate refuses each naming the
// file's line and the option, as it does for signing_key.
func TestEveryPlaceholderOptionNamesItsLine(t *testing.T) {
	// Each Caddyfile has the option on line 4.
	global := func(lines string) string {
		return "{\n\tadmin off\n\tauthgate {\n" + lines + "\n\t}\n}\n"
	}
	cases := []struct{ option, caddyfile string }{
		{"store", global("\t\tstore redis %s")},
		{"signing_key", global("\t\tsigning_key %s")},
		{"previous_key", global("\t\tprevious_key %s")},
		{"public_url", global("\t\tpublic_url %s")},
		{"cookie_domain", global("\t\tcookie_domain %s")},
		{"logo", global("\t\tlogo %s")},
		{"geoip", global("\t\tgeoip %s")},
		{"push_key", global("\t\tpush_key %s")},
		{"push_contact", global("\t\tpush_contact %s")},
		{"push_services", global("\t\tpush_services fcm.googleapis.com %s")},
		{"webhook", global("\t\twebhook %s {\n\t\t\tsecret s\n\t\t}")},
		{"url", "{\n\tadmin off\n\tauthgate {\n\t\tdirectory ldap {\n\t\t\turl %s\n\t\t\tuser_base dc=example,dc=com\n\t\t}\n\t}\n}\n"},
		{"admin_key", "{\n\tadmin off\n}\nhttp://auth.localhost {\n\tauthgate_server {\n\t\tadmin_key %s\n\t}\n}\n"},
		{"origins", "{\n\tadmin off\n}\nhttp://auth.localhost {\n\tauthgate_server {\n\t\tapp a {\n\t\t\torigins %s\n\t\t}\n\t}\n}\n"},
		{"secret", "{\n\tadmin off\n}\nhttp://auth.localhost {\n\tauthgate_server {\n\t\tapp a {\n\t\t\tsecret %s\n\t\t}\n\t}\n}\n"},
		{"logo", "{\n\tadmin off\n}\nhttp://app.localhost {\n\tauthgate {\n\t\tlogo %s\n\t}\n\trespond ok\n}\n"},
	}
	for _, tc := range cases {
		line := fmt.Sprintf("Caddyfile:%d", 1+strings.Count(tc.caddyfile[:strings.Index(tc.caddyfile, "%s")], "\n"))
		for kind, placeholder := range map[string]string{
			"an unset variable": "{env.AG_E2E_UNSET_VARIABLE}",
			"a missing file":    "{file./nonexistent/authgate-e2e-secret}",
		} {
			t.Run(tc.option+" "+line+" with "+kind, func(t *testing.T) {
				out, ok := caddyCommand(t, fmt.Sprintf(tc.caddyfile, placeholder), nil, "validate")
				if ok {
					t.Fatalf("caddy validate accepted it:\n%s", out)
				}
				for _, w := range []string{line, tc.option + ":", placeholder[strings.Index(placeholder, ".")+1 : len(placeholder)-1]} {
					if !strings.Contains(out, w) {
						t.Errorf("output lacks %q:\n%s", w, out)
					}
				}
			})
		}
	}
}
