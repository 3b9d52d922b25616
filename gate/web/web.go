// Package web holds the gate's pages: html/template files, stylesheet,
// scripts, icons and the approver app's manifest and service worker, all
// embedded in the binary so no page loads anything from another host. No
// page has inline script or style, so the strict ContentSecurityPolicy
// holds everywhere.
package web

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"strings"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// ContentSecurityPolicy is sent with every gate page: only the gate's own
// scripts, styles and images; no framing; forms post only to the gate.
const ContentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; manifest-src 'self'; worker-src 'self'; form-action 'self'; " +
	"frame-ancestors 'none'; base-uri 'none'"

// ConsolePages are the admin console's page templates.
var ConsolePages = []string{"console_users", "console_user", "console_webhooks", "console_webhook", "console_audit", "console_stepup"}

// Pages renders the gate's pages for one gate prefix.
type Pages struct {
	prefix string
	tmpl   map[string]*template.Template
	static http.Handler
}

// New parses every template; it fails if any is malformed.
func New(prefix string) (*Pages, error) {
	p := &Pages{prefix: prefix, tmpl: make(map[string]*template.Template)}
	sub, err := fs.Sub(staticFS, "static")
	if err != nil {
		return nil, fmt.Errorf("opening static assets: %w", err)
	}
	asset, err := assetURLs(sub, prefix)
	if err != nil {
		return nil, err
	}
	funcs := template.FuncMap{"browser": BrowserName, "ago": ago, "when": when, "detail": AuditDetail, "asset": asset}
	for _, name := range append([]string{"login", "wait", "home", "message", "app", "code", "recovery"}, ConsolePages...) {
		files := []string{"templates/layout.html", "templates/" + name + ".html"}
		if strings.HasPrefix(name, "console_") {
			files = append(files, "templates/console_nav.html")
		}
		t, err := template.New("layout.html").Funcs(funcs).ParseFS(templateFS, files...)
		if err != nil {
			return nil, fmt.Errorf("parsing page %s: %w", name, err)
		}
		p.tmpl[name] = t
	}
	p.static = http.StripPrefix(prefix+"/assets/", http.FileServerFS(sub))
	return p, nil
}

// assetURLs returns the pages' "asset" function: the address of a static
// asset under prefix/assets/ with a version of its content in the query.
// Assets are cached for an hour, so a page after an upgrade would
// otherwise run the scripts and styles of the version before it; a
// changed file gets a new address that no cache holds.
func assetURLs(static fs.FS, prefix string) (func(name string) string, error) {
	names, err := fs.Glob(static, "*")
	if err != nil {
		return nil, fmt.Errorf("listing static assets: %w", err)
	}
	urls := make(map[string]string, len(names))
	for _, name := range names {
		b, err := fs.ReadFile(static, name)
		if err != nil {
			return nil, fmt.Errorf("reading static asset %s: %w", name, err)
		}
		sum := sha256.Sum256(b)
		urls[name] = prefix + "/assets/" + name + "?v=" + base64.RawURLEncoding.EncodeToString(sum[:9])
	}
	return func(name string) string {
		if u, ok := urls[name]; ok {
			return u
		}
		return prefix + "/assets/" + name
	}, nil
}

// Page is what every template receives.
type Page struct {
	// Name is the page's template name ("login", "app", …).
	Name   string
	Title  string
	Prefix string
	// Script, if set, is the one static script the page loads.
	Script string
	// Site is the brand of the site the page is shown on.
	Site Site
	Data any
}

// Site is how the site a page is shown on names itself: every gate page
// shows its title (and its logo), and the browser tab names it.
type Site struct {
	// Title names the site; "" shows the gate's own name.
	Title string
	// Host is the host the page was served from, shown beside the title
	// so a look-alike site is easier to tell apart.
	Host string
	// LogoURL and CSSURL, when set, are the site's logo image and accent
	// stylesheet, served by the gate.
	LogoURL string
	CSSURL  string
	// ThemeColor is the accent colour for the browser's chrome, or "".
	ThemeColor string
}

// Name returns the site's title, or "authgate" when it has none.
func (s Site) Name() string {
	if s.Title == "" {
		return "authgate"
	}
	return s.Title
}

// Render writes page name with status, for no site in particular. It
// renders into a buffer first, so a template error yields a clean 500
// rather than half a page. Every page carries SecurityHeaders.
func (p *Pages) Render(w http.ResponseWriter, status int, name, title, script string, data any) {
	p.RenderSite(w, Site{}, status, name, title, script, data)
}

// RenderSite is Render for a page shown on site.
func (p *Pages) RenderSite(w http.ResponseWriter, site Site, status int, name, title, script string, data any) {
	t, ok := p.tmpl[name]
	if !ok {
		http.Error(w, "page not found", http.StatusInternalServerError)
		return
	}
	var buf bytes.Buffer
	if err := t.Execute(&buf, Page{Name: name, Title: title, Prefix: p.prefix, Script: script, Site: site, Data: data}); err != nil {
		http.Error(w, "page could not be rendered", http.StatusInternalServerError)
		return
	}
	SecurityHeaders(w.Header())
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// SecurityHeaders sets the headers every gate page carries. The referrer
// policy is strict-origin, not no-referrer: with no-referrer browsers send
// "Origin: null" on form posts, which the gate's same-origin check must
// refuse; strict-origin still never reveals a gate path (login ids) to
// anyone.
func SecurityHeaders(h http.Header) {
	h.Set("Content-Security-Policy", ContentSecurityPolicy)
	h.Set("X-Frame-Options", "DENY")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "strict-origin")
	h.Set("Cache-Control", "no-store")
}

// ServeStatic serves an embedded asset under prefix/assets/. The web app
// manifest gets its registered media type, and the service worker may
// control the approver app at prefix/app although it is served from the
// assets folder; it and the script it imports are revalidated on every
// load so an upgrade reaches installed apps. The pages name the other
// assets by versioned addresses (see assetURLs).
func (p *Pages) ServeStatic(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "public, max-age=3600")
	switch {
	case strings.HasSuffix(r.URL.Path, ".webmanifest"):
		h.Set("Content-Type", "application/manifest+json")
	case strings.HasSuffix(r.URL.Path, "/sw.js"):
		h.Set("Service-Worker-Allowed", p.prefix+"/app")
		h.Set("Cache-Control", "no-cache")
	case strings.HasSuffix(r.URL.Path, "/push-sw.js"):
		// Imported by the service worker under its own address: the
		// browser's update check reads it through the HTTP cache.
		h.Set("Cache-Control", "no-cache")
	}
	p.static.ServeHTTP(w, r)
}
