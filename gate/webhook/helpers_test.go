package webhook

import (
	"bufio"
	"context"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/authgate/authgate/gate/event"
	"github.com/authgate/authgate/internal/testenv"
)

// startReceiver runs program with args and env as a receiver process that
// prints its port on its first stdout line, and returns its base URL. The
// process is killed when the test ends.
func startReceiver(t *testing.T, program string, env []string, args ...string) string {
	t.Helper()
	bin := testenv.Require(t, program)
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatalf("piping %s: %v", program, err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting %s: %v", program, err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	port := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(out).ReadString('\n')
		port <- strings.TrimSpace(line)
	}()
	select {
	case p := <-port:
		if p == "" {
			t.Fatalf("%s exited without printing its port", program)
		}
		return "http://127.0.0.1:" + p
	case <-time.After(20 * time.Second):
		t.Fatalf("%s did not print its port within 20s", program)
	}
	return ""
}

// trickyEvent returns an event whose data holds strings that differ
// between encoders: quotes, HTML characters, non-ASCII, emoji, control
// characters, line and paragraph separators, invalid UTF-8, bidi
// overrides, and integers at JavaScript's limit.
func trickyEvent() event.Event {
	e := event.New(event.LoginFailed, map[string]any{
		"email":      Sanitize("a\"li\\ce<script>&amp;'@example.com\x1b[31m", MaxIdentifier),
		"user_agent": "Mozilla/5.0 🦊 (X11; Linux) \u2028next\u2029para \u202eevil \x00\x07\t\r\n é ñ 中文 \xff\xfe",
		"reason":     "wrong_number",
		"ip":         "203.0.113.7",
		"attempts":   3,
		"max":        int64(1<<53 - 1),
		"min":        -(1<<53 - 1),
		"ok":         false,
		"nothing":    nil,
		"nested": map[string]any{
			"ключ":   "значение",
			"list":   []any{"x", 1, true, nil, map[string]string{"k": "</script>"}},
			"groups": []string{"admins", "dev\u00a0ops"},
			"z01":    "keys with digits are fine",
			"01":     "a leading zero is not an index",
		},
	})
	return e
}

// post sends body with headers h to url and returns the response.
func post(t *testing.T, url string, h http.Header, body []byte) *http.Response {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, strings.NewReader(string(body)))
	if err != nil {
		t.Fatal(err)
	}
	req.Header = h.Clone()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("posting to %s: %v", url, err)
	}
	resp.Body.Close()
	return resp
}

// tamper returns body with one byte of the email value changed, so the
// JSON stays valid and only the signature can tell.
func tamper(t *testing.T, body []byte) []byte {
	t.Helper()
	i := strings.Index(string(body), "example.com")
	if i < 0 {
		t.Fatalf("no email in body %s", body)
	}
	out := []byte(string(body))
	out[i] = 'E'
	return out
}
