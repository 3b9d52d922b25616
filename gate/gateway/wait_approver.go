package gateway

import (
	"encoding/base64"
	"html/template"
	"net/http"

	"github.com/authgate/authgate/gate/web"
)

// approverLink is where the waiting page sends the user to approve: the
// approver app on this site, and its QR code (a data: URL) for a phone
// to scan from a laptop's screen. The link is the same for every email,
// so the page says nothing about who is enrolled.
type approverLink struct {
	URL string
	// QR is a data: URL made here from PNG bytes, so the template may
	// put it in src as it is.
	QR template.URL
}

func (g *Gateway) approverLink(r *http.Request) approverLink {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	link := approverLink{URL: scheme + "://" + r.Host + g.cfg.Prefix + "/app"}
	if png, err := web.QRPNG(link.URL, 4); err == nil {
		link.QR = template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(png))
	}
	return link
}
