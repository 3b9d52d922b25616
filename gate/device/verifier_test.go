package device

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/authgate/authgate/gate/store"
	"github.com/authgate/authgate/gate/store/memory"
)

// fixture is a memory store with two enrolled devices and a clock the test
// moves by hand.
type fixture struct {
	store    store.Store
	now      time.Time
	verifier *Verifier
	alice    *store.Device
	aliceKey *ecdsa.PrivateKey
	bob      *store.Device
	bobKey   *ecdsa.PrivateKey
}

// newFixture builds the fixture on a fresh memory store.
func newFixture(t testing.TB) *fixture {
	t.Helper()
	s := memory.New()
	t.Cleanup(func() { s.Close() })
	return newFixtureOn(t, s)
}

// newFixtureOn builds the fixture on s.
func newFixtureOn(t testing.TB, s store.Store) *fixture {
	t.Helper()
	f := &fixture{store: s, now: time.Now().Truncate(time.Millisecond)}
	clock := func() time.Time { return f.now }
	f.verifier = &Verifier{Devices: f.store, Now: clock}
	f.alice, f.aliceKey = f.enroll(t, "alice@example.com")
	f.bob, f.bobKey = f.enroll(t, "bob@example.com")
	return f
}

func (f *fixture) enroll(t testing.TB, email string) (*store.Device, *ecdsa.PrivateKey) {
	t.Helper()
	ctx := context.Background()
	e := &Enroller{Devices: f.store, Now: func() time.Time { return f.now }}
	token, _, err := e.CreateToken(ctx, email)
	if err != nil {
		t.Fatalf("CreateToken: %v", err)
	}
	key, der := newKey(t)
	d, err := e.Enroll(ctx, token, der, "test phone", "test agent")
	if err != nil {
		t.Fatalf("Enroll: %v", err)
	}
	return d, key
}

// signed describes one signed request before it is built.
type signed struct {
	method, target string
	body           []byte
	deviceID       string
	key            *ecdsa.PrivateKey
	ts             int64
	der            bool // sign as DER rather than raw r||s
	query          bool // carry the credentials as query parameters
}

// build signs s and returns the request and the signature it carries.
func (s signed) build(t testing.TB) (*http.Request, []byte) {
	t.Helper()
	var sig []byte
	msg := RequestMessage(s.method, s.target, s.ts, s.body)
	if s.der {
		sig = signDER(t, s.key, msg)
	} else {
		sig = signRaw(t, s.key, msg)
	}
	return s.withSig(sig), sig
}

// withSig returns the request s carrying sig.
func (s signed) withSig(sig []byte) *http.Request {
	target := s.target
	if s.query {
		sep := "?"
		if strings.Contains(target, "?") {
			sep = "&"
		}
		target += sep + ParamDevice + "=" + s.deviceID + "&" + ParamTimestamp + "=" +
			strconv.FormatInt(s.ts, 10) + "&" + ParamSignature + "=" + EncodeSignature(sig)
	}
	r := httptest.NewRequest(s.method, target, bytes.NewReader(s.body))
	if !s.query {
		r.Header.Set(HeaderDevice, s.deviceID)
		r.Header.Set(HeaderTimestamp, strconv.FormatInt(s.ts, 10))
		r.Header.Set(HeaderSignature, EncodeSignature(sig))
	}
	return r
}

func TestVerifyRequest(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	now := f.now.UnixMilli()
	base := signed{
		method: "POST", target: "/.authgate/device/decide", body: []byte(`{"session_id":"s"}`),
		deviceID: f.alice.ID, key: f.aliceKey, ts: now,
	}
	with := func(change func(*signed)) signed { s := base; change(&s); return s }

	cases := []struct {
		name string
		// request returns the request to verify and its body as received.
		request func(t *testing.T) (*http.Request, []byte)
		want    error
	}{
		{"good, raw", func(t *testing.T) (*http.Request, []byte) {
			r, _ := base.build(t)
			return r, base.body
		}, nil},
		{"good, DER", func(t *testing.T) (*http.Request, []byte) {
			r, _ := with(func(s *signed) { s.der = true }).build(t)
			return r, base.body
		}, nil},
		{"good, GET with no body", func(t *testing.T) (*http.Request, []byte) {
			s := with(func(s *signed) { s.method, s.target, s.body = "GET", "/.authgate/device/pending", nil })
			r, _ := s.build(t)
			return r, nil
		}, nil},
		{"good, query parameters among others", func(t *testing.T) (*http.Request, []byte) {
			s := with(func(s *signed) {
				s.method, s.target, s.body, s.query = "GET", "/.authgate/device/events?since=5&x=%2F", nil, true
			})
			r, _ := s.build(t)
			return r, nil
		}, nil},
		{"good, 30 s old", func(t *testing.T) (*http.Request, []byte) {
			r, _ := with(func(s *signed) { s.ts = now - 30_000 }).build(t)
			return r, base.body
		}, nil},
		{"no credentials", func(t *testing.T) (*http.Request, []byte) {
			return httptest.NewRequest("POST", base.target, nil), base.body
		}, ErrUnsigned},
		{"no signature header", func(t *testing.T) (*http.Request, []byte) {
			r, _ := base.build(t)
			r.Header.Del(HeaderSignature)
			return r, base.body
		}, ErrUnsigned},
		{"timestamp not a number", func(t *testing.T) (*http.Request, []byte) {
			r, _ := base.build(t)
			r.Header.Set(HeaderTimestamp, "yesterday")
			return r, base.body
		}, ErrUnsigned},
		{"signature not base64url", func(t *testing.T) (*http.Request, []byte) {
			r, _ := base.build(t)
			r.Header.Set(HeaderSignature, "a+b/c=")
			return r, base.body
		}, ErrUnsigned},
		{"31 s old", func(t *testing.T) (*http.Request, []byte) {
			r, _ := with(func(s *signed) { s.ts = now - 31_000 }).build(t)
			return r, base.body
		}, ErrStale},
		{"31 s ahead", func(t *testing.T) (*http.Request, []byte) {
			r, _ := with(func(s *signed) { s.ts = now + 31_000 }).build(t)
			return r, base.body
		}, ErrStale},
		{"stale is found before the device is looked up", func(t *testing.T) (*http.Request, []byte) {
			r, _ := with(func(s *signed) { s.ts, s.deviceID = now-60_000, "dev_nobody" }).build(t)
			return r, base.body
		}, ErrStale},
		{"unknown device", func(t *testing.T) (*http.Request, []byte) {
			r, _ := with(func(s *signed) { s.deviceID = "dev_nobody" }).build(t)
			return r, base.body
		}, ErrUnknownDevice},
		{"body altered after signing", func(t *testing.T) (*http.Request, []byte) {
			r, _ := base.build(t)
			return r, []byte(`{"session_id":"t"}`)
		}, ErrBadSignature},
		{"path altered", func(t *testing.T) (*http.Request, []byte) {
			_, sig := base.build(t)
			return with(func(s *signed) { s.target = "/.authgate/device/rename" }).withSig(sig), base.body
		}, ErrBadSignature},
		{"query added to a signed path", func(t *testing.T) (*http.Request, []byte) {
			_, sig := base.build(t)
			return with(func(s *signed) { s.target += "?x=1" }).withSig(sig), base.body
		}, ErrBadSignature},
		{"method altered", func(t *testing.T) (*http.Request, []byte) {
			_, sig := base.build(t)
			return with(func(s *signed) { s.method = "PUT" }).withSig(sig), base.body
		}, ErrBadSignature},
		{"timestamp altered", func(t *testing.T) (*http.Request, []byte) {
			_, sig := base.build(t)
			return with(func(s *signed) { s.ts = now - 1 }).withSig(sig), base.body
		}, ErrBadSignature},
		{"signed by another device's key", func(t *testing.T) (*http.Request, []byte) {
			r, _ := with(func(s *signed) { s.key = f.bobKey }).build(t)
			return r, base.body
		}, ErrBadSignature},
		{"query form with a parameter removed after signing", func(t *testing.T) (*http.Request, []byte) {
			s := with(func(s *signed) {
				s.method, s.target, s.body, s.query = "GET", "/.authgate/device/events?since=5", nil, true
			})
			_, sig := s.build(t)
			s.target = "/.authgate/device/events"
			return s.withSig(sig), nil
		}, ErrBadSignature},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r, body := c.request(t)
			d, err := f.verifier.VerifyRequest(ctx, r, body)
			if c.want == nil {
				if err != nil || d == nil || d.ID != f.alice.ID {
					t.Fatalf("VerifyRequest = %v, %v; want alice's device", d, err)
				}
				return
			}
			if !errors.Is(err, c.want) || !errors.Is(err, ErrUnauthorized) || d != nil {
				t.Fatalf("VerifyRequest = %v, %v; want %v wrapping ErrUnauthorized", d, err, c.want)
			}
		})
	}
}

func TestVerifyRequestAcceptsEachSignatureOnce(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	s := signed{method: "GET", target: "/.authgate/device/pending", deviceID: f.alice.ID, key: f.aliceKey, ts: f.now.UnixMilli()}
	for _, query := range []bool{false, true} {
		s.query = query
		r, sig := s.build(t)
		if _, err := f.verifier.VerifyRequest(ctx, r, nil); err != nil {
			t.Fatalf("first use (query=%v): %v", query, err)
		}
		replays := map[string][]byte{
			"same bytes":        sig,
			"re-encoded as DER": derOf(t, sig),
			"S flipped":         flipS(sig),
			"S flipped, DER":    derOf(t, flipS(sig)),
		}
		for name, again := range replays {
			if _, err := f.verifier.VerifyRequest(ctx, s.withSig(again), nil); !errors.Is(err, ErrReplayed) {
				t.Errorf("replay %s (query=%v) = %v, want ErrReplayed", name, query, err)
			}
		}
	}
}

func TestVerifyRequestForgeryDoesNotUseUpTheMarker(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	s := signed{method: "POST", target: "/.authgate/device/decide", body: []byte("genuine"),
		deviceID: f.alice.ID, key: f.aliceKey, ts: f.now.UnixMilli()}
	r, sig := s.build(t)
	// An attacker who saw the signature tries it on another body first.
	if _, err := f.verifier.VerifyRequest(ctx, s.withSig(sig), []byte("forged")); !errors.Is(err, ErrBadSignature) {
		t.Fatalf("forged body = %v, want ErrBadSignature", err)
	}
	if _, err := f.verifier.VerifyRequest(ctx, r, []byte("genuine")); err != nil {
		t.Fatalf("genuine request after a forgery with its signature = %v, want success", err)
	}
}

func TestVerifyRequestRefusesRevokedDevice(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	if err := f.store.DeleteDevice(ctx, f.alice.ID); err != nil {
		t.Fatal(err)
	}
	r, _ := signed{method: "GET", target: "/p", deviceID: f.alice.ID, key: f.aliceKey, ts: f.now.UnixMilli()}.build(t)
	if _, err := f.verifier.VerifyRequest(ctx, r, nil); !errors.Is(err, ErrUnknownDevice) {
		t.Fatalf("revoked device = %v, want ErrUnknownDevice", err)
	}
}

func TestVerifyRequestStoreOutageIsNotUnauthorized(t *testing.T) {
	f := newFixture(t)
	r, _ := signed{method: "GET", target: "/p", deviceID: f.alice.ID, key: f.aliceKey, ts: f.now.UnixMilli()}.build(t)
	f.store.Close()
	_, err := f.verifier.VerifyRequest(context.Background(), r, nil)
	if !errors.Is(err, store.ErrUnavailable) || errors.Is(err, ErrUnauthorized) {
		t.Fatalf("VerifyRequest on a closed store = %v, want ErrUnavailable and not ErrUnauthorized", err)
	}
}

func TestVerifyRequestUpdatesLastUsedAtMostOnceAMinute(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	verify := func() {
		t.Helper()
		r, _ := signed{method: "GET", target: "/p", deviceID: f.alice.ID, key: f.aliceKey, ts: f.now.UnixMilli()}.build(t)
		if _, err := f.verifier.VerifyRequest(ctx, r, nil); err != nil {
			t.Fatalf("VerifyRequest: %v", err)
		}
	}
	lastUsed := func() time.Time {
		t.Helper()
		d, err := f.store.GetDevice(ctx, f.alice.ID)
		if err != nil {
			t.Fatal(err)
		}
		return d.LastUsed
	}
	first := f.now
	verify()
	if got := lastUsed(); !got.Equal(first) {
		t.Fatalf("LastUsed after first use = %v, want %v", got, first)
	}
	f.now = first.Add(59 * time.Second)
	verify()
	if got := lastUsed(); !got.Equal(first) {
		t.Fatalf("LastUsed 59 s later = %v, want it unchanged at %v", got, first)
	}
	f.now = first.Add(61 * time.Second)
	verify()
	if got := lastUsed(); !got.Equal(f.now) {
		t.Fatalf("LastUsed 61 s later = %v, want %v", got, f.now)
	}
}
