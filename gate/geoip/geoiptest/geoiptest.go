// Package geoiptest writes small GeoIP databases for tests, in the
// MaxMind format the geoip package reads.
package geoiptest

import (
	"net"
	"os"
	"path/filepath"
	"testing"

	"github.com/maxmind/mmdbwriter"
	"github.com/maxmind/mmdbwriter/mmdbtype"
)

// WriteDB writes, in a temporary folder of the test, a database of type
// dbType (say "GeoLite2-City") in which 81.2.69.0/24 is London, United
// Kingdom and 2.125.160.0/24 only United Kingdom, and returns its path.
func WriteDB(t testing.TB, dbType string) string {
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
	path := filepath.Join(t.TempDir(), dbType+".mmdb")
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
