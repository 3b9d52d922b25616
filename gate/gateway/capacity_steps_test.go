package gateway

import (
	"fmt"
	"testing"
	"time"

	"github.com/authgate/authgate/gate/flow"
	"github.com/authgate/authgate/gate/store"
)

// TestCapacityPerStepWithRedisAsTheLimit makes the logins of
// TestCapacityWithRedisAsTheLimit one step at a time: every user's
// start, then every phone's pending read, every approval, every
// collection, each step redisBoundWorkers at once. It prints what each
// step costs Redis, so that docs/CAPACITY.md can say where a login's
// Redis CPU goes without a profiler.
func TestCapacityPerStepWithRedisAsTheLimit(t *testing.T) {
	if testing.Short() {
		t.Skip("a load run")
	}
	b := newRedisBound(t)
	ctx, svc, st := b.ctx, b.svc, b.st
	n := len(b.users)
	started := make([]*flow.Started, n)
	steps := []struct {
		name string
		do   func(i int) error
	}{
		{"start", func(i int) error {
			s, err := svc.Start(ctx, flow.StartRequest{Email: b.users[i], ClientIP: "192.0.2.1", ReturnURL: "/after"})
			started[i] = s
			return err
		}},
		{"the phone's pending read", func(i int) error {
			p, err := st.UseDeviceForPending(ctx, deviceUse(b.devices[i]), b.users[i])
			if err != nil {
				return err
			}
			logins, err := svc.PendingRead(ctx, p.Device, p.Login, p.LoginErr)
			if err != nil || len(logins) != 1 || logins[0].ID != started[i].Login.ID {
				return fmt.Errorf("pending of %s: %d logins, %v", b.users[i], len(logins), err)
			}
			return nil
		}},
		{"approval", func(i int) error {
			res := svc.DecideWithUse(ctx, b.users[i], deviceUse(b.devices[i]), started[i].Login.ID, "approve", started[i].Login.Code)
			if res.UseErr != nil || res.Err != nil || res.Login.Status != store.LoginApproved {
				return fmt.Errorf("approval of %s: use %v, decision %v", b.users[i], res.UseErr, res.Err)
			}
			return nil
		}},
		{"collection and session", func(i int) error {
			chk, err := svc.Check(ctx, started[i].Login.ID, started[i].Binding)
			if err != nil || chk.Session == nil {
				return fmt.Errorf("collection of %s: %v", b.users[i], err)
			}
			return nil
		}},
	}
	var total time.Duration
	for _, step := range steps {
		before := b.redis.Stats(t)
		start := time.Now()
		err := inParallel(n, redisBoundWorkers, step.do)
		elapsed := time.Since(start)
		d := b.redis.Stats(t).Since(before)
		if err != nil {
			t.Fatalf("%s: %v", step.name, err)
		}
		if d.Calls["evalsha"] < int64(n) {
			t.Fatalf("%s: %d EVALSHA for %d logins: the step did not run its scripts", step.name, d.Calls["evalsha"], n)
		}
		total += d.CPU
		perOp(t, fmt.Sprintf("login step with Redis as the limit: %s (%d at once, %.0f/s, Redis %.0f%% busy)",
			step.name, redisBoundWorkers, float64(n)/elapsed.Seconds(), 100*d.CPU.Seconds()/elapsed.Seconds()), n, d)
	}
	t.Logf("Redis CPU per login, its steps summed: %.1f µs", total.Seconds()/float64(n)*1e6)
}
