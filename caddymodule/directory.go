package caddymodule

import (
	"fmt"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"

	"github.com/authgate/authgate/gate/directory"
)

// DirectoryConfig is the user directory in the global options: every
// login start looks the email up there, and its groups go into the
// session token.
type DirectoryConfig struct {
	// Type is "ldap", the only kind so far.
	Type string `json:"type"`
	// URL is ldaps://host[:port] or ldap://host[:port].
	URL string `json:"url"`
	// StartTLS upgrades an ldap:// connection to TLS.
	StartTLS bool `json:"starttls,omitempty"`
	// CAFile is a PEM file of the CAs of the server's certificate.
	// Default: the system's roots.
	CAFile string `json:"ca_file,omitempty"`
	// BindDN and BindPassword are the service account authgate searches
	// as. Both unset: anonymous.
	BindDN       string `json:"bind_dn,omitempty"`
	BindPassword string `json:"bind_password,omitempty"`
	// UserBase is where users are searched, UserFilter how (it must hold
	// {email}; default (mail={email})).
	UserBase   string `json:"user_base"`
	UserFilter string `json:"user_filter,omitempty"`
	// GroupBase is where groups are searched (unset: no groups),
	// GroupFilter how (it must hold {dn}; default (member={dn})).
	GroupBase   string `json:"group_base,omitempty"`
	GroupFilter string `json:"group_filter,omitempty"`
	// NestedGroups also counts the groups of the user's groups.
	NestedGroups bool `json:"nested_groups,omitempty"`
	// GroupMap maps a directory group's cn to authgate groups.
	GroupMap map[string][]string `json:"group_map,omitempty"`
	// AdminGroups are directory cns whose members get the "admin" group.
	AdminGroups []string `json:"admin_groups,omitempty"`
	// Timeout bounds one lookup. Default: 5s.
	Timeout caddy.Duration `json:"timeout,omitempty"`
	// PoolSize is how many connections are kept. Default: 4.
	PoolSize int `json:"pool_size,omitempty"`
}

func (c *DirectoryConfig) ldap() directory.Config {
	return directory.Config{
		URL: c.URL, StartTLS: c.StartTLS, CAFile: c.CAFile, BindDN: c.BindDN, BindPassword: c.BindPassword,
		UserBase: c.UserBase, UserFilter: c.UserFilter, GroupBase: c.GroupBase, GroupFilter: c.GroupFilter,
		NestedGroups: c.NestedGroups, GroupMap: c.GroupMap, AdminGroups: c.AdminGroups,
		Timeout: time.Duration(c.Timeout), PoolSize: c.PoolSize,
	}
}

// expand replaces placeholders in the options that may hold a secret,
// URL or path.
func (c *DirectoryConfig) expand(e expander) error {
	url, err := e.required("directory url", c.URL)
	if err != nil {
		return err
	}
	c.URL = url
	for option, v := range map[string]*string{
		"directory bind_dn": &c.BindDN, "directory bind_password": &c.BindPassword, "directory ca_file": &c.CAFile,
	} {
		if err := e.into(option, v); err != nil {
			return err
		}
	}
	return nil
}

// openDirectory builds the configured directory, or nil without one. It
// dials nothing; the first login does.
func (a *App) openDirectory() (*directory.LDAP, error) {
	if a.Directory == nil {
		return nil, nil
	}
	if a.Directory.Type != "ldap" {
		return nil, fmt.Errorf("directory: unknown type %q (want ldap)", a.Directory.Type)
	}
	return directory.NewLDAP(a.Directory.ldap(), a.log.Named("directory").With(zap.String("url", redactedURL(a.Directory.URL))))
}

// unmarshalDirectory parses the directory block. Syntax:
//
//	directory ldap {
//	    url <ldaps://host[:port] | ldap://host[:port]>
//	    starttls
//	    ca_file <path>
//	    bind_dn <dn>
//	    bind_password <secret>
//	    user_base <dn>
//	    user_filter <filter with {email}>
//	    group_base <dn>
//	    group_filter <filter with {dn}>
//	    nested_groups
//	    group_map <directory-cn> <group...>
//	    admin_groups <directory-cn...>
//	    timeout <duration>
//	    pool_size <n>
//	}
func unmarshalDirectory(d *caddyfile.Dispenser) (*DirectoryConfig, error) {
	if !d.NextArg() || d.Val() != "ldap" {
		return nil, d.Errf("directory: want 'directory ldap { … }'")
	}
	if d.NextArg() {
		return nil, d.ArgErr()
	}
	c := &DirectoryConfig{Type: "ldap"}
	for nesting := d.Nesting(); d.NextBlock(nesting); {
		var err error
		switch opt := d.Val(); opt {
		case "url":
			err = placeholderArg(d, &c.URL)
		case "ca_file":
			err = placeholderArg(d, &c.CAFile)
		case "bind_dn":
			err = placeholderArg(d, &c.BindDN)
		case "bind_password":
			err = placeholderArg(d, &c.BindPassword)
		case "user_base":
			err = oneArg(d, &c.UserBase)
		case "user_filter":
			err = oneArg(d, &c.UserFilter)
		case "group_base":
			err = oneArg(d, &c.GroupBase)
		case "group_filter":
			err = oneArg(d, &c.GroupFilter)
		case "starttls", "nested_groups":
			if d.NextArg() {
				return nil, d.ArgErr()
			}
			if opt == "starttls" {
				c.StartTLS = true
			} else {
				c.NestedGroups = true
			}
		case "group_map":
			args := d.RemainingArgs()
			if len(args) < 2 {
				return nil, d.Errf("group_map: want a directory group's cn and at least one authgate group")
			}
			if c.GroupMap == nil {
				c.GroupMap = map[string][]string{}
			}
			c.GroupMap[args[0]] = append(c.GroupMap[args[0]], args[1:]...)
		case "admin_groups":
			args := d.RemainingArgs()
			if len(args) == 0 {
				return nil, d.ArgErr()
			}
			c.AdminGroups = append(c.AdminGroups, args...)
		case "timeout":
			err = durationArg(d, &c.Timeout)
		case "pool_size":
			err = intArg(d, &c.PoolSize)
		default:
			return nil, d.Errf("unrecognized directory option '%s'", opt)
		}
		if err != nil {
			return nil, err
		}
	}
	if c.URL == "" || c.UserBase == "" {
		return nil, d.Errf("directory ldap: url and user_base are required")
	}
	if err := c.checkParsed(); err != nil {
		return nil, d.Errf("directory ldap: %v", err)
	}
	return c, nil
}

// checkParsed checks what it can before provision: values that are still
// placeholders stand in as valid ones, and are checked once expanded.
func (c *DirectoryConfig) checkParsed() error {
	cfg := c.ldap()
	if hasPlaceholder(cfg.URL) {
		cfg.URL, cfg.StartTLS = "ldap://placeholder.invalid", false
	}
	if hasPlaceholder(cfg.BindDN) {
		cfg.BindDN = "cn=placeholder"
	}
	if hasPlaceholder(cfg.BindPassword) {
		cfg.BindPassword = "placeholder"
	}
	return cfg.Check()
}

// directoryDep is the directory for the gateway: a nil interface, not a
// nil pointer, when none is configured.
func (a *App) directoryDep() directory.Directory {
	if a.directory == nil {
		return nil
	}
	return a.directory
}

// directoryCollector reads the directory's lookup counts at scrape time.
type directoryCollector struct {
	d       *directory.LDAP
	lookups *prometheus.Desc
}

func newDirectoryCollector(d *directory.LDAP) directoryCollector {
	return directoryCollector{d: d, lookups: prometheus.NewDesc("authgate_directory_lookups_total",
		"User directory lookups (login starts, API key rechecks, console requests), by result: found, absent, or failed (no answer; the request got 503).",
		[]string{"result"}, nil)}
}

// Describe sends the descriptor.
func (c directoryCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.lookups }

// Collect reads the current counts.
func (c directoryCollector) Collect(ch chan<- prometheus.Metric) {
	st := c.d.Stats()
	ch <- prometheus.MustNewConstMetric(c.lookups, prometheus.CounterValue, float64(st.Found), "found")
	ch <- prometheus.MustNewConstMetric(c.lookups, prometheus.CounterValue, float64(st.Absent), "absent")
	ch <- prometheus.MustNewConstMetric(c.lookups, prometheus.CounterValue, float64(st.Failed), "failed")
}
