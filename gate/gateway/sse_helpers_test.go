package gateway

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/authgate/authgate/gate/device/deviceclient"
	"github.com/authgate/authgate/gate/event"
	"github.com/authgate/authgate/gate/policy"
	"github.com/authgate/authgate/gate/store"
	"github.com/authgate/authgate/gate/store/memory"
	"github.com/authgate/authgate/gate/store/redisstore"
	"github.com/authgate/authgate/gate/token"
	"github.com/authgate/authgate/internal/testenv"
)

// recordingSink keeps every event emitted.
type recordingSink struct {
	mu     sync.Mutex
	events []event.Event
}

func (s *recordingSink) Emit(_ context.Context, e event.Event) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.events = append(s.events, e)
}

func (s *recordingSink) ofType(typ string) []event.Event {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []event.Event
	for _, e := range s.events {
		if e.Type == typ {
			out = append(out, e)
		}
	}
	return out
}

// liveGate is a running gateway served over HTTP, as a protected site
// serves it.
type liveGate struct {
	gw     *Gateway
	srv    *httptest.Server
	events *recordingSink
}

// forEachTestStore runs body with the memory store and with a real Redis.
func forEachTestStore(t *testing.T, body func(t *testing.T, st store.Store)) {
	t.Run("memory", func(t *testing.T) {
		st := memory.New()
		t.Cleanup(func() { st.Close() })
		body(t, st)
	})
	t.Run("redis", func(t *testing.T) {
		r := testenv.StartRedis(t)
		st, err := redisstore.Open(r.URL(0), redisstore.Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		body(t, st)
	})
}

// newMemoryStore returns a memory store closed when the test ends.
func newMemoryStore(t *testing.T) store.Store {
	st := memory.New()
	t.Cleanup(func() { st.Close() })
	return st
}

// startLiveGate runs a gateway on st behind an httptest server.
func startLiveGate(t *testing.T, st store.Store) *liveGate {
	t.Helper()
	return startLiveGateConfig(t, st, Config{})
}

// startLiveGateConfig is startLiveGate with cfg.
func startLiveGateConfig(t *testing.T, st store.Store, cfg Config) *liveGate {
	t.Helper()
	key, err := token.NewHS256Key("k1", []byte("0123456789abcdef0123456789abcdef"))
	if err != nil {
		t.Fatal(err)
	}
	sink := &recordingSink{}
	g, err := New(cfg, Deps{Store: st, Keys: []token.Key{key}, Events: sink})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); g.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	select {
	case <-g.Synced():
	case <-time.After(5 * time.Second):
		t.Fatal("revocations never synced")
	}
	rt, err := g.Route(RouteConfig{AppID: "sse-test", Rules: policy.Rules{Domains: []string{"example.com"}}})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = rt.ServeHTTP(w, r, &countingNext{})
	}))
	t.Cleanup(srv.Close)
	return &liveGate{gw: g, srv: srv, events: sink}
}

// enroll makes an enrolment link and enrols a Go device with it.
func (lg *liveGate) enroll(t *testing.T, email string) *deviceclient.Client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	link, _, err := lg.gw.EnrollmentLink(ctx, lg.srv.URL+lg.gw.Prefix(), email)
	if err != nil {
		t.Fatal(err)
	}
	dev, err := deviceclient.Enroll(ctx, lg.srv.Client(), link, "Test phone")
	if err != nil {
		t.Fatal(err)
	}
	return dev
}

// testBrowser is a cookie-keeping client.
type testBrowser struct {
	t    *testing.T
	base string
	http *http.Client
}

func (lg *liveGate) browser(t *testing.T) *testBrowser {
	jar, _ := cookiejar.New(nil)
	return &testBrowser{t: t, base: lg.srv.URL, http: &http.Client{
		Jar: jar, Timeout: 10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// start begins a login for email with a Chrome-on-Linux user agent.
func (b *testBrowser) start(email string) (id string, code int) {
	b.t.Helper()
	body, _ := json.Marshal(map[string]string{"email": email, "rd": "/after"})
	req, _ := http.NewRequest(http.MethodPost, b.base+"/.authgate/auth/start", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36")
	resp, err := b.http.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct {
		SessionID string `json:"session_id"`
		Code      int    `json:"code"`
	}
	if resp.StatusCode != http.StatusOK || json.NewDecoder(resp.Body).Decode(&out) != nil {
		b.t.Fatalf("start: %d", resp.StatusCode)
	}
	return out.SessionID, out.Code
}

// sseEvent is one server-sent event.
type sseEvent struct {
	Name string
	Data string
}

// sseReader reads events from a stream, skipping comments.
type sseReader struct {
	resp *http.Response
	br   *bufio.Reader
}

// openStream sends req and checks that it opened an event stream.
func openStream(t *testing.T, hc *http.Client, req *http.Request) *sseReader {
	t.Helper()
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		t.Fatalf("stream: %d %s: %s", resp.StatusCode, resp.Header.Get("Content-Type"), b)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return &sseReader{resp: resp, br: bufio.NewReader(resp.Body)}
}

// next returns the next event, or io.EOF when the server ended the
// stream.
func (s *sseReader) next() (sseEvent, error) {
	var ev sseEvent
	for {
		line, err := s.br.ReadString('\n')
		if err != nil {
			return ev, err
		}
		line = strings.TrimRight(line, "\n")
		switch {
		case line == "":
			if ev.Name != "" || ev.Data != "" {
				return ev, nil
			}
		case strings.HasPrefix(line, ":"):
		case strings.HasPrefix(line, "event: "):
			ev.Name = strings.TrimPrefix(line, "event: ")
		case strings.HasPrefix(line, "data: "):
			ev.Data += strings.TrimPrefix(line, "data: ")
		default:
			return ev, fmt.Errorf("unexpected stream line %q", line)
		}
	}
}

// mustNext returns the next event and decodes its data into v.
func (s *sseReader) mustNext(t *testing.T, name string, v any) {
	t.Helper()
	ev, err := s.next()
	if err != nil {
		t.Fatalf("reading %s event: %v", name, err)
	}
	if ev.Name != name {
		t.Fatalf("event %q (%s), want %q", ev.Name, ev.Data, name)
	}
	if err := json.Unmarshal([]byte(ev.Data), v); err != nil {
		t.Fatalf("%s event data %q: %v", name, ev.Data, err)
	}
}
