package web

import "strings"

// maxUserAgent bounds how much of a User-Agent BrowserName reads: real
// ones are shorter, and a hostile one must not cost more.
const maxUserAgent = 512

// browserRule maps a User-Agent token to the name it stands for.
type browserRule struct{ token, name string }

// BrowserName returns a short, human description of a User-Agent, such
// as "Chrome on Linux" or "Safari on iOS": the browser, and the operating
// system when the User-Agent names one. It returns "Unknown browser" when
// it recognises nothing. The result is always one of a fixed set of
// strings, never text taken from the User-Agent, so it is safe to show
// anywhere; it reads at most the first 512 bytes.
func BrowserName(ua string) string {
	if len(ua) > maxUserAgent {
		ua = ua[:maxUserAgent]
	}
	// Order matters: Edge, Opera and Samsung Internet also say "Chrome",
	// Chrome also says "Safari"; an iPhone also says "like Mac OS X",
	// Android also says "Linux".
	browserRules := [...]browserRule{
		{"Edg/", "Edge"}, {"EdgA/", "Edge"}, {"EdgiOS/", "Edge"},
		{"OPR/", "Opera"}, {"SamsungBrowser/", "Samsung Internet"},
		{"Firefox/", "Firefox"}, {"FxiOS/", "Firefox"},
		{"HeadlessChrome/", "Headless Chrome"},
		{"CriOS/", "Chrome"}, {"Chrome/", "Chrome"}, {"Chromium/", "Chromium"},
		{"Safari/", "Safari"},
		{"curl/", "curl"}, {"Go-http-client/", "Go client"}, {"python-requests/", "Python client"},
	}
	osRules := [...]browserRule{
		{"iPhone", "iOS"}, {"iPad", "iPadOS"}, {"Android", "Android"},
		{"CrOS", "ChromeOS"}, {"Windows", "Windows"}, {"Mac OS X", "macOS"},
		{"Macintosh", "macOS"}, {"Linux", "Linux"}, {"FreeBSD", "FreeBSD"},
	}
	browser := ""
	for _, r := range browserRules {
		if strings.Contains(ua, r.token) {
			browser = r.name
			break
		}
	}
	os := ""
	for _, r := range osRules {
		if strings.Contains(ua, r.token) {
			os = r.name
			break
		}
	}
	switch {
	case browser == "" && os == "":
		return "Unknown browser"
	case browser == "":
		return "Browser on " + os
	case os == "":
		return browser
	}
	return browser + " on " + os
}
