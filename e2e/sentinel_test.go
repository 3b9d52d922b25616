package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/authgate/authgate/gate/device/deviceclient"
	"github.com/authgate/authgate/internal/testenv"
)

// TestLogoutsAndLoginsSurviveSentinelFailovers runs a stream of logins
// and logouts through two instances on a Sentinel-managed Redis (one
// primary, one replica, three sentinels) with wait_replicas=1, through a
// graceful SENTINEL FAILOVER and then a SIGKILL of the primary (replaced
// by an empty node, as an operator would). Every logout that answered
// success must stay effective on both instances, and no login may hand
// out a session twice. The logins that fail, and for how long, are
// logged: that is the price of waiting for the replica.
func TestLogoutsAndLoginsSurviveSentinelFailovers(t *testing.T) {
	s := testenv.StartSentinel(t, testenv.SentinelOptions{})
	up := newUpstream(t)
	storeOpt := storeLine(s.URL(0, "wait_replicas=1&wait_timeout=300ms"))
	limits := "pushes_per_email 100000\n\t\tpushes_per_ip 100000"
	a := startGate(t, storeOpt, up, limits)
	b := startGate(t, storeOpt, up, limits)
	bases := [2]string{a.base, b.base}
	var devs []*deviceclient.Client
	var emails []string
	for i := range 3 {
		email := fmt.Sprintf("stream%d@example.com", i)
		emails = append(emails, email)
		devs = append(devs, a.enroll(email))
	}

	for _, phase := range []struct {
		name   string
		break_ func(t *testing.T) string // returns the old primary
		heal   func(t *testing.T, old string)
	}{
		{"graceful failover", func(t *testing.T) string {
			old := s.Primary(t)
			s.Failover(t)
			return old
		}, func(t *testing.T, old string) {
			s.WaitPrimaryChange(t, old, 10*time.Second)
		}},
		{"primary killed", func(t *testing.T) string {
			return s.KillPrimary(t)
		}, func(t *testing.T, old string) {
			s.WaitPrimaryChange(t, old, 15*time.Second)
			s.RestartNode(t, old)
		}},
	} {
		log := &streamLog{}
		ctx, stop := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { defer close(done); runStream(ctx, bases, devs, emails, log) }()
		time.Sleep(1500 * time.Millisecond)
		broke := time.Now()
		old := phase.break_(t)
		phase.heal(t, old)
		moved := time.Since(broke)
		s.WaitHealthy(t, 20*time.Second)
		healthy := time.Since(broke)
		time.Sleep(2 * time.Second) // logins on the healed setup
		stop()
		<-done
		time.Sleep(3 * time.Second) // two resyncs (every 1.5 s here)
		verifyStream(bases, log)

		total, failed, first, last, steps := log.failureWindow(broke)
		t.Logf("%s: primary moved after %v, replica in sync after %v; %d logins, %d failed (from %+.1fs to %+.1fs around the break; by step %v); %d logouts answered success, %d failed",
			phase.name, moved.Round(10*time.Millisecond), healthy.Round(10*time.Millisecond), total, failed,
			first.Seconds(), last.Seconds(), steps, len(log.logouts), log.logoutFail)
		if len(log.violations) > 0 {
			t.Fatalf("%s: %d violations:\n%s", phase.name, len(log.violations), strings.Join(log.violations[:min(20, len(log.violations))], "\n"))
		}
		if len(log.logouts) == 0 || total-failed == 0 {
			t.Fatalf("%s: the stream did nothing: %d logins, %d logouts", phase.name, total, len(log.logouts))
		}
		healed := 0
		log.mu.Lock()
		for _, at := range log.attempts {
			if at.ok && at.start.After(broke.Add(healthy)) {
				healed++
			}
		}
		log.mu.Unlock()
		if healed == 0 {
			log.mu.Lock()
			for _, at := range log.attempts[max(0, len(log.attempts)-8):] {
				t.Logf("attempt at %+.2fs: ok=%v %s", at.start.Sub(broke).Seconds(), at.ok, at.step)
			}
			log.mu.Unlock()
			t.Fatalf("%s: no login worked once the setup was healthy again", phase.name)
		}
	}
	for _, g := range []*gate{a, b} {
		if strings.Contains(g.caddy.Log(), "panic") {
			t.Fatalf("a panic reached the log of %s", g.base)
		}
	}
}
