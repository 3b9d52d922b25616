package gateway

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/authgate/authgate/gate/device"
	"github.com/authgate/authgate/gate/device/deviceclient"
	"github.com/authgate/authgate/gate/flow"
	"github.com/authgate/authgate/gate/store/redisstore"
	"github.com/authgate/authgate/gate/token"
	"github.com/authgate/authgate/internal/testenv"
)

// BenchmarkLoginServerTimeRedis measures the server's own time for one
// whole login against a real Redis on loopback: the handler time of the
// browser's start, the device's decision and the browser's check that
// returns the cookie, summed per login. Client time and HTTP transport are
// left out. It reports the mean (ns/op is wall time per login, clients
// included) and the 99th percentile of the server time.
func BenchmarkLoginServerTimeRedis(b *testing.B) {
	r := testenv.StartRedis(b)
	st, err := redisstore.Open(r.URL(0), redisstore.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	key, _ := token.NewHS256Key("k1", []byte("0123456789abcdef0123456789abcdef"))
	g, err := New(Config{Flow: flow.Config{PushesPerEmail: 1 << 30, PushesPerIP: 1 << 30}}, Deps{Store: st, Keys: []token.Key{key}})
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); g.Run(ctx) }()
	b.Cleanup(func() { cancel(); <-done })
	rt, err := g.Route(RouteConfig{AppID: "bench"})
	if err != nil {
		b.Fatal(err)
	}
	var serverNanos atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		_ = rt.ServeHTTP(w, r, &countingNext{})
		if p := r.URL.Path; strings.HasPrefix(p, "/.authgate/auth/") || p == "/.authgate/device/decide" {
			serverNanos.Add(int64(time.Since(start)))
		}
	}))
	b.Cleanup(srv.Close)

	tok, _, err := g.enroller.CreateToken(ctx, "bench@example.com")
	if err != nil {
		b.Fatal(err)
	}
	dev, err := deviceclient.Enroll(ctx, srv.Client(), device.EnrollmentLink(srv.URL+"/.authgate", tok), "bench")
	if err != nil {
		b.Fatal(err)
	}
	var server []time.Duration
	for b.Loop() {
		jar, _ := cookiejar.New(nil)
		browser := &http.Client{Jar: jar, Transport: srv.Client().Transport}
		serverNanos.Store(0)
		resp, err := browser.Post(srv.URL+"/.authgate/auth/start", "application/json", bytes.NewReader([]byte(`{"email":"bench@example.com"}`)))
		if err != nil {
			b.Fatal(err)
		}
		var s struct {
			SessionID string `json:"session_id"`
			Code      int    `json:"code"`
		}
		err = json.NewDecoder(resp.Body).Decode(&s)
		resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusOK {
			b.Fatalf("start: %d %v", resp.StatusCode, err)
		}
		if status, err := dev.Decide(ctx, s.SessionID, "approve", s.Code); err != nil || status != "approved" {
			b.Fatalf("decide: %q %v", status, err)
		}
		resp, err = browser.Get(srv.URL + "/.authgate/auth/check/" + s.SessionID)
		if err != nil {
			b.Fatal(err)
		}
		resp.Body.Close()
		if !strings.Contains(resp.Header.Get("Set-Cookie"), "authgate_session=") {
			b.Fatalf("check returned no session cookie: %d", resp.StatusCode)
		}
		server = append(server, time.Duration(serverNanos.Load()))
	}
	slices.Sort(server)
	var sum time.Duration
	for _, d := range server {
		sum += d
	}
	b.ReportMetric(float64(sum.Nanoseconds())/float64(len(server)), "server-ns/login")
	b.ReportMetric(float64(server[(len(server)*99)/100].Nanoseconds()), "server-p99-ns/login")
}
