package deviceclient

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/authgate/authgate/gate/device"
	"github.com/authgate/authgate/gate/store"
	"github.com/authgate/authgate/gate/store/memory"
)

// testGate is a small, honest stand-in for the gateway's device handlers,
// written for these tests only: it serves the device HTTP API from a real
// memory store through the real device.Verifier and device.Enroller, and
// decides logins with the real device.VerifyDecision. It leaves out what
// the gateway adds around them (events, rate limits, metrics, SSE).
type testGate struct {
	store    *memory.Store
	verifier *device.Verifier
	enroller *device.Enroller
	server   *httptest.Server
	base     string // gate base URL, with the gate path
}

const gatePath = "/.authgate"

func newTestGate(t *testing.T) *testGate {
	t.Helper()
	s := memory.New()
	g := &testGate{
		store:    s,
		verifier: &device.Verifier{Devices: s},
		enroller: &device.Enroller{Devices: s},
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+gatePath+"/device/enroll", g.enroll)
	mux.HandleFunc("GET "+gatePath+"/device/pending", g.signed(g.pending))
	mux.HandleFunc("POST "+gatePath+"/device/decide", g.signed(g.decide))
	mux.HandleFunc("GET "+gatePath+"/device/me", g.signed(g.me))
	mux.HandleFunc("POST "+gatePath+"/device/rename", g.signed(g.rename))
	g.server = httptest.NewServer(mux)
	g.base = g.server.URL + gatePath
	t.Cleanup(func() { g.server.Close(); s.Close() })
	return g
}

// link makes a one-time enrolment link for email.
func (g *testGate) link(t *testing.T, email string) string {
	t.Helper()
	token, _, err := g.enroller.CreateToken(context.Background(), email)
	if err != nil {
		t.Fatalf("CreateToken: %v", err)
	}
	return device.EnrollmentLink(g.base, token)
}

// startLogin stores a pending login for email whose browser shows code.
func (g *testGate) startLogin(t *testing.T, id, email string, code int) {
	t.Helper()
	ctx := context.Background()
	now := time.Now().UTC()
	l := &store.Login{
		ID: id, Email: email, AppID: "ops", Code: code, Choices: []int{code - 1, code, code + 1},
		ClientIP: "192.0.2.7", UserAgent: "Firefox", CreatedAt: now, ExpiresAt: now.Add(2 * time.Minute),
		Status: store.LoginPending,
	}
	if err := g.store.CreateLogin(ctx, l, 2*time.Minute); err != nil {
		t.Fatalf("CreateLogin: %v", err)
	}
	if _, err := g.store.ClaimPending(ctx, email, id, 2*time.Minute); err != nil {
		t.Fatalf("ClaimPending: %v", err)
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// fail answers err with the status the gateway gives it.
func fail(w http.ResponseWriter, err error) {
	status := http.StatusInternalServerError
	switch {
	case errors.Is(err, device.ErrUnauthorized):
		status = http.StatusUnauthorized
	case errors.Is(err, store.ErrUnavailable):
		status = http.StatusServiceUnavailable
	case errors.Is(err, device.ErrInvalidKey), errors.Is(err, device.ErrInvalidDecision),
		errors.Is(err, device.ErrEnrollmentInvalid):
		status = http.StatusBadRequest
	case errors.Is(err, store.ErrNotFound):
		status = http.StatusNotFound
	case errors.Is(err, store.ErrConflict):
		status = http.StatusConflict
	}
	writeJSON(w, status, device.ErrorResponse{Error: err.Error()})
}

// signed reads the body, verifies the request and passes on the device.
func (g *testGate) signed(next func(http.ResponseWriter, *http.Request, *store.Device, []byte)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(io.LimitReader(r.Body, 64<<10))
		if err != nil {
			fail(w, err)
			return
		}
		d, err := g.verifier.VerifyRequest(r.Context(), r, body)
		if err != nil {
			fail(w, err)
			return
		}
		next(w, r, d, body)
	}
}

func (g *testGate) enroll(w http.ResponseWriter, r *http.Request) {
	var in device.EnrollRequest
	if err := json.NewDecoder(io.LimitReader(r.Body, 64<<10)).Decode(&in); err != nil {
		writeJSON(w, http.StatusBadRequest, device.ErrorResponse{Error: "malformed body"})
		return
	}
	der, err := base64.RawURLEncoding.DecodeString(in.PublicKey)
	if err != nil {
		writeJSON(w, http.StatusBadRequest, device.ErrorResponse{Error: "public_key is not base64url"})
		return
	}
	d, err := g.enroller.Enroll(r.Context(), in.Token, der, in.Name, r.UserAgent())
	if err != nil {
		fail(w, err)
		return
	}
	writeJSON(w, http.StatusCreated, device.EnrollResponse{DeviceID: d.ID, Email: d.Email, Name: d.Name})
}

func (g *testGate) pending(w http.ResponseWriter, r *http.Request, d *store.Device, _ []byte) {
	out := device.PendingResponse{Logins: []device.PendingLogin{}}
	id, err := g.store.PendingFor(r.Context(), d.Email)
	if err == nil {
		l, err := g.store.GetLogin(r.Context(), id)
		if err == nil && l.Status == store.LoginPending {
			out.Logins = append(out.Logins, device.PendingLogin{
				SessionID: l.ID, AppID: l.AppID, ClientIP: l.ClientIP, UserAgent: l.UserAgent,
				CreatedAt: l.CreatedAt, ExpiresAt: l.ExpiresAt, Choices: l.Choices,
			})
		}
	}
	writeJSON(w, http.StatusOK, out)
}

func (g *testGate) decide(w http.ResponseWriter, r *http.Request, d *store.Device, body []byte) {
	var in device.DecideRequest
	if err := json.Unmarshal(body, &in); err != nil {
		writeJSON(w, http.StatusBadRequest, device.ErrorResponse{Error: "malformed body"})
		return
	}
	sig, err := device.DecodeSignature(in.Sig)
	if err != nil {
		fail(w, device.ErrInvalidDecision)
		return
	}
	pub, err := device.ParsePublicKey(d.PublicKey)
	if err != nil {
		fail(w, err)
		return
	}
	if err := device.VerifyDecision(pub, in.SessionID, in.Decision, in.Number, in.TS, sig, time.Now(), 0); err != nil {
		fail(w, err)
		return
	}
	l, err := g.store.GetLogin(r.Context(), in.SessionID)
	if err != nil || l.Email != d.Email {
		fail(w, store.ErrNotFound) // another user's login does not exist for this device
		return
	}
	to := store.LoginDenied
	if in.Decision == device.DecisionApprove && in.Number == l.Code {
		to = store.LoginApproved
	}
	l, err = g.store.TransitionLogin(r.Context(), l.ID, store.Transition{
		From: store.LoginPending, To: to, DeviceID: d.ID, At: time.Now(), Reason: in.Decision,
	})
	if err != nil {
		fail(w, err)
		return
	}
	status := device.StatusDenied
	if l.Status == store.LoginApproved {
		status = device.StatusApproved
	}
	writeJSON(w, http.StatusOK, device.DecideResponse{Status: status})
}

func (g *testGate) me(w http.ResponseWriter, _ *http.Request, d *store.Device, _ []byte) {
	writeJSON(w, http.StatusOK, device.InfoOf(d))
}

func (g *testGate) rename(w http.ResponseWriter, r *http.Request, d *store.Device, body []byte) {
	var in device.RenameRequest
	if err := json.Unmarshal(body, &in); err != nil {
		writeJSON(w, http.StatusBadRequest, device.ErrorResponse{Error: "malformed body"})
		return
	}
	d.Name = device.CleanName(in.Name)
	if err := g.store.UpdateDevice(r.Context(), d.ID, d.Name, d.LastUsed); err != nil {
		fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, device.InfoOf(d))
}
