package caddymodule

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/caddyserver/caddy/v2"

	"github.com/authgate/authgate/gate/audit"
	"github.com/authgate/authgate/gate/gateway"
	"github.com/authgate/authgate/gate/policy"
)

// handleAudit serves GET /authgate/audit?email=&type=&since=&until=&limit=&before=:
// the audit trail, newest first, as {"entries": […], "next": "…"}; with
// format=jsonl, or Accept: application/x-ndjson, as JSON lines.
func (a *adminAPI) handleAudit(w http.ResponseWriter, r *http.Request) error {
	if r.Method != http.MethodGet {
		return caddy.APIError{HTTPStatus: http.StatusMethodNotAllowed, Err: errors.New("use GET")}
	}
	app, err := a.app()
	if err != nil {
		return err
	}
	q, err := auditQueryOf(r)
	if err != nil {
		return caddy.APIError{HTTPStatus: http.StatusBadRequest, Err: err}
	}
	page, err := app.audit.List(r.Context(), q)
	if errors.Is(err, audit.ErrBadQuery) {
		return caddy.APIError{HTTPStatus: http.StatusBadRequest, Err: err}
	}
	if err != nil {
		return adminError(err)
	}
	if r.URL.Query().Get("format") == "jsonl" || r.Header.Get("Accept") == "application/x-ndjson" {
		w.Header().Set("Content-Type", "application/x-ndjson")
		if page.Next != "" {
			w.Header().Set("X-Authgate-Next", page.Next)
		}
		return audit.WriteJSONLines(w, page.Entries)
	}
	return writeAdminJSON(w, page)
}

// auditQueryOf reads the audit listing's parameters.
func auditQueryOf(r *http.Request) (audit.Query, error) {
	v := r.URL.Query()
	q := audit.Query{Type: v.Get("type"), Before: v.Get("before")}
	if e := v.Get("email"); e != "" {
		q.Email = policy.CanonicalEmail(e)
	}
	var err error
	if q.Since, err = gateway.ParseAuditTime(v.Get("since")); err != nil {
		return q, fmt.Errorf("since: %w", err)
	}
	if q.Until, err = gateway.ParseAuditTime(v.Get("until")); err != nil {
		return q, fmt.Errorf("until: %w", err)
	}
	if s := v.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n <= 0 || n > audit.MaxLimit {
			return q, fmt.Errorf("limit: %q is not a whole number from 1 to %d", s, audit.MaxLimit)
		}
		q.Limit = n
	}
	if f := v.Get("format"); f != "" && f != "json" && f != "jsonl" {
		return q, fmt.Errorf("format: %q: want json or jsonl", f)
	}
	return q, nil
}
