package caddymodule

import (
	"encoding/json"
	"fmt"
	"net"
	"os"
	"slices"
	"strings"

	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
	"github.com/caddyserver/caddy/v2/caddyconfig/httpcaddyfile"

	"github.com/authgate/authgate/gate/gateway"
)

// globalOptions and siteOptions are the options of the global authgate
// block and of the directive, for "did you mean" hints and for telling an
// operator that an option is in the wrong block.
var (
	globalOptions = []string{
		"store", "signing_key", "previous_key", "gate_path", "cookie_domain", "public_url",
		"session_lifetime", "login_timeout", "report_block", "revocation_max_staleness", "lockout",
		"pushes_per_email", "pushes_per_ip", "group", "webhook", "webhook_claim_timeout", "webhook_schedule",
		"api_key_rate", "api_key_fresh_login", "api_key_recheck",
		"directory", "admin_group", "admin_step_up", "audit",
		"title", "logo", "accent", "geoip",
		"push_key", "push_contact", "push_services",
	}
	siteOptions = []string{"app_id", "allow", "public", "access_events", "api_keys", "title", "logo", "accent"}
)

// unknownGlobalOption explains an option the global block does not know.
func unknownGlobalOption(d *caddyfile.Dispenser, opt string) error {
	if slices.Contains(siteOptions, opt) {
		return d.Errf("'%s' is a site option: put it inside a site's authgate directive, not in the global authgate block", opt)
	}
	return d.Errf("unrecognized global authgate option '%s'%s", opt, didYouMean(opt, globalOptions))
}

// unknownSiteOption explains an option the directive does not know.
func unknownSiteOption(d *caddyfile.Dispenser, opt string) error {
	if slices.Contains(globalOptions, opt) {
		return d.Errf("'%s' is a global option: put it in the authgate block of the global options ({ authgate { %s … } } at the top of the Caddyfile), not in a site's directive", opt, opt)
	}
	return d.Errf("unrecognized authgate directive option '%s'%s", opt, didYouMean(opt, siteOptions))
}

// didYouMean suggests the closest known option, if it is close.
func didYouMean(opt string, known []string) string {
	best, bestDist := "", 3
	for _, k := range known {
		if d := editDistance(opt, k); d < bestDist {
			best, bestDist = k, d
		}
	}
	if best == "" {
		return ""
	}
	return fmt.Sprintf(" (did you mean '%s'?)", best)
}

// editDistance is the Levenshtein distance between a and b.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// checkPlaceholderSources refuses, while the Caddyfile is read, a value
// whose {env.NAME} names an unset variable or whose {file.PATH} names a
// file that cannot be read: at provision it would expand to nothing (or
// fail) far from the line that caused it. The variables must be set for
// the process that adapts the Caddyfile (caddy run, caddy reload) as well
// as for the server.
func checkPlaceholderSources(d *caddyfile.Dispenser, option, v string) error {
	for s := v; ; {
		i := strings.Index(s, "{")
		if i < 0 {
			return nil
		}
		j := strings.Index(s[i:], "}")
		if j < 0 {
			return nil
		}
		name := s[i+1 : i+j]
		s = s[i+j+1:]
		switch {
		case strings.HasPrefix(name, "env."):
			if val, ok := os.LookupEnv(name[len("env."):]); !ok || val == "" {
				return d.Errf("%s: environment variable %s is not set (or empty); set it for the process that runs Caddy, or use {file./path/to/secret}", option, name[len("env."):])
			}
		case strings.HasPrefix(name, "file."):
			path := name[len("file."):]
			if b, err := os.ReadFile(path); err != nil {
				return d.Errf("%s: cannot read {file.%s}: %v", option, path, err)
			} else if strings.TrimSpace(string(b)) == "" {
				return d.Errf("%s: {file.%s} is empty", option, path)
			}
		}
	}
}

// placeholderArg reads one argument of an option that may carry a
// secret, key, URL or address, checking its placeholders' sources.
func placeholderArg(d *caddyfile.Dispenser, dst *string) error {
	opt := d.Val()
	if err := oneArg(d, dst); err != nil {
		return err
	}
	return checkPlaceholderSources(d, opt, *dst)
}

// siteOf finds, by reading the Caddyfile again, the site block that holds
// the directive at the dispenser's token and whether it sits inside a
// handle_path block. ok is false when the file cannot be read (a config
// from standard input), and then nothing can be checked.
func siteOf(h httpcaddyfile.Helper) (keys []string, inHandlePath, ok bool) {
	tok := h.Token()
	if tok.File == "" || tok.File == "Caddyfile-stdin" {
		return nil, false, false
	}
	body, err := os.ReadFile(tok.File)
	if err != nil {
		return nil, false, false
	}
	blocks, err := caddyfile.Parse(tok.File, body)
	if err != nil {
		return nil, false, false
	}
	same := func(t caddyfile.Token) bool {
		return t.File == tok.File && t.Line == tok.Line && t.Text == tok.Text
	}
	for _, b := range blocks {
		for _, seg := range b.Segments {
			if len(seg) == 0 {
				continue
			}
			if same(seg[0]) {
				return b.GetKeysText(), false, true
			}
			if !slices.ContainsFunc(seg[1:], same) {
				continue
			}
			return b.GetKeysText(), seg.Directive() == "handle_path" || nestedIn(seg, same, "handle_path"), true
		}
	}
	return nil, false, false
}

// nestedIn reports whether a token that same matches sits in a block
// opened by directive, anywhere inside seg.
func nestedIn(seg caddyfile.Segment, same func(caddyfile.Token) bool, directive string) bool {
	var stack []string
	lastLineStart := ""
	line := -1
	for _, t := range seg {
		if t.Line != line {
			line, lastLineStart = t.Line, t.Text
		}
		switch t.Text {
		case "{":
			stack = append(stack, lastLineStart)
			continue
		case "}":
			if len(stack) > 0 {
				stack = stack[:len(stack)-1]
			}
			continue
		}
		if same(t) {
			return slices.Contains(stack, directive)
		}
	}
	return false
}

// globalCookieDomain returns the cookie_domain of the global authgate
// block, if the Caddyfile has one.
// globalGatePath returns the gate path of the global authgate block, or
// the default.
func globalGatePath(h httpcaddyfile.Helper) string {
	if app, ok := h.Option("authgate").(httpcaddyfile.App); ok {
		var cfg struct {
			GatePath string `json:"gate_path"`
		}
		if json.Unmarshal(app.Value, &cfg) == nil && cfg.GatePath != "" {
			return "/" + strings.Trim(cfg.GatePath, "/")
		}
	}
	return gateway.DefaultPrefix
}

func globalCookieDomain(h httpcaddyfile.Helper) string {
	app, ok := h.Option("authgate").(httpcaddyfile.App)
	if !ok {
		return ""
	}
	var cfg struct {
		CookieDomain string `json:"cookie_domain"`
	}
	if json.Unmarshal(app.Value, &cfg) != nil {
		return ""
	}
	return strings.TrimPrefix(strings.ToLower(cfg.CookieDomain), ".")
}

// checkSite refuses a directive that cannot work where it stands: inside
// handle_path (the gate's pages and the phone's signatures need the path
// the client sent), or on a site whose host the cookie_domain does not
// cover (browsers would refuse the session cookie there).
func checkSite(h httpcaddyfile.Helper) error {
	keys, inHandlePath, ok := siteOf(h)
	if !ok {
		return nil
	}
	if inHandlePath {
		return h.Errf("authgate cannot sit inside handle_path: it strips the path prefix, and the gate's pages and the phone's signed requests need the path as the client sent it; put authgate directly in the site block, with a matcher for the part to protect (authgate /app/*)")
	}
	domain := globalCookieDomain(h)
	if domain == "" || hasPlaceholder(domain) {
		return nil // a placeholder's value is known only at provision
	}
	for _, key := range keys {
		addr, err := httpcaddyfile.ParseAddress(key)
		if err != nil || addr.Host == "" || strings.Contains(addr.Host, "{") {
			continue
		}
		host := strings.TrimPrefix(strings.ToLower(addr.Host), "*.")
		if net.ParseIP(host) != nil {
			continue
		}
		if host != domain && !strings.HasSuffix(host, "."+domain) {
			return h.Errf("site %s is not under cookie_domain %s: browsers refuse a session cookie for %s there, so logins would never stick; change cookie_domain or serve this site under %s", key, domain, domain, domain)
		}
	}
	return nil
}

// repeatableGlobal and repeatableSite are the options that may be given
// more than once; any other given twice is refused (see onceOptions).
var (
	repeatableGlobal = []string{"previous_key", "group", "webhook", "webhook_schedule", "push_services"}
	repeatableSite   = []string{"allow", "public"}
)

// onceOptions remembers where each option of one block was first given,
// so that a second line of an option that takes one value is refused
// instead of silently replacing the first (a new signing_key written
// below the old one would sign every session out).
type onceOptions map[string]string // option -> file:line

// check refuses opt if it was given before in the block and is not in
// repeatable.
func (o onceOptions) check(d *caddyfile.Dispenser, opt string, repeatable []string) error {
	if slices.Contains(repeatable, opt) {
		return nil
	}
	if at, ok := o[opt]; ok {
		hint := ""
		if opt == "signing_key" {
			hint = "; to rotate keys, keep the old one as previous_key"
		}
		return d.Errf("%s is given twice (first at %s): give it once%s", opt, at, hint)
	}
	o[opt] = fmt.Sprintf("%s:%d", d.File(), d.Line())
	return nil
}
