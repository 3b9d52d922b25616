package e2e

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/authgate/authgate/gate/token"
	"github.com/authgate/authgate/internal/testenv"
)

// envSigningKey is what the environment holds for signing_key in these
// tests: 48 bytes, as the README's several-instances recipe suggests.
const envSigningKey = "env-signing-key-from-the-environment-0123456789ab"

// TestSecretsComeFromTheEnvironmentAndFiles runs a gateway whose signing
// key, previous key, store address and webhook URL and secret are all
// placeholders, and checks each was expanded: the cookie is signed with
// the variable's value, a token signed with the placeholder's literal
// text is refused, a token of the file-held previous key is accepted, and
// the webhook arrives signed with the variable's secret.
func TestSecretsComeFromTheEnvironmentAndFiles(t *testing.T) {
	forEachStore(t, func(t *testing.T, storeOpt string) {
		up := newUpstream(t)
		rc := newReceiver(t, 0)
		dir := t.TempDir()
		previous := "previous-key-kept-in-a-file-0123456789abcdef"
		prevFile := filepath.Join(dir, "previous_key")
		if err := os.WriteFile(prevFile, []byte(previous+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		env := []string{
			"AG_E2E_SIGNING_KEY_HELD_IN_THE_ENVIRONMENT=" + envSigningKey,
			"AG_E2E_WEBHOOK_URL=" + rc.URL + "/hook",
			"AG_E2E_WEBHOOK_SECRET=" + testWebhookSecret,
		}
		if rest, ok := strings.CutPrefix(storeOpt, "store redis "); ok {
			env = append(env, "AG_E2E_STORE="+rest)
			storeOpt = "store redis {env.AG_E2E_STORE}"
		}
		port, admin := testenv.FreePort(t), fmt.Sprintf("127.0.0.1:%d", testenv.FreePort(t))
		base := fmt.Sprintf("http://127.0.0.1:%d", port)
		caddyfile := fmt.Sprintf(`{
	admin %s
	auto_https off
	authgate {
		%s
		signing_key {env.AG_E2E_SIGNING_KEY_HELD_IN_THE_ENVIRONMENT}
		previous_key {file.%s}
		public_url %s
		webhook {env.AG_E2E_WEBHOOK_URL} {
			secret {env.AG_E2E_WEBHOOK_SECRET}
			events login
		}
	}
}

%s {
	authgate {
		app_id e2e
		allow domain example.com
	}
	reverse_proxy %s
}
`, admin, storeOpt, prevFile, base, base, strings.TrimPrefix(up.URL, "http://"))
		c := testenv.StartCaddyWithEnv(t, caddyBin, caddyfile, admin, base+"/.authgate/healthz", env)
		g := &gate{t: t, base: base, caddy: c}
		dev := g.enroll("env@example.com")
		b := newBrowser(t, base)
		b.login(dev, "env@example.com")

		issued := b.sessionCookie()
		if _, err := jwt.Parse(issued, func(*jwt.Token) (any, error) { return []byte(envSigningKey), nil },
			jwt.WithValidMethods([]string{"HS256"})); err != nil {
			t.Fatalf("the session token is not signed with the environment's key: %v", err)
		}
		var claims jwt.MapClaims
		if _, _, err := jwt.NewParser().ParseUnverified(issued, &claims); err != nil {
			t.Fatal(err)
		}
		forge := func(secret string) string {
			k, err := token.ParseKey("", secret)
			if err != nil {
				t.Fatal(err)
			}
			tok := jwt.NewWithClaims(jwt.SigningMethodHS256, claims)
			tok.Header["kid"] = k.ID
			s, err := tok.SignedString([]byte(secret))
			if err != nil {
				t.Fatal(err)
			}
			return s
		}
		for name, tc := range map[string]struct {
			token string
			want  int
		}{
			"signed with the placeholder's literal text": {forge("{env.AG_E2E_SIGNING_KEY_HELD_IN_THE_ENVIRONMENT}"), http.StatusUnauthorized},
			"signed with the previous key from the file": {forge(previous), http.StatusOK},
			"signed with the environment's key":          {forge(envSigningKey), http.StatusOK},
		} {
			status, _, _ := withCookie(t, base, tc.token).do(http.MethodGet, "/private", http.Header{"Accept": {"application/json"}}, nil)
			if status != tc.want {
				t.Errorf("token %s: %d, want %d", name, status, tc.want)
			}
		}

		deadline := time.Now().Add(10 * time.Second)
		for time.Now().Before(deadline) && !containsType(rc.types(), "login") {
			time.Sleep(20 * time.Millisecond)
		}
		if !containsType(rc.types(), "login") || rc.bad.Load() != 0 {
			t.Fatalf("webhook: events %v, %d failed verification with the environment's secret", rc.types(), rc.bad.Load())
		}
		if strings.Contains(c.Log(), envSigningKey) || strings.Contains(c.Log(), testWebhookSecret) {
			t.Fatal("a secret from the environment reached the log")
		}
	})
}

func containsType(types []string, want string) bool {
	for _, t := range types {
		if t == want {
			return true
		}
	}
	return false
}

// caddyCommand runs the built caddy with args and a Caddyfile written to
// a temporary folder, and returns its combined output and whether it
// succeeded.
func caddyCommand(t *testing.T, caddyfile string, env []string, args ...string) (string, bool) {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, "Caddyfile")
	if err := os.WriteFile(path, []byte(caddyfile), 0o600); err != nil {
		t.Fatal(err)
	}
	args = append(args, "--config", path, "--adapter", "caddyfile")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, caddyBin, args...)
	cmd.Env = append(os.Environ(), "HOME="+dir, "XDG_DATA_HOME="+filepath.Join(dir, "data"), "XDG_CONFIG_HOME="+filepath.Join(dir, "config"))
	cmd.Env = append(cmd.Env, env...)
	out, err := cmd.CombinedOutput()
	return string(out), err == nil
}

// TestConfigMistakesNameTheFileLineAndOption validates Caddyfiles with the
// mistakes operators make and checks each error says where and what.
func TestConfigMistakesNameTheFileLineAndOption(t *testing.T) {
	site := func(inner string) string {
		return "{\n\tadmin off\n\tauto_https off\n\tauthgate {\n\t\tstore memory\n\t}\n}\n\nhttp://app.localhost:8080 {\n" + inner + "\n\trespond ok\n}\n"
	}
	cases := []struct {
		name, caddyfile string
		want            []string
	}{
		{"an unset variable for a secret",
			"{\n\tadmin off\n\tauthgate {\n\t\tsigning_key {env.AG_E2E_UNSET_VARIABLE}\n\t}\n}\n",
			[]string{"Caddyfile:4", "signing_key", "AG_E2E_UNSET_VARIABLE is not set"}},
		{"an unset variable for a webhook secret",
			"{\n\tadmin off\n\tauthgate {\n\t\twebhook https://hooks.example.com/ {\n\t\t\tsecret {env.AG_E2E_UNSET_VARIABLE}\n\t\t}\n\t}\n}\n",
			[]string{"Caddyfile:5", "secret", "AG_E2E_UNSET_VARIABLE"}},
		{"authgate inside handle_path",
			site("\thandle_path /app/* {\n\t\tauthgate\n\t\trespond inner\n\t}"),
			[]string{"Caddyfile:11", "handle_path"}},
		{"a cookie_domain that does not cover the site",
			"{\n\tadmin off\n\tauto_https off\n\tauthgate {\n\t\tcookie_domain example.com\n\t}\n}\n\nhttp://app.other.test:8080 {\n\tauthgate\n\trespond ok\n}\n",
			[]string{"Caddyfile:10", "cookie_domain example.com", "app.other.test"}},
		{"a site option in the global block",
			"{\n\tadmin off\n\tauthgate {\n\t\tallow email a@example.com\n\t}\n}\n",
			[]string{"Caddyfile:4", "'allow' is a site option"}},
		{"a global option in a site",
			site("\tauthgate {\n\t\tsession_lifetime 1h\n\t}"),
			[]string{"Caddyfile:11", "'session_lifetime' is a global option"}},
		{"a misspelt option",
			site("\tauthgate {\n\t\tapp_ud x\n\t}"),
			[]string{"Caddyfile:11", "did you mean 'app_id'"}},
		{"a public_url that is not a web address",
			"{\n\tadmin off\n\tauthgate {\n\t\tpublic_url app.example.com\n\t}\n}\n",
			[]string{"Caddyfile:4", "public_url", "https://app.example.com"}},
		{"a signing_key too short",
			"{\n\tadmin off\n\tauthgate {\n\t\tsigning_key hunter2\n\t}\n}\n",
			[]string{"Caddyfile:4", "signing_key", "at least 32"}},
		{"a push option in a site",
			site("\tauthgate {\n\t\tpush_contact mailto:ops@example.com\n\t}"),
			[]string{"Caddyfile:11", "'push_contact' is a global option"}},
		{"a signing_key given twice",
			"{\n\tadmin off\n\tauthgate {\n\t\tsigning_key " + testSigningKey + "\n\t\tsigning_key " + testSigningKey + "-new\n\t}\n}\n",
			[]string{"Caddyfile:5", "signing_key is given twice (first at ", "Caddyfile:4)", "previous_key"}},
		{"a second global authgate block",
			"{\n\tadmin off\n\tauthgate {\n\t\tstore memory\n\t}\n\tauthgate {\n\t\ttitle Ops\n\t}\n}\n",
			[]string{"Caddyfile:6", "a second global authgate block"}},
		{"a misspelt push option",
			"{\n\tadmin off\n\tauthgate {\n\t\tpush_service fcm.googleapis.com\n\t}\n}\n",
			[]string{"Caddyfile:4", "did you mean 'push_services'"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out, ok := caddyCommand(t, tc.caddyfile, nil, "validate")
			if ok {
				t.Fatalf("caddy validate accepted it:\n%s", out)
			}
			for _, w := range tc.want {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
		})
	}
	t.Run("a cookie_domain that covers the site is accepted", func(t *testing.T) {
		out, ok := caddyCommand(t, "{\n\tadmin off\n\tauto_https off\n\tauthgate {\n\t\tcookie_domain example.com\n\t}\n}\n\nhttp://app.example.com:8080, http://example.com:8080 {\n\tauthgate\n\trespond ok\n}\n", nil, "validate")
		if !ok {
			t.Fatalf("caddy validate refused it:\n%s", out)
		}
	})
	t.Run("authgate inside a catch-all handle, or with a matcher, is accepted", func(t *testing.T) {
		out, ok := caddyCommand(t, site("\thandle {\n\t\tauthgate\n\t\trespond inner\n\t}\n\tauthgate /app/* {\n\t\tapp_id a\n\t}"), nil, "validate")
		if !ok {
			t.Fatalf("caddy validate refused it:\n%s", out)
		}
	})
}

// TestValidateNeedsNoReachableRedis validates a config whose Redis does
// not answer, and runs one to see the log name the address it cannot
// reach (without the password).
func TestValidateNeedsNoReachableRedis(t *testing.T) {
	dead := fmt.Sprintf("redis://:hunter2@127.0.0.1:%d/0", testenv.FreePort(t))
	port, admin := testenv.FreePort(t), fmt.Sprintf("127.0.0.1:%d", testenv.FreePort(t))
	caddyfile := fmt.Sprintf("{\n\tadmin %s\n\tauto_https off\n\tauthgate {\n\t\tstore redis {env.AG_E2E_DEAD_REDIS}\n\t\tsigning_key %s\n\t\twebhook http://127.0.0.1:1/ {\n\t\t\tsecret s\n\t\t}\n\t}\n}\n\nhttp://127.0.0.1:%d {\n\tauthgate\n\trespond ok\n}\n",
		admin, testSigningKey, port)
	env := []string{"AG_E2E_DEAD_REDIS=" + dead}
	if out, ok := caddyCommand(t, caddyfile, env, "validate"); !ok || !strings.Contains(out, "Valid configuration") {
		t.Fatalf("caddy validate with Redis down:\n%s", out)
	}
	c := testenv.StartCaddyWithEnv(t, caddyBin, caddyfile, admin, "http://"+admin+"/config/", env)
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) && !strings.Contains(c.Log(), "the Redis store does not answer") {
		time.Sleep(50 * time.Millisecond)
	}
	log := c.Log()
	addr := strings.Replace(dead, "hunter2", "xxxxx", 1)
	if !strings.Contains(log, "the Redis store does not answer") || !strings.Contains(log, addr) {
		t.Fatalf("the log does not name the unreachable store %s:\n%s", addr, log)
	}
	if strings.Contains(log, "hunter2") {
		t.Fatal("the store's password reached the log")
	}
	// Every line goes through Caddy's logger, the Redis client's own
	// messages included (not its plain-text lines on standard error).
	for _, line := range strings.Split(strings.TrimSpace(log), "\n") {
		if !strings.HasPrefix(line, "{") {
			t.Errorf("a log line not from Caddy's logger: %s", line)
		}
	}
	status, _, _ := newBrowser(t, fmt.Sprintf("http://127.0.0.1:%d", port)).do(http.MethodPost, "/.authgate/auth/start",
		http.Header{"Content-Type": {"application/json"}}, []byte(`{"email":"a@example.com"}`))
	if status != http.StatusServiceUnavailable {
		t.Fatalf("a login with the store down: %d, want 503", status)
	}
}
