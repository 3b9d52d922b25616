package web

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestHomePageWarnsWhenFewRecoveryCodesAreLeft(t *testing.T) {
	p, _ := New("/.authgate")
	tests := []struct {
		left      int
		low       bool
		want, not string
	}{
		{9, false, ">9 left<", "Make new ones"},
		{2, true, "Only 2 left. Make new ones.", ""},
		{0, true, "You have no recovery codes. Make new ones.", ""},
	}
	for _, tt := range tests {
		data := pageData()["home"].(map[string]any)
		data["Recovery"] = map[string]any{"Left": tt.left, "Low": tt.low, "UsedNow": false}
		w := httptest.NewRecorder()
		p.Render(w, http.StatusOK, "home", "Account", "", data)
		body := w.Body.String()
		if !strings.Contains(body, tt.want) || (tt.not != "" && strings.Contains(body, tt.not)) {
			t.Errorf("%d left: page lacks %q or has %q", tt.left, tt.want, tt.not)
		}
	}
}
