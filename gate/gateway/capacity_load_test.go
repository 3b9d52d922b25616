package gateway

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/authgate/authgate/gate/flow"
	"github.com/authgate/authgate/gate/store"
	"github.com/authgate/authgate/gate/store/redisstore"
	"github.com/authgate/authgate/internal/testenv"
)

// Load figures: loadWorkers logins at once, loadLogins in all.
const (
	loadWorkers = 16
	loadLogins  = 320
)

// TestCapacityUnderLoad measures Redis's own CPU per login (INFO cpu
// delta) while loadWorkers users log in at once, each one login after
// another (start, the phone's pending read, the approval, the
// collection), on one instance. Everything shares this machine's cores,
// so the figure is what Redis spent, not what it could do alone.
func TestCapacityUnderLoad(t *testing.T) {
	loadRun(t, loadWorkers)
}

// TestCapacityUnderLoadManyUsers is TestCapacityUnderLoad with a user
// for every login, loadWorkers at once: each phone signs two requests,
// as a phone does when its user logs in now and then, where the 16
// users of TestCapacityUnderLoad each sign forty within a second.
func TestCapacityUnderLoadManyUsers(t *testing.T) {
	loadRun(t, loadLogins)
}

// loadRun makes loadLogins logins of nUsers users on one instance,
// loadWorkers at once, each user's one after another, and prints what
// Redis spent on them.
func loadRun(t *testing.T, nUsers int) {
	if testing.Short() {
		t.Skip("a load run")
	}
	r := testenv.StartRedis(t)
	st, err := redisstore.Open(r.URL(0), redisstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	lg := startLiveGateConfig(t, st, Config{Flow: flow.Config{PushesPerIP: 10 * loadLogins, PushesPerEmail: loadLogins}})
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	users := make([]*enrolled, nUsers)
	for i := range users {
		email := fmt.Sprintf("load%d@example.com", i)
		users[i] = &enrolled{email: email, client: lg.enroll(t, email)}
		capacityLogin(ctx, t, lg.browser(t), users[i]) // warm: scripts, keys, connections
	}
	// The warm-up's markers and counters are gone, as after a few
	// minutes, when each user logs in once.
	if nUsers >= loadLogins {
		for _, u := range users {
			if err := st.ResetHits(ctx, store.UserKey(u.email, "rl")); err != nil {
				t.Fatal(err)
			}
			if err := st.Unmark(ctx, store.UserKey(u.email, "recent")); err != nil {
				t.Fatal(err)
			}
		}
	}

	before := r.Stats(t)
	start := time.Now()
	step := max(1, nUsers/loadWorkers)
	err = inParallel((nUsers+step-1)/step, loadWorkers, func(b int) error {
		for _, u := range users[b*step : min(nUsers, (b+1)*step)] {
			for range max(1, loadLogins/nUsers) {
				if err := loadLogin(ctx, lg.browser(t), u); err != nil {
					return err
				}
			}
		}
		return nil
	})
	elapsed := time.Since(start)
	d := r.Stats(t).Since(before)
	if err != nil {
		t.Fatal(err)
	}
	perOp(t, fmt.Sprintf("login under load (%d at once by %d users, %d in %v: %.0f logins/s)", loadWorkers, nUsers, loadLogins, elapsed.Round(time.Millisecond),
		float64(loadLogins)/elapsed.Seconds()), loadLogins, d)
	t.Logf("Redis CPU per login under load: %.1f µs", float64(d.CPU.Microseconds())/loadLogins)
}

// inParallel calls do(i) for every i below n, workers at once, and
// returns the first error; after an error, no new call starts.
func inParallel(n, workers int, do func(i int) error) error {
	var next atomic.Int64
	var failed atomic.Bool
	var first error
	var once sync.Once
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for !failed.Load() {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				if err := do(i); err != nil {
					once.Do(func() { first = err })
					failed.Store(true)
				}
			}
		})
	}
	wg.Wait()
	return first
}

// loadLogin is capacityLogin for a goroutine: it returns what failed.
func loadLogin(ctx context.Context, b *testBrowser, u *enrolled) error {
	body, _ := json.Marshal(map[string]string{"email": u.email, "rd": "/after"})
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, b.base+"/.authgate/auth/start", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	var started struct {
		SessionID string `json:"session_id"`
		Code      int    `json:"code"`
	}
	if err := doJSON(b, req, &started); err != nil {
		return fmt.Errorf("start of %s: %w", u.email, err)
	}
	pending, err := u.client.Pending(ctx)
	if err != nil || len(pending) != 1 || pending[0].SessionID != started.SessionID {
		return fmt.Errorf("pending of %s: %+v %v", u.email, pending, err)
	}
	if status, err := u.client.Decide(ctx, started.SessionID, "approve", started.Code); err != nil || status != "approved" {
		return fmt.Errorf("approve: %q %v", status, err)
	}
	req, _ = http.NewRequestWithContext(ctx, http.MethodGet, b.base+"/.authgate/auth/check/"+started.SessionID, nil)
	req.Header.Set("Accept", "application/json")
	var chk checkResponse
	if err := doJSON(b, req, &chk); err != nil || chk.Redirect == "" {
		return fmt.Errorf("collect: %+v %v", chk, err)
	}
	return nil
}

// doJSON sends req in b and decodes a 200 answer into v.
func doJSON(b *testBrowser, req *http.Request, v any) error {
	resp, err := b.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s %s: %d", req.Method, req.URL.Path, resp.StatusCode)
	}
	return json.NewDecoder(resp.Body).Decode(v)
}
