package directory

import (
	"context"
	"errors"
	"testing"

	"github.com/authgate/authgate/internal/testenv"
)

// TestLDAPPingSaysWhetherTheDirectoryAnswers: up, down, a refused bind,
// and back (on a pooled connection the restart left dead); no ping counts
// as a lookup.
func TestLDAPPingSaysWhetherTheDirectoryAnswers(t *testing.T) {
	s := testenv.StartSlapd(t, testenv.SlapdOptions{LDIF: testenv.CompanyLDIF})
	d := newLDAP(t, companyConfig(s.URL))
	ctx := context.Background()
	if err := d.Ping(ctx); err != nil {
		t.Fatalf("Ping with slapd up: %v", err)
	}
	s.Stop()
	if err := d.Ping(ctx); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("Ping with slapd stopped: %v, want ErrUnavailable", err)
	}
	s.Restart(t)
	if err := d.Ping(ctx); err != nil {
		t.Fatalf("Ping once slapd is back: %v", err)
	}
	cfg := companyConfig(s.URL)
	cfg.BindPassword = "wrong"
	if err := newLDAP(t, cfg).Ping(ctx); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("Ping with a refused bind: %v, want ErrUnavailable", err)
	}
	if st := d.Stats(); st != (Stats{}) {
		t.Fatalf("pings counted as lookups: %+v", st)
	}
}
