package device

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// The headers of a signed device request.
const (
	HeaderDevice    = "X-Authgate-Device"
	HeaderTimestamp = "X-Authgate-Timestamp"
	HeaderSignature = "X-Authgate-Device-Signature"
)

// The query parameters that stand in for the headers where a client cannot
// set headers (EventSource).
const (
	ParamDevice    = "ag_device"
	ParamTimestamp = "ag_ts"
	ParamSignature = "ag_sig"
)

// requestPrefix opens every signed request message.
const requestPrefix = "authgate-request-v1"

// RequestMessage returns the bytes a device signs for a request: the
// prefix, method, path-with-query, timestamp (Unix milliseconds) and
// hex SHA-256 of the body, joined by line feeds. Client and server build
// it with this one function.
func RequestMessage(method, pathWithQuery string, ts int64, body []byte) []byte {
	sum := sha256.Sum256(body)
	var b strings.Builder
	b.Grow(len(requestPrefix) + len(method) + len(pathWithQuery) + 20 + 2*len(sum) + 4)
	b.WriteString(requestPrefix)
	b.WriteByte('\n')
	b.WriteString(method)
	b.WriteByte('\n')
	b.WriteString(pathWithQuery)
	b.WriteByte('\n')
	b.WriteString(strconv.FormatInt(ts, 10))
	b.WriteByte('\n')
	b.WriteString(hex.EncodeToString(sum[:]))
	return []byte(b.String())
}

// PathWithQuery returns the request target of u as it is signed: the
// escaped path, then "?" and the raw query if the query is not empty.
func PathWithQuery(u *url.URL) string {
	p := u.EscapedPath()
	if p == "" {
		p = "/"
	}
	if u.RawQuery != "" {
		return p + "?" + u.RawQuery
	}
	return p
}

// credentials are the three signed-request values as they arrived, and the
// target they sign.
type credentials struct {
	deviceID  string
	timestamp string
	signature string
	target    string
}

// readCredentials takes the three values from the headers, or if no header
// is present, from the query. It says why if a value is missing or
// repeated.
func readCredentials(r *http.Request) (credentials, error) {
	h := r.Header
	if h.Get(HeaderDevice) != "" || h.Get(HeaderTimestamp) != "" || h.Get(HeaderSignature) != "" {
		c := credentials{target: PathWithQuery(r.URL)}
		var ok bool
		if c.deviceID, ok = single(h.Values(HeaderDevice)); !ok {
			return c, errors.New("missing or repeated " + HeaderDevice)
		}
		if c.timestamp, ok = single(h.Values(HeaderTimestamp)); !ok {
			return c, errors.New("missing or repeated " + HeaderTimestamp)
		}
		if c.signature, ok = single(h.Values(HeaderSignature)); !ok {
			return c, errors.New("missing or repeated " + HeaderSignature)
		}
		return c, nil
	}
	return queryCredentials(r.URL)
}

// single returns the one non-empty value of vs.
func single(vs []string) (string, bool) {
	if len(vs) != 1 || vs[0] == "" {
		return "", false
	}
	return vs[0], true
}

// queryCredentials takes the three values from the query of u and returns
// the target with them removed, other parameters kept in order and in
// their original spelling.
func queryCredentials(u *url.URL) (credentials, error) {
	var c credentials
	var kept []string
	seen := map[string]bool{}
	for _, part := range strings.Split(u.RawQuery, "&") {
		if part == "" {
			kept = append(kept, part)
			continue
		}
		rawKey, rawValue, _ := strings.Cut(part, "=")
		key, err := url.QueryUnescape(rawKey)
		if err != nil {
			kept = append(kept, part)
			continue
		}
		var dst *string
		switch key {
		case ParamDevice:
			dst = &c.deviceID
		case ParamTimestamp:
			dst = &c.timestamp
		case ParamSignature:
			dst = &c.signature
		default:
			kept = append(kept, part)
			continue
		}
		if seen[key] {
			return c, errors.New("repeated query parameter " + key)
		}
		seen[key] = true
		value, err := url.QueryUnescape(rawValue)
		if err != nil {
			return c, errors.New("undecodable query parameter " + key)
		}
		*dst = value
	}
	if c.deviceID == "" || c.timestamp == "" || c.signature == "" {
		return c, errors.New("no signature headers or query parameters")
	}
	path := u.EscapedPath()
	if path == "" {
		path = "/"
	}
	c.target = path
	if q := strings.Join(kept, "&"); q != "" {
		c.target += "?" + q
	}
	return c, nil
}

// parseTimestamp reads Unix milliseconds written as 1 to 15 decimal
// digits: no sign, no spaces, no leading zeros.
func parseTimestamp(s string) (int64, bool) {
	if len(s) == 0 || len(s) > 15 || (len(s) > 1 && s[0] == '0') {
		return 0, false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
	}
	ts, err := strconv.ParseInt(s, 10, 64)
	return ts, err == nil
}
