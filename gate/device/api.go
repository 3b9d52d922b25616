package device

import (
	"time"

	"github.com/authgate/authgate/gate/store"
)

// The JSON bodies of the device HTTP API (see the package documentation).
// The gateway's handlers and the Go client both use these types, so the
// two cannot drift apart.

// EnrollRequest is the body of POST /device/enroll.
type EnrollRequest struct {
	Token     string `json:"token"`
	PublicKey string `json:"public_key"` // base64url (no padding) of PKIX DER
	Name      string `json:"name"`
}

// EnrollResponse is the 201 body of POST /device/enroll. The TOTP
// secret (for offline codes) and the recovery codes are given here once
// and never again; the recovery codes only with a user's first phone.
type EnrollResponse struct {
	DeviceID string `json:"device_id"`
	Email    string `json:"email"`
	Name     string `json:"name"`
	// OTPSecret is base64url (no padding) of the device's TOTP secret.
	OTPSecret    string `json:"otp_secret,omitempty"`
	OTPAlgorithm string `json:"otp_algorithm,omitempty"` // "SHA-1" or "SHA-256"
	OTPDigits    int    `json:"otp_digits,omitempty"`
	OTPPeriod    int    `json:"otp_period,omitempty"` // seconds
	// RecoveryCodes are single-use codes to sign in without the phone.
	RecoveryCodes []string `json:"recovery_codes,omitempty"`
}

// PendingLogin is one login waiting for the device's decision.
type PendingLogin struct {
	SessionID string    `json:"session_id"`
	AppID     string    `json:"app_id"`
	SiteTitle string    `json:"site_title,omitempty"` // the site's name as its gate shows it
	ClientIP  string    `json:"client_ip"`
	UserAgent string    `json:"user_agent"`
	CreatedAt time.Time `json:"created_at"`
	ExpiresAt time.Time `json:"expires_at"`
	Choices   []int     `json:"choices"` // three numbers; the browser shows one of them
	// ReportBlockSeconds is how long "deny and report" would pause the
	// user's sign-ins, for the phone's confirmation.
	ReportBlockSeconds int `json:"report_block_seconds,omitempty"`
}

// PendingResponse is the body of GET /device/pending. Logins is never
// null on the wire: an empty list is [].
type PendingResponse struct {
	Logins []PendingLogin `json:"logins"`
}

// DecideRequest is the body of POST /device/decide. Sig is base64url of
// the device's signature of DecisionMessage(SessionID, Decision, Number, TS).
type DecideRequest struct {
	SessionID string `json:"session_id"`
	Decision  string `json:"decision"` // approve, deny or report
	Number    int    `json:"number"`   // the number tapped; 0 for deny and report
	TS        int64  `json:"ts"`       // Unix milliseconds
	Sig       string `json:"sig"`
}

// The statuses a decision leaves a login in.
const (
	StatusApproved = "approved"
	StatusDenied   = "denied"
)

// DecideResponse is the 200 body of POST /device/decide.
type DecideResponse struct {
	Status string `json:"status"` // approved or denied
	// PausedUntil, after a report, is when the user's sign-ins resume.
	PausedUntil time.Time `json:"paused_until,omitzero"`
}

// DeviceInfo is the body of GET /device/me and of POST /device/rename.
type DeviceInfo struct {
	DeviceID  string    `json:"device_id"`
	Email     string    `json:"email"`
	Name      string    `json:"name"`
	CreatedAt time.Time `json:"created_at"`
	// Notifications says whether the device has a push subscription;
	// PushKeyID names the server key it was made for.
	Notifications bool   `json:"notifications"`
	PushKeyID     string `json:"push_key_id,omitempty"`
}

// RenameRequest is the body of POST /device/rename.
type RenameRequest struct {
	Name string `json:"name"`
}

// ErrorResponse is the body of every 4xx and 5xx answer.
type ErrorResponse struct {
	Error string `json:"error"`
}

// InfoOf returns the public description of d.
func InfoOf(d *store.Device) DeviceInfo {
	info := DeviceInfo{DeviceID: d.ID, Email: d.Email, Name: d.Name, CreatedAt: d.CreatedAt}
	if d.Push != nil {
		info.Notifications, info.PushKeyID = true, d.Push.KeyID
	}
	return info
}
