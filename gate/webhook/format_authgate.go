package webhook

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/authgate/authgate/gate/event"
)

// AuthGateUserAgent is the User-Agent of format authgate deliveries.
const AuthGateUserAgent = "AuthGate/1.0"

// The guide's two event names.
const (
	authGateApproved = "approved"
	authGateDenied   = "denied"
)

// authGateEventName maps an event type to the guide's name: login is
// "approved", login_failed (whatever its reason) is "denied"; other types
// keep their own name.
func authGateEventName(typ string) string {
	switch typ {
	case event.Login:
		return authGateApproved
	case event.LoginFailed:
		return authGateDenied
	}
	return typ
}

// authGateDeliveryID is the guide's X-AuthGate-Delivery, wh_<id>-<…>:
// the endpoint's id (with wh_ before it, as ids made from a URL already
// have), a dash, and the event's id. Where the guide shows the unix
// seconds of the attempt, the event id makes every event's deliveries to
// one receiver differ, and keeps one id across the retries of an event,
// which receivers de-duplicate by.
func authGateDeliveryID(endpointID, eventID string) string {
	id := endpointID
	if !strings.HasPrefix(id, "wh_") {
		id = "wh_" + id
	}
	return Sanitize(id, MaxIdentifier) + "-" + Sanitize(eventID, MaxIdentifier)
}

// encodeAuthGate writes the guide's flat body. Approved:
//
//	{"event":"approved","session_id":…,"timestamp":"2026-03-21T12:00:00Z",
//	 "app_id":…,"email":…,"ip":…,"device_id":…,"device_name":…,"new_device":false}
//
// Denied: the same up to device_id, then "reason" (login_failed's: one
// of the flow package's Reason constants). Other events:
// "event" and "timestamp", then their data's fields, flat, by key. The
// keys are in the guide's order, and the bytes survive the guide's
// Express handler's JSON.stringify(req.body).
func encodeAuthGate(e event.Event) ([]byte, error) {
	d := e.Data
	ts := e.Time.UTC().Format(secondsLayout)
	var fields []field
	switch e.Type {
	case event.Login:
		newDevice, _ := d["new_device"].(bool)
		fields = []field{
			{"event", authGateApproved}, {"session_id", str(d, "session_id")}, {"timestamp", ts},
			{"app_id", str(d, "app_id")}, {"email", str(d, "email")}, {"ip", str(d, "ip")},
			{"device_id", str(d, "device_id")}, {"device_name", str(d, "device_name")},
			{"new_device", newDevice},
		}
	case event.LoginFailed:
		fields = []field{
			{"event", authGateDenied}, {"session_id", str(d, "session_id")}, {"timestamp", ts},
			{"app_id", str(d, "app_id")}, {"email", str(d, "email")}, {"ip", str(d, "ip")},
			{"device_id", str(d, "device_id")}, {"reason", str(d, "reason")},
		}
	default:
		fields = append([]field{{"event", Sanitize(e.Type, MaxIdentifier)}, {"timestamp", ts}},
			restOf(d, "event", "timestamp")...)
	}
	var b bytes.Buffer
	if err := writeOrdered(&b, fields); err != nil {
		return nil, fmt.Errorf("encoding %s event %s for format authgate: %w", e.Type, e.ID, err)
	}
	return b.Bytes(), nil
}
