// Command receiver is a webhook receiver for authgate that verifies both
// signature schemes on the raw body, refuses stale deliveries, and
// processes each webhook-id once. During a secret rotation,
// WEBHOOK_PREVIOUS_SECRET holds the old secret: a signature by either
// secret is accepted.
//
//	WEBHOOK_SECRET=whsec_... PORT=9000 go run ./examples/receivers/go
package main

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
)

// tolerance is how far webhook-timestamp may be from now.
const tolerance = 5 * time.Minute

// receiver verifies deliveries and remembers the ids it has processed.
type receiver struct {
	secrets []string // the current secret, then the previous one if any
	stdKeys [][]byte // their Standard Webhooks keys, in the same order

	mu   sync.Mutex
	seen map[string]time.Time // webhook-id → when first processed
}

func newReceiver(secrets ...string) (*receiver, error) {
	rv := &receiver{seen: map[string]time.Time{}}
	for _, secret := range secrets {
		if secret == "" {
			continue
		}
		key := []byte(secret)
		if rest, ok := strings.CutPrefix(secret, "whsec_"); ok {
			var err error
			if key, err = base64.StdEncoding.DecodeString(rest); err != nil {
				return nil, fmt.Errorf("bad base64 after whsec_: %w", err)
			}
		}
		rv.secrets = append(rv.secrets, secret)
		rv.stdKeys = append(rv.stdKeys, key)
	}
	return rv, nil
}

// verifyHex checks X-Authgate-Signature: "sha256=" + hex HMAC of the body
// keyed with a secret string.
func (rv *receiver) verifyHex(body []byte, header string) bool {
	ok := false
	for _, secret := range rv.secrets {
		m := hmac.New(sha256.New, []byte(secret))
		m.Write(body)
		want := "sha256=" + hex.EncodeToString(m.Sum(nil))
		if hmac.Equal([]byte(want), []byte(header)) {
			ok = true
		}
	}
	return ok
}

// verifyStandard checks webhook-signature (any of its space-separated
// "v1,<base64>" entries, by any of the keys) over id.timestamp.body, and
// the timestamp.
func (rv *receiver) verifyStandard(body []byte, id, ts, sigs string, now time.Time) bool {
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || id == "" {
		return false
	}
	if d := now.Sub(time.Unix(sec, 0)); d > tolerance || d < -tolerance {
		return false
	}
	ok := false
	for _, key := range rv.stdKeys {
		m := hmac.New(sha256.New, key)
		fmt.Fprintf(m, "%s.%s.", id, ts)
		m.Write(body)
		want := []byte(base64.StdEncoding.EncodeToString(m.Sum(nil)))
		for _, s := range strings.Fields(sigs) {
			if v, sig, found := strings.Cut(s, ","); found && v == "v1" && hmac.Equal(want, []byte(sig)) {
				ok = true
			}
		}
	}
	return ok
}

// firstTime records id and reports whether it is new; ids are forgotten
// after twice the tolerance, when a replay would be refused as stale.
func (rv *receiver) firstTime(id string, now time.Time) bool {
	rv.mu.Lock()
	defer rv.mu.Unlock()
	for k, t := range rv.seen {
		if now.Sub(t) > 2*tolerance {
			delete(rv.seen, k)
		}
	}
	if _, dup := rv.seen[id]; dup {
		return false
	}
	rv.seen[id] = now
	return true
}

func (rv *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		http.Error(w, "POST only", http.StatusMethodNotAllowed)
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		http.Error(w, "reading body", http.StatusBadRequest)
		return
	}
	now := time.Now()
	id := r.Header.Get("webhook-id")
	if !rv.verifyHex(body, r.Header.Get("X-Authgate-Signature")) ||
		!rv.verifyStandard(body, id, r.Header.Get("webhook-timestamp"), r.Header.Get("webhook-signature"), now) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = w.Write([]byte(`{"error":"invalid signature"}`))
		return
	}
	w.Header().Set("Content-Type", "application/json")
	if !rv.firstTime(id, now) {
		_, _ = w.Write([]byte(`{"received":true,"duplicate":true}`))
		return
	}
	var evt struct {
		ID    string         `json:"id"`
		Event string         `json:"event"`
		Data  map[string]any `json:"data"`
	}
	if err := json.Unmarshal(body, &evt); err != nil {
		http.Error(w, "bad json", http.StatusBadRequest)
		return
	}
	log.Printf("event %s %s: %v", evt.Event, evt.ID, evt.Data)
	_, _ = w.Write([]byte(`{"received":true}`))
}

func main() {
	if os.Getenv("WEBHOOK_SECRET") == "" {
		log.Fatal("set WEBHOOK_SECRET to the webhook's secret")
	}
	rv, err := newReceiver(os.Getenv("WEBHOOK_SECRET"), os.Getenv("WEBHOOK_PREVIOUS_SECRET"))
	if err != nil {
		log.Fatalf("WEBHOOK_SECRET or WEBHOOK_PREVIOUS_SECRET: %v", err)
	}
	port := os.Getenv("PORT")
	if port == "" {
		port = "9000"
	}
	l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", port))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("listening on http://%s\n", l.Addr())
	log.Fatal(http.Serve(l, rv))
}
