package gateway

import (
	"encoding/base64"
	"net/http"
	"net/url"
	"strings"

	"github.com/authgate/authgate/gate/device"
	"github.com/authgate/authgate/gate/web"
)

// enrollQRRequest is the body of POST /enroll-qr.
type enrollQRRequest struct {
	Link string `json:"link"`
}

// enrollQRResponse carries the QR code as a PNG data: URL.
type enrollQRResponse struct {
	PNG string `json:"png"`
}

// handleEnrollQR draws an enrolment link of this site as a QR code, so a
// desktop that opened the link can hand it to a phone without spending
// it. Only enrolment links to this host's own approver app are drawn.
func (g *Gateway) handleEnrollQR(w http.ResponseWriter, r *http.Request) {
	if !g.sameOrigin(r) {
		writeError(w, http.StatusForbidden, "cross-site request refused")
		return
	}
	var req enrollQRRequest
	if !readJSON(w, r, &req) {
		return
	}
	base, _, err := device.ParseEnrollmentLink(req.Link)
	u, perr := url.Parse(base)
	if err != nil || perr != nil || !strings.EqualFold(u.Host, r.Host) || u.Path != g.cfg.Prefix {
		writeError(w, http.StatusBadRequest, "link must be an enrolment link of this site")
		return
	}
	png, err := web.QRPNG(req.Link, 6)
	if err != nil {
		writeError(w, http.StatusBadRequest, "link is too long for a QR code")
		return
	}
	writeJSON(w, http.StatusOK, enrollQRResponse{PNG: "data:image/png;base64," + base64.StdEncoding.EncodeToString(png)})
}
