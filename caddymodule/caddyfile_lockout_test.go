package caddymodule

import (
	"strings"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2"
)

func TestParseLockout(t *testing.T) {
	app, err := parseGlobalText(t, "authgate {\n\tlockout 3 30m\n}")
	if err != nil {
		t.Fatal(err)
	}
	if app.LockoutAttempts != 3 || app.LockoutDuration != caddy.Duration(30*time.Minute) {
		t.Fatalf("lockout %d %v", app.LockoutAttempts, app.LockoutDuration)
	}
	for text, want := range map[string]string{
		"authgate {\n\tlockout 5\n}":        "Testfile:2",
		"authgate {\n\tlockout 0 15m\n}":    "from 1 to 1000",
		"authgate {\n\tlockout five 15m\n}": "from 1 to 1000",
		"authgate {\n\tlockout 5 soon\n}":   "positive duration",
		"authgate {\n\tlockout 5 -1m\n}":    "positive duration",
		"authgate {\n\tlockout 5 15m 1\n}":  "Testfile:2",
	} {
		if _, err := parseGlobalText(t, text); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("parsing %q: error %v, want one containing %q", text, err, want)
		}
	}
}
