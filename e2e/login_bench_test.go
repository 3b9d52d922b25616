package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/authgate/authgate/gate/device/deviceclient"
	"github.com/authgate/authgate/internal/testenv"
)

// BenchmarkFullLoginRedis measures one whole push-to-approve login against
// the built Caddy with a real Redis store: a fresh browser starts the
// login, the enrolled Go device sees it and approves it with the number the
// browser shows, and the browser collects its session cookie. It reports
// the time per login and, as p99-ns/login, the 99th percentile of the
// logins' wall times. Client and server share the machine, so this is the
// latency of the gateway and Redis plus the clients' own work.
//
// The logins all belong to one user, one after another; the per-email and
// per-IP push limits are raised so that they do not refuse them. Nothing
// here runs unless benchmarks are asked for (-bench).
func BenchmarkFullLoginRedis(b *testing.B) {
	redis := testenv.StartRedis(b)
	benchmarkLogins(b, "store redis "+redis.URL(0), "")
}

// BenchmarkLoginWithSlowWebhookReceiver measures the same login with no
// webhook receiver and with one that takes 10 s to answer every delivery:
// deliveries go through the outbox, so the receiver must add nothing to
// the login's time.
func BenchmarkLoginWithSlowWebhookReceiver(b *testing.B) {
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-time.After(10 * time.Second):
		case <-r.Context().Done():
		}
	}))
	b.Cleanup(slow.Close)
	b.Run("receiver=none", func(b *testing.B) { benchmarkLogins(b, "store memory", "") })
	b.Run("receiver=sleeps-10s", func(b *testing.B) {
		benchmarkLogins(b, "store memory", "webhook "+slow.URL+" {\n\t\t\tsecret "+testWebhookSecret+"\n\t\t\tevents *\n\t\t}")
	})
}

// benchmarkLogins runs whole logins against a Caddy with the given store
// option and extra global options, one after another for one user.
func benchmarkLogins(b *testing.B, storeOpt, extra string) {
	const email = "bench@example.com"
	g := startBenchGate(b, storeOpt, extra, newUpstream(b))
	base := g.base
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	dev, err := enrollDevice(ctx, g.caddy.Admin, email)
	if err != nil {
		b.Fatal(err)
	}
	// One transport for every browser, as for a browser that keeps its
	// connections; each login still starts with an empty cookie jar.
	transport := &http.Transport{MaxIdleConnsPerHost: 4}
	b.Cleanup(transport.CloseIdleConnections)

	var times []time.Duration
	var cookie string
	for b.Loop() {
		start := time.Now()
		cookie, err = fullLogin(ctx, base, transport, dev, email)
		if err != nil {
			b.Fatalf("login %d: %v", len(times)+1, err)
		}
		times = append(times, time.Since(start))
	}
	b.ReportMetric(float64(percentile(times, 0.99).Nanoseconds()), "p99-ns/login")

	// The last cookie must open the protected app: the logins measured
	// were real ones.
	opensTheApp(ctx, b, transport, base, cookie, email)
}

// startBenchGate runs the built Caddy as one gateway instance with the
// store option storeOpt and extra lines of the authgate block, guarding
// up for the users of example.com with the push limits raised.
func startBenchGate(b *testing.B, storeOpt, extra string, up *upstream) *gate {
	b.Helper()
	return startGateWith(b, storeOpt, up, gateLines{app: "pushes_per_email 1000000\n\t\tpushes_per_ip 1000000\n\t\t" + extra})
}

// enrollDevice asks the admin API for an enrolment link and enrols a Go
// device client with it.
func enrollDevice(ctx context.Context, adminURL, email string) (*deviceclient.Client, error) {
	body, err := json.Marshal(map[string]string{"email": email})
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, adminURL+"/authgate/enroll", bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("asking for an enrolment link: %w", err)
	}
	data := readAll(resp)
	var out struct{ Link string }
	if resp.StatusCode != http.StatusOK || json.Unmarshal(data, &out) != nil || out.Link == "" {
		return nil, fmt.Errorf("asking for an enrolment link: %d %s", resp.StatusCode, data)
	}
	dev, err := deviceclient.Enroll(ctx, http.DefaultClient, out.Link, "Bench phone")
	if err != nil {
		return nil, fmt.Errorf("enrolling the device: %w", err)
	}
	return dev, nil
}

// fullLogin runs one login as a new browser and returns the session
// cookie's value: start, the device's approval with the browser's number,
// and the check that hands out the cookie.
func fullLogin(ctx context.Context, base string, transport http.RoundTripper, dev *deviceclient.Client, email string) (string, error) {
	return loginAcross(ctx, transport, email, base, dev, base)
}

// loginAcross is fullLogin with its steps on gateway instances that may
// differ, as behind a load balancer: the browser starts at startBase, the
// device calls the instance its BaseURL names, and the browser collects
// its cookie at checkBase (a cookie is kept per host, whatever the port).
func loginAcross(ctx context.Context, transport http.RoundTripper, email, startBase string, dev *deviceclient.Client, checkBase string) (string, error) {
	jar, err := cookiejar.New(nil)
	if err != nil {
		return "", err
	}
	browser := &http.Client{
		Jar: jar, Transport: transport,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	var s struct {
		SessionID string `json:"session_id"`
		Code      int    `json:"code"`
	}
	in, err := json.Marshal(map[string]string{"email": email, "app_id": "e2e", "rd": "/"})
	if err != nil {
		return "", err
	}
	if err := callJSON(ctx, browser, http.MethodPost, startBase+"/.authgate/auth/start", in, &s); err != nil {
		return "", fmt.Errorf("start: %w", err)
	}
	p, err := dev.WaitPending(ctx, 5*time.Millisecond)
	if err != nil {
		return "", fmt.Errorf("waiting for the push: %w", err)
	}
	if p.SessionID != s.SessionID {
		return "", fmt.Errorf("the device sees login %s, the browser started %s", p.SessionID, s.SessionID)
	}
	if status, err := dev.Decide(ctx, s.SessionID, "approve", s.Code); err != nil || status != "approved" {
		return "", fmt.Errorf("approve: %q %w", status, err)
	}
	var c struct {
		Status string `json:"status"`
	}
	if err := callJSON(ctx, browser, http.MethodGet, checkBase+"/.authgate/auth/check/"+s.SessionID, nil, &c); err != nil {
		return "", fmt.Errorf("check: %w", err)
	}
	u, err := http.NewRequest(http.MethodGet, checkBase+"/", nil)
	if err != nil {
		return "", err
	}
	for _, ck := range jar.Cookies(u.URL) {
		if ck.Name == "authgate_session" && ck.Value != "" && c.Status == "approved" {
			return ck.Value, nil
		}
	}
	return "", fmt.Errorf("check answered %q without a session cookie", c.Status)
}

// callJSON sends body (if any) as JSON and decodes a 200 answer into out.
func callJSON(ctx context.Context, client *http.Client, method, url string, body []byte, out any) error {
	var r io.Reader
	if body != nil {
		r = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, r)
	if err != nil {
		return err
	}
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	data := readAll(resp)
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s %s: %d %s", method, url, resp.StatusCode, data)
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("%s %s: body is not JSON: %w: %s", method, url, err, data)
	}
	return nil
}

// percentile is the nearest-rank q-quantile of ds (0 for none); it sorts a
// copy.
func percentile(ds []time.Duration, q float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	i := int(math.Ceil(q*float64(len(s)))) - 1
	return s[min(max(i, 0), len(s)-1)]
}

func TestPercentileIsNearestRank(t *testing.T) {
	ms := func(ns ...int) []time.Duration {
		var ds []time.Duration
		for _, n := range ns {
			ds = append(ds, time.Duration(n)*time.Millisecond)
		}
		return ds
	}
	hundred := make([]int, 100)
	for i := range hundred {
		hundred[i] = 100 - i
	}
	tests := []struct {
		name string
		in   []time.Duration
		q    float64
		want time.Duration
	}{
		{name: "none", in: nil, q: 0.99, want: 0},
		{name: "one", in: ms(7), q: 0.99, want: 7 * time.Millisecond},
		{name: "p99 of 1..100 is 99", in: ms(hundred...), q: 0.99, want: 99 * time.Millisecond},
		{name: "p50 of four is the second", in: ms(4, 1, 3, 2), q: 0.5, want: 2 * time.Millisecond},
		{name: "p99 of ten is the largest", in: ms(5, 9, 1, 3, 7, 2, 8, 4, 6, 10), q: 0.99, want: 10 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := percentile(tt.in, tt.q); got != tt.want {
				t.Fatalf("percentile(%v, %v) = %v, want %v", tt.in, tt.q, got, tt.want)
			}
		})
	}
}
