package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/authgate/authgate/gate/token"
)

// connLevels are the connection counts of every round: the loaded one,
// then one connection.
func connLevels(o options) []int {
	if o.conns == 1 {
		return []int{1}
	}
	return []int{o.conns, 1}
}

// env is the running system under test.
type env struct {
	setups   []setup
	cookie   string
	caddyPID int
	authPID  int
	// adminAddr is Caddy's admin endpoint (for -profile).
	adminAddr string
	load      loadRun // url, cookie, conns and threads are set per run
	cpu       cpuReader
	machine   machine
}

// run builds and starts everything, measures, and reports. On failure the
// working folder with the Caddyfile and the processes' logs is kept and
// named.
func run(ctx context.Context, o options, stdout, stderr io.Writer) (err error) {
	wrkBin, lookErr := exec.LookPath("wrk")
	if lookErr != nil {
		return errors.New("wrk is not installed; install it (Debian or Ubuntu: apt-get install -y wrk) and run again")
	}
	root, err := moduleRoot(ctx)
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "authgate-bench-")
	if err != nil {
		return fmt.Errorf("making a working folder: %w", err)
	}
	defer func() {
		if err != nil {
			fmt.Fprintf(stderr, "bench: logs and Caddyfile kept in %s\n", dir)
			return
		}
		os.RemoveAll(dir)
	}()
	logf := func(format string, args ...any) { fmt.Fprintf(stderr, format+"\n", args...) }

	started := time.Now()
	e, stop, err := startEnv(ctx, o, root, dir, wrkBin, logf)
	defer stop()
	if err != nil {
		return err
	}
	ms, err := e.measure(ctx, o, logf)
	if err != nil {
		return err
	}
	if o.profile != "" {
		dir := o.profile
		if !filepath.IsAbs(dir) {
			dir = filepath.Join(root, dir)
		}
		if err := e.profile(ctx, o, dir, logf); err != nil {
			return err
		}
	}
	r := report{
		command: commandLine(os.Args[1:]), note: o.note, machine: e.machine, opts: o,
		setups: e.setups, rows: summarize(e.setups, connLevels(o), ms), ms: ms,
		started: started, took: time.Since(started),
	}
	fmt.Fprintln(stdout)
	fmt.Fprint(stdout, table(r.rows))
	if o.out == "" {
		return nil
	}
	path := o.out
	if !filepath.IsAbs(path) {
		path = filepath.Join(root, path)
	}
	if err := writeResults(path, r.section()); err != nil {
		return err
	}
	logf("results written to %s", o.out)
	return nil
}

// startEnv builds Caddy (unless given), starts the upstream, the auth
// service and Caddy, mints the session cookie and checks every setup
// once. stop ends whatever was started, even when err is not nil.
func startEnv(ctx context.Context, o options, root, dir, wrkBin string, logf func(string, ...any)) (_ *env, stop func(), err error) {
	var stops []func()
	stop = func() {
		for i := len(stops) - 1; i >= 0; i-- {
			stops[i]()
		}
	}
	caddyBin := o.caddyBin
	if caddyBin == "" {
		logf("building cmd/caddy…")
		if caddyBin, err = buildCaddy(ctx, root, dir); err != nil {
			return nil, stop, err
		}
	}
	secret, err := randomHex(32)
	if err != nil {
		return nil, stop, err
	}
	up, err := startUpstream()
	if err != nil {
		return nil, stop, err
	}
	stops = append(stops, func() { _ = up.Close() })

	var ports [setupCount + 2]int // the sites, the admin endpoint, the auth service
	for i := range ports {
		if ports[i], err = freePort(); err != nil {
			return nil, stop, err
		}
	}
	// Pinned after the build, before anything measured starts: the
	// upstream (in this process), the auth service and wrk inherit it.
	var pin *pinning
	if o.pin {
		if pin, err = newPinning(ctx); err != nil {
			return nil, stop, err
		}
	}
	authAddr := loopback(ports[setupCount+1])
	self, err := os.Executable()
	if err != nil {
		return nil, stop, fmt.Errorf("finding this program to start the auth service: %w", err)
	}
	auth, err := startChild("auth service", filepath.Join(dir, "authsvc.log"), self,
		[]string{"-serve-auth", authAddr}, []string{signingKeyEnv + "=" + secret})
	if err != nil {
		return nil, stop, err
	}
	stops = append(stops, auth.stop)
	if err := auth.waitReady(ctx, "http://"+authAddr+"/verify"); err != nil {
		return nil, stop, err
	}

	setups := newSetups([setupCount]int(ports[:setupCount]), up.addr, authAddr)
	cfPath := filepath.Join(dir, "Caddyfile")
	if err := os.WriteFile(cfPath, []byte(caddyfile(loopback(ports[setupCount]), secret, setups)), 0o600); err != nil {
		return nil, stop, fmt.Errorf("writing the Caddyfile: %w", err)
	}
	caddyProg, caddyArgs := pin.wrap(caddyBin, []string{"run", "--config", cfPath, "--adapter", "caddyfile"})
	caddy, err := startChild("caddy", filepath.Join(dir, "caddy.log"), caddyProg, caddyArgs,
		[]string{"XDG_CONFIG_HOME=" + filepath.Join(dir, "config"), "XDG_DATA_HOME=" + filepath.Join(dir, "data"), "HOME=" + dir})
	if err != nil {
		return nil, stop, err
	}
	stops = append(stops, caddy.stop)
	for _, s := range setups {
		if err := caddy.waitReady(ctx, s.url()); err != nil {
			return nil, stop, err
		}
	}
	epoch, err := storeEpoch(ctx, setups)
	if err != nil {
		return nil, stop, err
	}
	cookie, err := mintCookie(secret, epoch)
	if err != nil {
		return nil, stop, err
	}
	if err := checkSetups(ctx, setups, cookie); err != nil {
		return nil, stop, err
	}
	script := filepath.Join(dir, "summary.lua")
	if err := os.WriteFile(script, []byte(wrkScript), 0o600); err != nil {
		return nil, stop, fmt.Errorf("writing the wrk script: %w", err)
	}
	return &env{
		setups: setups, cookie: cookie, caddyPID: caddy.pid(), authPID: auth.pid(),
		adminAddr: loopback(ports[setupCount]),
		load:      loadRun{wrk: wrkBin, script: script, length: o.duration},
		cpu:       cpuReader{ticksPerSecond: clockTicks(ctx)},
		machine:   describeMachine(ctx, caddyBin, wrkBin),
	}, stop, nil
}

// measure warms every setup up, then runs the rounds: in each, every
// connection count, and at each every setup once, starting the setup
// order one further each round so that no setup always runs first.
func (e *env) measure(ctx context.Context, o options, logf func(string, ...any)) ([]measurement, error) {
	if o.warmup > 0 {
		for _, s := range e.setups {
			l := e.load
			l.url, l.cookie, l.conns, l.threads = s.url(), e.cookie, o.conns, o.threads
			l.length = max(o.warmup, time.Second)
			if _, err := l.run(ctx); err != nil {
				return nil, fmt.Errorf("warming up %s: %w", s.key, err)
			}
		}
	}
	var ms []measurement
	for round := 0; round < o.rounds; round++ {
		for _, conns := range connLevels(o) {
			for i := range e.setups {
				s := e.setups[(i+round)%len(e.setups)]
				m, err := e.runOne(ctx, s, conns, min(o.threads, conns), round)
				if err != nil {
					return nil, err
				}
				logf("round %d/%d %-13s %2d conns: %8.0f req/s  p50 %-9s p99 %-9s CPU/req %s",
					round+1, o.rounds, s.key, conns, m.load.rps(), fmtDur(m.load.p50), fmtDur(m.load.p99), fmtDur(m.cpuPerRequest()))
				ms = append(ms, m)
			}
		}
	}
	return ms, nil
}

// runOne loads one setup once and reads the CPU time its processes used.
func (e *env) runOne(ctx context.Context, s setup, conns, threads, round int) (measurement, error) {
	pids := []int{e.caddyPID}
	if s.withAuthService {
		pids = append(pids, e.authPID)
	}
	l := e.load
	l.url, l.cookie, l.conns, l.threads = s.url(), e.cookie, conns, threads
	before, err := e.cpu.cpuTimeSum(pids)
	if err != nil {
		return measurement{}, err
	}
	res, err := l.run(ctx)
	if err != nil {
		return measurement{}, err
	}
	after, err := e.cpu.cpuTimeSum(pids)
	if err != nil {
		return measurement{}, err
	}
	if res.errors > 0 || res.requests == 0 {
		return measurement{}, fmt.Errorf("%s at %d conns: %d requests, %d errors or non-2xx answers", s.key, conns, res.requests, res.errors)
	}
	return measurement{setup: s.key, conns: conns, round: round, load: res, cpu: after - before}, nil
}

// storeEpoch reads the store's epoch from the first authgate site's
// health endpoint: a token of another epoch is refused.
func storeEpoch(ctx context.Context, setups []setup) (int64, error) {
	for _, s := range setups {
		if s.key != "authgate" {
			continue
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+loopback(s.port)+"/.authgate/healthz", nil)
		if err != nil {
			return 0, fmt.Errorf("reading the store epoch: %w", err)
		}
		resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
		if err != nil {
			return 0, fmt.Errorf("reading the store epoch: %w", err)
		}
		defer resp.Body.Close()
		var h struct {
			Epoch string `json:"store_epoch"`
		}
		if err := json.NewDecoder(resp.Body).Decode(&h); err != nil {
			return 0, fmt.Errorf("reading the store epoch: %w", err)
		}
		e, err := strconv.ParseInt(h.Epoch, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("reading the store epoch %q: %w", h.Epoch, err)
		}
		return e, nil
	}
	return 0, errors.New("reading the store epoch: no authgate setup")
}

// mintCookie returns a session token for benchEmail, valid for a day,
// signed as the gateway signs with the given signing_key, in the store's
// epoch.
func mintCookie(secret string, epoch int64) (string, error) {
	k, err := token.ParseKey("", secret)
	if err != nil {
		return "", fmt.Errorf("minting the session cookie: %w", err)
	}
	m, err := token.NewManager(token.Config{Issuer: "authgate", Audience: "authgate", Keys: []token.Key{k}})
	if err != nil {
		return "", fmt.Errorf("minting the session cookie: %w", err)
	}
	now := time.Now()
	tok, err := m.Mint(token.Identity{
		Email: benchEmail, SessionID: "bench-session", DeviceID: "bench-device", Groups: []string{"ops"},
		Epoch: epoch, IssuedAt: now, ExpiresAt: now.Add(24 * time.Hour),
	})
	if err != nil {
		return "", fmt.Errorf("minting the session cookie: %w", err)
	}
	return sessionCookie + "=" + tok, nil
}

// checkSetups proves each setup does what its name says before it is
// measured: with the cookie the upstream answers with the expected body
// (the identity reached it where it should), and where the gate is on the
// path, a request without the cookie is refused.
func checkSetups(ctx context.Context, setups []setup, cookie string) error {
	client := &http.Client{Timeout: 10 * time.Second}
	get := func(url, cookie string) (int, string, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return 0, "", err
		}
		req.Header.Set("Accept", "application/json")
		if cookie != "" {
			req.Header.Set("Cookie", cookie)
		}
		resp, err := client.Do(req)
		if err != nil {
			return 0, "", err
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(io.LimitReader(resp.Body, 4096))
		return resp.StatusCode, string(body), err
	}
	for _, s := range setups {
		status, body, err := get(s.url(), cookie)
		if err != nil {
			return fmt.Errorf("checking %s: %w", s.key, err)
		}
		if status != http.StatusOK || body != s.wantBody {
			return fmt.Errorf("checking %s: GET %s with the cookie answered %d %q, want 200 %q", s.key, s.path, status, body, s.wantBody)
		}
		if s.refusePath == "" {
			continue
		}
		url := strings.TrimSuffix(s.url(), s.path) + s.refusePath
		if status, body, err = get(url, ""); err != nil {
			return fmt.Errorf("checking %s: %w", s.key, err)
		}
		if status != http.StatusUnauthorized {
			return fmt.Errorf("checking %s: GET %s without a cookie answered %d %q, want 401", s.key, s.refusePath, status, body)
		}
	}
	return nil
}

// randomHex is n random bytes in hex.
func randomHex(n int) (string, error) {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("generating a signing key: %w", err)
	}
	return hex.EncodeToString(b), nil
}

// commandLine is how to repeat this run, as a POSIX shell command.
func commandLine(args []string) string {
	parts := []string{"go", "run", "./bench"}
	for _, a := range args {
		parts = append(parts, shellQuote(a))
	}
	return strings.Join(parts, " ")
}

// shellQuote leaves a word of safe characters alone and puts anything else
// in single quotes.
func shellQuote(s string) string {
	safe := s != ""
	for _, r := range s {
		if !strings.ContainsRune("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./=:,+@%", r) {
			safe = false
			break
		}
	}
	if safe {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
