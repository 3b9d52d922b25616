package caddymodule

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestExpanderReplacesEnvironmentAndFilePlaceholders(t *testing.T) {
	t.Setenv("AUTHGATE_TEST_KEY", strings.Repeat("k", 48))
	file := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(file, []byte("from-a-file-0123456789abcdef0123456789\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	e := newExpander()
	for in, want := range map[string]string{
		"{env.AUTHGATE_TEST_KEY}":                  strings.Repeat("k", 48),
		"{file." + file + "}":                      "from-a-file-0123456789abcdef0123456789",
		"redis://{env.AUTHGATE_TEST_KEY}@h:1/0":    "redis://" + strings.Repeat("k", 48) + "@h:1/0",
		"plain-secret-without-placeholders-at-all": "plain-secret-without-placeholders-at-all",
	} {
		got, err := e.value("signing_key", in)
		if err != nil || got != want {
			t.Errorf("value(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
}

func TestExpanderRefusesWhatWouldBecomeAGuessableSecret(t *testing.T) {
	t.Setenv("AUTHGATE_TEST_EMPTY", "")
	empty := filepath.Join(t.TempDir(), "empty")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	e := newExpander()
	for _, in := range []string{
		"{env.AUTHGATE_TEST_UNSET_VARIABLE_0123456789abcdef}",
		"{env.AUTHGATE_TEST_EMPTY}",
		"{file." + empty + "}",
		"{file./nonexistent/authgate}",
		"{nosuch.placeholder}",
	} {
		got, err := e.value("signing_key", in)
		if err == nil {
			t.Errorf("value(%q) = %q, want an error", in, got)
			continue
		}
		if !strings.HasPrefix(err.Error(), "signing_key: ") {
			t.Errorf("value(%q): error %q does not name the option", in, err)
		}
	}
}

func TestExpanderErrorNeverEchoesTheSecretBesideAPlaceholder(t *testing.T) {
	_, err := newExpander().value("webhook secret", "hunter2-{env.AUTHGATE_TEST_UNSET_VARIABLE}")
	if err == nil || strings.Contains(err.Error(), "hunter2") {
		t.Fatalf("error %v", err)
	}
}

// TestAWebhookURLFromThePlaceholderIsRefusedWithoutItsPassword: a URL
// with credentials, kept out of the config by {env.X}, is not put back
// into the error that refuses it.
func TestAWebhookURLFromThePlaceholderIsRefusedWithoutItsPassword(t *testing.T) {
	t.Setenv("AUTHGATE_TEST_HOOK", "https://svc:HOOKPW@hooks.example.net/in?token=HOOKTOKEN")
	a := &App{Webhooks: []WebhookConfig{{URL: "{env.AUTHGATE_TEST_HOOK}", Secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}}}
	err := a.expandPlaceholders()
	if err == nil || !strings.Contains(err.Error(), "credentials") {
		t.Fatalf("error %v, want credentials refused", err)
	}
	if strings.Contains(err.Error(), "HOOKPW") || strings.Contains(err.Error(), "HOOKTOKEN") {
		t.Fatalf("error reveals the URL's password or token: %v", err)
	}
}

func TestProvisionExpandsEveryPlaceholderOption(t *testing.T) {
	t.Setenv("AUTHGATE_TEST_KEY", strings.Repeat("s", 40))
	t.Setenv("AUTHGATE_TEST_URL", "https://hooks.example.com/in")
	t.Setenv("AUTHGATE_TEST_DOMAIN", "example.com")
	a := &App{
		Store:        &StoreConfig{Type: "redis", URL: "redis://{env.AUTHGATE_TEST_URL}"},
		SigningKey:   "{env.AUTHGATE_TEST_KEY}",
		PreviousKeys: []string{"{env.AUTHGATE_TEST_KEY}"},
		PublicURL:    "{env.AUTHGATE_TEST_URL}",
		CookieDomain: "{env.AUTHGATE_TEST_DOMAIN}",
		Webhooks: []WebhookConfig{{
			URL: "{env.AUTHGATE_TEST_URL}", Secret: "{env.AUTHGATE_TEST_KEY}", PreviousSecret: "{env.AUTHGATE_TEST_KEY}",
		}},
	}
	if err := a.expandPlaceholders(); err != nil {
		t.Fatal(err)
	}
	key, url := strings.Repeat("s", 40), "https://hooks.example.com/in"
	w := a.Webhooks[0]
	if a.SigningKey != key || a.PreviousKeys[0] != key || a.PublicURL != url || a.Store.URL != "redis://"+url || a.CookieDomain != "example.com" ||
		w.URL != url || w.Secret != key || w.PreviousSecret != key {
		t.Fatalf("after expansion: %+v %+v %+v", a, a.Store, w)
	}
}
