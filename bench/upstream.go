package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"
)

// upstream is the app behind every setup: it answers 200 with a short body
// naming the identity it was handed, so the harness can check that each
// setup really authenticates before it measures it.
type upstream struct {
	addr string
	srv  *http.Server
	done chan error
}

// upstreamHandler answers "hello <Remote-Email>".
func upstreamHandler(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = w.Write([]byte("hello " + r.Header.Get("Remote-Email")))
}

// startUpstream serves upstreamHandler on a free loopback port until Close.
func startUpstream() (*upstream, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("listening for the upstream: %w", err)
	}
	u := &upstream{
		addr: l.Addr().String(),
		srv:  &http.Server{Handler: http.HandlerFunc(upstreamHandler), ReadHeaderTimeout: 10 * time.Second},
		done: make(chan error, 1),
	}
	go func() { u.done <- u.srv.Serve(l) }()
	return u, nil
}

// Close stops the upstream and waits for its server to return.
func (u *upstream) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := u.srv.Shutdown(ctx)
	if serveErr := <-u.done; !errors.Is(serveErr, http.ErrServerClosed) && err == nil {
		err = serveErr
	}
	if err != nil {
		return fmt.Errorf("stopping the upstream: %w", err)
	}
	return nil
}
