package webhook

import "net/url"

// ShownURL is a receiver's URL fit for an error message or a log line:
// its scheme, host and path, without user info, query or fragment, which
// may carry a password or a token. A URL that does not parse is not shown.
func ShownURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(a URL that does not parse)"
	}
	shown := url.URL{Scheme: u.Scheme, Host: u.Host, Path: u.Path, RawPath: u.RawPath}
	s := shown.String()
	if u.User != nil {
		s = u.Scheme + "://…@" + s[len(u.Scheme)+len("://"):]
	}
	if u.RawQuery != "" || u.ForceQuery {
		s += "?…"
	}
	return s
}
