package gateway

import (
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/authgate/authgate/gate/audit"
	"github.com/authgate/authgate/gate/event"
	"github.com/authgate/authgate/gate/policy"
)

// auditPage is the data of the console's audit trail.
type auditPage struct {
	consoleBase
	Configured bool
	Email      string
	Type       string
	Since      string
	Until      string
	Types      []string
	Entries    []audit.Entry
	NextURL    string
	ExportURL  string
}

// auditTimeLayout is the form's time format (an HTML datetime-local
// field, read as UTC); RFC 3339 is accepted too.
const auditTimeLayout = "2006-01-02T15:04"

// ParseAuditTime reads a since/until value: RFC 3339, a date and time
// ("2006-01-02T15:04", UTC), a date, or empty for none.
func ParseAuditTime(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	for _, layout := range []string{time.RFC3339Nano, auditTimeLayout, "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, errors.New("times are RFC 3339 (2006-01-02T15:04:05Z), 2006-01-02T15:04 or 2006-01-02")
}

// auditQuery reads the listing's filters from the URL.
func auditQuery(r *http.Request) (audit.Query, error) {
	v := r.URL.Query()
	q := audit.Query{Type: v.Get("type"), Before: v.Get("before")}
	if e := v.Get("email"); e != "" {
		q.Email = policy.CanonicalEmail(e)
	}
	var err error
	if q.Since, err = ParseAuditTime(v.Get("since")); err != nil {
		return q, fmt.Errorf("%w: since: %w", audit.ErrBadQuery, err)
	}
	if q.Until, err = ParseAuditTime(v.Get("until")); err != nil {
		return q, fmt.Errorf("%w: until: %w", audit.ErrBadQuery, err)
	}
	q.Limit = 50
	return q, nil
}

func (g *Gateway) consoleAudit(w http.ResponseWriter, r *http.Request) {
	v := r.URL.Query()
	data := auditPage{consoleBase: g.consoleBase(r, "audit"), Configured: g.audit != nil,
		Email: v.Get("email"), Type: v.Get("type"), Since: v.Get("since"), Until: v.Get("until"),
		Types: auditTypes()}
	q, err := auditQuery(r)
	status := http.StatusOK
	if err == nil && g.audit != nil {
		var page audit.Page
		page, err = g.audit.List(r.Context(), q)
		data.Entries = page.Entries
		if page.Next != "" {
			next := r.URL.Query()
			next.Set("before", page.Next)
			data.NextURL = g.cfg.Prefix + "/admin/audit?" + next.Encode()
		}
	}
	if err != nil {
		if !errors.Is(err, audit.ErrBadQuery) {
			g.storeFailure(w, r, err)
			return
		}
		status, data.Error = http.StatusBadRequest, err.Error()
	}
	export := r.URL.Query()
	export.Del("before")
	data.ExportURL = g.cfg.Prefix + "/admin/audit.jsonl?" + export.Encode()
	g.render(w, r, status, "console_audit", "Audit trail", "", data)
}

// consoleAuditExport downloads the filtered trail as JSON lines, newest
// first, up to audit.MaxLimit entries per file.
func (g *Gateway) consoleAuditExport(w http.ResponseWriter, r *http.Request) {
	if g.audit == nil {
		g.consoleMessage(w, r, http.StatusNotFound, "Not found", "The audit trail is not configured.")
		return
	}
	q, err := auditQuery(r)
	if err != nil {
		g.consoleMessage(w, r, http.StatusBadRequest, "Bad filter", err.Error())
		return
	}
	q.Limit = audit.MaxLimit
	page, err := g.audit.List(r.Context(), q)
	if errors.Is(err, audit.ErrBadQuery) {
		g.consoleMessage(w, r, http.StatusBadRequest, "Bad filter", err.Error())
		return
	}
	if err != nil {
		g.storeFailure(w, r, err)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/x-ndjson")
	h.Set("Content-Disposition", `attachment; filename="authgate-audit.jsonl"`)
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	_ = audit.WriteJSONLines(w, page.Entries)
}

// auditTypes are the types offered by the filter.
func auditTypes() []string {
	return append(event.Types(), audit.ActionPrefix+"*")
}
