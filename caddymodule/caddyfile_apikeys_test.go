package caddymodule

import (
	"strings"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
	"github.com/caddyserver/caddy/v2/caddyconfig/httpcaddyfile"
)

func TestParseAPIKeyOptions(t *testing.T) {
	app, err := parseGlobalText(t, "authgate {\n\tapi_key_rate 100 1m\n\tapi_key_fresh_login 5m\n\tapi_key_recheck 30s\n}")
	if err != nil {
		t.Fatal(err)
	}
	if app.APIKeyRate != 100 || time.Duration(app.APIKeyRateWindow) != time.Minute || time.Duration(app.APIKeyFreshLogin) != 5*time.Minute ||
		time.Duration(app.APIKeyRecheck) != 30*time.Second {
		t.Fatalf("api key options %d %v %v", app.APIKeyRate, app.APIKeyRateWindow, app.APIKeyFreshLogin)
	}
	for text, want := range map[string]string{
		"authgate {\n\tapi_key_rate 100\n}":       "api_key_rate: want <requests> <per_duration>, e.g. 'api_key_rate 100 1m', at Testfile:2",
		"authgate {\n\tapi_key_rate lots 1m\n}":   "Testfile:2",
		"authgate {\n\tapi_key_rate 10 never\n}":  "not a positive duration",
		"authgate {\n\tapi_key_fresh_login 0s\n}": "api_key_fresh_login",
		"authgate {\n\tapi_key_recheck soon\n}":   "api_key_recheck",
		"authgate {\n\tapi_key_recheck 2h\n}":     "api_key_recheck: at most 1h0m0s, at Testfile:2",
	} {
		if _, err := parseGlobalText(t, text); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("parsing %q: error %v, want one containing %q", text, err, want)
		}
	}

	for mode, want := range map[string]string{"on": "on", "off": "off", "only": "only"} {
		mh, err := parseHandler(httpcaddyfile.Helper{Dispenser: caddyfile.NewTestDispenser("authgate {\n\tapi_keys " + mode + "\n}")})
		if err != nil {
			t.Fatalf("api_keys %s: %v", mode, err)
		}
		if got := mh.(*Handler).APIKeys; got != want {
			t.Errorf("api_keys %s parsed as %q", mode, got)
		}
	}
	for text, want := range map[string]string{
		"authgate {\n\tapi_keys sometimes\n}": "not on, off or only, at Testfile:2",
		"authgate {\n\tapi_keys\n}":           "Testfile:2",
		"authgate {\n\tapi_keys on off\n}":    "Testfile:2",
		"authgate {\n\tapi_key on\n}":         "did you mean 'api_keys'",
	} {
		_, err := parseHandler(httpcaddyfile.Helper{Dispenser: caddyfile.NewTestDispenser(text)})
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("parsing %q: error %v, want one containing %q", text, err, want)
		}
	}
}
