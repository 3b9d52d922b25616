package webhook

import (
	crand "crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"slices"
	"time"

	"github.com/authgate/authgate/gate/event"
)

// DefaultTimeout bounds one delivery attempt when an endpoint sets none.
const DefaultTimeout = 10 * time.Second

// AllEvents in an endpoint's Events list selects every event type except
// access, which must be named explicitly.
const AllEvents = "*"

// Endpoint is one receiver of webhooks.
type Endpoint struct {
	// ID names the endpoint in logs, the delivery log and the outbox.
	// Empty: derived from URL, so every instance derives the same one.
	ID string `json:"id,omitempty"`
	// URL is the absolute http or https URL deliveries are POSTed to.
	URL string `json:"url"`
	// Secret keys both signatures. A "whsec_<base64>" secret (as
	// GenerateSecret makes) is what Standard Webhooks libraries expect.
	Secret string `json:"-"`
	// PreviousSecret, during a rotation, also signs webhook-signature so
	// Standard Webhooks receivers still holding it keep verifying. It does
	// not sign the hex header, which holds one signature, Secret's.
	PreviousSecret string `json:"-"`
	// Events lists the event types delivered, or "*" for all but access.
	// Empty means "*".
	Events []string `json:"events,omitempty"`
	// Timeout bounds each attempt; zero means DefaultTimeout.
	Timeout time.Duration `json:"timeout,omitempty"`
	// SignatureHeader names the hex signature header; empty means
	// X-Authgate-Signature with prefix "sha256=" (SignaturePrefix is then
	// ignored). Authgear receivers: "X-Authgear-Body-Signature" with an
	// empty prefix; webgate receivers: "X-Webgate-Signature", "sha256=".
	SignatureHeader string `json:"signature_header,omitempty"`
	// SignaturePrefix goes before the hex digest in SignatureHeader.
	SignaturePrefix string `json:"signature_prefix,omitempty"`
	// Format is the payload format: "" or FormatEnvelope (authgate's
	// envelope), FormatAuthGate (the integration guide's flat bodies) or
	// FormatWebgate (the webgate dispatcher's). Its signature header is
	// the format's unless SignatureHeader names another.
	Format string `json:"format,omitempty"`
	// AppID, when set, limits the endpoint to events of that app (whose
	// data.app_id is AppID) and pings; events of no app (device
	// enrolments, logouts) are not delivered to it either.
	AppID string `json:"app_id,omitempty"`
	// PublicOnly limits deliveries to public addresses: no loopback,
	// private, shared (CGNAT) or unique-local ranges, checked on the
	// address dialled. Receivers registered by apps (not by the
	// operator) have it, so an app's key cannot aim the gate at services
	// on the gate's own network.
	PublicOnly bool `json:"public_only,omitempty"`
	// AccessSampleRate is the fraction of access events delivered when
	// Events names "access": zero means all of them.
	AccessSampleRate float64 `json:"access_sample_rate,omitempty"`
}

// NewEndpointID returns a random endpoint id, "wh_" and 12 hex digits,
// for endpoints registered at run time (one URL may then be registered
// for several apps).
func NewEndpointID() string {
	var b [6]byte
	_, _ = crand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+)
	return "wh_" + hex.EncodeToString(b[:])
}

// withDefaults returns ep with its ID and Timeout filled in.
func (ep Endpoint) withDefaults() Endpoint {
	if ep.ID == "" {
		sum := sha256.Sum256([]byte(ep.URL))
		ep.ID = "wh_" + hex.EncodeToString(sum[:6])
	}
	if ep.Timeout <= 0 {
		ep.Timeout = DefaultTimeout
	}
	return ep
}

// Validate reports every problem of ep's configuration at once: the URL
// must be absolute http(s) with a host, the secret non-empty (and a
// "whsec_" secret valid base64), event names known (event.Types) or "*",
// the signature header a valid header name, the timeout and sample rate
// in range.
func (ep Endpoint) Validate() error {
	var errs []error
	u, err := url.Parse(ep.URL)
	switch {
	case err != nil:
		var ue *url.Error
		if errors.As(err, &ue) { // its message would repeat the URL
			err = ue.Err
		}
		errs = append(errs, fmt.Errorf("url: %w", err))
	case u.Scheme != "http" && u.Scheme != "https":
		errs = append(errs, fmt.Errorf("url %s: scheme must be http or https", ShownURL(ep.URL)))
	case u.Host == "" || u.Hostname() == "":
		errs = append(errs, fmt.Errorf("url %s: no host", ShownURL(ep.URL)))
	case u.User != nil:
		errs = append(errs, fmt.Errorf("url %s: credentials in URLs are not allowed", ShownURL(ep.URL)))
	}
	if ep.Secret == "" {
		errs = append(errs, errors.New("secret: empty"))
	} else if _, err := StandardKey(ep.Secret); err != nil {
		errs = append(errs, fmt.Errorf("secret: %w", err))
	}
	if ep.PreviousSecret != "" {
		if _, err := StandardKey(ep.PreviousSecret); err != nil {
			errs = append(errs, fmt.Errorf("previous_secret: %w", err))
		}
	}
	known := event.Types()
	for _, name := range ep.Events {
		if name != AllEvents && !slices.Contains(known, name) {
			errs = append(errs, fmt.Errorf("events: unknown event %q", name))
		}
	}
	if ep.Timeout < 0 {
		errs = append(errs, fmt.Errorf("timeout %s: negative", ep.Timeout))
	}
	if ep.SignatureHeader != "" && !validHeaderName(ep.SignatureHeader) {
		errs = append(errs, fmt.Errorf("signature_header %q: not a header name", ep.SignatureHeader))
	}
	if !validFormat(ep.Format) {
		errs = append(errs, fmt.Errorf("format %q: want one of %v", ep.Format, Formats()))
	}
	if ep.AppID != "" && Sanitize(ep.AppID, MaxIdentifier) != ep.AppID {
		errs = append(errs, fmt.Errorf("app_id %q: unprintable characters or over %d characters", ep.AppID, MaxIdentifier))
	}
	if ep.AccessSampleRate < 0 || ep.AccessSampleRate > 1 || ep.AccessSampleRate != ep.AccessSampleRate {
		errs = append(errs, fmt.Errorf("access_sample_rate %v: must be between 0 and 1", ep.AccessSampleRate))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("webhook %s: %w", ShownURL(ep.URL), err)
	}
	return nil
}

// validHeaderName reports whether s is an HTTP token usable as a header
// name and not one the delivery already sets.
func validHeaderName(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	switch http.CanonicalHeaderKey(s) {
	case "Content-Type", "User-Agent", "Content-Length", "Host",
		http.CanonicalHeaderKey(HeaderEvent), http.CanonicalHeaderKey(HeaderDelivery),
		http.CanonicalHeaderKey(HeaderID), http.CanonicalHeaderKey(HeaderTimestamp),
		http.CanonicalHeaderKey(HeaderStdSig):
		return false
	}
	return s != ""
}

// Receives reports whether ep gets e: it subscribes to e's type (Wants)
// and, when ep is limited to an app, e belongs to that app. Pings go to
// every endpoint they are sent to.
func (ep Endpoint) Receives(e event.Event) bool {
	if ep.AppID != "" && e.Type != event.Ping {
		if app, _ := e.Data["app_id"].(string); app != ep.AppID {
			return false
		}
	}
	return ep.Wants(e.Type)
}

// Wants reports whether ep subscribes to events of type typ. Access events
// are delivered only when named or under "*" (not by default, with no
// events listed), and then sampled at AccessSampleRate (a random draw per
// call); ping always goes through.
func (ep Endpoint) Wants(typ string) bool {
	if typ == event.Ping {
		return true
	}
	if typ == event.Access {
		if !slices.Contains(ep.Events, event.Access) && !slices.Contains(ep.Events, AllEvents) {
			return false
		}
		r := ep.AccessSampleRate
		return r == 0 || r >= 1 || rand.Float64() < r
	}
	return len(ep.Events) == 0 || slices.Contains(ep.Events, AllEvents) || slices.Contains(ep.Events, typ)
}
