package caddymodule

import (
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"

	"github.com/authgate/authgate/gate/audit"
	"github.com/authgate/authgate/gate/audit/redisaudit"
	"github.com/authgate/authgate/gate/store/redisstore"
)

// AuditConfig sets the audit trail's retention and size.
type AuditConfig struct {
	// Retention is how long entries are kept. Default: 30 days.
	Retention caddy.Duration `json:"retention,omitempty"`
	// MaxEntries caps the trail (approximately, with Redis). Default:
	// 100000.
	MaxEntries int `json:"max_entries,omitempty"`
	// Buffer is how many entries may wait for the background writer
	// before new ones are dropped (and counted). Default: 4096.
	Buffer int `json:"buffer,omitempty"`
}

// unmarshalAudit parses the audit block. Syntax:
//
//	audit {
//	    retention <duration>
//	    max_entries <n>
//	    buffer <n>
//	}
func unmarshalAudit(d *caddyfile.Dispenser) (*AuditConfig, error) {
	c := new(AuditConfig)
	if d.NextArg() {
		return nil, d.ArgErr()
	}
	for nesting := d.Nesting(); d.NextBlock(nesting); {
		var err error
		switch opt := d.Val(); opt {
		case "retention":
			err = durationArg(d, &c.Retention)
		case "max_entries":
			err = intArg(d, &c.MaxEntries)
		case "buffer":
			err = intArg(d, &c.Buffer)
		default:
			return nil, d.Errf("unrecognized audit option '%s'%s", opt, didYouMean(opt, []string{"retention", "max_entries", "buffer"}))
		}
		if err != nil {
			return nil, err
		}
	}
	return c, nil
}

// openAudit returns the audit writer on the store's trail: a Redis
// Stream shared by every instance with the Redis store, the pooled memory
// ring (which survives a reload) otherwise.
func (a *App) openAudit(st *sharedStore) *audit.Writer {
	var c AuditConfig
	if a.Audit != nil {
		c = *a.Audit
	}
	limits := audit.Limits{Retention: time.Duration(c.Retention), MaxEntries: c.MaxEntries}
	var trail audit.Trail
	if rs, ok := st.Store.(*redisstore.Store); ok {
		trail = redisaudit.New(rs.Client(), rs.Prefix(), limits)
	} else {
		trail = st.auditRing(limits)
	}
	return audit.NewWriter(trail, c.Buffer, a.log.Named("audit"))
}
