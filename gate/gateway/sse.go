package gateway

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// sseKeepalive is how often an idle event stream sends a comment, so
// proxies and phones do not drop it as dead.
const sseKeepalive = 15 * time.Second

// sseStream writes server-sent events to one client. It is not safe for
// concurrent use: one handler goroutine owns it.
type sseStream struct {
	w    http.ResponseWriter
	rc   *http.ResponseController
	last time.Time // when anything was last written
}

// openSSE starts an event stream: it writes the headers (no caching, no
// proxy buffering) and flushes them, so the client's EventSource opens
// at once. It fails if the connection cannot be flushed.
func openSSE(w http.ResponseWriter) (*sseStream, error) {
	h := w.Header()
	h.Set("Content-Type", "text/event-stream; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(http.StatusOK)
	s := &sseStream{w: w, rc: http.NewResponseController(w), last: time.Now()}
	if err := s.rc.Flush(); err != nil {
		return nil, fmt.Errorf("opening event stream: %w", err)
	}
	return s, nil
}

// send writes one event named name with v as its JSON data, and flushes.
// The event name must be a plain word; JSON never holds a raw newline, so
// the data is one line.
func (s *sseStream) send(name string, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encoding %s event: %w", name, err)
	}
	var b strings.Builder
	b.Grow(len(name) + len(data) + 16)
	b.WriteString("event: ")
	b.WriteString(name)
	b.WriteString("\ndata: ")
	b.Write(data)
	b.WriteString("\n\n")
	return s.write(b.String())
}

// keepalive writes a comment line if nothing was written for
// sseKeepalive.
func (s *sseStream) keepalive(now time.Time) error {
	if now.Sub(s.last) < sseKeepalive {
		return nil
	}
	return s.write(": keepalive\n\n")
}

func (s *sseStream) write(text string) error {
	if _, err := s.w.Write([]byte(text)); err != nil {
		return fmt.Errorf("writing event stream: %w", err)
	}
	if err := s.rc.Flush(); err != nil {
		return fmt.Errorf("flushing event stream: %w", err)
	}
	s.last = time.Now()
	return nil
}
