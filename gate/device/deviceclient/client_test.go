package deviceclient

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/authgate/authgate/gate/device"
	"github.com/authgate/authgate/gate/store"
)

func enrollClient(t *testing.T, g *testGate, email, name string) *Client {
	t.Helper()
	c, err := Enroll(context.Background(), g.server.Client(), g.link(t, email), name)
	if err != nil {
		t.Fatalf("Enroll: %v", err)
	}
	return c
}

// wantAPIError checks that err is an *APIError with the given status.
func wantAPIError(t *testing.T, err error, status int) *APIError {
	t.Helper()
	var apiErr *APIError
	if !errors.As(err, &apiErr) || apiErr.Status != status {
		t.Fatalf("error = %v, want an APIError with status %d", err, status)
	}
	return apiErr
}

func TestEnrollThenMeAndRename(t *testing.T) {
	g := newTestGate(t)
	ctx := context.Background()
	c := enrollClient(t, g, "alice@example.com", "Alice's laptop")
	if c.Email != "alice@example.com" || !strings.HasPrefix(c.DeviceID, "dev") || c.BaseURL != g.base {
		t.Fatalf("client = %+v", c)
	}
	me, err := c.Me(ctx)
	if err != nil || me.DeviceID != c.DeviceID || me.Name != "Alice's laptop" || me.CreatedAt.IsZero() {
		t.Fatalf("Me = %+v, %v", me, err)
	}
	renamed, err := c.Rename(ctx, "  Work\x07 phone ")
	if err != nil || renamed.Name != "Work phone" {
		t.Fatalf("Rename = %+v, %v", renamed, err)
	}
	if me, err := c.Me(ctx); err != nil || me.Name != "Work phone" {
		t.Fatalf("Me after rename = %+v, %v", me, err)
	}
}

func TestEnrollLinkWorksOnce(t *testing.T) {
	g := newTestGate(t)
	link := g.link(t, "alice@example.com")
	if _, err := Enroll(context.Background(), g.server.Client(), link, ""); err != nil {
		t.Fatalf("first Enroll: %v", err)
	}
	_, err := Enroll(context.Background(), g.server.Client(), link, "")
	if apiErr := wantAPIError(t, err, http.StatusBadRequest); !strings.Contains(apiErr.Message, "enrolment token") {
		t.Fatalf("message = %q", apiErr.Message)
	}
}

func TestEnrollRefusesABadLinkWithoutCallingAnyone(t *testing.T) {
	if _, err := Enroll(context.Background(), nil, "https://gate.example/app?enroll=x", ""); !errors.Is(err, device.ErrInvalidLink) {
		t.Fatalf("Enroll = %v, want ErrInvalidLink", err)
	}
}

func TestApproveWithTheRightNumber(t *testing.T) {
	for _, enc := range []SignatureEncoding{SignatureRaw, SignatureDER} {
		g := newTestGate(t)
		ctx := context.Background()
		c := enrollClient(t, g, "alice@example.com", "")
		c.SignatureEncoding = enc
		if logins, err := c.Pending(ctx); err != nil || len(logins) != 0 {
			t.Fatalf("Pending before any login = %v, %v; want none", logins, err)
		}
		g.startLogin(t, "sess_1", "alice@example.com", 42)
		p, err := c.WaitPending(ctx, time.Millisecond)
		if err != nil || p.SessionID != "sess_1" || len(p.Choices) != 3 || p.ClientIP != "192.0.2.7" {
			t.Fatalf("WaitPending = %+v, %v", p, err)
		}
		status, err := c.Decide(ctx, p.SessionID, device.DecisionApprove, 42)
		if err != nil || status != device.StatusApproved {
			t.Fatalf("Decide (encoding %d) = %q, %v; want approved", enc, status, err)
		}
		l, err := g.store.GetLogin(ctx, "sess_1")
		if err != nil || l.Status != store.LoginApproved || l.DeviceID != c.DeviceID {
			t.Fatalf("login after approval = %+v, %v", l, err)
		}
		// A login is decided once.
		_, err = c.Decide(ctx, p.SessionID, device.DecisionDeny, 0)
		wantAPIError(t, err, http.StatusConflict)
	}
}

func TestDecisionsThatDeny(t *testing.T) {
	cases := []struct {
		name     string
		decision string
		number   int
	}{
		{"wrong number", device.DecisionApprove, 41},
		{"deny", device.DecisionDeny, 0},
		{"report", device.DecisionReport, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			g := newTestGate(t)
			c := enrollClient(t, g, "alice@example.com", "")
			g.startLogin(t, "sess_1", "alice@example.com", 42)
			status, err := c.Decide(context.Background(), "sess_1", tc.decision, tc.number)
			if err != nil || status != device.StatusDenied {
				t.Fatalf("Decide = %q, %v; want denied", status, err)
			}
		})
	}
}

func TestAnotherUsersDeviceCannotDecide(t *testing.T) {
	g := newTestGate(t)
	g.startLogin(t, "sess_1", "alice@example.com", 42)
	mallory := enrollClient(t, g, "mallory@example.com", "")
	_, err := mallory.Decide(context.Background(), "sess_1", device.DecisionApprove, 42)
	wantAPIError(t, err, http.StatusNotFound)
}

func TestMalformedDecisionIsABadRequest(t *testing.T) {
	g := newTestGate(t)
	c := enrollClient(t, g, "alice@example.com", "")
	_, err := c.Decide(context.Background(), "sess_1", "maybe", 0)
	wantAPIError(t, err, http.StatusBadRequest)
}

func TestClockSkewIsRefused(t *testing.T) {
	g := newTestGate(t)
	c := enrollClient(t, g, "alice@example.com", "")
	c.Now = func() time.Time { return time.Now().Add(-time.Minute) }
	_, err := c.Me(context.Background())
	if apiErr := wantAPIError(t, err, http.StatusUnauthorized); !strings.Contains(apiErr.Message, "clock") {
		t.Fatalf("message %q does not say what is wrong", apiErr.Message)
	}
}

func TestRevokedDeviceIsRefused(t *testing.T) {
	g := newTestGate(t)
	c := enrollClient(t, g, "alice@example.com", "")
	if err := g.store.DeleteDevice(context.Background(), c.DeviceID); err != nil {
		t.Fatal(err)
	}
	_, err := c.Pending(context.Background())
	wantAPIError(t, err, http.StatusUnauthorized)
}

func TestTamperedRequestIsRefused(t *testing.T) {
	g := newTestGate(t)
	c := enrollClient(t, g, "alice@example.com", "")
	req, err := http.NewRequest("POST", g.base+"/device/rename", strings.NewReader(`{"name":"evil"}`))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.SignRequest(req, []byte(`{"name":"good"}`)); err != nil {
		t.Fatal(err)
	}
	resp, err := g.server.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("tampered body: status %d, want 401", resp.StatusCode)
	}
}

func TestQuerySignedRequestIsAccepted(t *testing.T) {
	g := newTestGate(t)
	c := enrollClient(t, g, "alice@example.com", "")
	req, err := http.NewRequest("GET", g.base+"/device/me?view=full", nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.SignRequestQuery(req, nil); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(req.URL.RawQuery, "view=full&ag_device=") {
		t.Fatalf("query = %q", req.URL.RawQuery)
	}
	resp, err := g.server.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("query-signed request: status %d, want 200", resp.StatusCode)
	}
}

func TestWaitPendingFindsALoginThatArrivesLater(t *testing.T) {
	g := newTestGate(t)
	c := enrollClient(t, g, "alice@example.com", "")
	got := make(chan PendingLogin, 1)
	errs := make(chan error, 1)
	go func() {
		p, err := c.WaitPending(context.Background(), time.Millisecond)
		got <- p
		errs <- err
	}()
	g.startLogin(t, "sess_late", "alice@example.com", 17)
	if p, err := <-got, <-errs; err != nil || p.SessionID != "sess_late" {
		t.Fatalf("WaitPending = %+v, %v", p, err)
	}
}

func TestWaitPendingStopsWithItsContext(t *testing.T) {
	g := newTestGate(t)
	c := enrollClient(t, g, "alice@example.com", "")
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	_, err := c.WaitPending(ctx, time.Millisecond)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("WaitPending = %v, want the context's deadline", err)
	}
}

func TestAPIErrorReadsEveryBody(t *testing.T) {
	cases := []struct {
		status int
		body   string
		want   string
	}{
		{401, `{"error":"device: unauthorized: bad signature"}`, "device: unauthorized: bad signature"},
		{502, "<html>Bad Gateway</html>", "<html>Bad Gateway</html>"},
		{503, "", "Service Unavailable"},
		{500, `{"other":1}`, `{"other":1}`},
		{500, strings.Repeat("x", 300), strings.Repeat("x", 200) + "…"},
	}
	for _, c := range cases {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.WriteHeader(c.status)
			_, _ = w.Write([]byte(c.body))
		}))
		cl := &Client{BaseURL: srv.URL, DeviceID: "dev_x", Key: mustKey(t), HTTP: srv.Client()}
		_, err := cl.Me(context.Background())
		srv.Close()
		apiErr := wantAPIError(t, err, c.status)
		if apiErr.Message != c.want {
			t.Errorf("status %d body %.20q: message %q, want %q", c.status, c.body, apiErr.Message, c.want)
		}
	}
}
