package directory

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"net/url"
	"os"
	"strings"
	"sync/atomic"
	"time"

	"github.com/go-ldap/ldap/v3"
	"go.uber.org/zap"
)

// Defaults of Config.
const (
	DefaultTimeout  = 5 * time.Second
	DefaultPoolSize = 4
	// maxNesting bounds how many levels of groups in groups are followed.
	maxNesting = 8
)

// Config says how to reach and read an LDAP directory. Only searches are
// made, as the service account; users never bind (there is no password
// at a push login).
type Config struct {
	// URL is ldaps://host[:port] (TLS from the first byte) or
	// ldap://host[:port].
	URL string
	// StartTLS upgrades an ldap:// connection to TLS before binding.
	StartTLS bool
	// CAFile is a PEM file of the CAs that sign the server's certificate.
	// Default: the system's roots.
	CAFile string
	// BindDN and BindPassword are the service account; both empty binds
	// nobody (anonymous search).
	BindDN, BindPassword string
	// UserBase is where users are searched (whole subtree).
	UserBase string
	// UserFilter finds a user by email; it must contain {email}. Default
	// (mail={email}).
	UserFilter string
	// GroupBase is where groups are searched; empty: no group lookup.
	GroupBase string
	// GroupFilter finds the groups of a member; it must contain {dn}.
	// Default (member={dn}).
	GroupFilter string
	// NestedGroups also finds the groups of those groups (up to 8 levels).
	NestedGroups bool
	// GroupMap maps a directory group's cn (any case) to authgate groups.
	// Unmapped directory groups give nothing.
	GroupMap map[string][]string
	// AdminGroups are directory cns whose members get the AdminGroup.
	AdminGroups []string
	// Timeout bounds a whole lookup: connecting, TLS, binding, searches.
	// Default 5 s.
	Timeout time.Duration
	// PoolSize is how many connections are kept and used at once.
	// Default 4.
	PoolSize int
}

// Check reports the first thing wrong in c, with its option's name.
func (c *Config) Check() error {
	c.defaults()
	u, err := url.Parse(c.URL)
	if err != nil || u.Host == "" || (u.Scheme != "ldap" && u.Scheme != "ldaps") {
		return fmt.Errorf("url %q: want ldaps://host[:port] or ldap://host[:port]", c.URL)
	}
	if u.User != nil || (u.Path != "" && u.Path != "/") || u.RawQuery != "" {
		return fmt.Errorf("url %q: only a scheme, host and port (the base DNs are options of their own)", c.URL)
	}
	if c.StartTLS && u.Scheme == "ldaps" {
		return fmt.Errorf("starttls: the url is ldaps:// already")
	}
	if (c.BindDN == "") != (c.BindPassword == "") {
		return fmt.Errorf("bind_dn and bind_password go together")
	}
	if c.BindDN != "" {
		if _, err := ldap.ParseDN(c.BindDN); err != nil {
			return fmt.Errorf("bind_dn: %w", err)
		}
	}
	if c.UserBase == "" {
		return fmt.Errorf("user_base is required")
	}
	for option, base := range map[string]string{"user_base": c.UserBase, "group_base": c.GroupBase} {
		if _, err := ldap.ParseDN(base); err != nil {
			return fmt.Errorf("%s: %w", option, err)
		}
	}
	if err := checkFilter("user_filter", c.UserFilter, EmailPlaceholder); err != nil {
		return err
	}
	if err := checkFilter("group_filter", c.GroupFilter, DNPlaceholder); err != nil {
		return err
	}
	if c.GroupBase == "" && (len(c.GroupMap) > 0 || len(c.AdminGroups) > 0) {
		return fmt.Errorf("group_map and admin_groups need a group_base")
	}
	if c.Timeout < 0 || c.PoolSize < 0 {
		return fmt.Errorf("timeout and pool_size must be positive")
	}
	_, err = newMapper(c.GroupMap, c.AdminGroups)
	return err
}

func (c *Config) defaults() {
	if c.UserFilter == "" {
		c.UserFilter = DefaultUserFilter
	}
	if c.GroupFilter == "" {
		c.GroupFilter = DefaultGroupFilter
	}
	if c.Timeout == 0 {
		c.Timeout = DefaultTimeout
	}
	if c.PoolSize == 0 {
		c.PoolSize = DefaultPoolSize
	}
}

// LDAP is a Directory over an LDAP server. It is safe for concurrent use;
// Close lets go of its connections.
type LDAP struct {
	cfg    Config
	addr   string // host:port
	ldaps  bool
	tls    *tls.Config
	mapper *mapper
	// mapped restricts a group search to the mapped groups (see
	// mapper.onlyMapped); "" searches every group, as nested groups need.
	mapped string
	pool   *pool
	log    *zap.Logger

	found, absent, failed atomic.Uint64
}

// Stats counts lookups since the LDAP was made.
type Stats struct {
	// Found and Absent are answered lookups; Failed got no answer (the
	// login failed closed).
	Found, Absent, Failed uint64
}

// Stats returns the lookup counts so far.
func (d *LDAP) Stats() Stats {
	return Stats{Found: d.found.Load(), Absent: d.absent.Load(), Failed: d.failed.Load()}
}

// NewLDAP checks cfg and loads its CA file; it connects to nothing until
// the first lookup.
func NewLDAP(cfg Config, log *zap.Logger) (*LDAP, error) {
	if err := cfg.Check(); err != nil {
		return nil, fmt.Errorf("directory: %w", err)
	}
	if log == nil {
		log = zap.NewNop()
	}
	u, _ := url.Parse(cfg.URL) // checked above
	d := &LDAP{cfg: cfg, ldaps: u.Scheme == "ldaps", log: log}
	port := u.Port()
	if port == "" {
		port = "389"
		if d.ldaps {
			port = "636"
		}
	}
	d.addr = net.JoinHostPort(u.Hostname(), port)
	d.tls = &tls.Config{ServerName: u.Hostname(), MinVersion: tls.VersionTLS12}
	if cfg.CAFile != "" {
		pem, err := os.ReadFile(cfg.CAFile)
		if err != nil {
			return nil, fmt.Errorf("directory: ca_file: %w", err)
		}
		roots := x509.NewCertPool()
		if !roots.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("directory: ca_file %s: no PEM certificate in it", cfg.CAFile)
		}
		d.tls.RootCAs = roots
	}
	if !d.ldaps && !cfg.StartTLS && cfg.BindPassword != "" {
		log.Warn("directory: the bind password crosses the network in clear; use ldaps:// or starttls")
	}
	d.mapper, _ = newMapper(cfg.GroupMap, cfg.AdminGroups) // checked above
	if !cfg.NestedGroups {
		d.mapped = d.mapper.onlyMapped()
	}
	d.pool = newPool(cfg.PoolSize, d.dial)
	return d, nil
}

// Close closes the idle connections; the LDAP must not be used after.
func (d *LDAP) Close() error {
	d.pool.close()
	return nil
}

// Lookup finds the entry of email under the user base and, with a group
// base, its groups. A stale pooled connection (the server restarted) is
// replaced once. An email holding NUL is nobody, without a search: OpenLDAP
// ends an assertion value at NUL even when it is escaped as \00, so
// "alice@example.com\x00x" would find alice.
func (d *LDAP) Lookup(ctx context.Context, email string) (User, bool, error) {
	if strings.IndexByte(email, 0) >= 0 {
		d.absent.Add(1)
		return User{}, false, nil
	}
	u, found, err := d.lookupWithRetry(ctx, email)
	switch {
	case err != nil:
		d.failed.Add(1)
	case found:
		d.found.Add(1)
	default:
		d.absent.Add(1)
	}
	return u, found, err
}

// lookupWithRetry is Lookup on a pooled connection, and on a new one when
// the pooled one turns out dead.
func (d *LDAP) lookupWithRetry(ctx context.Context, email string) (User, bool, error) {
	var u User
	var found bool
	err := d.onConn(ctx, func(ctx context.Context, c *conn) error {
		var err error
		u, found, err = d.lookup(ctx, c, email)
		return err
	})
	if err != nil {
		return User{}, false, err
	}
	return u, found, nil
}

// onConn runs fn with a context of the lookup timeout on a pooled
// connection, and once more on a new one when the pooled one turns out
// dead (a network error). Its errors wrap ErrUnavailable.
func (d *LDAP) onConn(ctx context.Context, fn func(context.Context, *conn) error) error {
	ctx, cancel := context.WithTimeout(ctx, d.cfg.Timeout)
	defer cancel()
	deadline, _ := ctx.Deadline()
	for attempt := 0; ; attempt++ {
		c, reused, err := d.pool.get(ctx, deadline)
		if err != nil {
			return fmt.Errorf("%w: connecting to %s: %w", ErrUnavailable, d.addr, err)
		}
		err = fn(ctx, c)
		d.pool.put(c, err == nil)
		if err == nil {
			return nil
		}
		if !(reused && attempt == 0 && ldap.IsErrorWithCode(err, ldap.ErrorNetwork) && ctx.Err() == nil) {
			return fmt.Errorf("%w: %w", ErrUnavailable, err)
		}
	}
}

// lookup runs the searches on one connection.
func (d *LDAP) lookup(ctx context.Context, c *conn, email string) (User, bool, error) {
	stop := context.AfterFunc(ctx, func() { _ = c.raw.SetDeadline(time.Now()) })
	defer stop()
	res, err := c.Search(d.search(ctx, d.cfg.UserBase, fillFilter(d.cfg.UserFilter, EmailPlaceholder, email), 2, "1.1"))
	switch {
	case ldap.IsErrorWithCode(err, ldap.LDAPResultSizeLimitExceeded) || (err == nil && len(res.Entries) > 1):
		d.log.Warn("directory: more than one entry matches an email; treating it as unknown")
		return User{}, false, d.searchLikeAUser(ctx, c)
	case err != nil:
		return User{}, false, fmt.Errorf("searching users: %w", err)
	case len(res.Entries) == 0:
		return User{}, false, d.searchLikeAUser(ctx, c)
	}
	u := User{DN: res.Entries[0].DN}
	if d.cfg.GroupBase == "" {
		return u, true, nil
	}
	cns, err := d.groupsOf(ctx, c, u.DN)
	if err != nil {
		return User{}, false, err
	}
	u.Groups = d.mapper.of(cns)
	return u, true, nil
}

// searchLikeAUser makes the group search a found user costs, for an
// email that found no one, so that the time a login start takes does not
// tell who is in the directory. Its answer is dropped.
func (d *LDAP) searchLikeAUser(ctx context.Context, c *conn) error {
	if d.cfg.GroupBase == "" {
		return nil
	}
	_, err := c.Search(d.search(ctx, d.cfg.GroupBase, d.groupFilter("cn=nobody,"+d.cfg.UserBase), 0, "cn"))
	if err != nil {
		return fmt.Errorf("searching groups: %w", err)
	}
	return nil
}

// groupsOf returns the cns of the groups that have dn as a member and,
// with NestedGroups, of the groups that have those as members, each once.
func (d *LDAP) groupsOf(ctx context.Context, c *conn, dn string) ([]string, error) {
	seen := map[string]bool{strings.ToLower(dn): true}
	frontier := []string{dn}
	var cns []string
	for depth := 0; len(frontier) > 0 && depth < maxNesting; depth++ {
		var next []string
		for _, member := range frontier {
			res, err := c.Search(d.search(ctx, d.cfg.GroupBase, d.groupFilter(member), 0, "cn"))
			if err != nil {
				return nil, fmt.Errorf("searching groups: %w", err)
			}
			for _, e := range res.Entries {
				key := strings.ToLower(e.DN)
				if seen[key] {
					continue
				}
				seen[key] = true
				cns = append(cns, e.GetEqualFoldAttributeValues("cn")...)
				next = append(next, e.DN)
			}
		}
		if !d.cfg.NestedGroups {
			break
		}
		frontier = next
	}
	return cns, nil
}

// groupFilter is the group filter for member, restricted to the mapped
// groups unless nested groups are followed.
func (d *LDAP) groupFilter(member string) string {
	f := fillFilter(d.cfg.GroupFilter, DNPlaceholder, member)
	if d.mapped == "" {
		return f
	}
	return "(&" + f + d.mapped + ")"
}

// search builds a subtree search whose server-side time limit is what is
// left of the lookup's.
func (d *LDAP) search(ctx context.Context, base, filter string, sizeLimit int, attrs ...string) *ldap.SearchRequest {
	secs := 1
	if deadline, ok := ctx.Deadline(); ok {
		secs = max(1, int((time.Until(deadline)+time.Second-1)/time.Second))
	}
	return ldap.NewSearchRequest(base, ldap.ScopeWholeSubtree, ldap.NeverDerefAliases,
		sizeLimit, secs, false, filter, attrs, nil)
}

// dial opens a connection, with TLS as configured, and binds the service
// account; every step ends by deadline.
func (d *LDAP) dial(ctx context.Context, deadline time.Time) (*conn, error) {
	dialer := &net.Dialer{Deadline: deadline}
	raw, err := dialer.DialContext(ctx, "tcp", d.addr)
	if err != nil {
		return nil, err
	}
	if err := raw.SetDeadline(deadline); err != nil {
		_ = raw.Close()
		return nil, err
	}
	stop := context.AfterFunc(ctx, func() { _ = raw.SetDeadline(time.Now()) })
	defer stop()
	var lc *ldap.Conn
	if d.ldaps {
		tc := tls.Client(raw, d.tls.Clone())
		if err := tc.HandshakeContext(ctx); err != nil {
			_ = raw.Close()
			return nil, fmt.Errorf("TLS handshake: %w", err)
		}
		lc = ldap.NewConn(tc, true)
	} else {
		lc = ldap.NewConn(raw, false)
	}
	lc.Start()
	lc.SetTimeout(time.Until(deadline))
	if d.cfg.StartTLS {
		if err := lc.StartTLS(d.tls.Clone()); err != nil {
			_ = lc.Close()
			return nil, fmt.Errorf("starttls: %w", err)
		}
	}
	if d.cfg.BindDN != "" {
		if err := lc.Bind(d.cfg.BindDN, d.cfg.BindPassword); err != nil {
			_ = lc.Close()
			return nil, fmt.Errorf("binding as %s: %w", d.cfg.BindDN, err)
		}
	}
	return &conn{Conn: lc, raw: raw}, nil
}

var _ Directory = (*LDAP)(nil)
