package gateway

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/authgate/authgate/gate/device/deviceclient"
	"github.com/authgate/authgate/gate/store"
	"github.com/authgate/authgate/gate/store/redisstore"
	"github.com/authgate/authgate/internal/testenv"
)

// requestRecorder keeps a copy of the last request a client sent.
type requestRecorder struct {
	next   http.RoundTripper
	method string
	url    string
	header http.Header
	body   []byte
}

func (r *requestRecorder) RoundTrip(req *http.Request) (*http.Response, error) {
	r.method, r.url, r.header, r.body = req.Method, req.URL.String(), req.Header.Clone(), nil
	if req.Body != nil {
		b, err := io.ReadAll(req.Body)
		if err != nil {
			return nil, err
		}
		r.body = b
		req.Body = io.NopCloser(bytes.NewReader(b))
	}
	return r.next.RoundTrip(req)
}

// replay sends the recorded request again and returns its status.
func (r *requestRecorder) replay(t *testing.T) int {
	t.Helper()
	req, err := http.NewRequest(r.method, r.url, bytes.NewReader(r.body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header = r.header.Clone()
	resp, err := r.next.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// On Redis, a device enrolled now (its id names its user's group: the
// decision takes its marker in the same script) and one enrolled before
// groups (dev_ and random: two steps) both approve logins, are listed
// and removed; a replayed pending read or decision of either is refused.
func TestDevicesOfBothIDKindsApproveOnRedis(t *testing.T) {
	r := testenv.StartRedis(t)
	st, err := redisstore.Open(r.URL(0), redisstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	lg := startLiveGate(t, st)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	const email = "kinds@example.com"
	grouped := lg.enroll(t, email)
	if store.DeviceGroup(grouped.DeviceID) != store.GroupOf(email) {
		t.Fatalf("a device enrolled now has id %q, without its user's group", grouped.DeviceID)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	old := &store.Device{ID: "dev_" + rand.Text(), Email: email, Name: "Old phone", PublicKey: der, CreatedAt: time.Now().Add(-time.Hour).Truncate(time.Millisecond)}
	if err := st.CreateDevice(ctx, old); err != nil {
		t.Fatal(err)
	}
	oldClient := &deviceclient.Client{BaseURL: grouped.BaseURL, DeviceID: old.ID, Email: email, Key: key, HTTP: lg.srv.Client()}

	for _, c := range []*deviceclient.Client{grouped, oldClient} {
		rec := &requestRecorder{next: lg.srv.Client().Transport}
		c.HTTP = &http.Client{Transport: rec}
		b := lg.browser(t)
		id, code := b.start(email)
		pending, err := c.Pending(ctx)
		if err != nil || len(pending) != 1 || pending[0].SessionID != id {
			t.Fatalf("pending of %s: %+v %v", c.DeviceID, pending, err)
		}
		if status := rec.replay(t); status != http.StatusUnauthorized {
			t.Fatalf("replayed pending read of %s: %d, want 401", c.DeviceID, status)
		}
		if status, err := c.Decide(ctx, id, "approve", code); err != nil || status != "approved" {
			t.Fatalf("approve with %s: %q %v", c.DeviceID, status, err)
		}
		if status := rec.replay(t); status != http.StatusUnauthorized {
			t.Fatalf("replayed decision of %s: %d, want 401", c.DeviceID, status)
		}
		var chk checkResponse
		if status := getJSON(t, b, "/.authgate/auth/check/"+id, &chk); status != http.StatusOK || chk.Redirect == "" {
			t.Fatalf("collect after %s approved: %d %+v", c.DeviceID, status, chk)
		}
		sessions, err := st.ListSessions(ctx, email)
		if err != nil || len(sessions) == 0 || sessions[len(sessions)-1].DeviceID != c.DeviceID {
			t.Fatalf("sessions after %s approved: %v %v", c.DeviceID, sessions, err)
		}
	}
	devices, err := st.ListDevices(ctx, email)
	if err != nil || len(devices) != 2 || devices[0].ID != old.ID || devices[1].ID != grouped.DeviceID {
		t.Fatalf("ListDevices: %v %v", devices, err)
	}
	for _, d := range devices {
		if err := st.DeleteDevice(ctx, d.ID); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range []*deviceclient.Client{grouped, oldClient} {
		if _, err := c.Pending(ctx); err == nil {
			t.Fatalf("a removed device %s still reads its pending logins", c.DeviceID)
		}
	}
}
