package testenv

import (
	"syscall"
	"testing"
)

// Pause stops the server with SIGSTOP: it keeps its connections and its
// port, and the kernel still accepts new ones, but nothing is answered,
// as with a server stuck on a slow disk or a long command. Resume ends
// it; Pause registers a Resume with t.Cleanup so Stop can reap it.
func (r *Redis) Pause(t testing.TB) {
	t.Helper()
	if err := r.cmd.Process.Signal(syscall.SIGSTOP); err != nil {
		t.Fatalf("pausing redis-server: %v", err)
	}
	t.Cleanup(func() { _ = r.cmd.Process.Signal(syscall.SIGCONT) })
}

// Resume lets a paused server run again (SIGCONT).
func (r *Redis) Resume(t testing.TB) {
	t.Helper()
	if err := r.cmd.Process.Signal(syscall.SIGCONT); err != nil {
		t.Fatalf("resuming redis-server: %v", err)
	}
}
