package web

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestPagesNameTheSite(t *testing.T) {
	p, err := New("/.authgate")
	if err != nil {
		t.Fatal(err)
	}
	site := Site{Title: "Ops <centre>", Host: "ops.example.com", LogoURL: "/.authgate/brand/logo?v=1", CSSURL: "/.authgate/brand/accent.css?v=2", ThemeColor: "#aa3300"}
	for name, data := range pageData() {
		w := httptest.NewRecorder()
		p.RenderSite(w, site, http.StatusOK, name, "Title", "", data)
		body := w.Body.String()
		for _, want := range []string{
			"<title>Title · Ops &lt;centre&gt;</title>",
			`<span id="site-title">Ops &lt;centre&gt;</span>`,
			`<span class="site-host" id="site-host">ops.example.com</span>`,
			`<link rel="stylesheet" href="/.authgate/brand/accent.css?v=2">`,
			`src="/.authgate/brand/logo?v=1"`,
			`content="#aa3300"`,
		} {
			if !strings.Contains(body, want) {
				t.Errorf("page %s lacks %s", name, want)
			}
		}
		if m := inlineCode.FindString(body); m != "" {
			t.Errorf("inline code %q in page %s", m, name)
		}
	}
	w := httptest.NewRecorder()
	p.Render(w, http.StatusOK, "login", "Sign in", "", pageData()["login"])
	if body := w.Body.String(); !strings.Contains(body, "<title>Sign in · authgate</title>") || strings.Contains(body, "brand/") {
		t.Errorf("a page for no site:\n%s", body)
	}
}
