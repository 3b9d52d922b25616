// Command bench measures what protecting a site with authgate costs, in one
// run and on one Caddy process: a plain reverse proxy, authgate in front of
// the same proxy with a valid session cookie, the authgate handler present
// on a route the request does not take, and Caddy's forward_auth asking a
// separate auth service, as Authelia and oauth2-proxy setups do.
//
// Run it from the module's root (it needs wrk on PATH; Debian and Ubuntu:
// apt-get install -y wrk):
//
//	go run ./bench
//
// It builds cmd/caddy into a temporary folder, starts the upstream, the
// auth service and Caddy on loopback ports, loads each setup in turn with
// wrk for -rounds interleaved rounds at -conns connections and at one
// connection, prints a table of medians and writes it into bench/RESULTS.md
// (between its generated-section markers; the rest of the file is kept).
// `go run ./bench -h` lists the flags.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"
)

// options are the command-line settings of one run.
type options struct {
	rounds   int
	duration time.Duration
	warmup   time.Duration
	conns    int
	threads  int
	out      string
	caddyBin string
	note     string
	// pin runs Caddy alone on CPU 0 and everything else on the others.
	pin bool
	// profile, when set, is a folder (relative to the module root) for
	// CPU profiles of Caddy under load, taken after the rounds.
	profile string
	// serveAuth, when set, makes this process the forward_auth service
	// listening there instead of the harness.
	serveAuth string
}

func parseFlags(args []string, stderr io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.IntVar(&o.rounds, "rounds", 7, "interleaved rounds; every setup runs once per round at each connection count")
	fs.DurationVar(&o.duration, "duration", 3*time.Second, "length of one load run")
	fs.DurationVar(&o.warmup, "warmup", time.Second, "unmeasured load on each setup before the first round")
	fs.IntVar(&o.conns, "conns", 32, "concurrent connections of the loaded runs (each round also runs at 1)")
	fs.IntVar(&o.threads, "threads", 2, "wrk threads for the loaded runs (1 for the single-connection runs)")
	fs.StringVar(&o.out, "out", "bench/RESULTS.md", "results file, relative to the module root; empty writes none")
	fs.StringVar(&o.caddyBin, "caddy", "", "use this Caddy binary (built with the plugin) instead of building cmd/caddy")
	fs.StringVar(&o.note, "note", "", "a sentence about the conditions of this run, written into the results")
	fs.BoolVar(&o.pin, "pin", false, "run Caddy alone on CPU 0 and the load generator, upstream and auth service on the other CPUs (needs taskset)")
	fs.StringVar(&o.profile, "profile", "", "after the rounds, record a CPU profile of Caddy under each of noop, authgate and authgate-public into this folder")
	fs.StringVar(&o.serveAuth, "serve-auth", "", "internal: run as the forward_auth service on this address")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	switch {
	case o.rounds < 1:
		return o, errors.New("-rounds must be at least 1")
	case o.duration < time.Second:
		return o, errors.New("-duration must be at least 1s (wrk counts whole seconds)")
	case o.conns < 1:
		return o, errors.New("-conns must be at least 1")
	case o.threads < 1 || o.threads > o.conns:
		return o, errors.New("-threads must be between 1 and -conns")
	}
	return o, nil
}

func main() {
	o, err := parseFlags(os.Args[1:], os.Stderr)
	if errors.Is(err, flag.ErrHelp) {
		os.Exit(0)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if o.serveAuth != "" {
		err = serveAuth(ctx, o.serveAuth, os.Getenv(signingKeyEnv))
	} else {
		err = run(ctx, o, os.Stdout, os.Stderr)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}
