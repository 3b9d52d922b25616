package webhook

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Header names and values every delivery carries.
const (
	HeaderSignature = "X-Authgate-Signature"
	HeaderEvent     = "X-Authgate-Event"
	HeaderDelivery  = "X-Authgate-Delivery"
	HeaderID        = "webhook-id"
	HeaderTimestamp = "webhook-timestamp"
	HeaderStdSig    = "webhook-signature"
	UserAgent       = "authgate-webhook/1.0"
	// DefaultSignaturePrefix prefixes the hex signature unless an endpoint
	// says otherwise.
	DefaultSignaturePrefix = "sha256="
	// secretPrefix marks a Standard Webhooks secret: base64 after it.
	secretPrefix = "whsec_"
)

// GenerateSecret returns a new secret: "whsec_" followed by the standard
// base64 of 32 random bytes. Both signature schemes accept it: the hex
// scheme keys HMAC with the whole string, Standard Webhooks with the
// decoded bytes.
func GenerateSecret() string {
	var b [32]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+)
	return secretPrefix + base64.StdEncoding.EncodeToString(b[:])
}

// HexSignature returns hex(HMAC-SHA256(body)) keyed with the bytes of
// secret, as the AuthGate, Authgear and webgate receivers compute it.
func HexSignature(secret string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return hex.EncodeToString(m.Sum(nil))
}

// StandardKey returns the Standard Webhooks signing key of secret: the
// base64-decoded part after "whsec_", or the secret's own bytes when it
// has no such prefix. It fails only for a "whsec_" secret whose rest is
// not standard base64.
func StandardKey(secret string) ([]byte, error) {
	rest, ok := strings.CutPrefix(secret, secretPrefix)
	if !ok {
		return []byte(secret), nil
	}
	key, err := base64.StdEncoding.DecodeString(rest)
	if err != nil {
		return nil, fmt.Errorf("decoding whsec_ secret: %w", err)
	}
	if len(key) == 0 {
		return nil, fmt.Errorf("decoding whsec_ secret: empty key")
	}
	return key, nil
}

// StandardSignature returns "v1,<base64 HMAC-SHA256(id.ts.body)>" keyed
// with key, as the Standard Webhooks specification defines it.
func StandardSignature(key []byte, id string, ts int64, body []byte) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(id))
	m.Write([]byte{'.'})
	m.Write(strconv.AppendInt(nil, ts, 10))
	m.Write([]byte{'.'})
	m.Write(body)
	return "v1," + base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// signer holds an endpoint's keys, decoded once.
type signer struct {
	format, endpointID string
	hexName, hexPrefix string
	current, previous  string // hex-scheme keys (the secret strings)
	stdKeys            [][]byte
}

func newSigner(ep Endpoint) (*signer, error) {
	s := &signer{
		format:     ep.Format,
		endpointID: ep.ID,
		hexName:    ep.SignatureHeader,
		hexPrefix:  ep.SignaturePrefix,
		current:    ep.Secret,
		previous:   ep.PreviousSecret,
	}
	if s.hexName == "" {
		s.hexName, s.hexPrefix = defaultSignatureHeader(ep.Format)
	}
	for _, secret := range []string{ep.Secret, ep.PreviousSecret} {
		if secret == "" {
			continue
		}
		key, err := StandardKey(secret)
		if err != nil {
			return nil, err
		}
		s.stdKeys = append(s.stdKeys, key)
	}
	return s, nil
}

// sign sets every header of one delivery attempt on h: those of the
// endpoint's format (User-Agent, event and delivery names), the hex
// signature and the Standard Webhooks headers. The hex header
// carries the current secret's signature alone (receivers compare the
// whole value); during a rotation the previous secret signs only a second,
// space-separated webhook-signature entry.
func (s *signer) sign(h http.Header, eventID, eventType string, body []byte, at time.Time) {
	h.Set("Content-Type", "application/json")
	formatHeaders(h, s.format, s.endpointID, eventID, eventType)
	h.Set(s.hexName, s.hexPrefix+HexSignature(s.current, body))
	ts := at.Unix()
	sigs := make([]string, len(s.stdKeys))
	for i, key := range s.stdKeys {
		sigs[i] = StandardSignature(key, eventID, ts, body)
	}
	h.Set(HeaderID, eventID)
	h.Set(HeaderTimestamp, strconv.FormatInt(ts, 10))
	h.Set(HeaderStdSig, strings.Join(sigs, " "))
}

// SignHeaders returns the headers of one delivery of body (the encoded
// event eventID of type eventType) to ep, signed at time at. It fails only
// when ep's secrets are malformed (Validate reports that first).
func SignHeaders(ep Endpoint, eventID, eventType string, body []byte, at time.Time) (http.Header, error) {
	s, err := newSigner(ep)
	if err != nil {
		return nil, fmt.Errorf("signing for endpoint %s: %w", ep.ID, err)
	}
	h := make(http.Header, 9)
	s.sign(h, eventID, eventType, body, at)
	return h, nil
}
