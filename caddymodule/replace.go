package caddymodule

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/caddyserver/caddy/v2"
)

// expander expands Caddy placeholders ({env.X}, {file./path}, …) in the
// config values that may hold a secret, key, URL or address. Caddy expands
// {$X} when it adapts the Caddyfile; these run at provision, so a secret
// never has to be written into the JSON config.
type expander struct {
	repl *caddy.Replacer
}

func newExpander() expander { return expander{repl: caddy.NewReplacer()} }

// value returns v with every placeholder replaced. An unknown placeholder,
// a placeholder that expands to nothing (an unset variable, an empty
// file), or a result that still looks like a placeholder is an error
// naming option, since a secret that silently became literal text or ""
// would sign with something an attacker can guess.
func (e expander) value(option, v string) (string, error) {
	if !strings.Contains(v, "{") {
		return v, nil
	}
	out, err := e.repl.ReplaceOrErr(v, true, true)
	if err != nil {
		return "", fmt.Errorf("%s: expanding %s: %w (is the variable or file set?)", option, placeholderNames(v), err)
	}
	out = strings.TrimRight(out, "\r\n")
	if out == "" {
		return "", fmt.Errorf("%s: %s expands to nothing", option, placeholderNames(v))
	}
	if looksUnexpanded(out) {
		return "", fmt.Errorf("%s: %q still holds a placeholder after expansion", option, placeholderNames(out))
	}
	return out, nil
}

// required is value for options that must not be empty once expanded.
func (e expander) required(option, v string) (string, error) {
	out, err := e.value(option, v)
	if err != nil {
		return "", err
	}
	if strings.TrimSpace(out) == "" {
		return "", fmt.Errorf("%s: empty", option)
	}
	return out, nil
}

// into expands *v in place; an empty *v stays empty (the option is unset).
func (e expander) into(option string, v *string) error {
	if *v == "" {
		return nil
	}
	out, err := e.value(option, *v)
	if err != nil {
		return err
	}
	*v = out
	return nil
}

// hasPlaceholder reports whether v holds a runtime placeholder, so that a
// check made while the Caddyfile is parsed waits for provision instead.
func hasPlaceholder(v string) bool { return looksUnexpanded(v) }

// looksUnexpanded reports whether s has a {$NAME} or {namespace.key}
// form left (every Caddy placeholder has a dot in its name).
func looksUnexpanded(s string) bool {
	for {
		i := strings.IndexByte(s, '{')
		if i < 0 {
			return false
		}
		j := strings.IndexByte(s[i:], '}')
		if j < 0 {
			return false
		}
		name := s[i+1 : i+j]
		if (strings.HasPrefix(name, "$") || strings.Contains(name, ".")) && !strings.ContainsAny(name, " \t\r\n\"{") {
			return true
		}
		s = s[i+j+1:]
	}
}

// placeholderNames names the placeholders in v without the rest of it, so
// an error never echoes a secret written next to a placeholder.
func placeholderNames(v string) string {
	var names []string
	for s := v; ; {
		i := strings.IndexByte(s, '{')
		if i < 0 {
			break
		}
		j := strings.IndexByte(s[i:], '}')
		if j < 0 {
			break
		}
		names = append(names, s[i:i+j+1])
		s = s[i+j+1:]
	}
	if len(names) == 0 {
		return "the value"
	}
	return strings.Join(names, ", ")
}

// redactedURL is a store or receiver address fit for a log line: any
// password in it (user info, or a query parameter such as
// sentinel_password) is replaced by "xxxxx".
func redactedURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(an address that does not parse as a URL)"
	}
	if q := u.Query(); len(q) > 0 {
		for k := range q {
			if strings.Contains(strings.ToLower(k), "password") {
				q.Set(k, "xxxxx")
			}
		}
		u.RawQuery = q.Encode()
	}
	return u.Redacted()
}
