package push

import (
	"crypto/x509"
	"encoding/pem"
	"errors"
	"net/netip"
	"testing"
)

func TestCheckEndpoint(t *testing.T) {
	def, err := NewAllowList(nil)
	if err != nil {
		t.Fatal(err)
	}
	custom, err := NewAllowList([]string{"ntfy.lan", "http://10.0.0.5:8080", "https://push.example.com:8443", "*.up.example.org"})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		list     *AllowList
		endpoint string
		ok       bool
	}{
		{def, "https://fcm.googleapis.com/fcm/send/abc", true},
		{def, "https://updates.push.services.mozilla.com/wpush/v2/abc", true},
		{def, "https://web.push.apple.com/QGx", true},
		{def, "https://wns2-par02p.notify.windows.com/w/?token=x", true},
		{def, "https://FCM.googleapis.com./fcm/send/abc", true},
		{def, "http://fcm.googleapis.com/fcm/send/abc", false},        // plain http
		{def, "https://fcm.googleapis.com:8443/x", false},             // other port
		{def, "https://push.apple.com/x", false},                      // the wildcard's own domain
		{def, "https://evilpush.apple.com.attacker.example/x", false}, // suffix trick
		{def, "https://user:pw@fcm.googleapis.com/x", false},
		{def, "https://127.0.0.1/x", false},
		{def, "https://10.1.2.3/x", false},
		{def, "https://169.254.169.254/latest/meta-data", false},
		{def, "https://[::1]/x", false},
		{def, "https://localhost/x", false},
		{def, "https://attacker.example/x", false},
		{def, "/relative", false},
		{def, "javascript:alert(1)", false},
		{def, "", false},
		{custom, "https://ntfy.lan/up/x", true},
		{custom, "http://10.0.0.5:8080/up/x", true}, // listed exactly by the operator
		{custom, "http://10.0.0.6:8080/up/x", false},
		{custom, "https://push.example.com:8443/x", true},
		{custom, "https://push.example.com/x", false},
		{custom, "https://a.up.example.org/x", true},
		{custom, "https://fcm.googleapis.com/fcm/send/abc", false}, // push_services replaces the defaults
	} {
		_, err := tc.list.CheckEndpoint(tc.endpoint)
		if tc.ok && err != nil {
			t.Errorf("%s: refused: %v", tc.endpoint, err)
		}
		if !tc.ok && !errors.Is(err, ErrNotAllowed) {
			t.Errorf("%s: error %v, want ErrNotAllowed", tc.endpoint, err)
		}
	}
}

func TestNewAllowListRefusesMalformedEntries(t *testing.T) {
	for _, s := range []string{"ftp://x.example", "*.com", "*", "a/b", "host:99999", "user@host", ""} {
		if _, err := NewAllowList([]string{s}); err == nil {
			t.Errorf("%q accepted", s)
		}
	}
}

func TestParseKeyRoundTrips(t *testing.T) {
	k, err := GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	again, err := ParseKey(k.Encode())
	if err != nil {
		t.Fatal(err)
	}
	if again.PublicKey() != k.PublicKey() || again.ID() != k.ID() || len(k.PublicKey()) != 87 {
		t.Fatalf("round trip changed the key: %s vs %s", again.PublicKey(), k.PublicKey())
	}
	for _, bad := range []string{"", "short", "-----BEGIN EC PRIVATE KEY-----\nxx\n-----END EC PRIVATE KEY-----",
		"-----BEGIN EC PARAMETERS-----\nBggqhkjOPQMBBw==\n-----END EC PARAMETERS-----\n"} {
		if _, err := ParseKey(bad); err == nil {
			t.Errorf("ParseKey(%q) accepted", bad)
		}
	}
}

// TestParseKeyReadsOpenSSLOutput reads a key in the forms OpenSSL
// writes: "openssl ecparam -name prime256v1 -genkey" puts an EC
// PARAMETERS block before the EC PRIVATE KEY, and "openssl genpkey"
// writes PKCS #8.
func TestParseKeyReadsOpenSSLOutput(t *testing.T) {
	k, err := GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	sec1, err := x509.MarshalECPrivateKey(k.priv)
	if err != nil {
		t.Fatal(err)
	}
	pkcs8, err := x509.MarshalPKCS8PrivateKey(k.priv)
	if err != nil {
		t.Fatal(err)
	}
	params := "-----BEGIN EC PARAMETERS-----\nBggqhkjOPQMBBw==\n-----END EC PARAMETERS-----\n"
	for name, in := range map[string]string{
		"ecparam -genkey": params + string(pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: sec1})),
		"SEC 1":           string(pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: sec1})),
		"PKCS #8":         string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pkcs8})),
	} {
		got, err := ParseKey(in)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if got.PublicKey() != k.PublicKey() {
			t.Errorf("%s: read another key", name)
		}
	}
}

func TestCheckAddr(t *testing.T) {
	for _, tc := range []struct {
		addr          string
		public, exact bool // allowed for a default/wildcard entry, for an exact operator entry
	}{
		{"142.250.185.202", true, true},
		{"2a00:1450:4001:82b::200a", true, true},
		{"127.0.0.1", false, true},
		{"::1", false, true},
		{"10.1.2.3", false, true},
		{"192.168.1.1", false, true},
		{"172.16.0.1", false, true},
		{"fd12::1", false, true},
		{"100.64.1.1", false, true},
		{"0.1.2.3", false, true},
		{"::ffff:127.0.0.1", false, true},
		{"64:ff9b::a00:1", false, true}, // NAT64 of 10.0.0.1
		{"64:ff9b::8efa:b9ca", true, true},
		{"169.254.169.254", false, false},
		{"fd00:ec2::254", false, false},
		{"100.100.100.200", false, false},
		{"169.254.1.1", false, false},
		{"fe80::1", false, false},
		{"0.0.0.0", false, false},
		{"::", false, false},
		{"224.0.0.1", false, false},
	} {
		ip := netip.MustParseAddr(tc.addr)
		if err := checkAddr(ip, false); (err == nil) != tc.public {
			t.Errorf("%s for a public entry: %v", tc.addr, err)
		}
		if err := checkAddr(ip, true); (err == nil) != tc.exact {
			t.Errorf("%s for an exact entry: %v", tc.addr, err)
		}
	}
}
