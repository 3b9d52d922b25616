package caddymodule

import (
	"strconv"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig"
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
	"github.com/caddyserver/caddy/v2/caddyconfig/httpcaddyfile"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"

	"github.com/authgate/authgate/gate/gateway"
	"github.com/authgate/authgate/gate/policy"
)

func init() {
	httpcaddyfile.RegisterGlobalOption("authgate", parseGlobal)
	httpcaddyfile.RegisterDirective("authgate", parseDirective)
	// Before every handler that could serve content, so no `order`
	// option is needed and handle blocks cannot bypass the gate; and
	// before rewrite, uri and try_files, so the gate sees the path the
	// browser asked for: its own pages are never rewritten away (to an
	// SPA's /index.html), and the return URL is the page asked for.
	httpcaddyfile.RegisterDirectiveOrder("authgate", httpcaddyfile.Before, "rewrite")
}

// parseDirective makes the routes of one authgate directive. With a
// matcher, the gate's own path gets a route of its own beside it, else
// the login page the handler sends browsers to would be whatever the
// site serves there when the matcher leaves it out.
func parseDirective(h httpcaddyfile.Helper) ([]httpcaddyfile.ConfigValue, error) {
	if !h.Next() {
		return nil, h.ArgErr()
	}
	matcherSet, err := h.ExtractMatcherSet()
	if err != nil {
		return nil, err
	}
	handler, err := parseHandler(h)
	if err != nil {
		return nil, err
	}
	routes := h.NewRoute(matcherSet, handler)
	if matcherSet == nil {
		return routes, nil
	}
	p := globalGatePath(h)
	gatePath := caddy.ModuleMap{"path": caddyconfig.JSON([]string{p, p + "/*"}, nil)}
	return append(h.NewRoute(gatePath, handler), routes...), nil
}

// parseGlobal sets up the authgate app from the global options block.
// Syntax:
//
//	authgate {
//	    store memory | redis <url> [<key_prefix>]
//	    signing_key <secret | base64:… | PEM>
//	    previous_key <secret | base64:… | PEM>
//	    gate_path <path>
//	    cookie_domain <domain>
//	    session_lifetime <duration>
//	    login_timeout <duration>
//	    pushes_per_email <n>
//	    pushes_per_ip <n>
//	    report_block <duration>
//	    lockout <attempts> <duration>
//	    revocation_max_staleness <duration>
//	    public_url <url>
//	    group <name> <email|@domain...>
//	    directory ldap { … }   (see unmarshalDirectory)
//	    webhook <url> {
//	        secret <secret>
//	        previous_secret <secret>
//	        events <name...> | *
//	        timeout <duration>
//	        signature_header <name> [<prefix>]
//	        access_sample_rate <0..1>
//	        format envelope | authgate | webgate
//	        app <app_id>
//	        blocking [allow_on_error]
//	    }
//	    webhook_schedule <duration...>
//	    webhook_claim_timeout <duration>
//	    title <text...>
//	    logo <file>
//	    accent <#rrggbb>
//	    geoip <file.mmdb>
//	    api_key_rate <requests> <per_duration>
//	    api_key_fresh_login <duration>
//	    api_key_recheck <duration>
//	    admin_group <name>
//	    admin_step_up <duration>
//	    audit {
//	        retention <duration>
//	        max_entries <n>
//	        buffer <n>
//	    }
//	    push_key <base64url P-256 private key | PEM>
//	    push_contact <mailto:address | https URL>
//	    push_services <host | *.domain | scheme://host:port...>
//	}
//
// title, logo and accent are the default brand of every site. A second
// authgate block in the global options is refused: it would replace the
// first one whole, store and signing key included.
func parseGlobal(d *caddyfile.Dispenser, existing any) (any, error) {
	app := new(App)
	d.Next() // the option's name
	if existing != nil {
		return nil, d.Errf("a second global authgate block: it would silently replace the first one whole; put every option in one block")
	}
	if d.NextArg() {
		return nil, d.ArgErr()
	}
	seen := onceOptions{}
	for d.NextBlock(0) {
		if err := seen.check(d, d.Val(), repeatableGlobal); err != nil {
			return nil, err
		}
		if err := app.unmarshalOption(d); err != nil {
			return nil, err
		}
	}
	return httpcaddyfile.App{Name: "authgate", Value: caddyconfig.JSON(app, nil)}, nil
}

func (a *App) unmarshalOption(d *caddyfile.Dispenser) error {
	switch opt := d.Val(); opt {
	case "store":
		args := d.RemainingArgs()
		switch {
		case len(args) == 1 && args[0] == "memory":
			a.Store = &StoreConfig{Type: "memory"}
		case (len(args) == 2 || len(args) == 3) && args[0] == "redis":
			a.Store = &StoreConfig{Type: "redis", URL: args[1]}
			if err := checkPlaceholderSources(d, "store", args[1]); err != nil {
				return err
			}
			if !hasPlaceholder(args[1]) {
				if err := checkRedisURL(args[1]); err != nil {
					return d.Errf("store: %v", err)
				}
			}
			if len(args) == 3 {
				a.Store.Prefix = args[2]
			}
		default:
			return d.Errf("store: want 'memory' or 'redis <url> [<key_prefix>]'")
		}
	case "signing_key":
		return checkedPlaceholderArg(d, &a.SigningKey, checkSigningKey)
	case "previous_key":
		var k string
		if err := checkedPlaceholderArg(d, &k, checkSigningKey); err != nil {
			return err
		}
		a.PreviousKeys = append(a.PreviousKeys, k)
	case "gate_path":
		if err := oneArg(d, &a.GatePath); err != nil {
			return err
		}
		if err := gateway.CheckPrefix(a.GatePath); err != nil {
			return d.Errf("gate_path: %v", err)
		}
	case "cookie_domain":
		return placeholderArg(d, &a.CookieDomain)
	case "public_url":
		return checkedPlaceholderArg(d, &a.PublicURL, checkPublicURL)
	case "session_lifetime":
		return durationArg(d, &a.SessionLifetime)
	case "login_timeout":
		return durationArg(d, &a.LoginTimeout)
	case "report_block":
		return durationArg(d, &a.ReportBlock)
	case "revocation_max_staleness":
		return durationArg(d, &a.RevocationMaxStaleness)
	case "lockout":
		return a.unmarshalLockout(d)
	case "pushes_per_email":
		return intArg(d, &a.PushesPerEmail)
	case "pushes_per_ip":
		return intArg(d, &a.PushesPerIP)
	case "group":
		args := d.RemainingArgs()
		if len(args) < 2 {
			return d.Errf("group: want a name and at least one member (email or @domain)")
		}
		if a.Groups == nil {
			a.Groups = map[string][]string{}
		}
		a.Groups[args[0]] = append(a.Groups[args[0]], args[1:]...)
		if _, err := policy.NewGroups(map[string][]string{args[0]: args[1:]}); err != nil {
			return d.Errf("%v", err)
		}
	case "directory":
		c, err := unmarshalDirectory(d)
		if err != nil {
			return err
		}
		a.Directory = c
	case "webhook":
		w, err := unmarshalWebhook(d)
		if err != nil {
			return err
		}
		a.Webhooks = append(a.Webhooks, w)
	case "webhook_claim_timeout":
		return durationArg(d, &a.WebhookClaimTimeout)
	case "title", "logo", "accent":
		return unmarshalBrand(d, &a.Brand)
	case "geoip":
		return placeholderArg(d, &a.GeoIP)
	case "webhook_schedule":
		args := d.RemainingArgs()
		if len(args) == 0 {
			return d.ArgErr()
		}
		for _, s := range args {
			v, err := caddy.ParseDuration(s)
			if err != nil || v < 0 {
				return d.Errf("webhook_schedule: %q is not a duration", s)
			}
			a.WebhookSchedule = append(a.WebhookSchedule, caddy.Duration(v))
		}
	case "api_key_rate":
		return a.unmarshalAPIKeyRate(d)
	case "api_key_fresh_login":
		return durationArg(d, &a.APIKeyFreshLogin)
	case "api_key_recheck":
		return a.unmarshalAPIKeyRecheck(d)
	case "admin_group":
		return oneArg(d, &a.AdminGroup)
	case "admin_step_up":
		return durationArg(d, &a.AdminStepUp)
	case "audit":
		c, err := unmarshalAudit(d)
		if err != nil {
			return err
		}
		a.Audit = c
	case "push_key", "push_contact", "push_services":
		return a.unmarshalPushOption(d)
	default:
		return unknownGlobalOption(d, opt)
	}
	return nil
}

// parseHandler sets up the handler from Caddyfile tokens. Syntax:
//
//	authgate [<matcher>] {
//	    app_id <name>
//	    allow email <address...>
//	    allow domain <domain...>
//	    allow group <group...>
//	    public <path_prefix...>
//	    access_events
//	    title <text...>
//	    logo <file>
//	    accent <#rrggbb>
//	    api_keys on | off | only
//	}
func parseHandler(h httpcaddyfile.Helper) (caddyhttp.MiddlewareHandler, error) {
	handler := new(Handler)
	h.Next() // the directive's name
	if h.NextArg() {
		return nil, h.ArgErr()
	}
	seen := onceOptions{}
	for h.NextBlock(0) {
		if err := seen.check(h.Dispenser, h.Val(), repeatableSite); err != nil {
			return nil, err
		}
		switch opt := h.Val(); opt {
		case "app_id":
			if err := oneArg(h.Dispenser, &handler.AppID); err != nil {
				return nil, err
			}
		case "allow":
			if !h.NextArg() {
				return nil, h.ArgErr()
			}
			kind := h.Val()
			values := h.RemainingArgs()
			if len(values) == 0 {
				return nil, h.Errf("allow %s: at least one value required", kind)
			}
			switch kind {
			case "email":
				for _, v := range values {
					if !policy.ValidEmail(policy.CanonicalEmail(v)) {
						return nil, h.Errf("allow email: %q is not an email address", v)
					}
				}
				handler.Allow.Emails = append(handler.Allow.Emails, values...)
			case "domain":
				for _, v := range values {
					if _, ok := policy.CanonicalDomain(v); !ok {
						return nil, h.Errf("allow domain: %q is not a domain name (write example.com, not a URL or an address)", v)
					}
				}
				handler.Allow.Domains = append(handler.Allow.Domains, values...)
			case "group":
				handler.Allow.Groups = append(handler.Allow.Groups, values...)
			default:
				return nil, h.Errf("allow: unknown kind '%s' (want email, domain or group)", kind)
			}
		case "public":
			paths := h.RemainingArgs()
			if len(paths) == 0 {
				return nil, h.ArgErr()
			}
			for _, p := range paths {
				if err := gateway.CheckPublicPath(p); err != nil {
					return nil, h.Errf("public: %v", err)
				}
			}
			handler.Public = append(handler.Public, paths...)
		case "access_events":
			if h.NextArg() {
				return nil, h.ArgErr()
			}
			handler.AccessEvents = true
		case "title", "logo", "accent":
			if err := unmarshalBrand(h.Dispenser, &handler.Brand); err != nil {
				return nil, err
			}
		case "api_keys":
			if err := oneArg(h.Dispenser, &handler.APIKeys); err != nil {
				return nil, err
			}
			if _, err := gateway.ParseAPIKeyMode(handler.APIKeys); err != nil {
				return nil, h.Errf("%v", err)
			}
		default:
			return nil, unknownSiteOption(h.Dispenser, opt)
		}
	}
	if err := checkSite(h); err != nil {
		return nil, err
	}
	return handler, nil
}

func oneArg(d *caddyfile.Dispenser, dst *string) error {
	if !d.NextArg() {
		return d.ArgErr()
	}
	*dst = d.Val()
	if d.NextArg() {
		return d.ArgErr()
	}
	return nil
}

func durationArg(d *caddyfile.Dispenser, dst *caddy.Duration) error {
	opt := d.Val()
	var s string
	if err := oneArg(d, &s); err != nil {
		return err
	}
	v, err := caddy.ParseDuration(s)
	if err != nil || v <= 0 {
		return d.Errf("%s: %q is not a positive duration", opt, s)
	}
	*dst = caddy.Duration(v)
	return nil
}

func intArg(d *caddyfile.Dispenser, dst *int) error {
	opt := d.Val()
	var s string
	if err := oneArg(d, &s); err != nil {
		return err
	}
	v, err := strconv.Atoi(s)
	if err != nil || v <= 0 {
		return d.Errf("%s: %q is not a positive whole number", opt, s)
	}
	*dst = v
	return nil
}
