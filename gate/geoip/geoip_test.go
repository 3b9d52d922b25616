package geoip

import (
	"errors"
	"net/netip"
	"path/filepath"
	"strings"
	"testing"

	"github.com/authgate/authgate/gate/geoip/geoiptest"
)

func TestLocateFromARealDatabase(t *testing.T) {
	l, err := Open(geoiptest.WriteDB(t, "GeoLite2-City"))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	tests := map[string]string{
		"81.2.69.160":          "London, United Kingdom",
		"::ffff:81.2.69.160":   "London, United Kingdom",
		"2.125.160.216":        "United Kingdom",
		"8.8.8.8":              "",
		"10.0.0.1":             "",
		"127.0.0.1":            "",
		"not an address":       "",
		"":                     "",
		"fe80::1":              "",
		"2001:db8::1":          "",
		"81.2.69.160; drop it": "",
	}
	for ip, want := range tests {
		if got := l.Locate(ip); got != want {
			t.Errorf("Locate(%q) = %q, want %q", ip, got, want)
		}
	}
}

func TestOpenRefusesOtherDatabasesAndMissingFiles(t *testing.T) {
	if _, err := Open(geoiptest.WriteDB(t, "GeoLite2-ASN")); err == nil || !strings.Contains(err.Error(), "City or Country") {
		t.Fatalf("ASN database: %v", err)
	}
	if _, err := Open(filepath.Join(t.TempDir(), "none.mmdb")); err == nil {
		t.Fatal("missing file accepted")
	}
}

func TestNotConfiguredLocatesNothing(t *testing.T) {
	var l *Locator
	if got := l.Locate("81.2.69.160"); got != "" || l.Close() != nil {
		t.Fatalf("nil locator: %q", got)
	}
	failing := New(func(netip.Addr, any) error { return errors.New("broken") }, nil)
	if got := failing.Locate("81.2.69.160"); got != "" {
		t.Fatalf("failing lookup: %q", got)
	}
}
