package caddymodule

import (
	"fmt"
	"net/url"

	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"

	"github.com/authgate/authgate/gate/store/redisstore"
	"github.com/authgate/authgate/gate/token"
)

// checkedPlaceholderArg is placeholderArg for a value that check can
// judge: a literal value is checked as the Caddyfile is read, so the
// error names its file and line; a placeholder's value is checked at
// provision, once expanded.
func checkedPlaceholderArg(d *caddyfile.Dispenser, dst *string, check func(string) error) error {
	opt := d.Val()
	if err := placeholderArg(d, dst); err != nil {
		return err
	}
	if hasPlaceholder(*dst) {
		return nil
	}
	if err := check(*dst); err != nil {
		return d.Errf("%s: %v", opt, err)
	}
	return nil
}

// checkPublicURL accepts a site's external address: an http or https URL
// with a host, and no query or fragment (enrolment links are made under
// it).
func checkPublicURL(v string) error {
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return fmt.Errorf("%q is not a site's address: want one like https://app.example.com", v)
	}
	return nil
}

// checkSigningKey parses a signing key as provision does; its errors
// never hold the key.
func checkSigningKey(v string) error {
	_, err := token.ParseKey("", v)
	return err
}

// checkRedisURL parses a store URL as provision does, without
// connecting; its errors never repeat the URL, which may hold a
// password.
func checkRedisURL(v string) error {
	s, err := redisstore.Open(v, redisstore.Options{})
	if err != nil {
		return err
	}
	return s.Close()
}
