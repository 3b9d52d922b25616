package e2e

import (
	"encoding/json"
	"net/http"
	"os/exec"
	"strings"
	"testing"

	"github.com/authgate/authgate/internal/testenv"
)

// guideCommands returns the guide's curl commands (its Shell block),
// continuation lines joined, with the guide's host replaced by base.
func guideCommands(t *testing.T, base string) []string {
	t.Helper()
	var cmds []string
	cur := ""
	for _, line := range strings.Split(guideFile(t, "curl.sh"), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if more, ok := strings.CutSuffix(line, `\`); ok {
			cur += more
			continue
		}
		cmds = append(cmds, strings.ReplaceAll(cur+line, "https://authgate.cloud", base))
		cur = ""
	}
	if len(cmds) != 4 {
		t.Fatalf("the guide has %d curl commands, want 4: %q", len(cmds), cmds)
	}
	return cmds
}

// shell runs one command line with sh in an empty folder (so the
// guide's unquoted ?token= cannot match a file) and decodes its output.
func shell(t *testing.T, line string, out any) {
	t.Helper()
	sh := testenv.Require(t, "sh")
	testenv.Require(t, "curl")
	cmd := exec.Command(sh, "-c", line)
	cmd.Dir = t.TempDir()
	b, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s: %v", line, err)
	}
	if err := json.Unmarshal(b, out); err != nil {
		t.Fatalf("%s printed %q, not JSON: %v", line, b, err)
	}
}

func TestGuideCurlCommandsWorkVerbatim(t *testing.T) {
	g := startStandalone(t, storeLine(""), nil, "")
	dev := g.enroll("user@example.com")
	cmds := guideCommands(t, g.base)

	var s apiStarted
	shell(t, cmds[0], &s)
	if s.Code < 10 || s.Code > 99 || s.ExpiresIn <= 0 || !strings.Contains(s.SessionID, ".") {
		t.Fatalf("start answered %+v", s)
	}
	check := strings.ReplaceAll(cmds[1], "SESSION_ID", s.SessionID)
	var c apiChecked
	shell(t, check, &c)
	if c.Status != "pending" || c.Token != "" {
		t.Fatalf("check before approval: %+v", c)
	}
	decide(t, dev, s, "approve") // the phone sees the login id only

	// Anyone without the handle learns the status, never the token.
	var byID apiChecked
	apiCall(t, http.MethodGet, g.base+"/auth/check/"+s.loginID(), nil, "", &byID)
	var guessed apiChecked
	apiCall(t, http.MethodGet, g.base+"/auth/check/"+s.loginID()+".guessed-secret", nil, "", &guessed)
	if byID.Status != "approved" || byID.Token != "" || guessed.Token != "" {
		t.Fatalf("checks without the handle: %+v %+v", byID, guessed)
	}
	// A page at an origin my-app does not list is refused before anything happens.
	status, h := apiCall(t, http.MethodGet, g.base+"/auth/check/"+s.SessionID,
		http.Header{"Origin": {"https://evil.example"}}, "", nil)
	if status != http.StatusForbidden || h.Get("Access-Control-Allow-Origin") != "" {
		t.Fatalf("check from an unlisted origin: %d %v", status, h)
	}

	shell(t, check, &c)
	if c.Status != "approved" || c.Token == "" || c.ExpiresIn <= 0 {
		t.Fatalf("check after approval: %+v", c)
	}
	var again apiChecked
	shell(t, check, &again)
	if again.Status != "approved" || again.Token != "" {
		t.Fatalf("the token was handed out twice: %+v", again)
	}

	var v struct {
		Valid bool   `json:"valid"`
		AppID string `json:"app_id"`
		Email string `json:"email"`
		Exp   int64  `json:"exp"`
	}
	shell(t, strings.ReplaceAll(cmds[3], "YOUR_JWT_TOKEN", c.Token), &v)
	if !v.Valid || v.AppID != "my-app" || v.Email != "user@example.com" || v.Exp == 0 {
		t.Fatalf("verify: %+v", v)
	}
	// The app's token is no session cookie of the gate.
	var asCookie struct{ Valid bool }
	apiCall(t, http.MethodGet, g.base+"/.authgate/auth/verify?token="+c.Token, nil, "", &asCookie)
	var otherApp struct{ Valid bool }
	apiCall(t, http.MethodGet, g.base+"/auth/verify?app_id=other-app&token="+c.Token, nil, "", &otherApp)
	if asCookie.Valid || otherApp.Valid {
		t.Fatalf("the app's token verified as a cookie (%v) or for another app (%v)", asCookie.Valid, otherApp.Valid)
	}

	// The guide's registration sends no key: refused.
	var refused struct{ Error string }
	shell(t, cmds[2], &refused)
	if !strings.Contains(refused.Error, "Bearer") {
		t.Fatalf("registration without a key answered %+v", refused)
	}
}

func TestWebhookRegistrationNeedsABearerKey(t *testing.T) {
	forEachStore(t, testWebhookRegistrationNeedsABearerKey)
}

func testWebhookRegistrationNeedsABearerKey(t *testing.T, storeOpt string) {
	g := startStandalone(t, storeOpt, nil, "")
	body := `{"app_id": "my-app", "url": "https://my-app.com/callback"}`
	for _, c := range []struct {
		name, auth string
		want       int
	}{
		{"no key", "", http.StatusUnauthorized},
		{"a wrong key", "Bearer not-a-key-of-this-gate", http.StatusUnauthorized},
		{"another app's secret", "Bearer " + otherAppSecret, http.StatusUnauthorized},
		{"a basic scheme", "Basic " + myAppSecret, http.StatusUnauthorized},
	} {
		h := http.Header{}
		if c.auth != "" {
			h.Set("Authorization", c.auth)
		}
		if status, _ := apiCall(t, http.MethodPost, g.base+"/api/webhooks", h, body, nil); status != c.want {
			t.Errorf("%s: %d, want %d", c.name, status, c.want)
		}
	}
	var list []struct{ ID string }
	resp, err := http.Get(g.caddy.Admin + "/authgate/webhooks")
	if err != nil || json.NewDecoder(resp.Body).Decode(&list) != nil || len(list) != 0 {
		t.Fatalf("refused registrations left receivers: %v %v", list, err)
	}
	resp.Body.Close()
	for _, key := range []string{myAppSecret, gateAdminKey} {
		var got struct {
			ID, AppID, URL, Secret, Format string
		}
		status, _ := apiCall(t, http.MethodPost, g.base+"/api/webhooks", http.Header{"Authorization": {"Bearer " + key}}, body, &got)
		if status != http.StatusCreated || !strings.HasPrefix(got.Secret, "whsec_") || got.ID == "" || got.Format != "authgate" {
			t.Fatalf("registration with a key: %d %+v", status, got)
		}
	}
	// An app's key cannot fill the storage: 20 receivers per app.
	for i := 2; i < 20; i++ {
		if status, _ := apiCall(t, http.MethodPost, g.base+"/api/webhooks", http.Header{"Authorization": {"Bearer " + myAppSecret}}, body, nil); status != http.StatusCreated {
			t.Fatalf("receiver %d of my-app: %d", i+1, status)
		}
	}
	if status, _ := apiCall(t, http.MethodPost, g.base+"/api/webhooks", http.Header{"Authorization": {"Bearer " + myAppSecret}}, body, nil); status != http.StatusBadRequest {
		t.Fatalf("the 21st receiver of my-app: %d, want 400", status)
	}
	// Only the admin key registers a receiver of every app.
	all := `{"url": "https://my-app.com/all"}`
	if status, _ := apiCall(t, http.MethodPost, g.base+"/api/webhooks", http.Header{"Authorization": {"Bearer " + myAppSecret}}, all, nil); status != http.StatusUnauthorized {
		t.Fatalf("an app's secret registered a receiver of every app: %d", status)
	}
	for _, bad := range []string{`{"app_id": "my-app", "url": "ftp://x"}`, `{"app_id": "nope", "url": "https://x.example"}`, `{"app_id": "my-app"}`, `not json`} {
		if status, _ := apiCall(t, http.MethodPost, g.base+"/api/webhooks", http.Header{"Authorization": {"Bearer " + gateAdminKey}}, bad, nil); status != http.StatusBadRequest {
			t.Errorf("registration %s: %d, want 400", bad, status)
		}
	}
}
