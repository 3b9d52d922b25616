// Package webhooktest holds what tests of the webhook packages built on
// a Dispatcher share: running one for a test, and waiting for what it
// does.
package webhooktest

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/authgate/authgate/gate/webhook"
)

// Run runs d until the returned stop is called or the test ends; stop
// returns once d's Run has.
func Run(t testing.TB, d *webhook.Dispatcher) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { _ = d.Run(ctx) })
	var once sync.Once
	stop = func() { once.Do(func() { cancel(); wg.Wait() }) }
	t.Cleanup(stop)
	return stop
}

// WaitFor polls ok until it holds, failing the test after 10 s.
func WaitFor(t testing.TB, what string, ok func() bool) {
	t.Helper()
	for end := time.Now().Add(10 * time.Second); time.Now().Before(end); time.Sleep(10 * time.Millisecond) {
		if ok() {
			return
		}
	}
	t.Fatalf("timed out waiting for %s", what)
}
