package testenv

import (
	"testing"
	"time"
)

// TestSentinelHarnessFailsOverBothWays: a graceful failover and a killed
// primary each move the primary to the other node, and a restarted node
// rejoins as a replica.
func TestSentinelHarnessFailsOverBothWays(t *testing.T) {
	began := time.Now()
	s := StartSentinel(t, SentinelOptions{})
	t.Logf("started in %v", time.Since(began))
	began = time.Now()
	first := s.Primary(t)
	s.Failover(t)
	second := s.WaitPrimaryChange(t, first, 10*time.Second)
	t.Logf("graceful failover: primary moved in %v", time.Since(began))
	s.WaitHealthy(t, 15*time.Second)
	t.Logf("graceful failover: healthy again after %v", time.Since(began))

	began = time.Now()
	killed := s.KillPrimary(t)
	if killed != second {
		t.Fatalf("killed %s, the primary was %s", killed, second)
	}
	third := s.WaitPrimaryChange(t, killed, 15*time.Second)
	if third != first {
		t.Fatalf("after the kill the primary is %s, want the other node %s", third, first)
	}
	t.Logf("killed primary: replaced in %v", time.Since(began))
	s.RestartNode(t, killed)
	s.WaitHealthy(t, 15*time.Second)
	t.Logf("killed primary: healthy again after %v", time.Since(began))
}
