// Package storetest is the contract suite that every store.Store passes.
// An implementation's own test calls Run with a function that opens a fresh
// store; the suite then checks each promise that the doc comments of
// package store make, one subtest per behaviour.
//
// Times are compared with time.Time.Equal after truncation to milliseconds
// and conversion to UTC: a store may keep no more than millisecond
// precision, and need not keep the location.
package storetest

import (
	"context"
	"crypto/rand"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/authgate/authgate/gate/store"
)

// Opener returns a store for one test. It may be called more than once
// within the same test; every store it returns for the same t must share
// one backend (one Redis server and key prefix, one in-memory instance), so
// that what one writes the other sees, as two gateway instances would. The
// opener closes its stores when the test ends (t.Cleanup); the suite may
// close one earlier, so Close must tolerate a second call.
type Opener func(t *testing.T) store.Store

// shortTTL is the lifetime used by tests that watch a record expire; the
// suite waits expireWait before checking that it is gone.
const (
	shortTTL   = 1200 * time.Millisecond
	expireWait = shortTTL + 400*time.Millisecond
)

// Run checks open's stores against the whole store contract. Subtests run
// in parallel; the suite takes a few seconds, bounded by its TTL waits.
func Run(t *testing.T, open Opener) {
	groups := []struct {
		name string
		run  func(*testing.T, Opener)
	}{
		{"Logins", runLogins},
		{"Pending", runPending},
		{"LoginSteps", runLoginSteps},
		{"DeviceSteps", runDeviceSteps},
		{"PendingUse", runPendingUse},
		{"UseDecide", runUseDecide},
		{"Decide", runDecide},
		{"Enrollments", runEnrollments},
		{"Devices", runDevices},
		{"Push", runPush},
		{"Users", runUsers},
		{"Sessions", runSessions},
		{"OpenSession", runOpenSession},
		{"Revocations", runRevocations},
		{"Restore", runRestore},
		{"LoginChanges", runLoginChanges},
		{"Limits", runLimits},
		{"APIKeys", runAPIKeys},
		{"Recovery", runRecovery},
		{"Lifecycle", runLifecycle},
	}
	for _, g := range groups {
		t.Run(g.name, func(t *testing.T) {
			t.Parallel()
			g.run(t, open)
		})
	}
}

// uniq returns a fresh random id with the given prefix, so parallel
// subtests on a shared backend never collide. About half of the ids carry
// braces, as a hostile user might send them, to prove they do not break a
// store's key layout.
func uniq(prefix string) string {
	r := rand.Text()
	if r[0] < 'M' {
		return prefix + "{" + r + "}:x"
	}
	return prefix + "-" + r
}

// uniqEmail returns a fresh email address; about half hold braces.
func uniqEmail() string { return uniq("user") + "@example.com" }

// ctxFor returns a context that ends with the test.
func ctxFor(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// ms normalizes a time for comparison: UTC, millisecond precision, and the
// zero time stays zero.
func ms(tm time.Time) time.Time {
	if tm.IsZero() {
		return time.Time{}
	}
	return tm.Truncate(time.Millisecond).UTC()
}

// now returns the current time at millisecond precision in UTC.
func now() time.Time { return ms(time.Now()) }

// wantErr fails the test unless errors.Is(err, target).
func wantErr(t *testing.T, what string, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("%s: got error %v, want %v", what, err, target)
	}
}

// noErr fails the test if err is not nil.
func noErr(t *testing.T, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// race runs fn n times at once, released together, and returns the errors
// in call order.
func race(n int, fn func(i int) error) []error {
	errs := make([]error, n)
	start := make(chan struct{})
	done := make(chan struct{})
	var left atomic.Int64
	left.Store(int64(n))
	for i := range n {
		go func() {
			<-start
			errs[i] = fn(i)
			if left.Add(-1) == 0 {
				close(done)
			}
		}()
	}
	close(start)
	<-done
	return errs
}
