package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
)

// HMACSHA256String is Authgear's sample verifier function, unchanged.
// HMACSHA256String returns the hex-encoded string of HMAC-SHA256 code of body using secret as key.
func HMACSHA256String(data []byte, secret []byte) (sig string) {
	hasher := hmac.New(sha256.New, secret)
	_, _ = hasher.Write(data)
	signature := hasher.Sum(nil)
	sig = hex.EncodeToString(signature)
	return
}

// authgearReceiver is Authgear's sample handler, answering 401 where the
// sample panics.
func authgearReceiver(Secret string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		b, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		defer r.Body.Close()

		sigInHeader := []byte(r.Header.Get("X-Authgear-Body-Signature"))
		sig := []byte(HMACSHA256String(b, []byte(Secret)))

		// Prefer constant time comparison over == operator.
		if subtle.ConstantTimeCompare(sigInHeader, sig) != 1 {
			http.Error(w, "signature mismatch", http.StatusUnauthorized)
			return
		}
	}
}

// standardReceiver verifies with the official Standard Webhooks library,
// the way its README shows.
func standardReceiver(t *testing.T, secret string) http.HandlerFunc {
	var wh *standardwebhooks.Webhook
	var err error
	if strings.HasPrefix(secret, "whsec_") {
		wh, err = standardwebhooks.NewWebhook(secret)
	} else {
		wh, err = standardwebhooks.NewWebhookRaw([]byte(secret))
	}
	if err != nil {
		t.Fatalf("standard webhooks receiver: %v", err)
	}
	return func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		if err := wh.Verify(b, r.Header); err != nil {
			http.Error(w, err.Error(), http.StatusUnauthorized)
		}
	}
}

func TestPublishedReceiversVerifyDeliveriesAndRefuseTampering(t *testing.T) {
	secret := GenerateSecret()
	env := []string{"WEBHOOK_SECRET=" + secret}
	e := trickyEvent()
	body, err := Encode(e)
	if err != nil {
		t.Fatal(err)
	}
	authgate := Endpoint{ID: "a", Secret: secret}
	authgear := Endpoint{ID: "g", Secret: secret, SignatureHeader: "X-Authgear-Body-Signature"}

	std := httptest.NewServer(standardReceiver(t, secret))
	defer std.Close()
	gear := httptest.NewServer(authgearReceiver(secret))
	defer gear.Close()

	cases := []struct {
		name string
		url  string
		ep   Endpoint
	}{
		{"authgate guide javascript", startReceiver(t, "node", env, "testdata/guide_receiver.js"), authgate},
		{"authgate guide python", startReceiver(t, "python3", env, "testdata/guide_receiver.py"), authgate},
		{"authgear go sample", gear.URL, authgear},
		{"standard webhooks library", std.URL, authgate},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h, err := SignHeaders(c.ep, e.ID, e.Type, body, time.Now())
			if err != nil {
				t.Fatal(err)
			}
			resp := post(t, c.url, h, body)
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("genuine delivery: status %d, want 200", resp.StatusCode)
			}
			if rt := resp.Header.Get("X-Roundtrip"); rt != "" && rt != "same" {
				t.Errorf("JSON.stringify(JSON.parse(body)) differs from the body %s", body)
			}
			if resp := post(t, c.url, h, tamper(t, body)); resp.StatusCode < 400 {
				t.Fatalf("tampered delivery: status %d, want a refusal", resp.StatusCode)
			}
		})
	}
}

func TestRotationSignsWithBothSecretsOnlyInStandardHeader(t *testing.T) {
	oldSecret, newSecret := GenerateSecret(), "plain-secret-without-prefix"
	ep := Endpoint{ID: "r", Secret: newSecret, PreviousSecret: oldSecret}
	body := []byte(`{"id":"evt_1","event":"ping","timestamp":"2026-01-01T00:00:00.000Z","data":{}}`)
	h, err := SignHeaders(ep, "evt_1", "ping", body, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if got, want := h.Get(HeaderSignature), "sha256="+HexSignature(newSecret, body); got != want {
		t.Errorf("hex header %q, want the current secret's signature %q alone", got, want)
	}
	if n := len(strings.Fields(h.Get(HeaderStdSig))); n != 2 {
		t.Errorf("webhook-signature has %d entries, want 2: %q", n, h.Get(HeaderStdSig))
	}
	for _, secret := range []string{oldSecret, newSecret} {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(string(body)))
		req.Header = h.Clone()
		standardReceiver(t, secret)(rec, req)
		if rec.Code != http.StatusOK {
			t.Errorf("receiver holding one of the rotation's secrets refused: %s", rec.Body)
		}
	}
}

func TestHeadersNameTheDelivery(t *testing.T) {
	ep := Endpoint{ID: "w", Secret: "s3cret", SignatureHeader: "X-Webgate-Signature", SignaturePrefix: "sha256="}
	h, err := SignHeaders(ep, "evt_x", "login", []byte("{}"), time.Unix(1700000000, 0))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"Content-Type":        "application/json",
		"User-Agent":          "authgate-webhook/1.0",
		"X-Authgate-Event":    "login",
		"X-Authgate-Delivery": "evt_x",
		"X-Webgate-Signature": "sha256=" + HexSignature("s3cret", []byte("{}")),
		"Webhook-Id":          "evt_x",
		"Webhook-Timestamp":   "1700000000",
	}
	for k, v := range want {
		if got := h.Get(k); got != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}
	if h.Get(HeaderSignature) != "" {
		t.Errorf("X-Authgate-Signature set although the endpoint renamed the header")
	}
}

func TestGenerateSecretHasStandardForm(t *testing.T) {
	s := GenerateSecret()
	key, err := StandardKey(s)
	if err != nil || len(key) != 32 || !strings.HasPrefix(s, "whsec_") {
		t.Fatalf("GenerateSecret() = %q: key %d bytes, err %v", s, len(key), err)
	}
	if GenerateSecret() == s {
		t.Fatal("two generated secrets are equal")
	}
}
