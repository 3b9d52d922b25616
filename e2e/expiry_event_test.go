package e2e

import (
	"testing"
	"time"

	"github.com/authgate/authgate/internal/testenv"
)

// TestALoginLeftAloneStillEndsWithLoginFailed starts a login and lets
// its browser and phone go away: no check, no pending read. The instance
// that started it still expires it a moment after its window, and the
// receiver gets one login_failed with reason expired.
func TestALoginLeftAloneStillEndsWithLoginFailed(t *testing.T) {
	forEachStore(t, func(t *testing.T, storeOpt string) {
		t.Parallel()
		rc := newReceiver(t, 0)
		g := startGate(t, storeOpt, newUpstream(t), webhookBlock(rc.URL, "events login_failed")+"\n\t\tlogin_timeout 2s")
		g.enroll("left@example.com")
		s := newBrowser(t, g.base).start("left@example.com")
		wantOneExpiry(t, rc, s.SessionID, 12*time.Second)
	})
}

// TestALoginStartedBeforeAReloadStillEndsWithLoginFailed reloads the
// config while a login nobody reads again is pending: the new config
// expires it and its receiver gets the one login_failed.
func TestALoginStartedBeforeAReloadStillEndsWithLoginFailed(t *testing.T) {
	forEachStore(t, func(t *testing.T, storeOpt string) {
		t.Parallel()
		rc := newReceiver(t, 0)
		g := startGate(t, storeOpt, newUpstream(t), webhookBlock(rc.URL, "events login_failed")+"\n\t\tlogin_timeout 3s")
		g.enroll("reloaded@example.com")
		s := newBrowser(t, g.base).start("reloaded@example.com")
		g.reload()
		wantOneExpiry(t, rc, s.SessionID, 15*time.Second)
	})
}

// wantOneExpiry waits up to within for rc's first event and checks that
// it is the one login_failed, reason expired, of login id.
func wantOneExpiry(t *testing.T, rc *receiver, id string, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) && len(rc.types()) == 0 {
		time.Sleep(50 * time.Millisecond)
	}
	time.Sleep(1500 * time.Millisecond) // a second report would arrive by now
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if len(rc.events) != 1 {
		t.Fatalf("login_failed events %v, want exactly one", rc.events)
	}
	data, _ := rc.events[0]["data"].(map[string]any)
	if rc.events[0]["event"] != "login_failed" || data["reason"] != "expired" || data["session_id"] != id {
		t.Fatalf("event %v, want login_failed, reason expired, session %s", rc.events[0], id)
	}
}

// TestALoginPendingWhenItsInstanceStopsEndsWithLoginFailed stops the
// instance that started a login nobody reads again, as a deploy or a
// scale-down does: it hands the login to the store on its way out, and
// the other instance on the same Redis expires it, so the receiver still
// gets the one login_failed.
func TestALoginPendingWhenItsInstanceStopsEndsWithLoginFailed(t *testing.T) {
	t.Parallel()
	r := testenv.StartRedis(t)
	rc := newReceiver(t, 0)
	extra := webhookBlock(rc.URL, "events login_failed") + "\n\t\tlogin_timeout 3s"
	startGate(t, storeLine(r.URL(0)), newUpstream(t), extra) // the instance that stays
	stops := startGate(t, storeLine(r.URL(0)), newUpstream(t), extra)
	stops.enroll("handed@example.com")
	s := newBrowser(t, stops.base).start("handed@example.com")
	if !stops.caddy.Stop() {
		t.Fatalf("the instance did not stop within 15 s:\n%s", stops.caddy.Log())
	}
	wantOneExpiry(t, rc, s.SessionID, 20*time.Second)
}
