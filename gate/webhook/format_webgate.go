package webhook

import (
	"bytes"
	"fmt"

	"github.com/authgate/authgate/gate/event"
)

// Format webgate's headers.
const (
	WebgateUserAgent       = "webgate-webhook/1.0"
	WebgateSignatureHeader = "X-Webgate-Signature"
)

// webgateEventName maps an event type to the dispatcher's name: login is
// user_login, login_failed is user_login_failed; others keep their own.
func webgateEventName(typ string) string {
	switch typ {
	case event.Login:
		return "user_login"
	case event.LoginFailed:
		return "user_login_failed"
	}
	return typ
}

// encodeWebgate writes the dispatcher's body:
//
//	{"event":"user_login","timestamp":"2026-04-16T08:00:00Z","data":{"user":…,…}}
//
// data.user is the login's email with non-printable characters removed
// and cut to 64 characters (as webgate sanitises the attacker-controlled
// username); the other data fields follow by key.
func encodeWebgate(e event.Event) ([]byte, error) {
	data := make(map[string]any, len(e.Data)+1)
	for k, v := range e.Data {
		data[k] = v
	}
	if email, ok := data["email"].(string); ok {
		data["user"] = Sanitize(email, MaxIdentifier)
		delete(data, "email")
	}
	var b bytes.Buffer
	b.WriteString(`{"event":`)
	writeString(&b, Sanitize(webgateEventName(e.Type), MaxIdentifier))
	b.WriteString(`,"timestamp":`)
	writeString(&b, e.Time.UTC().Format(secondsLayout))
	b.WriteString(`,"data":`)
	if err := writeValue(&b, data, 0); err != nil {
		return nil, fmt.Errorf("encoding %s event %s for format webgate: %w", e.Type, e.ID, err)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}
