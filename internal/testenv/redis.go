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
}

// URL returns a redis:// URL for database db.
func (r *Redis) URL(db int) string { return fmt.Sprintf("redis://%s/%d", r.Addr, db) }

// Stop kills the server (as a crash would); a later Start on the same
// directory is not supported. Stop is also registered with t.Cleanup.
func (r *Redis) Stop() {
	if r.cmd.Process != nil {
		_ = r.cmd.Process.Kill()
		_, _ = r.cmd.Process.Wait()
	}
}

// StartRedis starts a fresh redis-server on a free loopback port, with no
// persistence, and stops it when the test ends.
func StartRedis(t testing.TB) *Redis {
	t.Helper()
	bin := Require(t, "redis-server")
	dir := t.TempDir()
	for attempt := 0; attempt < 5; attempt++ {
		port := FreePort(t)
		cmd := exec.Command(bin,
			"--port", strconv.Itoa(port), "--bind", "127.0.0.1",
			"--save", "", "--appendonly", "no", "--dir", dir,
			"--protected-mode", "no", "--loglevel", "warning")
		logPath := filepath.Join(dir, "redis.log")
		logFile, err := os.Create(logPath)
		if err != nil {
			t.Fatalf("creating redis log: %v", err)
		}
		cmd.Stdout, cmd.Stderr = logFile, logFile
		if err := cmd.Start(); err != nil {
			logFile.Close()
			t.Fatalf("starting redis-server: %v", err)
		}
		r := &Redis{Addr: net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), cmd: cmd}
		if waitRedis(r.Addr, 5*time.Second) {
			t.Cleanup(func() { r.Stop(); logFile.Close() })
			return r
		}
		r.Stop()
		logFile.Close()
	}
	t.Fatalf("redis-server did not start on a free port after 5 attempts")
	return nil
}

// waitRedis polls addr with PING until it answers PONG or d passes.
func waitRedis(addr string, d time.Duration) bool {
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		conn, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
		if err == nil {
			_ = conn.SetDeadline(time.Now().Add(time.Second))
			_, _ = conn.Write([]byte("PING\r\n"))
			line, _ := bufio.NewReader(conn).ReadString('\n')
			conn.Close()
			if strings.HasPrefix(line, "+PONG") {
				return true
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	return false
}
