// Package testenv starts the real services that tests run against: a
// redis-server or an OpenLDAP slapd on free loopback ports. Under CI=true
// a missing program is a test failure; elsewhere the test is skipped with
// a message saying what to install.
package testenv

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// InCI reports whether the tests run under CI, where nothing may be skipped
// for want of a program.
func InCI() bool { return os.Getenv("CI") == "true" }

// Require returns the path of program, or ends the test: a failure under CI,
// a skip elsewhere.
func Require(t testing.TB, program string) string {
	t.Helper()
	path, err := exec.LookPath(program)
	if err == nil {
		return path
	}
	if InCI() {
		t.Fatalf("%s is not installed; CI must install it (see .ci/run)", program)
	}
	t.Skipf("%s is not installed; install it to run this test", program)
	return ""
}

// FreePort returns a loopback TCP port that was free a moment ago.
func FreePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("finding a free port: %v", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// Redis is a redis-server process owned by one test.
type Redis struct {
	// Addr is host:port on loopback.
	Addr string
	cmd  *exec.Cmd
	bin  string
	dir  string
	args []string
	log  *os.File
}

// URL returns a redis:// URL for database db.
func (r *Redis) URL(db int) string { return fmt.Sprintf("redis://%s/%d", r.Addr, db) }

// Stop kills the server (as a crash would: SIGKILL, nothing saved). Stop
// is also registered with t.Cleanup.
func (r *Redis) Stop() {
	if r.cmd != nil && r.cmd.Process != nil {
		_ = r.cmd.Process.Kill()
		_, _ = r.cmd.Process.Wait()
	}
}

// Restart kills the server and starts a new one on the same address with
// the same options and, since there is no persistence, no data: what a
// Redis restarted without persistence is.
func (r *Redis) Restart(t testing.TB) {
	t.Helper()
	r.Stop()
	if err := r.start(); err != nil {
		t.Fatalf("restarting redis-server: %v", err)
	}
	if !waitRedis(r.Addr, 5*time.Second) {
		t.Fatalf("redis-server did not come back on %s", r.Addr)
	}
}

// start launches the process.
func (r *Redis) start() error {
	_, port, _ := net.SplitHostPort(r.Addr)
	args := append([]string{"--port", port, "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--dir", r.dir,
		"--protected-mode", "no", "--loglevel", "warning"}, r.args...)
	r.cmd = exec.Command(r.bin, args...)
	r.cmd.Stdout, r.cmd.Stderr = r.log, r.log
	if err := r.cmd.Start(); err != nil {
		return fmt.Errorf("starting redis-server: %w", err)
	}
	return nil
}

// StartRedis starts a fresh redis-server on a free loopback port, with no
// persistence, and stops it when the test ends.
func StartRedis(t testing.TB) *Redis {
	t.Helper()
	return startRedis(t, t.TempDir(), nil)
}

// StartRedisWith is StartRedis with extra redis-server options, which
// override the defaults (for example "--appendonly", "yes" to measure
// persistence).
func StartRedisWith(t testing.TB, args ...string) *Redis {
	t.Helper()
	return startRedis(t, t.TempDir(), args)
}

// startRedis starts a redis-server in dir with extra arguments (which may
// override the defaults: a later option wins).
func startRedis(t testing.TB, dir string, extra []string) *Redis {
	t.Helper()
	bin := Require(t, "redis-server")
	logFile, err := os.Create(filepath.Join(dir, "redis.log"))
	if err != nil {
		t.Fatalf("creating redis log: %v", err)
	}
	t.Cleanup(func() { logFile.Close() })
	for attempt := 0; attempt < 5; attempt++ {
		r := &Redis{Addr: net.JoinHostPort("127.0.0.1", strconv.Itoa(FreePort(t))),
			bin: bin, dir: dir, args: extra, log: logFile}
		if err := r.start(); err != nil {
			t.Fatal(err)
		}
		if waitRedis(r.Addr, 5*time.Second) {
			t.Cleanup(r.Stop)
			return r
		}
		r.Stop()
	}
	t.Fatalf("redis-server did not start on a free port after 5 attempts")
	return nil
}

// waitRedis polls addr with PING until it answers PONG (or asks for the
// password it was started with) or d passes.
func waitRedis(addr string, d time.Duration) bool {
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		conn, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
		if err == nil {
			_ = conn.SetDeadline(time.Now().Add(time.Second))
			_, _ = conn.Write([]byte("PING\r\n"))
			line, _ := bufio.NewReader(conn).ReadString('\n')
			conn.Close()
			if strings.HasPrefix(line, "+PONG") || strings.HasPrefix(line, "-NOAUTH") { // up, with a password
				return true
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	return false
}
