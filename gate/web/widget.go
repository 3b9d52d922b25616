package web

import (
	"net/http"
)

// ServeWidget serves the drop-in login widget (static/widget.js) for
// pages on other origins: a script any page may load (Cross-Origin-
// Resource-Policy cross-origin), cached for an hour.
func (p *Pages) ServeWidget(w http.ResponseWriter, r *http.Request) {
	body, err := staticFS.ReadFile("static/widget.js")
	if err != nil {
		http.Error(w, "widget not found", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/javascript; charset=utf-8")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cross-Origin-Resource-Policy", "cross-origin")
	h.Set("Cache-Control", "public, max-age=3600")
	_, _ = w.Write(body)
}
