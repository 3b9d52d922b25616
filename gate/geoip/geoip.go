// Package geoip names the coarse location of an IP address ("Lyon,
// France") from a MaxMind GeoLite2 or GeoIP2 City or Country database that
// an operator supplies; nothing is bundled. The phone's request card shows
// it beside the signing-in browser's address.
package geoip

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/oschwald/maxminddb-golang/v2"
)

// Lookup is what Locator needs of a database: the record of an address,
// decoded into v. *maxminddb.Reader's Lookup fits through Open; tests
// may pass another.
type Lookup func(ip netip.Addr, v any) error

// Locator names coarse locations. It is safe for concurrent use.
type Locator struct {
	lookup Lookup
	close  func() error
	lang   string
}

// record is the part of a City or Country record the locator reads.
type record struct {
	City struct {
		Names map[string]string `maxminddb:"names"`
	} `maxminddb:"city"`
	Country struct {
		Names map[string]string `maxminddb:"names"`
	} `maxminddb:"country"`
}

// Open opens a .mmdb database file (read with memory mapping; the file
// may be replaced on disk while open, as geoipupdate does).
func Open(path string) (*Locator, error) {
	r, err := maxminddb.Open(path)
	if err != nil {
		return nil, fmt.Errorf("opening GeoIP database %s: %w", path, err)
	}
	switch t := r.Metadata.DatabaseType; {
	case strings.Contains(t, "City"), strings.Contains(t, "Country"):
	default:
		_ = r.Close()
		return nil, fmt.Errorf("GeoIP database %s is a %q database; want a City or Country one", path, t)
	}
	return New(func(ip netip.Addr, v any) error { return r.Lookup(ip).Decode(v) }, r.Close), nil
}

// New returns a Locator over lookup; closeFn, if set, is called by Close.
func New(lookup Lookup, closeFn func() error) *Locator {
	return &Locator{lookup: lookup, close: closeFn, lang: "en"}
}

// Locate returns "City, Country", "Country", or "" when the address is
// not valid, private or loopback, or not in the database. A nil Locator
// locates nothing.
func (l *Locator) Locate(ip string) string {
	if l == nil || l.lookup == nil {
		return ""
	}
	addr, err := netip.ParseAddr(ip)
	if err != nil || addr.IsLoopback() || addr.IsPrivate() || addr.IsLinkLocalUnicast() || addr.IsUnspecified() {
		return ""
	}
	var rec record
	if err := l.lookup(addr.Unmap(), &rec); err != nil {
		return ""
	}
	city, country := rec.City.Names[l.lang], rec.Country.Names[l.lang]
	switch {
	case city != "" && country != "":
		return city + ", " + country
	case country != "":
		return country
	}
	return city
}

// Close releases the database.
func (l *Locator) Close() error {
	if l == nil || l.close == nil {
		return nil
	}
	return l.close()
}
