package e2e

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/authgate/authgate/gate/device/deviceclient"
	"github.com/authgate/authgate/internal/testenv"
)

// throughputUsers is how many users log in at once in
// BenchmarkLoginThroughputByInstances, each with a phone of its own.
const throughputUsers = 48

// BenchmarkLoginThroughputByInstances measures whole logins per second
// through one, two and three instances of the built Caddy sharing one
// redis-server, throughputUsers at once, as a load balancer without
// sticky sessions would spread them: each login's start, phone and
// collection go to three different instances (of those there are). It
// reports, per login, the CPU of Redis, of the instances together and
// of the load itself (the browsers and phones of this process: HTTP and
// the phones' signatures), and how busy Redis and the machine were, so
// that the figures say where the limit is:
//
//	go test -run '^$' -bench LoginThroughputByInstances -benchtime 2000x -count 3 ./e2e/
func BenchmarkLoginThroughputByInstances(b *testing.B) {
	redis := testenv.StartRedis(b)
	up := newUpstream(b)
	gates := make([]*gate, 3)
	for i := range gates {
		gates[i] = startBenchGate(b, storeLine(redis.URL(0)), "", up)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	b.Cleanup(cancel)
	transport := &http.Transport{MaxIdleConnsPerHost: throughputUsers}
	b.Cleanup(transport.CloseIdleConnections)
	users := make([]benchUser, throughputUsers)
	for u := range users {
		email := fmt.Sprintf("load%d@example.com", u)
		dev, err := enrollDevice(ctx, gates[u%len(gates)].caddy.Admin, email)
		if err != nil {
			b.Fatal(err)
		}
		dev.HTTP = &http.Client{Transport: transport}
		users[u] = benchUser{email: email, phones: make([]*deviceclient.Client, len(gates))}
		for i, g := range gates {
			phone := *dev
			phone.BaseURL = g.base + "/.authgate"
			users[u].phones[i] = &phone
		}
	}
	for n := 1; n <= len(gates); n++ {
		b.Run(fmt.Sprintf("instances=%d", n), func(b *testing.B) {
			benchmarkLoginsAcross(ctx, b, redis, gates[:n], users, transport)
		})
	}
}

// benchUser is a user of the throughput benchmark, with its phone as a
// client of each instance.
type benchUser struct {
	email  string
	phones []*deviceclient.Client
}

// benchmarkLoginsAcross makes b.N logins through gates, len(users) at
// once, and reports what they cost.
func benchmarkLoginsAcross(ctx context.Context, b *testing.B, redis *testenv.Redis, gates []*gate, users []benchUser, transport http.RoundTripper) {
	before, err := takeLoadCPU(ctx, b, redis, gates)
	if err != nil {
		b.Fatal(err)
	}
	var next atomic.Int64
	var failed atomic.Pointer[error]
	var wg sync.WaitGroup
	cookies := make([]string, len(users))
	b.ResetTimer()
	start := time.Now()
	for u := range users {
		wg.Go(func() {
			for k := next.Add(1); k <= int64(b.N) && failed.Load() == nil; k = next.Add(1) {
				i := int(k) % len(gates)
				startAt, phone, checkAt := gates[i], users[u].phones[(i+1)%len(gates)], gates[(i+2)%len(gates)]
				cookie, err := loginAcross(ctx, transport, users[u].email, startAt.base, phone, checkAt.base)
				if err != nil {
					err = fmt.Errorf("login %d of %s: %w", k, users[u].email, err)
					failed.CompareAndSwap(nil, &err)
					return
				}
				cookies[u] = cookie
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	if err := failed.Load(); err != nil {
		b.Fatal(*err)
	}
	after, err := takeLoadCPU(ctx, b, redis, gates)
	if err != nil {
		b.Fatal(err)
	}
	for u, cookie := range cookies {
		if cookie != "" {
			opensTheApp(ctx, b, transport, gates[u%len(gates)].base, cookie, users[u].email)
		}
	}
	per := func(d time.Duration) float64 { return float64(d.Microseconds()) / float64(b.N) }
	busy := func(d time.Duration) float64 { return 100 * d.Seconds() / elapsed.Seconds() }
	redisCPU, gatesCPU, loadCPU := after.redis-before.redis, after.gates-before.gates, after.load-before.load
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "logins/s")
	b.ReportMetric(per(redisCPU), "redis-µs/login")
	b.ReportMetric(per(gatesCPU), "gateways-µs/login")
	b.ReportMetric(per(loadCPU), "load-µs/login")
	b.ReportMetric(busy(redisCPU), "redis-busy-%")
	b.ReportMetric(busy(redisCPU+gatesCPU+loadCPU), "machine-busy-%")
}

// loadCPU is the CPU time used so far by Redis, by the instances
// together and by this process (the load).
type loadCPU struct{ redis, gates, load time.Duration }

// takeLoadCPU reads Redis's INFO cpu, each instance's process CPU from
// its admin endpoint's metrics, and this process's own.
func takeLoadCPU(ctx context.Context, b *testing.B, redis *testenv.Redis, gates []*gate) (loadCPU, error) {
	out := loadCPU{redis: redis.Stats(b).CPU}
	for _, g := range gates {
		d, err := processCPU(ctx, g.caddy.Admin)
		if err != nil {
			return out, err
		}
		out.gates += d
	}
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return out, fmt.Errorf("reading this process's CPU: %w", err)
	}
	out.load = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	return out, nil
}

// processCPU reads process_cpu_seconds_total from the metrics a Caddy
// admin endpoint serves.
func processCPU(ctx context.Context, adminURL string) (time.Duration, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, adminURL+"/metrics", nil)
	if err != nil {
		return 0, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, fmt.Errorf("reading the metrics of %s: %w", adminURL, err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "process_cpu_seconds_total "); ok {
			s, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			if err != nil {
				return 0, fmt.Errorf("metrics of %s: process_cpu_seconds_total %q", adminURL, v)
			}
			return time.Duration(s * float64(time.Second)), nil
		}
	}
	return 0, fmt.Errorf("metrics of %s (%d): no process_cpu_seconds_total", adminURL, resp.StatusCode)
}

// opensTheApp fails b unless cookie opens the protected app at base as
// email: the logins measured were real ones.
func opensTheApp(ctx context.Context, b *testing.B, transport http.RoundTripper, base, cookie, email string) {
	b.Helper()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/", nil)
	if err != nil {
		b.Fatal(err)
	}
	req.Header.Set("Cookie", "authgate_session="+cookie)
	resp, err := (&http.Client{Transport: transport}).Do(req)
	if err != nil {
		b.Fatal(err)
	}
	body := readAll(resp)
	if resp.StatusCode != http.StatusOK || string(body) != "hello "+email {
		b.Fatalf("a session cookie of %s at %s: %d %s", email, base, resp.StatusCode, body)
	}
}
