package caddymodule

import (
	"strings"
	"testing"

	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
	"github.com/caddyserver/caddy/v2/caddyconfig/httpcaddyfile"
)

func TestBrandOptionsInTheGlobalBlockAndTheDirective(t *testing.T) {
	t.Setenv("AUTHGATE_LOGO", "/srv/logo.png") // the parser checks it is set
	app, err := parseGlobalText(t, `authgate {
		title Example Corp
		logo {env.AUTHGATE_LOGO}
		accent "#0B5FFF"
		geoip /var/lib/GeoIP/GeoLite2-City.mmdb
	}`)
	if err != nil {
		t.Fatal(err)
	}
	if app.Brand.Title != "Example Corp" || app.Brand.Logo != "{env.AUTHGATE_LOGO}" || app.Brand.Accent != "#0B5FFF" ||
		app.GeoIP != "/var/lib/GeoIP/GeoLite2-City.mmdb" {
		t.Fatalf("global brand %+v geoip %q", app.Brand, app.GeoIP)
	}
	mh, err := parseHandler(httpcaddyfile.Helper{Dispenser: caddyfile.NewTestDispenser(`authgate {
		title "Ops centre"
		accent aa3300
	}`)})
	if err != nil {
		t.Fatal(err)
	}
	if b := mh.(*Handler).Brand; b.Title != "Ops centre" || b.Accent != "#aa3300" {
		t.Fatalf("site brand %+v", b)
	}
	for text, want := range map[string]string{
		"authgate {\n\taccent red\n}":                            `accent: "red" is not a colour: want six hex digits, as "#0b5fff", at Testfile:2`,
		"authgate {\n\taccent #aa3300\n}":                        "quoted since # starts a comment",
		"authgate {\n\ttitle\n}":                                 "title: want the site's name",
		"authgate {\n\ttitle " + strings.Repeat("x", 81) + "\n}": "at most 80 characters",
		"authgate {\n\tlogo\n}":                                  "Testfile:2",
		"authgate {\n\tgeoip x\n}":                               "'geoip' is a global option",
	} {
		_, err := parseHandler(httpcaddyfile.Helper{Dispenser: caddyfile.NewTestDispenser(text)})
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("parsing %q: error %v, want one containing %q", text, err, want)
		}
	}
}

func TestLogoPathGoesThroughTheReplacer(t *testing.T) {
	t.Setenv("AUTHGATE_TEST_LOGO", "/srv/logo.png")
	b := BrandConfig{Logo: "{env.AUTHGATE_TEST_LOGO}"}
	if err := b.expand(newExpander()); err != nil || b.Logo != "/srv/logo.png" {
		t.Fatalf("logo %q, %v", b.Logo, err)
	}
	b = BrandConfig{Logo: "{env.AUTHGATE_TEST_UNSET_LOGO}"}
	if err := b.expand(newExpander()); err == nil || !strings.Contains(err.Error(), "logo") {
		t.Fatalf("unset logo variable: %v", err)
	}
}
