package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"time"
)

// profiled returns the setups -profile records a CPU profile of Caddy for.
func profiled() []string { return []string{setupNoop, "authgate", "authgate-public"} }

// profile loads each profiled setup at o.conns for o.duration while
// Caddy's admin endpoint records a CPU profile of the whole process, and
// writes it to dir/<setup>.pprof. Read one with `go tool pprof -top
// <caddy binary> <file>`, or compare two with -diff_base.
func (e *env) profile(ctx context.Context, o options, dir string, logf func(string, ...any)) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("making the profile folder: %w", err)
	}
	secs := max(1, int(o.duration/time.Second)-1)
	for _, key := range profiled() {
		var s setup
		for _, c := range e.setups {
			if c.key == key {
				s = c
			}
		}
		if s.key == "" {
			continue
		}
		l := e.load
		l.url, l.cookie, l.conns, l.threads = s.url(), e.cookie, o.conns, min(o.threads, o.conns)
		got := make(chan error, 1)
		path := filepath.Join(dir, key+".pprof")
		go func() { got <- e.fetchProfile(ctx, secs, path) }()
		res, err := l.run(ctx)
		if err != nil {
			return fmt.Errorf("profiling %s: %w", key, err)
		}
		if err := <-got; err != nil {
			return fmt.Errorf("profiling %s: %w", key, err)
		}
		logf("profiled %s at %d conns: %d requests; %s", key, o.conns, res.requests, path)
	}
	return nil
}

// fetchProfile asks Caddy's admin endpoint for a CPU profile of secs
// seconds and writes it to path.
func (e *env) fetchProfile(ctx context.Context, secs int, path string) error {
	url := fmt.Sprintf("http://%s/debug/pprof/profile?seconds=%d", e.adminAddr, secs)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("fetching the CPU profile: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("fetching the CPU profile: %s", resp.Status)
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, resp.Body); err != nil {
		f.Close()
		return fmt.Errorf("writing the CPU profile: %w", err)
	}
	return f.Close()
}
