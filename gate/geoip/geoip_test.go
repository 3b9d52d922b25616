package geoip

import (
	"errors"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/maxmind/mmdbwriter"
	"github.com/maxmind/mmdbwriter/mmdbtype"
)

// writeDB writes a tiny City database: 81.2.69.0/24 is London, United
// Kingdom; 2.125.160.0/24 is only United Kingdom.
func writeDB(t *testing.T, dbType string) string {
	t.Helper()
	tree, err := mmdbwriter.New(mmdbwriter.Options{DatabaseType: dbType, RecordSize: 24})
	if err != nil {
		t.Fatal(err)
	}
	names := func(en string) mmdbtype.Map {
		return mmdbtype.Map{"names": mmdbtype.Map{"en": mmdbtype.String(en)}}
	}
	insert := func(cidr string, v mmdbtype.Map) {
		_, n, err := net.ParseCIDR(cidr)
		if err != nil {
			t.Fatal(err)
		}
		if err := tree.Insert(n, v); err != nil {
			t.Fatal(err)
		}
	}
	insert("81.2.69.0/24", mmdbtype.Map{"city": names("London"), "country": names("United Kingdom")})
	insert("2.125.160.0/24", mmdbtype.Map{"country": names("United Kingdom")})
	path := filepath.Join(t.TempDir(), "test.mmdb")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tree.WriteTo(f); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestLocateFromARealDatabase(t *testing.T) {
	l, err := Open(writeDB(t, "GeoLite2-City"))
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
	if _, err := Open(writeDB(t, "GeoLite2-ASN")); err == nil || !strings.Contains(err.Error(), "City or Country") {
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
