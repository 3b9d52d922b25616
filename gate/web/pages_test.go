package web

import (
	"crypto/sha256"
	"encoding/base64"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/authgate/authgate/gate/store"
)

// pageData is sample data for every page, in the shapes the gateway
// passes.
func pageData() map[string]any {
	now := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	return map[string]any{
		"login":    map[string]any{"Email": "a@example.com", "ReturnURL": "/x", "Error": "Bad <email>", "Notice": ""},
		"wait":     map[string]any{"ID": "abc", "Code": 42, "ExpiresIn": 100, "ReturnURL": "/x?y=1", "RetryURL": "/.authgate/login?rd=%2Fx", "State": "pending", "Reason": ""},
		"message":  map[string]any{"Message": "Hello", "Link": "/", "LinkText": "Home"},
		"app":      nil,
		"code":     map[string]any{"ID": "", "Email": "a@example.com", "ReturnURL": "/x", "Error": "Bad <email>"},
		"recovery": map[string]any{"Codes": []string{"ABCDE-FGHJK", "<8>"}},
		"home": map[string]any{
			"Email": "a@example.com", "CurrentSID": "s1", "CSRF": "tok", "Notice": "",
			"Sessions": []*store.Session{{ID: "s1", UserAgent: "Mozilla/5.0 (X11; Linux x86_64) Chrome/131 Safari/537.36", ClientIP: "10.0.0.1", CreatedAt: now}},
			"Devices":  []*store.Device{{ID: "dev_1", Name: "Pixel <8>", CreatedAt: now, LastUsed: now}},
		},
	}
}

// Inline script, inline style and event-handler attributes would all be
// refused by the Content-Security-Policy: no page may carry them.
var inlineCode = regexp.MustCompile(`(?i)<script(?:\s[^>]*)?>[^<]|<style|\sstyle=|\son[a-z]+=|="\s*javascript:`)

func TestEveryPageRendersWithoutInlineCode(t *testing.T) {
	p, err := New("/.authgate")
	if err != nil {
		t.Fatal(err)
	}
	for name, data := range pageData() {
		t.Run(name, func(t *testing.T) {
			w := httptest.NewRecorder()
			p.Render(w, http.StatusOK, name, "Title", name+".js", data)
			body := w.Body.String()
			if w.Code != http.StatusOK || !strings.Contains(body, "</main>") {
				t.Fatalf("render: %d\n%s", w.Code, body)
			}
			if m := inlineCode.FindString(body); m != "" {
				t.Fatalf("inline code %q in page %s", m, name)
			}
			if w.Header().Get("Content-Security-Policy") != ContentSecurityPolicy || w.Header().Get("X-Frame-Options") != "DENY" {
				t.Fatalf("security headers missing: %v", w.Header())
			}
			if strings.Contains(body, "<email>") || strings.Contains(body, "<8>") {
				t.Fatalf("page %s did not escape data", name)
			}
			if name == "app" && !strings.Contains(body, `rel="manifest"`) {
				t.Fatalf("the approver page does not link its manifest")
			}
		})
	}
}

func TestHomePageShowsBrowserNames(t *testing.T) {
	p, _ := New("/.authgate")
	w := httptest.NewRecorder()
	p.Render(w, http.StatusOK, "home", "Account", "", pageData()["home"])
	if body := w.Body.String(); !strings.Contains(body, "Chrome on Linux") || !strings.Contains(body, "This browser") {
		t.Fatalf("account page lacks the session's browser name")
	}
}

// TestPagesNameAssetsByTheirContent renders every page and checks that
// each asset it loads is named with a version of the file's content:
// assets are cached for an hour, so after an upgrade a page under an
// unchanged address would run the scripts of the version before.
func TestPagesNameAssetsByTheirContent(t *testing.T) {
	p, err := New("/.authgate")
	if err != nil {
		t.Fatal(err)
	}
	ref := regexp.MustCompile(`(?:src|href)="/\.authgate/assets/([^"?]+)(\?v=[^"]*)?"`)
	scripts := map[string]string{"login": "login.js", "wait": "wait.js", "app": "app.js", "home": "keys.js"}
	for name, data := range pageData() {
		w := httptest.NewRecorder()
		p.Render(w, http.StatusOK, name, "Title", scripts[name], data)
		refs := ref.FindAllStringSubmatch(w.Body.String(), -1)
		if len(refs) < 3 {
			t.Fatalf("page %s loads %d assets", name, len(refs))
		}
		for _, m := range refs {
			b, err := staticFS.ReadFile("static/" + m[1])
			if err != nil {
				t.Fatalf("page %s loads %s, which is not an asset", name, m[1])
			}
			sum := sha256.Sum256(b)
			if want := "?v=" + base64.RawURLEncoding.EncodeToString(sum[:9]); m[2] != want {
				t.Errorf("page %s loads %s as %q, want the version %s", name, m[1], m[0], want)
			}
		}
	}
	// The service worker's imported script has one address, so it is
	// revalidated like the worker itself.
	w := httptest.NewRecorder()
	p.ServeStatic(w, httptest.NewRequest(http.MethodGet, "/.authgate/assets/push-sw.js", nil))
	if cc := w.Header().Get("Cache-Control"); w.Code != http.StatusOK || cc != "no-cache" {
		t.Errorf("push-sw.js: %d, Cache-Control %q, want no-cache", w.Code, cc)
	}
}

func TestStaticAssetsCarryTheirTypesAndScope(t *testing.T) {
	p, _ := New("/gate")
	tests := []struct {
		path, wantType, wantHeader, wantValue string
	}{
		{"/gate/assets/manifest.webmanifest", "application/manifest+json", "", ""},
		{"/gate/assets/sw.js", "text/javascript", "Service-Worker-Allowed", "/gate/app"},
		{"/gate/assets/app.js", "text/javascript", "X-Content-Type-Options", "nosniff"},
		{"/gate/assets/icon-192.png", "image/png", "", ""},
		{"/gate/assets/icon.svg", "image/svg+xml", "", ""},
		{"/gate/assets/gate.css", "text/css", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			w := httptest.NewRecorder()
			p.ServeStatic(w, httptest.NewRequest(http.MethodGet, tt.path, nil))
			body, _ := io.ReadAll(w.Body)
			if w.Code != http.StatusOK || len(body) == 0 {
				t.Fatalf("status %d", w.Code)
			}
			if ct := w.Header().Get("Content-Type"); !strings.HasPrefix(ct, tt.wantType) {
				t.Fatalf("Content-Type %q, want %q", ct, tt.wantType)
			}
			if tt.wantHeader != "" && w.Header().Get(tt.wantHeader) != tt.wantValue {
				t.Fatalf("%s = %q, want %q", tt.wantHeader, w.Header().Get(tt.wantHeader), tt.wantValue)
			}
		})
	}
}
