package gateway

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"os"
	"time"
)

// BodyReadTimeout is how long a gate endpoint waits for a request body
// to arrive in full; a client that stalls longer gets 408.
const BodyReadTimeout = 10 * time.Second

// errBodyTimeout marks a body that did not arrive within BodyReadTimeout.
var errBodyTimeout = errors.New("request body did not arrive in time")

// bufferBody reads the request body into memory before any gate handler
// runs, within BodyReadTimeout and MaxBodyBytes, so that a client
// trickling a body never holds a handler (or a store call) open, and
// every handler reads a body that is already complete. On failure it has
// answered (408, 413 or 400) and returns false. The read deadline is
// lifted as soon as the body is in, so slow work after it (a pre_login
// hook) is not cut short.
func bufferBody(w http.ResponseWriter, r *http.Request) bool {
	if r.Body == nil || r.Body == http.NoBody || r.ContentLength == 0 {
		return true
	}
	if r.ContentLength > MaxBodyBytes {
		writeBodyError(w, ErrBodyTooLarge)
		return false
	}
	rc := http.NewResponseController(w)
	deadlineSet := rc.SetReadDeadline(time.Now().Add(BodyReadTimeout)) == nil
	body, err := readAllLimited(r.Body, deadlineSet)
	if deadlineSet {
		_ = rc.SetReadDeadline(time.Time{})
	}
	if err != nil {
		if errors.Is(err, errBodyTimeout) {
			w.Header().Set("Connection", "close")
		}
		writeBodyError(w, err)
		return false
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	r.ContentLength = int64(len(body))
	return true
}

// readAllLimited reads body up to MaxBodyBytes. Without a connection
// deadline (a transport that cannot set one) the read runs in its own
// goroutine and is abandoned after BodyReadTimeout; the server closes the
// connection when the handler returns.
func readAllLimited(body io.ReadCloser, deadlineSet bool) ([]byte, error) {
	read := func() ([]byte, error) {
		b, err := io.ReadAll(io.LimitReader(body, MaxBodyBytes+1))
		switch {
		case errors.Is(err, os.ErrDeadlineExceeded):
			return nil, errBodyTimeout
		case err != nil:
			return nil, err
		case len(b) > MaxBodyBytes:
			return nil, ErrBodyTooLarge
		}
		return b, nil
	}
	if deadlineSet {
		return read()
	}
	type result struct {
		b   []byte
		err error
	}
	done := make(chan result, 1)
	go func() {
		b, err := read()
		done <- result{b, err}
	}()
	t := time.NewTimer(BodyReadTimeout)
	defer t.Stop()
	select {
	case res := <-done:
		return res.b, res.err
	case <-t.C:
		_ = body.Close()
		return nil, errBodyTimeout
	}
}
