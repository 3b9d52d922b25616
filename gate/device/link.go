package device

import (
	"encoding/base64"
	"errors"
	"fmt"
	"net/url"
	"strings"
)

// ErrInvalidLink means a string is not an enrolment link.
var ErrInvalidLink = errors.New("device: invalid enrolment link")

// tokenBytes is the entropy of an enrolment token.
const tokenBytes = 32

// appPath is where the approver page lives under the gate base URL.
const appPath = "/app"

// enrollFragment prefixes the token in the link's fragment.
const enrollFragment = "enroll="

// EnrollmentLink returns the link that enrols a device with token:
// gateBaseURL (without a trailing slash) + "/app#enroll=" + token. The
// token is in the fragment, which browsers do not send to servers, so it
// never reaches a server log.
func EnrollmentLink(gateBaseURL, token string) string {
	return strings.TrimRight(gateBaseURL, "/") + appPath + "#" + enrollFragment + token
}

// ParseEnrollmentLink splits a link made by EnrollmentLink into the gate
// base URL and the token. It accepts only http or https links with a host,
// no user info and no query, whose path ends in "/app" and whose fragment
// is exactly "enroll=" and a well-formed token; errors wrap ErrInvalidLink.
func ParseEnrollmentLink(link string) (gateBaseURL, token string, err error) {
	if len(link) > 2048 {
		return "", "", fmt.Errorf("%w: %d bytes is too long", ErrInvalidLink, len(link))
	}
	u, err := url.Parse(strings.TrimSpace(link))
	if err != nil {
		return "", "", fmt.Errorf("%w: %w", ErrInvalidLink, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return "", "", fmt.Errorf("%w: scheme %q is not http or https", ErrInvalidLink, u.Scheme)
	}
	if u.Host == "" || u.User != nil || u.Opaque != "" {
		return "", "", fmt.Errorf("%w: want a host and no user info", ErrInvalidLink)
	}
	if u.RawQuery != "" || u.ForceQuery {
		return "", "", fmt.Errorf("%w: unexpected query", ErrInvalidLink)
	}
	path := u.EscapedPath()
	if !strings.HasSuffix(path, appPath) {
		return "", "", fmt.Errorf("%w: path does not end in %s", ErrInvalidLink, appPath)
	}
	frag := u.EscapedFragment()
	token, ok := strings.CutPrefix(frag, enrollFragment)
	if !ok || !validToken(token) {
		return "", "", fmt.Errorf("%w: fragment is not enroll=<token>", ErrInvalidLink)
	}
	base := url.URL{Scheme: u.Scheme, Host: u.Host}
	return base.String() + strings.TrimSuffix(path, appPath), token, nil
}

// validToken reports whether token is base64url (no padding, canonical)
// of exactly tokenBytes bytes.
func validToken(token string) bool {
	if len(token) != base64.RawURLEncoding.EncodedLen(tokenBytes) {
		return false
	}
	b, err := base64.RawURLEncoding.Strict().DecodeString(token)
	return err == nil && len(b) == tokenBytes
}
