package testenv

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// SentinelMaster is the name the sentinels monitor the primary under.
const SentinelMaster = "authgate-test"

// SentinelOptions tune StartSentinel; the zero value is usable.
type SentinelOptions struct {
	// RedisArgs are extra redis-server options for the primary and the
	// replica (for example "--appendonly", "yes").
	RedisArgs []string
	// DownAfter is how long the sentinels wait before they call an
	// unanswering primary down; default 1 s.
	DownAfter time.Duration
}

// Sentinel is a Redis primary with one replica and three redis-sentinel
// processes watching them, all on free loopback ports and owned by one
// test. The roles move when a failover happens: ask Primary.
type Sentinel struct {
	// Sentinels are the sentinels' host:port addresses.
	Sentinels []string
	nodes     []*Redis // the two data nodes, whichever role each has now
	sentinels []*exec.Cmd
	client    *redis.SentinelClient
}

// StartSentinel starts the five processes and returns once the sentinels
// know each other and the replica is in sync. Under CI=true a missing
// redis-server or redis-sentinel fails the test; elsewhere it skips.
func StartSentinel(t testing.TB, opts SentinelOptions) *Sentinel {
	t.Helper()
	sentinelBin := Require(t, "redis-sentinel")
	if opts.DownAfter <= 0 {
		opts.DownAfter = time.Second
	}
	s := &Sentinel{}
	primary := startRedis(t, t.TempDir(), append([]string{"--repl-diskless-sync", "yes", "--repl-diskless-sync-delay", "0"}, opts.RedisArgs...))
	replica := startRedis(t, t.TempDir(), append([]string{"--repl-diskless-sync", "yes", "--repl-diskless-sync-delay", "0",
		"--replicaof", "127.0.0.1", port(primary.Addr)}, opts.RedisArgs...))
	s.nodes = []*Redis{primary, replica}
	waitInSync(t, primary.Addr, 1, 10*time.Second)

	for i := 0; i < 3; i++ {
		dir := t.TempDir()
		p := FreePort(t)
		conf := fmt.Sprintf(`port %d
bind 127.0.0.1
protected-mode no
dir %s
sentinel monitor %s 127.0.0.1 %s 2
sentinel down-after-milliseconds %s %d
sentinel failover-timeout %s 4000
sentinel parallel-syncs %s 1
`, p, dir, SentinelMaster, port(primary.Addr), SentinelMaster, opts.DownAfter.Milliseconds(), SentinelMaster, SentinelMaster)
		confPath := filepath.Join(dir, "sentinel.conf")
		if err := os.WriteFile(confPath, []byte(conf), 0o600); err != nil {
			t.Fatalf("writing sentinel.conf: %v", err)
		}
		logFile, err := os.Create(filepath.Join(dir, "sentinel.log"))
		if err != nil {
			t.Fatalf("creating the sentinel log: %v", err)
		}
		cmd := exec.Command(sentinelBin, confPath)
		cmd.Stdout, cmd.Stderr = logFile, logFile
		if err := cmd.Start(); err != nil {
			t.Fatalf("starting redis-sentinel: %v", err)
		}
		t.Cleanup(func() {
			_ = cmd.Process.Kill()
			_, _ = cmd.Process.Wait()
			logFile.Close()
		})
		s.sentinels = append(s.sentinels, cmd)
		s.Sentinels = append(s.Sentinels, net.JoinHostPort("127.0.0.1", strconv.Itoa(p)))
	}
	s.client = redis.NewSentinelClient(&redis.Options{Addr: s.Sentinels[0]})
	t.Cleanup(func() { s.client.Close() })
	s.waitSentinels(t, 20*time.Second)
	return s
}

// URL returns the redis+sentinel:// URL of the primary for database db,
// naming every sentinel, with extra query parameters (such as
// "wait_replicas=1") appended.
func (s *Sentinel) URL(db int, extra string) string {
	q := url.Values{"master_name": {SentinelMaster}}
	for _, a := range s.Sentinels[1:] {
		q.Add("addr", a)
	}
	u := fmt.Sprintf("redis+sentinel://%s/%d?%s", s.Sentinels[0], db, q.Encode())
	if extra != "" {
		u += "&" + extra
	}
	return u
}

// Primary returns the address the sentinels currently give for the
// primary.
func (s *Sentinel) Primary(t testing.TB) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	addr, err := s.client.GetMasterAddrByName(ctx, SentinelMaster).Result()
	if err != nil || len(addr) != 2 {
		t.Fatalf("asking a sentinel for the primary: %v %v", addr, err)
	}
	return net.JoinHostPort(addr[0], addr[1])
}

// Failover asks a sentinel for a graceful failover (SENTINEL FAILOVER)
// and returns at once.
func (s *Sentinel) Failover(t testing.TB) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.client.Failover(ctx, SentinelMaster).Err(); err != nil {
		t.Fatalf("SENTINEL FAILOVER: %v", err)
	}
}

// KillPrimary kills the current primary with SIGKILL and returns its
// address; RestartNode brings it back.
func (s *Sentinel) KillPrimary(t testing.TB) string {
	t.Helper()
	addr := s.Primary(t)
	s.node(t, addr).Stop()
	return addr
}

// RestartNode starts the data node at addr again, empty (no
// persistence), as a replica of the current primary, as an operator
// replacing a crashed primary would.
func (s *Sentinel) RestartNode(t testing.TB, addr string) {
	t.Helper()
	n := s.node(t, addr)
	primary := s.Primary(t)
	n.args = append(withoutReplicaOf(n.args), "--replicaof", "127.0.0.1", port(primary))
	n.Restart(t)
}

// WaitPrimaryChange waits until the sentinels name a primary other than
// old, and the new primary answers as one; it returns its address.
func (s *Sentinel) WaitPrimaryChange(t testing.TB, old string, within time.Duration) string {
	t.Helper()
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		if p := s.Primary(t); p != old && role(p) == "master" {
			return p
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("the primary was still %s after %v", old, within)
	return ""
}

// WaitHealthy waits until the current primary has a replica in sync and
// every sentinel agrees on it.
func (s *Sentinel) WaitHealthy(t testing.TB, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		p := s.Primary(t)
		if role(p) == "master" && inSync(p, 1) && s.agree(p) {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("the sentinel setup was not healthy again within %v", within)
}

// agree reports whether every sentinel names primary.
func (s *Sentinel) agree(primary string) bool {
	for _, a := range s.Sentinels {
		c := redis.NewSentinelClient(&redis.Options{Addr: a})
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		addr, err := c.GetMasterAddrByName(ctx, SentinelMaster).Result()
		cancel()
		c.Close()
		if err != nil || len(addr) != 2 || net.JoinHostPort(addr[0], addr[1]) != primary {
			return false
		}
	}
	return true
}

// node returns the data node at addr.
func (s *Sentinel) node(t testing.TB, addr string) *Redis {
	t.Helper()
	for _, n := range s.nodes {
		if n.Addr == addr {
			return n
		}
	}
	t.Fatalf("no data node at %s", addr)
	return nil
}

// waitSentinels waits until every sentinel sees the replica and the two
// other sentinels, so that a failover can be authorised.
func (s *Sentinel) waitSentinels(t testing.TB, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for _, a := range s.Sentinels {
		c := redis.NewSentinelClient(&redis.Options{Addr: a})
		for {
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			m, err := c.Master(ctx, SentinelMaster).Result()
			cancel()
			if err == nil && m["num-other-sentinels"] == "2" && m["num-slaves"] == "1" {
				break
			}
			if time.Now().After(deadline) {
				c.Close()
				t.Fatalf("sentinel %s did not see its peers and the replica within %v: %v %v", a, within, m, err)
			}
			time.Sleep(100 * time.Millisecond)
		}
		c.Close()
	}
}

// waitInSync waits until the primary at addr has n replicas online.
func waitInSync(t testing.TB, addr string, n int, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !inSync(addr, n) {
		if time.Now().After(deadline) {
			t.Fatalf("%s did not have %d replica(s) in sync within %v", addr, n, within)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// inSync reports whether the server at addr is a primary with at least n
// replicas online.
func inSync(addr string, n int) bool {
	info := replicationInfo(addr)
	if info["role"] != "master" {
		return false
	}
	online := 0
	for k, v := range info {
		if strings.HasPrefix(k, "slave") && strings.Contains(v, "state=online") {
			online++
		}
	}
	return online >= n
}

// role returns the server's replication role, "" if it does not answer.
func role(addr string) string { return replicationInfo(addr)["role"] }

// replicationInfo returns INFO replication of the server at addr as a map.
func replicationInfo(addr string) map[string]string {
	c := redis.NewClient(&redis.Options{Addr: addr, MaxRetries: -1, DialTimeout: 300 * time.Millisecond})
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	text, err := c.Info(ctx, "replication").Result()
	out := map[string]string{}
	if err != nil {
		return out
	}
	for _, line := range strings.Split(text, "\n") {
		if k, v, ok := strings.Cut(strings.TrimSpace(line), ":"); ok {
			out[k] = v
		}
	}
	return out
}

// port returns the port of a host:port address.
func port(addr string) string {
	_, p, _ := net.SplitHostPort(addr)
	return p
}

// withoutReplicaOf drops a --replicaof host port option from args.
func withoutReplicaOf(args []string) []string {
	out := make([]string, 0, len(args))
	for i := 0; i < len(args); i++ {
		if args[i] == "--replicaof" && i+2 < len(args) {
			i += 2
			continue
		}
		out = append(out, args[i])
	}
	return out
}
