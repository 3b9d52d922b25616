package caddymodule

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
	"github.com/caddyserver/caddy/v2/caddyconfig/httpcaddyfile"
)

func parseGlobalText(t *testing.T, text string) (*App, error) {
	t.Helper()
	v, err := parseGlobal(caddyfile.NewTestDispenser(text), nil)
	if err != nil {
		return nil, err
	}
	var app App
	if err := json.Unmarshal(v.(httpcaddyfile.App).Value, &app); err != nil {
		t.Fatalf("the parsed app is not valid JSON: %v", err)
	}
	return &app, nil
}

func TestParseGlobalOptions(t *testing.T) {
	app, err := parseGlobalText(t, `authgate {
		store redis redis://127.0.0.1:6379/2 myprefix
		signing_key 0123456789abcdef0123456789abcdef
		previous_key base64:ZmVkY2JhOTg3NjU0MzIxMGZlZGNiYTk4NzY1NDMyMTA=
		gate_path /_auth
		cookie_domain example.com
		session_lifetime 8h
		login_timeout 90s
		pushes_per_email 3
		pushes_per_ip 30
		report_block 2h
		revocation_max_staleness 1m
		public_url https://app.example.com
		webhook https://hooks.example.com/a {
			secret whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw
			events login logout
			timeout 5s
			signature_header X-Authgear-Body-Signature
		}
		webhook https://hooks.example.com/check {
			secret s3cret
			blocking allow_on_error
		}
		webhook_schedule 0s 1s 1m
		webhook_claim_timeout 30s
		group ops alice@example.com @corp.example
		group ops bob@example.com
	}`)
	if err != nil {
		t.Fatal(err)
	}
	if app.Store.Type != "redis" || app.Store.URL != "redis://127.0.0.1:6379/2" || app.Store.Prefix != "myprefix" {
		t.Errorf("store %+v", app.Store)
	}
	if app.GatePath != "/_auth" || app.CookieDomain != "example.com" || time.Duration(app.SessionLifetime) != 8*time.Hour ||
		time.Duration(app.LoginTimeout) != 90*time.Second || app.PushesPerEmail != 3 || app.PushesPerIP != 30 ||
		time.Duration(app.ReportBlock) != 2*time.Hour || time.Duration(app.RevocationMaxStaleness) != time.Minute ||
		len(app.PreviousKeys) != 1 || app.PublicURL != "https://app.example.com" {
		t.Errorf("options %+v", app)
	}
	if len(app.Webhooks) != 2 {
		t.Fatalf("webhooks %+v", app.Webhooks)
	}
	w := app.Webhooks[0]
	if w.URL != "https://hooks.example.com/a" || strings.Join(w.Events, ",") != "login,logout" ||
		time.Duration(w.Timeout) != 5*time.Second || w.SignatureHeader != "X-Authgear-Body-Signature" || w.SignaturePrefix != "" || w.Blocking {
		t.Errorf("webhook %+v", w)
	}
	if h := app.Webhooks[1]; !h.Blocking || !h.AllowOnError {
		t.Errorf("blocking hook %+v", h)
	}
	if strings.Join(app.Groups["ops"], " ") != "alice@example.com @corp.example bob@example.com" {
		t.Errorf("groups %v", app.Groups)
	}
	if len(app.WebhookSchedule) != 3 || time.Duration(app.WebhookSchedule[2]) != time.Minute || time.Duration(app.WebhookClaimTimeout) != 30*time.Second {
		t.Errorf("schedule %v claim %v", app.WebhookSchedule, app.WebhookClaimTimeout)
	}
}

func TestParseGlobalErrorsNameTheLineAndOption(t *testing.T) {
	tests := []struct {
		text, want string
	}{
		{"authgate {\n\tstore postgres x\n}", "store: want 'memory' or 'redis <url> [<key_prefix>]', at Testfile:2"},
		{"authgate {\n\tsession_lifetime forever\n}", "session_lifetime"},
		{"authgate {\n\tpushes_per_ip -1\n}", "pushes_per_ip"},
		{"authgate {\n\tgate_path auth\n}", "gate_path"},
		{"authgate {\n\tgate_path /\n}", "gate_path: gate path \"/\": want an absolute path below the root, such as /.authgate, at Testfile:2"},
		{"authgate {\n\tgate_path /a//b\n}", "want a clean path"},
		{"authgate {\n\tgate_path /./x\n}", "want a clean path"},
		{"authgate {\n\tgate_path /a/../b\n}", "want a clean path"},
		{"authgate {\n\tgate_path /a%2fb\n}", "'%' is not allowed"},
		{"authgate {\n\tcolour blue\n}", "unrecognized global authgate option 'colour', at Testfile:2"},
		{"authgate {\n\tsigning_kye x\n}", "did you mean 'signing_key'?"},
		{"authgate {\n\tallow email a@example.com\n}", "'allow' is a site option: put it inside a site's authgate directive"},
		{"authgate {\n\tapp_id x\n}", "'app_id' is a site option"},
		{"authgate {\n\tsigning_key {env.AUTHGATE_TEST_UNSET_VARIABLE}\n}", "signing_key: environment variable AUTHGATE_TEST_UNSET_VARIABLE is not set"},
		{"authgate {\n\tsigning_key {env.AUTHGATE_TEST_UNSET_VARIABLE}\n}", "Testfile:2"},
		{"authgate {\n\tstore redis {env.AUTHGATE_TEST_UNSET_VARIABLE}\n}", "store: environment variable AUTHGATE_TEST_UNSET_VARIABLE"},
		{"authgate {\n\tprevious_key {file./nonexistent/authgate-key}\n}", "previous_key: cannot read {file./nonexistent/authgate-key}"},
		{"authgate {\n\twebhook https://x.example/ {\n\t\tsecret {env.AUTHGATE_TEST_UNSET_VARIABLE}\n\t}\n}", "at Testfile:3"},
		{"authgate {\n\twebhook {env.AUTHGATE_TEST_UNSET_VARIABLE} {\n\t\tsecret s\n\t}\n}", "webhook: environment variable"},
		{"authgate {\n\twebhook https://x.example/ {\n\t\tsecrte s\n\t}\n}", "did you mean 'secret'?"},
		{"authgate {\n\twebhook https://x.example/ {\n\t\tevents login\n\t}\n}", "a secret is required"},
		{"authgate {\n\twebhook https://x.example/ {\n\t\tsecret s\n\t\tevents logn\n\t}\n}", "logn"},
		{"authgate {\n\twebhook ftp://x.example/ {\n\t\tsecret s\n\t}\n}", "webhook ftp://x.example/"},
		{"authgate {\n\twebhook https://svc:HOOKPW@x.example/in?token=T {\n\t\tsecret s\n\t}\n}", "webhook https://…@x.example/in?…: url https://…@x.example/in?…: credentials in URLs are not allowed, at Testfile:4"},
		{"authgate {\n\twebhook https://x.example/ {\n\t\tsecret s\n\t\taccess_sample_rate 2\n\t}\n}", "access_sample_rate"},
		{"authgate {\n\twebhook https://x.example/ {\n\t\tsecret s\n\t\tblocking\n\t\tallow_on_error\n\t}\n}", "allow_on_error is an argument of blocking: write 'blocking allow_on_error', at Testfile:5"},
		{"authgate {\n\tsigning_key a b\n}", "Testfile:2"},
		{"authgate extra {\n}", "Testfile:1"},
		{"authgate {\n\tgroup ops\n}", "group: want a name"},
		{"authgate {\n\tgroup ops nobody\n}", "Testfile:2"},
	}
	for _, tt := range tests {
		_, err := parseGlobalText(t, tt.text)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("parsing %q: error %v, want one containing %q", tt.text, err, tt.want)
		}
	}
}

func TestParseHandler(t *testing.T) {
	h := httpcaddyfile.Helper{Dispenser: caddyfile.NewTestDispenser(`authgate {
		app_id ops-centre
		allow email alice@example.com bob@example.com
		allow domain example.org
		allow group ops
		public /static/ /health
		access_events
	}`)}
	mh, err := parseHandler(h)
	if err != nil {
		t.Fatal(err)
	}
	got := mh.(*Handler)
	if got.AppID != "ops-centre" || len(got.Allow.Emails) != 2 || got.Allow.Domains[0] != "example.org" ||
		got.Allow.Groups[0] != "ops" || !got.AccessEvents || len(got.Public) != 2 {
		t.Fatalf("handler %+v", got)
	}
	for text, want := range map[string]string{
		"authgate {\n\tallow role admin\n}":                 "unknown kind 'role'",
		"authgate {\n\tallow email\n}":                      "Testfile:2",
		"authgate {\n\tapp_id\n}":                           "Testfile:2",
		"authgate {\n\tbogus 1\n}":                          "unrecognized authgate directive option 'bogus'",
		"authgate {\n\tap_id x\n}":                          "did you mean 'app_id'?",
		"authgate {\n\tcookie_domain x\n}":                  "'cookie_domain' is a global option",
		"authgate {\n\tsigning_key x\n}":                    "'signing_key' is a global option",
		"authgate {\n\taccess_events yes\n}":                "Testfile:2",
		"authgate {\n\tpublic static\n}":                    "must start with /",
		"authgate {\n\tallow email notanemail\n}":           `allow email: "notanemail" is not an email address, at Testfile:2`,
		"authgate {\n\tpublic /static/*.css\n}":             "a * is allowed only as the last segment",
		"authgate {\n\tallow domain not_a_domain!\n}":       `allow domain: "not_a_domain!" is not a domain name`,
		"authgate {\n\tallow domain https://example.com\n}": `"https://example.com" is not a domain name (write example.com, not a URL or an address), at Testfile:2`,
		"authgate {\n\tallow domain @@example.com\n}":       "Testfile:2",
		"authgate {\n\tallow domain -x.example.com\n}":      "Testfile:2",
	} {
		_, err := parseHandler(httpcaddyfile.Helper{Dispenser: caddyfile.NewTestDispenser(text)})
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("parsing %q: error %v, want one containing %q", text, err, want)
		}
	}
}

func TestDurationsAreStoredAsCaddyDurations(t *testing.T) {
	app, err := parseGlobalText(t, "authgate {\n\tlogin_timeout 2m\n}")
	if err != nil {
		t.Fatal(err)
	}
	if app.LoginTimeout != caddy.Duration(2*time.Minute) {
		t.Fatalf("login_timeout %v", app.LoginTimeout)
	}
}

func TestRedactedURLHidesEveryPassword(t *testing.T) {
	for raw, want := range map[string]string{
		"redis://user:hunter2@10.0.0.5:6379/0":                              "redis://user:xxxxx@10.0.0.5:6379/0",
		"redis+sentinel://s1:26379?master_name=m&password=hunter2":          "redis+sentinel://s1:26379?master_name=m&password=xxxxx",
		"redis+sentinel://s1:26379?master_name=m&sentinel_password=hunter2": "redis+sentinel://s1:26379?master_name=m&sentinel_password=xxxxx",
		"redis://127.0.0.1:6379":                                            "redis://127.0.0.1:6379",
	} {
		if got := redactedURL(raw); got != want || strings.Contains(got, "hunter2") {
			t.Errorf("redactedURL(%q) = %q, want %q", raw, got, want)
		}
	}
}

func TestEveryListedOptionIsOneTheParserKnows(t *testing.T) {
	for _, opt := range globalOptions {
		_, err := parseGlobalText(t, "authgate {\n\t"+opt+"\n}")
		if err != nil && strings.Contains(err.Error(), "unrecognized") {
			t.Errorf("global option %q is listed but not parsed: %v", opt, err)
		}
	}
	for _, opt := range siteOptions {
		_, err := parseHandler(httpcaddyfile.Helper{Dispenser: caddyfile.NewTestDispenser("authgate {\n\t" + opt + "\n}")})
		if err != nil && strings.Contains(err.Error(), "unrecognized") {
			t.Errorf("site option %q is listed but not parsed: %v", opt, err)
		}
	}
}

// TestAnOptionGivenTwiceIsRefused: a second line of an option that takes
// one value would silently replace the first; it is refused with both
// lines named. Repeatable options stay repeatable.
func TestAnOptionGivenTwiceIsRefused(t *testing.T) {
	for text, want := range map[string]string{
		"authgate {\n\tsigning_key 0123456789abcdef0123456789abcdef\n\tsigning_key fedcba9876543210fedcba9876543210\n}": "signing_key is given twice (first at Testfile:2): give it once; to rotate keys, keep the old one as previous_key, at Testfile:3",
		"authgate {\n\tstore memory\n\tstore redis redis://127.0.0.1:6379\n}":                                           "store is given twice (first at Testfile:2)",
		"authgate {\n\tsession_lifetime 1h\n\n\tsession_lifetime 8h\n}":                                                 "session_lifetime is given twice (first at Testfile:2): give it once, at Testfile:4",
		"authgate {\n\ttitle A\n\ttitle B\n}":                                                                           "title is given twice",
	} {
		if _, err := parseGlobalText(t, text); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("parsing %q: error %v, want one containing %q", text, err, want)
		}
	}
	for text, want := range map[string]string{
		"authgate {\n\tapp_id a\n\tapp_id b\n}":        "app_id is given twice (first at Testfile:2): give it once, at Testfile:3",
		"authgate {\n\tapi_keys on\n\tapi_keys off\n}": "api_keys is given twice",
	} {
		_, err := parseHandler(httpcaddyfile.Helper{Dispenser: caddyfile.NewTestDispenser(text)})
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("parsing %q: error %v, want one containing %q", text, err, want)
		}
	}
	first, err := parseGlobal(caddyfile.NewTestDispenser("authgate {\n\tstore memory\n}"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := parseGlobal(caddyfile.NewTestDispenser("authgate {\n\ttitle Ops\n}"), first); err == nil || !strings.Contains(err.Error(), "a second global authgate block") {
		t.Errorf("a second global block: error %v", err)
	}
	if _, err := parseGlobalText(t, "authgate {\n\tprevious_key 0123456789abcdef0123456789abcdef\n\tprevious_key fedcba9876543210fedcba9876543210\n\tgroup a x@example.com\n\tgroup a y@example.com\n}"); err != nil {
		t.Errorf("repeatable global options: %v", err)
	}
	if _, err := parseHandler(httpcaddyfile.Helper{Dispenser: caddyfile.NewTestDispenser("authgate {\n\tallow email a@example.com\n\tallow domain example.com\n\tpublic /a\n\tpublic /b\n}")}); err != nil {
		t.Errorf("repeatable site options: %v", err)
	}
}

// TestABadStoreURLNamesTheLine: a written-out Redis URL that does not
// parse is refused as the Caddyfile is read, with its file and line,
// and never repeated (it may hold a password).
func TestABadStoreURLNamesTheLine(t *testing.T) {
	for text, want := range map[string]string{
		"authgate {\n\tstore redis ftp://x.example\n}":                                 `store: redis store: Redis URL scheme "ftp": want redis, rediss, unix, redis+cluster or redis+sentinel, at Testfile:2`,
		"authgate {\n\tstore redis redis://127.0.0.1:6379?wait_replica=1\n}":           "unexpected option: wait_replica, at Testfile:2",
		"authgate {\n\tstore redis redis+sentinel://:hunter2@127.0.0.1:26379\n}":       "master_name parameter is required, at Testfile:2",
		"authgate {\n\tstore redis redis://:hunter2@127.0.0.1:6379?wait_replicas=x\n}": "wait_replicas",
	} {
		_, err := parseGlobalText(t, text)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("parsing %q: error %v, want one containing %q", text, err, want)
		}
		if err != nil && strings.Contains(err.Error(), "hunter2") {
			t.Errorf("the error repeats the password: %v", err)
		}
	}
	if _, err := parseGlobalText(t, "authgate {\n\tstore redis redis://127.0.0.1:1/0?wait_replicas=1\n}"); err != nil {
		t.Errorf("a good URL of a Redis that does not answer: %v", err)
	}
}
