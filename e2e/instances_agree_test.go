package e2e

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/authgate/authgate/internal/testenv"
)

// TestInstancesWithOtherSettingsOnOneRedisSaySo: a second instance with
// another lockout on the same Redis is reported by both in the admin
// status, and the first logs it at error level.
func TestInstancesWithOtherSettingsOnOneRedisSaySo(t *testing.T) {
	t.Parallel()
	r := testenv.StartRedis(t)
	a := startGate(t, storeLine(r.URL(0)), newUpstream(t), "")
	b := startGate(t, storeLine(r.URL(0)), newUpstream(t), "lockout 3 1m")
	differ := func(g *gate) []string {
		resp, err := http.Get(g.caddy.Admin + "/authgate/status")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var s struct {
			SettingsDiffer []string `json:"settings_differ"`
		}
		if err := json.NewDecoder(resp.Body).Decode(&s); err != nil {
			t.Fatal(err)
		}
		return s.SettingsDiffer
	}
	deadline := time.Now().Add(20 * time.Second) // a's next round sees b
	for time.Now().Before(deadline) && (len(differ(a)) == 0 || len(differ(b)) == 0) {
		time.Sleep(200 * time.Millisecond)
	}
	for name, g := range map[string]*gate{"first": a, "second": b} {
		if d := differ(g); len(d) != 1 || !strings.Contains(d[0], "lockout") {
			t.Errorf("the %s instance reports %v, want the login settings", name, d)
		}
	}
	if !strings.Contains(a.caddy.Log(), "runs with other settings") {
		t.Errorf("the first instance logged no difference")
	}
}
