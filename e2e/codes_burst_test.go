package e2e

import (
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
)

// TestWrongCodesSentAtOnceGetNoMoreThanFiveTries: forty wrong codes sent
// at the same moment for one login are checked five times (the login's
// attempts), not forty; the rest are refused unchecked, the login is
// denied, and the user's code entry is paused as after five codes in a
// row, while a push login still starts.
func TestWrongCodesSentAtOnceGetNoMoreThanFiveTries(t *testing.T) {
	forEachStore(t, func(t *testing.T, storeOpt string) {
		g := startGate(t, storeOpt, newUpstream(t), "")
		g.enroll("vic@example.com")
		b := newBrowser(t, g.base)
		s := b.start("vic@example.com")
		const n = 40
		var wg sync.WaitGroup
		var mu sync.Mutex
		statuses := map[int]int{}
		go1 := make(chan struct{})
		for range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-go1
				status, _ := b.code(s.SessionID, "000000")
				mu.Lock()
				statuses[status]++
				mu.Unlock()
			}()
		}
		close(go1)
		wg.Wait()
		resp, err := http.Get(g.caddy.Admin + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		metrics := string(readAll(resp))
		if !strings.Contains(metrics, `authgate_codes_total{kind="any",result="wrong"} 5`+"\n") {
			t.Errorf("%d wrong codes at once (answers %v): the gate checked other than 5:\n%s", n, statuses, grepLines(metrics, "authgate_codes_total"))
		}
		if st, _, _ := b.check(s.SessionID); st != "denied" {
			t.Errorf("the login after the burst: %q", st)
		}
		if status, body := newBrowser(t, g.base).startStatus("vic@example.com"); status != http.StatusOK {
			t.Errorf("a push start after the burst: %d %s", status, body)
		}
		status, _, body := newBrowser(t, g.base).codeForm(url.Values{"email": {"vic@example.com"}, "code": {"000000"}})
		if status != http.StatusTooManyRequests || !strings.Contains(body, "codes are refused until") {
			t.Errorf("the code form after the burst: %d %s", status, body)
		}
	})
}

// grepLines returns the lines of s that contain sub.
func grepLines(s, sub string) string {
	var out []string
	for _, line := range strings.Split(s, "\n") {
		if strings.Contains(line, sub) {
			out = append(out, line)
		}
	}
	return strings.Join(out, "\n")
}
