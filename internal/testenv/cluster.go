package testenv

import (
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

// RedisCluster is a Redis Cluster of three primaries (no replicas), each a
// redis-server process owned by one test, on free loopback ports.
type RedisCluster struct {
	// Addrs are the primaries' host:port.
	Addrs []string
	procs []*exec.Cmd
}

// URL returns a redis+cluster:// URL naming every primary as a seed.
func (c *RedisCluster) URL() string {
	u := "redis+cluster://" + c.Addrs[0]
	for i, a := range c.Addrs[1:] {
		if i == 0 {
			u += "?addr=" + a
		} else {
			u += "&addr=" + a
		}
	}
	return u
}

// StartRedisCluster starts three cluster-enabled redis-servers, joins them
// with redis-cli --cluster create (every slot assigned), waits until each
// reports cluster_state:ok, and stops them when the test ends.
func StartRedisCluster(t testing.TB) *RedisCluster {
	t.Helper()
	bin := Require(t, "redis-server")
	cli := Require(t, "redis-cli")
	c := &RedisCluster{}
	t.Cleanup(c.stop)
	for i := 0; i < 3; i++ {
		dir := t.TempDir()
		started := false
		for attempt := 0; attempt < 5 && !started; attempt++ {
			port := FreePort(t)
			// The cluster bus listens on port+10000; it must be free too.
			if port+10000 > 65535 || !portFree(port+10000) {
				continue
			}
			cmd := exec.Command(bin,
				"--port", strconv.Itoa(port), "--bind", "127.0.0.1",
				"--save", "", "--appendonly", "no", "--dir", dir,
				"--protected-mode", "no", "--loglevel", "warning",
				"--cluster-enabled", "yes", "--cluster-config-file", filepath.Join(dir, "nodes.conf"),
				"--cluster-node-timeout", "2000")
			logFile, err := os.Create(filepath.Join(dir, "redis.log"))
			if err != nil {
				t.Fatalf("creating redis log: %v", err)
			}
			cmd.Stdout, cmd.Stderr = logFile, logFile
			if err := cmd.Start(); err != nil {
				logFile.Close()
				t.Fatalf("starting redis-server: %v", err)
			}
			t.Cleanup(func() { logFile.Close() })
			addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
			if waitRedis(addr, 5*time.Second) {
				c.Addrs = append(c.Addrs, addr)
				c.procs = append(c.procs, cmd)
				started = true
				continue
			}
			_ = cmd.Process.Kill()
			_, _ = cmd.Process.Wait()
		}
		if !started {
			t.Fatalf("cluster node %d did not start on a free port after 5 attempts", i+1)
		}
	}
	args := append([]string{"--cluster", "create"}, c.Addrs...)
	args = append(args, "--cluster-replicas", "0", "--cluster-yes")
	if out, err := exec.Command(cli, args...).CombinedOutput(); err != nil {
		t.Fatalf("redis-cli --cluster create: %v\n%s", err, out)
	}
	deadline := time.Now().Add(15 * time.Second)
	for _, addr := range c.Addrs {
		for {
			out, _ := exec.Command(cli, "-h", "127.0.0.1", "-p", portOf(addr), "cluster", "info").Output()
			if strings.Contains(string(out), "cluster_state:ok") {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("cluster node %s never reported cluster_state:ok:\n%s", addr, out)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	return c
}

// stop kills every node.
func (c *RedisCluster) stop() {
	for _, p := range c.procs {
		if p.Process != nil {
			_ = p.Process.Kill()
			_, _ = p.Process.Wait()
		}
	}
}

// portFree reports whether a loopback TCP port can be listened on now.
func portFree(port int) bool {
	l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
	if err != nil {
		return false
	}
	l.Close()
	return true
}

func portOf(addr string) string {
	_, p, _ := net.SplitHostPort(addr)
	return p
}
