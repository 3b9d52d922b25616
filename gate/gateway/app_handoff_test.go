package gateway

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestEnrollQRDrawsOnlyThisSitesEnrolmentLinks(t *testing.T) {
	_, rt, _ := newTestGateway(t)
	token := strings.Repeat("A", 43) // 32 bytes, base64url
	tests := []struct {
		link   string
		status int
	}{
		{"http://app.example.com/.authgate/app#enroll=" + token, http.StatusOK},
		{"http://evil.example/.authgate/app#enroll=" + token, http.StatusBadRequest},
		{"http://app.example.com/other/app#enroll=" + token, http.StatusBadRequest},
		{"http://app.example.com/.authgate/app", http.StatusBadRequest},
		{"javascript:alert(1)", http.StatusBadRequest},
	}
	for _, tt := range tests {
		body, _ := json.Marshal(map[string]string{"link": tt.link})
		r := httptest.NewRequest(http.MethodPost, "http://app.example.com/.authgate/enroll-qr", bytes.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		w := httptest.NewRecorder()
		if err := rt.ServeHTTP(w, r, &countingNext{}); err != nil {
			t.Fatal(err)
		}
		if w.Code != tt.status {
			t.Errorf("%s: status %d, want %d (%s)", tt.link, w.Code, tt.status, w.Body)
			continue
		}
		if tt.status == http.StatusOK && !strings.HasPrefix(w.Body.String(), `{"png":"data:image/png;base64,iVBOR`) {
			t.Errorf("%s: body %.60s", tt.link, w.Body)
		}
	}
}
