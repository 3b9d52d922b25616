package gateway

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"testing"
	"time"

	"github.com/authgate/authgate/gate/event"
	"github.com/authgate/authgate/gate/flow"
	"github.com/authgate/authgate/gate/store"
	"github.com/authgate/authgate/gate/store/deadline"
	"github.com/authgate/authgate/gate/store/redisstore"
	"github.com/authgate/authgate/internal/testenv"
)

// Figures of the run with Redis as the limit.
const (
	redisBoundUsers   = 2000
	redisBoundWorkers = 64
)

// TestCapacityWithRedisAsTheLimit makes one login for each of
// redisBoundUsers users, redisBoundWorkers at once, through the login
// flow's own calls on the Redis store (start, the phone's pending read,
// the approval, the collection): the same store calls as over HTTP,
// without HTTP, signatures or tokens, so that the gateway's side costs
// little and Redis is the busy part. It prints Redis's CPU per login and
// how busy Redis was, from which docs/CAPACITY.md reads the logins per
// second one Redis core serves.
func TestCapacityWithRedisAsTheLimit(t *testing.T) {
	if testing.Short() {
		t.Skip("a load run")
	}
	b := newRedisBound(t)
	r, st, ctx := b.redis, b.st, b.ctx
	users, devices := b.users, b.devices
	sessions := make([]string, redisBoundUsers)

	before := r.Stats(t)
	start := time.Now()
	err := inParallel(redisBoundUsers, redisBoundWorkers, func(i int) error {
		sid, err := flowLogin(ctx, b.svc, st, users[i], devices[i])
		sessions[i] = sid
		return err
	})
	elapsed := time.Since(start)
	d := r.Stats(t).Since(before)
	if err != nil {
		t.Fatal(err)
	}
	perOp(t, fmt.Sprintf("login with Redis as the limit (%d at once, %d in %v: %.0f logins/s)", redisBoundWorkers,
		redisBoundUsers, elapsed.Round(time.Millisecond), float64(redisBoundUsers)/elapsed.Seconds()), redisBoundUsers, d)
	busy := d.CPU.Seconds() / elapsed.Seconds()
	perLogin := d.CPU.Seconds() / redisBoundUsers
	t.Logf("Redis CPU per login with Redis as the limit: %.1f µs; Redis busy %.0f%% of one core, so one core serves about %.0f logins/s",
		perLogin*1e6, 100*busy, 1/perLogin)
	if d.Calls["evalsha"] < 4*redisBoundUsers {
		t.Fatalf("%d EVALSHA for %d logins: the run did not make the logins' store calls", d.Calls["evalsha"], redisBoundUsers)
	}

	// The yardstick, in the same run: a single read on a request's path
	// (a session by its id: one GET), with as many at once.
	reads := calibrationReads * redisBoundUsers
	before = r.Stats(t)
	start = time.Now()
	err = inParallel(reads, redisBoundWorkers, func(i int) error {
		_, err := st.GetSession(ctx, sessions[i%redisBoundUsers])
		return err
	})
	elapsed = time.Since(start)
	g := r.Stats(t).Since(before)
	if err != nil {
		t.Fatal(err)
	}
	if g.Calls["get"] < int64(reads) {
		t.Fatalf("%d GET for %d session reads", g.Calls["get"], reads)
	}
	perRead := g.CPU.Seconds() / float64(reads)
	t.Logf("Redis CPU per session read (one GET), %d at once, %d in %v: %.2f µs; a login costs Redis as much as %.0f such reads",
		redisBoundWorkers, reads, elapsed.Round(time.Millisecond), perRead*1e6, perLogin/perRead)
}

// calibrationReads is how many session reads per login the yardstick
// makes: enough that its CPU figure is not a few samples' worth.
const calibrationReads = 5

// redisBound is the setup of the runs with Redis as the limit: a Redis
// store with redisBoundUsers users, each with a device enrolled, and its
// scripts and connections warmed by logins of other users.
type redisBound struct {
	redis   *testenv.Redis
	st      store.Store
	svc     *flow.Service
	ctx     context.Context
	users   []string
	devices []string // devices[i] is users[i]'s
}

// newRedisBound starts Redis and enrols the users.
func newRedisBound(t *testing.T) *redisBound {
	t.Helper()
	r := testenv.StartRedis(t)
	rs, err := redisstore.Open(r.URL(0), redisstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rs.Close() })
	st := deadline.Wrap(rs, 0)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	t.Cleanup(cancel)
	b := &redisBound{redis: r, st: st, ctx: ctx,
		svc:   flow.New(flow.Config{PushesPerIP: 10 * redisBoundUsers, PushesPerEmail: 10}, st, event.Discard{}),
		users: make([]string, redisBoundUsers), devices: make([]string, redisBoundUsers)}
	for i := range b.users {
		b.users[i] = fmt.Sprintf("bound%d@example.com", i)
		b.devices[i] = b.enroll(t, b.users[i])
	}
	for i := range redisBoundWorkers {
		email := fmt.Sprintf("warm%d@example.com", i)
		if _, err := flowLogin(ctx, b.svc, st, email, b.enroll(t, email)); err != nil {
			t.Fatal(err)
		}
	}
	return b
}

// enroll makes a device of email, with an id in its user's group.
func (b *redisBound) enroll(t *testing.T, email string) string {
	t.Helper()
	d := &store.Device{ID: store.NewDeviceID(email, rand.Text()), Email: email, Name: "phone",
		PublicKey: []byte("key"), CreatedAt: time.Now()}
	if err := b.st.CreateDevice(b.ctx, d); err != nil {
		t.Fatal(err)
	}
	return d.ID
}

// flowLogin makes one login of email, approved by its device deviceID,
// with the calls the gateway makes for each request of a login, and
// returns its session's id.
func flowLogin(ctx context.Context, svc *flow.Service, st store.Store, email, deviceID string) (string, error) {
	started, err := svc.Start(ctx, flow.StartRequest{Email: email, ClientIP: "192.0.2.1", ReturnURL: "/after"})
	if err != nil {
		return "", fmt.Errorf("start of %s: %w", email, err)
	}
	pending, err := st.UseDeviceForPending(ctx, deviceUse(deviceID), email)
	if err != nil {
		return "", fmt.Errorf("pending read of %s: %w", email, err)
	}
	logins, err := svc.PendingRead(ctx, pending.Device, pending.Login, pending.LoginErr)
	if err != nil || len(logins) != 1 || logins[0].ID != started.Login.ID {
		return "", fmt.Errorf("pending of %s: %d logins, %v", email, len(logins), err)
	}
	res := svc.DecideWithUse(ctx, email, deviceUse(deviceID), started.Login.ID, "approve", started.Login.Code)
	if res.UseErr != nil || res.Err != nil || res.Login.Status != store.LoginApproved {
		return "", fmt.Errorf("approval of %s: use %v, decision %v", email, res.UseErr, res.Err)
	}
	chk, err := svc.Check(ctx, started.Login.ID, started.Binding)
	if err != nil || chk.Session == nil {
		return "", fmt.Errorf("collection of %s: %v", email, err)
	}
	return chk.Session.ID, nil
}

// deviceUse is a signed request's use of a device: a fresh replay
// marker of the verifier's shape, as each signature gives.
func deviceUse(deviceID string) store.DeviceUse {
	sum := sha256.Sum256([]byte(rand.Text()))
	return store.DeviceUse{ID: deviceID, Mark: "s" + base64.RawURLEncoding.EncodeToString(sum[:16]), TTL: 2 * time.Minute}
}
