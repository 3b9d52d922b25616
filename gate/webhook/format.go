package webhook

import (
	"bytes"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/authgate/authgate/gate/event"
)

// Payload formats an endpoint may ask for. Every format carries the
// Standard Webhooks headers (webhook-id, webhook-timestamp,
// webhook-signature) besides its own.
const (
	// FormatEnvelope is authgate's own (the default): the envelope
	// {"id","event","timestamp","data"} with X-Authgate-* headers.
	FormatEnvelope = "envelope"
	// FormatAuthGate is the flat body and headers of the AuthGate
	// integration guide (format_authgate.go).
	FormatAuthGate = "authgate"
	// FormatWebgate is the webgate dispatcher's body and headers
	// (format_webgate.go).
	FormatWebgate = "webgate"
)

// Formats returns every format name, the default first.
func Formats() []string { return []string{FormatEnvelope, FormatAuthGate, FormatWebgate} }

// validFormat reports whether name is a format ("" is the default).
func validFormat(name string) bool { return name == "" || slices.Contains(Formats(), name) }

// encodeAs returns the delivery body of e in format name.
func encodeAs(name string, e event.Event) ([]byte, error) {
	switch name {
	case FormatAuthGate:
		return encodeAuthGate(e)
	case FormatWebgate:
		return encodeWebgate(e)
	default:
		return Encode(e)
	}
}

// secondsLayout is the guide's and webgate's timestamp: whole seconds, UTC.
const secondsLayout = "2006-01-02T15:04:05Z"

// field is one key of an object written in a fixed order.
type field struct {
	k string
	v any
}

// writeOrdered writes an object with its keys in the given order (the
// order a sample payload shows; JSON.parse keeps it, so JSON.stringify of
// the parsed body gives back the same bytes, as long as no key is an
// array index). Values go through writeValue, so strings are sanitised.
func writeOrdered(b *bytes.Buffer, fields []field) error {
	b.WriteByte('{')
	for i, f := range fields {
		if isArrayIndex(f.k) || Sanitize(f.k, MaxString) != f.k {
			return fmt.Errorf("%w: object key %q", ErrUnencodable, f.k)
		}
		if i > 0 {
			b.WriteByte(',')
		}
		writeString(b, f.k)
		b.WriteByte(':')
		if err := writeValue(b, f.v, 1); err != nil {
			return err
		}
	}
	b.WriteByte('}')
	return nil
}

// restOf returns the data fields not named in skip, sorted by key.
func restOf(data map[string]any, skip ...string) []field {
	var out []field
	for k, v := range data {
		if !slices.Contains(skip, k) {
			out = append(out, field{k, v})
		}
	}
	slices.SortFunc(out, func(a, b field) int { return strings.Compare(a.k, b.k) })
	return out
}

// str returns data[k] as a string, "" when absent or not a string.
func str(data map[string]any, k string) string {
	s, _ := data[k].(string)
	return s
}

// formatHeaders sets the headers that depend on the endpoint's format:
// User-Agent and the event and delivery headers. Header names go out in
// Go's canonical form (X-Authgate-Event for the guide's X-AuthGate-Event);
// HTTP header names are case-insensitive, and every receiver framework
// folds them.
func formatHeaders(h http.Header, format, endpointID, eventID, eventType string) {
	switch format {
	case FormatAuthGate:
		h.Set("User-Agent", AuthGateUserAgent)
		h.Set("X-AuthGate-Event", authGateEventName(eventType))
		h.Set("X-AuthGate-Delivery", authGateDeliveryID(endpointID, eventID))
	case FormatWebgate:
		h.Set("User-Agent", WebgateUserAgent)
	default:
		h.Set("User-Agent", UserAgent)
		h.Set(HeaderEvent, eventType)
		h.Set(HeaderDelivery, eventID)
	}
}

// defaultSignatureHeader returns the hex signature header and prefix of a
// format, used when the endpoint names none.
func defaultSignatureHeader(format string) (name, prefix string) {
	switch format {
	case FormatAuthGate:
		return "X-AuthGate-Signature", DefaultSignaturePrefix
	case FormatWebgate:
		return WebgateSignatureHeader, DefaultSignaturePrefix
	}
	return HeaderSignature, DefaultSignaturePrefix
}
