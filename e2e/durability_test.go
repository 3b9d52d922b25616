package e2e

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/authgate/authgate/internal/testenv"
)

// logout signs b out of its session on its instance and reports whether
// the gateway answered success (303).
func (b *browser) logout() bool {
	b.t.Helper()
	_, _, home := b.do(http.MethodGet, "/.authgate/", nil, nil)
	m := csrfField.FindSubmatch(home)
	if m == nil {
		return false
	}
	status, _, _ := b.do(http.MethodPost, "/.authgate/logout",
		http.Header{"Content-Type": {"application/x-www-form-urlencoded"}},
		[]byte(url.Values{"csrf": {string(m[1])}}.Encode()))
	return status == http.StatusSeeOther
}

// privateStatus is the status a request to the protected app gets with
// only the session cookie value.
func privateStatus(t *testing.T, base, cookie string) int {
	status, _, _ := withCookie(t, base, cookie).do(http.MethodGet, "/private", http.Header{"Accept": {"application/json"}}, nil)
	return status
}

// TestALogoutSurvivesRedisLosingItsData: a session is logged out, then
// Redis loses everything, by a restart without persistence or by
// FLUSHALL. The logged-out cookie must never be accepted again on either
// instance; a session that was not logged out is signed out too (its
// epoch is gone, so nobody can tell whether it was revoked); new logins
// work on both instances.
func TestALogoutSurvivesRedisLosingItsData(t *testing.T) {
	for _, loss := range []struct {
		name string
		lose func(t *testing.T, r *testenv.Redis)
	}{
		{"restarted empty", func(t *testing.T, r *testenv.Redis) { r.Restart(t) }},
		{"FLUSHALL", func(t *testing.T, r *testenv.Redis) {
			c := redis.NewClient(&redis.Options{Addr: r.Addr})
			defer c.Close()
			if err := c.FlushAll(context.Background()).Err(); err != nil {
				t.Fatalf("FLUSHALL: %v", err)
			}
		}},
	} {
		t.Run(loss.name, func(t *testing.T) {
			r := testenv.StartRedis(t)
			up := newUpstream(t)
			a := startGate(t, storeLine(r.URL(0)), up, "")
			b := startGate(t, storeLine(r.URL(0)), up, "")
			dev := a.enroll("gina@example.com")
			out := newBrowser(t, a.base)
			out.login(dev, "gina@example.com")
			kept := newBrowser(t, a.base)
			kept.login(dev, "gina@example.com")
			loggedOut, stillIn := out.sessionCookie(), kept.sessionCookie()
			if !out.logout() {
				t.Fatal("logout did not answer 303")
			}
			for _, g := range []*gate{a, b} {
				waitStatus(t, g.base, loggedOut, http.StatusUnauthorized, 2*time.Second)
			}

			loss.lose(t, r)
			lost := time.Now()
			// For longer than two resync periods (1.5 s each here), the
			// logged-out cookie is never accepted, and the other one is
			// signed out once each instance has seen the new epoch.
			for time.Since(lost) < 4*time.Second {
				for _, g := range []*gate{a, b} {
					if s := privateStatus(t, g.base, loggedOut); s == http.StatusOK {
						t.Fatalf("%v after the loss, instance %s accepts the logged-out cookie", time.Since(lost), g.base)
					}
				}
				time.Sleep(50 * time.Millisecond)
			}
			for _, g := range []*gate{a, b} {
				if s := privateStatus(t, g.base, loggedOut); s != http.StatusUnauthorized {
					t.Fatalf("logged-out cookie after the loss on %s: %d, want 401", g.base, s)
				}
				if s := privateStatus(t, g.base, stillIn); s != http.StatusUnauthorized {
					t.Fatalf("a cookie of the lost epoch on %s: %d, want 401 (signed out)", g.base, s)
				}
			}
			// The browser way: a page load is sent to the gate, not the app.
			status, h, _ := withCookie(t, b.base, loggedOut).do(http.MethodGet, "/private", http.Header{"Accept": {"text/html"}}, nil)
			if status != http.StatusFound || !strings.HasPrefix(h.Get("Location"), "/.authgate/login") {
				t.Fatalf("page load with the logged-out cookie: %d %q, want 302 to the gate", status, h.Get("Location"))
			}

			// The device record went with the data: enrol again, then log in.
			dev = a.enroll("gina@example.com")
			fresh := newBrowser(t, a.base)
			fresh.login(dev, "gina@example.com")
			for _, g := range []*gate{a, b} {
				waitStatus(t, g.base, fresh.sessionCookie(), http.StatusOK, 5*time.Second)
			}
			for _, g := range []*gate{a, b} {
				if log := g.caddy.Log(); strings.Contains(log, "panic") {
					t.Fatalf("a panic reached the log of %s", g.base)
				}
				if !strings.Contains(g.caddy.Log(), "lost its data") {
					t.Errorf("instance %s did not log that the store lost its data", g.base)
				}
			}
		})
	}
}

// waitStatus polls the protected app with cookie until it answers want.
func waitStatus(t *testing.T, base, cookie string, want int, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		s := privateStatus(t, base, cookie)
		if s == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s answered %d for %v, want %d", base, s, within, want)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestASessionWhoseRecordRedisLostCanStillBeRevoked: Redis loses a
// session's record (as a failover that drops the write does) while its
// cookie lives on. Revoking the id through the admin API and through
// `caddy authgate revoke session` must work, and the cookie must then be
// refused on both instances.
func TestASessionWhoseRecordRedisLostCanStillBeRevoked(t *testing.T) {
	r := testenv.StartRedis(t)
	up := newUpstream(t)
	a := startGate(t, storeLine(r.URL(0)), up, "")
	b := startGate(t, storeLine(r.URL(0)), up, "")
	dev := a.enroll("hana@example.com")
	c := redis.NewClient(&redis.Options{Addr: r.Addr})
	defer c.Close()
	ctx := context.Background()

	for _, via := range []string{"admin API", "caddy authgate revoke session"} {
		br := newBrowser(t, a.base)
		br.login(dev, "hana@example.com")
		cookie := br.sessionCookie()
		var list struct{ Sessions []struct{ ID string } }
		if status := a.adminDo(http.MethodGet, "/authgate/sessions?email=hana@example.com", &list); status != http.StatusOK || len(list.Sessions) != 1 {
			t.Fatalf("%s: sessions before the loss: %d %+v", via, status, list)
		}
		sid := list.Sessions[0].ID
		keys, err := c.Keys(ctx, "authgate:session:*").Result()
		if err != nil || len(keys) != 1 {
			t.Fatalf("%s: session keys %v %v", via, keys, err)
		}
		if err := c.Del(ctx, keys[0]).Err(); err != nil {
			t.Fatal(err)
		}
		if privateStatus(t, b.base, cookie) != http.StatusOK {
			t.Fatalf("%s: the cookie stopped working when only its record was lost", via)
		}

		switch via {
		case "admin API":
			var answer struct{ ID, Note string }
			if status := a.adminDo(http.MethodDelete, "/authgate/sessions/"+sid, &answer); status != http.StatusOK || answer.ID != sid || answer.Note == "" {
				t.Fatalf("DELETE a session whose record is lost: %d %+v, want 200 with a note", status, answer)
			}
		default:
			if out := a.caddyCLI("revoke", "session", "--", sid); !strings.Contains(out, "Revoked session "+sid) || !strings.Contains(out, "Note:") {
				t.Fatalf("caddy authgate revoke session:\n%s", out)
			}
		}
		for _, g := range []*gate{a, b} {
			waitStatus(t, g.base, cookie, http.StatusUnauthorized, 2*time.Second)
		}
	}
}
