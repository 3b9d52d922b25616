package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/authgate/authgate/gate/push"
	"github.com/authgate/authgate/internal/testenv"
)

// pushBenchGate runs a Caddy for the push benchmarks: one user, limits
// raised so that no start is refused, the given push options.
func pushBenchGate(b *testing.B, storeOpt, extra string) (base, admin string) {
	b.Helper()
	g := startBenchGate(b, storeOpt, "push_contact mailto:ops@example.com\n\t\t"+extra, newUpstream(b))
	return g.base, g.caddy.Admin
}

// unblock clears the user's repeat window through the admin API (a second
// login within 15 s of one sends no second push), so that every start
// measured sends one.
func unblock(ctx context.Context, adminURL, email string) error {
	body, _ := json.Marshal(map[string]string{"email": email})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, adminURL+"/authgate/unblock", bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	if data := readAll(resp); resp.StatusCode != http.StatusOK {
		return fmt.Errorf("unblock: %d %s", resp.StatusCode, data)
	}
	return nil
}

// starter starts logins for one email from one browser, so each start
// replaces the browser's previous pending login.
type starter struct {
	client *http.Client
	url    string
	body   []byte
}

func newStarter(b *testing.B, base, email string) *starter {
	jar, _ := cookiejar.New(nil)
	body, _ := json.Marshal(map[string]string{"email": email, "app_id": "bench", "rd": "/"})
	tr := &http.Transport{MaxIdleConnsPerHost: 2}
	b.Cleanup(tr.CloseIdleConnections)
	return &starter{client: &http.Client{Jar: jar, Transport: tr}, url: base + "/.authgate/auth/start", body: body}
}

func (s *starter) start(ctx context.Context) error {
	var out struct {
		SessionID string `json:"session_id"`
	}
	if err := callJSON(ctx, s.client, http.MethodPost, s.url, s.body, &out); err != nil {
		return err
	}
	if out.SessionID == "" {
		return fmt.Errorf("start: no session id")
	}
	return nil
}

// BenchmarkAuthStartWithHangingPushService measures POST /auth/start for
// a user whose phone has no subscription, and for one whose push service
// holds every request for 30 s: pushes are sent by the app's worker pool,
// so the hanging service must add nothing to the start. Compare with
//
//	go test -run '^$' -bench AuthStartWithHangingPushService -count 10 ./e2e/ > out.txt
//	benchstat -col /push out.txt
func BenchmarkAuthStartWithHangingPushService(b *testing.B) {
	release := make(chan struct{})
	var hits atomic.Int64
	hang := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		select {
		case <-time.After(30 * time.Second):
		case <-r.Context().Done():
		case <-release:
		}
	}))
	b.Cleanup(func() { close(release); hang.Close() })
	hangPort := hang.URL[strings.LastIndexByte(hang.URL, ':')+1:]
	for _, tc := range []struct {
		name      string
		subscribe bool
	}{{"push=none", false}, {"push=hangs-30s", true}} {
		b.Run(tc.name, func(b *testing.B) {
			const email = "bench@example.com"
			base, admin := pushBenchGate(b, "store memory", "push_services http://localhost:"+hangPort)
			ctx := b.Context()
			dev, err := enrollDevice(ctx, admin, email)
			if err != nil {
				b.Fatal(err)
			}
			if tc.subscribe {
				sub := push.SubscriptionJSON{Endpoint: "http://localhost:" + hangPort + "/wpush/bench"}
				sub.Keys.P256dh, sub.Keys.Auth = validP256dh, "AAAAAAAAAAAAAAAAAAAAAA"
				if _, err := dev.SetPush(ctx, sub); err != nil {
					b.Fatal(err)
				}
			}
			s := newStarter(b, base, email)
			before := hits.Load()
			b.ResetTimer()
			for range b.N {
				b.StopTimer()
				if err := unblock(ctx, admin, email); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				if err := s.start(ctx); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			// The pushes really went to the service, which holds them.
			for deadline := time.Now().Add(5 * time.Second); tc.subscribe && hits.Load() == before; {
				if time.Now().After(deadline) {
					b.Fatal("no push reached the hanging push service")
				}
				time.Sleep(10 * time.Millisecond)
			}
		})
	}
}

// BenchmarkStartToPushRedis measures, with the Redis store, the time from
// a browser's POST /auth/start to the arrival of the push request at the
// push service (web-push-testing, behind a loopback proxy that notes the
// arrival), and reports its p50 and p99.
func BenchmarkStartToPushRedis(b *testing.B) {
	redis := testenv.StartRedis(b)
	ps := startWebPushService(b)
	target, _ := url.Parse(ps.base)
	arrived := make(chan time.Time, 1024)
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		arrived <- time.Now()
		httputil.NewSingleHostReverseProxy(target).ServeHTTP(w, r)
	}))
	b.Cleanup(proxy.Close)
	proxyPort := proxy.URL[strings.LastIndexByte(proxy.URL, ':')+1:]
	base, admin := pushBenchGate(b, "store redis "+redis.URL(0), "push_services http://localhost:"+proxyPort)
	ctx := b.Context()
	const email = "bench@example.com"
	dev, err := enrollDevice(ctx, admin, email)
	if err != nil {
		b.Fatal(err)
	}
	key := func() string {
		resp, err := http.Get(base + "/.authgate/push/key")
		if err != nil {
			b.Fatal(err)
		}
		var k struct {
			PublicKey string `json:"public_key"`
		}
		_ = json.NewDecoder(resp.Body).Decode(&k)
		resp.Body.Close()
		return k.PublicKey
	}()
	sub, hash := ps.subscribe(key)
	sub.Endpoint = strings.Replace(sub.Endpoint, ps.base, "http://localhost:"+proxyPort, 1)
	if _, err := dev.SetPush(ctx, sub); err != nil {
		b.Fatal(err)
	}
	s := newStarter(b, base, email)
	var times []time.Duration
	for b.Loop() {
		if err := unblock(ctx, admin, email); err != nil {
			b.Fatal(err)
		}
		t0 := time.Now()
		if err := s.start(ctx); err != nil {
			b.Fatal(err)
		}
		select {
		case at := <-arrived:
			times = append(times, at.Sub(t0))
		case <-time.After(10 * time.Second):
			b.Fatalf("push %d did not arrive", len(times)+1)
		}
	}
	b.ReportMetric(float64(percentile(times, 0.50).Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(percentile(times, 0.99).Microseconds())/1000, "p99-ms")
	// The pushes measured were real: the push service verified and
	// decrypted them (the last one may still be on its way).
	if n := len(ps.waitMessages(hash, len(times)-1)); n < len(times)-1 {
		b.Fatalf("push service decrypted %d of %d pushes", n, len(times))
	}
}
