package directory

import (
	"context"
	"fmt"
	"time"

	"github.com/go-ldap/ldap/v3"
)

// Ping checks, within the lookup timeout, that the directory answers as
// a login needs it to: it connects (or takes a pooled connection), binds
// the service account and reads the user base's own entry. A pooled
// connection the server dropped is replaced once, as for a lookup. It
// counts no lookup.
func (d *LDAP) Ping(ctx context.Context) error {
	return d.onConn(ctx, d.readUserBase)
}

// readUserBase reads the user base's entry on one connection.
func (d *LDAP) readUserBase(ctx context.Context, c *conn) error {
	stop := context.AfterFunc(ctx, func() { _ = c.raw.SetDeadline(time.Now()) })
	defer stop()
	req := d.search(ctx, d.cfg.UserBase, "(objectClass=*)", 1, "1.1")
	req.Scope = ldap.ScopeBaseObject
	if _, err := c.Search(req); err != nil {
		return fmt.Errorf("reading the user base %s: %w", d.cfg.UserBase, err)
	}
	return nil
}
