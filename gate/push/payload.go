package push

import (
	"encoding/json"
	"time"
)

// Payload is the JSON a push carries to the approver app's service
// worker. It tells the user that a sign-in is waiting and where; the
// number to tap is never in it (a notification can be read off a locked
// screen), so approving still needs the app.
type Payload struct {
	Type      string `json:"type"` // "login"
	LoginID   string `json:"login_id"`
	App       string `json:"app,omitempty"`
	Site      string `json:"site,omitempty"`
	Browser   string `json:"browser,omitempty"`
	ExpiresAt int64  `json:"expires_at"` // Unix milliseconds
	// Title and Body are the notification's text, made here so every
	// browser shows the same words.
	Title string `json:"title"`
	Body  string `json:"body"`
}

// LoginPayload returns the payload for a login of app on site, started
// from browser, that waits until expires.
func LoginPayload(loginID, app, site, browser string, expires time.Time) Payload {
	title := "Sign in"
	if app != "" {
		title += " to " + app
	}
	if site != "" {
		title += " on " + site
	}
	title += "?"
	body := "Open the approver and tap the number shown on the sign-in screen."
	if browser != "" {
		body = "From " + browser + ". " + body
	}
	return Payload{
		Type: "login", LoginID: loginID, App: app, Site: site, Browser: browser,
		ExpiresAt: expires.UnixMilli(), Title: title, Body: body,
	}
}

// Encode returns the payload's JSON.
func (p Payload) Encode() []byte {
	b, _ := json.Marshal(p) // strings and an integer: cannot fail
	return b
}
