package web

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/authgate/authgate/gate/store"
)

func TestHomePageShowsWhetherEachPhoneHasNotifications(t *testing.T) {
	p, _ := New("/.authgate")
	now := time.Now()
	data := map[string]any{
		"Email": "a@example.com", "CSRF": "tok",
		"Devices": []*store.Device{
			{ID: "dev_on", Name: "Pixel", CreatedAt: now, Push: &store.PushSubscription{Endpoint: "https://fcm.googleapis.com/x"}},
			{ID: "dev_off", Name: "iPhone", CreatedAt: now},
		},
	}
	w := httptest.NewRecorder()
	p.Render(w, http.StatusOK, "home", "Account", "", data)
	body := w.Body.String()
	on := strings.Index(body, `data-notifications="on"`)
	off := strings.Index(body, `data-notifications="off"`)
	if on < 0 || off < 0 || on > off || !strings.Contains(body, "Notifications on") || !strings.Contains(body, "Notifications off") {
		t.Fatalf("devices list does not say which phone has notifications:\n%s", body)
	}
}

func TestWaitPageLinksToTheApproverWithAQRCode(t *testing.T) {
	p, _ := New("/.authgate")
	data := map[string]any{"ID": "abc", "Code": 42, "ExpiresIn": 100, "State": "pending",
		"Email": "a@example.com", "ApproverURL": "https://app.example.com/.authgate/app"}
	w := httptest.NewRecorder()
	p.Render(w, http.StatusOK, "wait", "Approve", "wait.js", data)
	body := w.Body.String()
	if !strings.Contains(body, `id="approver-open"`) || !strings.Contains(body, `href="/.authgate/app"`) ||
		!strings.Contains(body, ">https://app.example.com/.authgate/app</a>") ||
		!strings.Contains(body, `src="/.authgate/approver-qr.png"`) || !strings.Contains(body, "We sent a request to your phone") {
		t.Fatalf("waiting page lacks the approver link or QR code:\n%s", body)
	}
}

func TestConsoleUserPageShowsWhetherEachPhoneHasNotifications(t *testing.T) {
	p, _ := New("/.authgate")
	now := time.Now()
	data := map[string]any{
		"Email": "a@example.com", "CSRF": "tok", "Admin": "root@example.com",
		"Devices": []*store.Device{
			{ID: "dev_on", Name: "Pixel", CreatedAt: now, Push: &store.PushSubscription{Endpoint: "https://fcm.googleapis.com/x"}},
			{ID: "dev_off", Name: "iPhone", CreatedAt: now},
		},
	}
	w := httptest.NewRecorder()
	p.Render(w, http.StatusOK, "console_user", "a@example.com", "", data)
	body := w.Body.String()
	if w.Code != http.StatusOK || !strings.Contains(body, `data-notifications="on">Notifications on`) || !strings.Contains(body, `data-notifications="off">Notifications off`) {
		t.Fatalf("console's phone list does not say which phone has notifications: %d\n%s", w.Code, body)
	}
}
