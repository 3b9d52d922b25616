package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"sync"
	"time"

	"github.com/authgate/authgate/gate/device/deviceclient"
)

// The stream of logins and logouts that the Sentinel test runs through
// two instances while Redis fails over. Nothing here may call t.Fatal:
// it runs on goroutines and counts what goes wrong instead.

// streamClient is a cookie-keeping, non-redirecting HTTP client.
func streamClient() *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, Timeout: 10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// send makes one request and returns the status, the response and body.
func send(c *http.Client, method, u string, h http.Header, body []byte) (int, *http.Response, []byte, error) {
	req, err := http.NewRequest(method, u, bytes.NewReader(body))
	if err != nil {
		return 0, nil, nil, err
	}
	for k, v := range h {
		req.Header[k] = v
	}
	resp, err := c.Do(req)
	if err != nil {
		return 0, nil, nil, err
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp, data, nil
}

// cookieOf returns the named cookie a response sets, or "".
func cookieOf(resp *http.Response, name string) string {
	for _, c := range resp.Cookies() {
		if c.Name == name && c.MaxAge >= 0 && c.Value != "" {
			return c.Value
		}
	}
	return ""
}

// completedLogin is a login whose check handed out a session cookie.
type completedLogin struct {
	id, binding, session string
}

// loggedOut is a session whose logout answered success.
type loggedOut struct {
	session string
	at      time.Time
}

// attempt is one login of the stream: when it started and ended and
// whether it completed.
type attempt struct {
	start, end time.Time
	ok         bool
	step       string // where it failed
}

// streamLog gathers what the workers saw.
type streamLog struct {
	mu         sync.Mutex
	attempts   []attempt
	completed  []completedLogin
	logouts    []loggedOut
	logoutFail int
	violations []string
}

func (l *streamLog) violate(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.violations = append(l.violations, fmt.Sprintf(format, args...))
}

// streamLogin runs one push-to-approve login of email on base in the
// browser c, with dev approving, and returns the completed login or the
// step that failed. The browser keeps its binding cookie, so a new start
// replaces its own login left pending by a failed attempt.
func streamLogin(ctx context.Context, c *http.Client, base string, dev *deviceclient.Client, email string) (completedLogin, string) {
	body, _ := json.Marshal(map[string]string{"email": email, "app_id": "e2e", "rd": "/private"})
	status, resp, data, err := send(c, http.MethodPost, base+"/.authgate/auth/start", http.Header{"Content-Type": {"application/json"}}, body)
	if err != nil || status != http.StatusOK {
		return completedLogin{}, fmt.Sprintf("start: %d %v %.40s", status, err, data)
	}
	var s started
	if json.Unmarshal(data, &s) != nil {
		return completedLogin{}, "start: body"
	}
	binding := cookieOf(resp, "authgate_bind")
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	p, err := dev.WaitPending(ctx, 20*time.Millisecond)
	if err != nil || p.SessionID != s.SessionID {
		return completedLogin{}, fmt.Sprintf("push: %v", err)
	}
	// The phone retries its approval while the store cannot take it, as
	// a person tapping again would.
	for {
		st, err := dev.Decide(ctx, s.SessionID, "approve", s.Code)
		if err == nil && st == "approved" {
			break
		}
		var api *deviceclient.APIError
		if errors.As(err, &api) && api.Status == http.StatusConflict {
			break // an earlier try was recorded, though not confirmed
		}
		if ctx.Err() != nil || (err == nil && st != "approved") {
			return completedLogin{}, fmt.Sprintf("approve: %q %v", st, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	for ctx.Err() == nil {
		status, resp, _, err := send(c, http.MethodGet, base+"/.authgate/auth/check/"+s.SessionID, http.Header{"Accept": {"application/json"}}, nil)
		if err == nil && status == http.StatusOK {
			if sess := cookieOf(resp, "authgate_session"); sess != "" {
				return completedLogin{id: s.SessionID, binding: binding, session: sess}, ""
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	return completedLogin{}, "collect: no session cookie"
}

// streamLogout signs session out on base; true when it answered 303.
func streamLogout(base, session string) bool {
	c := streamClient()
	u, _ := url.Parse(base)
	c.Jar.SetCookies(u, []*http.Cookie{{Name: "authgate_session", Value: session, Path: "/"}})
	_, _, home, err := send(c, http.MethodGet, base+"/.authgate/", nil, nil)
	if err != nil {
		return false
	}
	m := csrfField.FindSubmatch(home)
	if m == nil {
		return false
	}
	status, _, _, err := send(c, http.MethodPost, base+"/.authgate/logout",
		http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}, []byte(url.Values{"csrf": {string(m[1])}}.Encode()))
	return err == nil && status == http.StatusSeeOther
}

// accepted reports whether base lets session through to the app (200).
func accepted(base, session string) bool {
	status, _, _, err := send(streamClient(), http.MethodGet, base+"/private",
		http.Header{"Accept": {"application/json"}, "Cookie": {"authgate_session=" + session}}, nil)
	return err == nil && status == http.StatusOK
}

// runStream runs one worker per device until ctx ends: each logs in on
// one instance and out on the other, alternating, and checks at once
// that the instance that logged out refuses the cookie. A checker
// goroutine keeps asking both instances about every logged-out cookie
// older than a second.
func runStream(ctx context.Context, bases [2]string, devs []*deviceclient.Client, emails []string, log *streamLog) {
	var wg sync.WaitGroup
	for w := range devs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			browser := streamClient()
			for i := 0; ctx.Err() == nil; i++ {
				in, out := bases[(i+w)%2], bases[(i+w+1)%2]
				a := attempt{start: time.Now()}
				done, failed := streamLogin(ctx, browser, in, devs[w], emails[w])
				a.end, a.ok, a.step = time.Now(), failed == "", failed
				log.mu.Lock()
				log.attempts = append(log.attempts, a)
				if a.ok {
					log.completed = append(log.completed, done)
				}
				log.mu.Unlock()
				if !a.ok {
					time.Sleep(100 * time.Millisecond)
					continue
				}
				if !streamLogout(out, done.session) {
					log.mu.Lock()
					log.logoutFail++
					log.mu.Unlock()
					continue
				}
				at := time.Now()
				if accepted(out, done.session) {
					log.violate("the instance that logged %s out accepted it right after", done.id)
				}
				log.mu.Lock()
				log.logouts = append(log.logouts, loggedOut{session: done.session, at: at})
				log.mu.Unlock()
				time.Sleep(100 * time.Millisecond)
			}
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; ctx.Err() == nil; i++ {
			log.mu.Lock()
			var due []loggedOut
			for _, l := range log.logouts {
				if time.Since(l.at) > time.Second {
					due = append(due, l)
				}
			}
			log.mu.Unlock()
			if len(due) == 0 {
				time.Sleep(50 * time.Millisecond)
				continue
			}
			l := due[i%len(due)]
			for _, b := range bases {
				if accepted(b, l.session) {
					log.violate("%s accepted a session %v after its logout answered 303", b, time.Since(l.at).Round(time.Millisecond))
				}
			}
			time.Sleep(10 * time.Millisecond)
		}
	}()
	wg.Wait()
}

// verifyStream checks, after the stream, every logged-out cookie on both
// instances, and that no completed login hands out a second session when
// its browser (binding cookie) asks again.
func verifyStream(bases [2]string, log *streamLog) {
	log.mu.Lock()
	logouts, completed := append([]loggedOut(nil), log.logouts...), append([]completedLogin(nil), log.completed...)
	log.mu.Unlock()
	for _, l := range logouts {
		for _, b := range bases {
			if accepted(b, l.session) {
				log.violate("after the failover, %s accepts a session logged out at %s", b, l.at.Format("15:04:05.000"))
			}
		}
	}
	for _, c := range completed {
		for _, b := range bases {
			status, resp, _, err := send(streamClient(), http.MethodGet, b+"/.authgate/auth/check/"+c.id,
				http.Header{"Accept": {"application/json"}, "Cookie": {"authgate_bind=" + c.binding}}, nil)
			if err == nil && status == http.StatusOK && cookieOf(resp, "authgate_session") != "" {
				log.violate("login %s completed a second time on %s", c.id, b)
			}
		}
	}
}

// failureWindow summarises the failed logins relative to t0: how many,
// and from when to when they started.
func (l *streamLog) failureWindow(t0 time.Time) (total, failed int, first, last time.Duration, steps map[string]int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	steps = map[string]int{}
	for _, a := range l.attempts {
		total++
		if a.ok {
			continue
		}
		d := a.start.Sub(t0)
		if failed == 0 || d < first {
			first = d
		}
		if e := a.end.Sub(t0); failed == 0 || e > last {
			last = e
		}
		failed++
		steps[a.step[:min(len(a.step), 80)]]++
	}
	return total, failed, first, last, steps
}
