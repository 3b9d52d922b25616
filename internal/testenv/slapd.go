package testenv

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Slapd is an OpenLDAP slapd owned by one test: an mdb database in a
// temporary folder, a generated slapd.conf, loopback ports only. Nothing
// of the system's slapd (its config, database or service) is used.
type Slapd struct {
	// URL is the plain listener, ldap://127.0.0.1:port (StartTLS works
	// on it when TLS is on).
	URL string
	// LDAPSURL is the TLS listener, ldaps://127.0.0.1:port, when TLS is on.
	LDAPSURL string
	// CAFile is the PEM of the CA that signed the server's certificate,
	// when TLS is on.
	CAFile string
	// Suffix is the database's root DN; RootDN and RootPassword may
	// write anything under it.
	Suffix, RootDN, RootPassword string

	bin, dir, conf, listen string
	cmd                    *exec.Cmd
	done                   chan struct{}
	log                    *os.File
}

// SlapdOptions say what the test directory holds.
type SlapdOptions struct {
	// Suffix is the root DN (default dc=example,dc=com); its entry is made
	// by StartSlapd.
	Suffix string
	// LDIF holds the entries below the suffix, loaded before the server
	// starts.
	LDIF string
	// TLS also serves LDAPS and StartTLS, with a certificate for 127.0.0.1
	// from a CA made for this test.
	TLS bool
}

// RequireSbin is Require for a program that lives in /usr/sbin, which is
// not on every user's PATH.
func RequireSbin(t testing.TB, program string) string {
	t.Helper()
	if path, err := exec.LookPath(program); err == nil {
		return path
	}
	if path := filepath.Join("/usr/sbin", program); isExecutable(path) {
		return path
	}
	return Require(t, program)
}

func isExecutable(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0
}

// StartSlapd loads opts.LDIF into a fresh database with slapadd and runs
// slapd on free loopback ports until the test ends. Anonymous users may
// only bind; a bound user reads everything, the root DN writes.
func StartSlapd(t testing.TB, opts SlapdOptions) *Slapd {
	t.Helper()
	bin := RequireSbin(t, "slapd")
	slapadd := RequireSbin(t, "slapadd")
	if opts.Suffix == "" {
		opts.Suffix = "dc=example,dc=com"
	}
	dir := t.TempDir()
	s := &Slapd{
		Suffix: opts.Suffix, RootDN: "cn=admin," + opts.Suffix, RootPassword: "test-root-password",
		bin: bin, dir: dir, conf: filepath.Join(dir, "slapd.conf"),
	}
	var tlsLines string
	if opts.TLS {
		ca, cert, key, err := writeTestCA(dir)
		if err != nil {
			t.Fatalf("making the test CA: %v", err)
		}
		s.CAFile = ca
		tlsLines = fmt.Sprintf("TLSCACertificateFile %s\nTLSCertificateFile %s\nTLSCertificateKeyFile %s\n", ca, cert, key)
	}
	if err := os.MkdirAll(filepath.Join(dir, "db"), 0o700); err != nil {
		t.Fatal(err)
	}
	conf := fmt.Sprintf(slapdConf, dir, dir, tlsLines, s.Suffix, s.RootDN, s.RootPassword, filepath.Join(dir, "db"))
	if err := os.WriteFile(s.conf, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	rdn, _, _ := strings.Cut(s.Suffix, ",")
	_, dc, _ := strings.Cut(rdn, "=")
	ldif := fmt.Sprintf("dn: %s\nobjectClass: dcObject\nobjectClass: organization\no: %s\ndc: %s\n\n%s\n",
		s.Suffix, dc, dc, strings.TrimSpace(opts.LDIF))
	ldifPath := filepath.Join(dir, "data.ldif")
	if err := os.WriteFile(ldifPath, []byte(ldif), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(slapadd, "-q", "-f", s.conf, "-l", ldifPath).CombinedOutput(); err != nil {
		t.Fatalf("slapadd: %v\n%s", err, out)
	}
	log, err := os.Create(filepath.Join(dir, "slapd.log"))
	if err != nil {
		t.Fatal(err)
	}
	s.log = log
	t.Cleanup(func() { s.Stop(); log.Close() })
	for attempt := 0; attempt < 5; attempt++ {
		port := FreePort(t)
		s.URL = fmt.Sprintf("ldap://127.0.0.1:%d", port)
		s.listen = s.URL + "/"
		if opts.TLS {
			s.LDAPSURL = fmt.Sprintf("ldaps://127.0.0.1:%d", FreePort(t))
			s.listen += " " + s.LDAPSURL + "/"
		}
		if s.start() {
			return s
		}
	}
	t.Fatalf("slapd did not start after 5 attempts:\n%s", s.Log())
	return nil
}

// slapdConf is the server's whole config: schemas, an mdb database, and
// access rules that make the service account's bind matter.
const slapdConf = `include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/inetorgperson.schema
include /etc/ldap/schema/nis.schema
pidfile %s/slapd.pid
argsfile %s/slapd.args
modulepath /usr/lib/ldap
moduleload back_mdb
%s
database mdb
maxsize 10485760
suffix "%s"
rootdn "%s"
rootpw %s
directory %s
access to attrs=userPassword by anonymous auth by * none
access to * by users read by * none
`

// start runs slapd on the ports chosen and waits until it accepts
// connections; false if it exited or never listened.
func (s *Slapd) start() bool {
	cmd := exec.Command(s.bin, "-f", s.conf, "-h", s.listen, "-d", "0")
	cmd.Stdout, cmd.Stderr = s.log, s.log
	if err := cmd.Start(); err != nil {
		return false
	}
	s.cmd, s.done = cmd, make(chan struct{})
	go func() { _ = cmd.Wait(); close(s.done) }()
	addr := strings.TrimPrefix(s.URL, "ldap://")
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-s.done:
			return false
		default:
		}
		if conn, err := net.DialTimeout("tcp", addr, 200*time.Millisecond); err == nil {
			conn.Close()
			return true
		}
		time.Sleep(20 * time.Millisecond)
	}
	s.Stop()
	return false
}

// Stop kills the server (as a crash or an outage would). Stop is also
// registered with t.Cleanup.
func (s *Slapd) Stop() {
	if s.cmd != nil && s.cmd.Process != nil {
		_ = s.cmd.Process.Kill()
		<-s.done
	}
}

// Restart starts the server again after Stop, on the same ports, with the
// database as it was.
func (s *Slapd) Restart(t testing.TB) {
	t.Helper()
	s.Stop()
	if !s.start() {
		t.Fatalf("slapd did not restart on %s:\n%s", s.listen, s.Log())
	}
}

// Log returns what the server wrote so far.
func (s *Slapd) Log() string {
	b, _ := os.ReadFile(filepath.Join(s.dir, "slapd.log"))
	return tail(string(b), 40)
}
