package push

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/authgate/authgate/gate/store"
	"github.com/authgate/authgate/gate/store/memory"
)

// notifierFixture is a Notifier over a memory store with one user whose
// device is subscribed at a fake push service.
type notifierFixture struct {
	n     *Notifier
	st    *memory.Store
	svc   *pushService
	b     *browser
	dev   *store.Device
	login *store.Login
}

func newNotifierFixture(t *testing.T, status int) *notifierFixture {
	t.Helper()
	st := memory.New()
	t.Cleanup(func() { _ = st.Close() })
	svc := newPushService(t, status)
	b := newBrowser(t)
	ctx := t.Context()
	dev := &store.Device{ID: "dev1", Email: "a@example.com", Name: "phone", CreatedAt: time.Now(), Push: b.subscription(svc.URL + "/sub")}
	if err := st.CreateDevice(ctx, dev); err != nil {
		t.Fatal(err)
	}
	l := &store.Login{ID: "login1", Email: dev.Email, AppID: "ops", Code: 42, Choices: []int{17, 42, 93},
		UserAgent: "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
		CreatedAt: time.Now(), ExpiresAt: time.Now().Add(time.Minute), Status: store.LoginPending}
	if err := st.CreateLogin(ctx, l, 2*time.Minute); err != nil {
		t.Fatal(err)
	}
	n := NewNotifier(NotifierConfig{RetryDelay: 50 * time.Millisecond, Timeout: 2 * time.Second,
		Browser: func(string) string { return "Firefox" }}, testSender(t, mustKey(t), svc.URL), st)
	runCtx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { n.Run(runCtx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	return &notifierFixture{n: n, st: st, svc: svc, b: b, dev: dev, login: l}
}

func (f *notifierFixture) waitRequests(t *testing.T, n int) {
	t.Helper()
	deadline := time.After(5 * time.Second)
	for len(f.svc.requests()) < n {
		select {
		case <-f.svc.notify:
		case <-deadline:
			t.Fatalf("%d push requests, want %d", len(f.svc.requests()), n)
		}
	}
}

func (f *notifierFixture) waitStats(t *testing.T, ok func(Stats) bool) Stats {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		s := f.n.Stats()
		if ok(s) {
			return s
		}
		if time.Now().After(deadline) {
			t.Fatalf("stats never reached the state wanted: %+v", s)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestNotifierSendsOnePushWithoutTheNumber(t *testing.T) {
	f := newNotifierFixture(t, http.StatusCreated)
	f.n.LoginStarted(f.login, "app.example.com")
	f.waitRequests(t, 1)
	plain, err := f.b.decrypt(f.svc.requests()[0].body)
	if err != nil {
		t.Fatal(err)
	}
	want := string(LoginPayload("login1", "ops", "app.example.com", "Firefox", f.login.ExpiresAt).Encode())
	if string(plain) != want {
		t.Fatalf("payload %s, want %s", plain, want)
	}
	if ttl := f.svc.requests()[0].header.Get("TTL"); ttl != "60" && ttl != "59" {
		t.Fatalf("TTL %s, want the login's remaining 60 s", ttl)
	}
	f.waitStats(t, func(s Stats) bool { return s.Sent == 1 })
}

// TestNotifierTopicDoesNotNameTheUser checks the Topic header the push
// service sees: the same for each push to one user, but keyed by the
// gate's key, so hashing a guessed address does not give it and another
// gate's pushes to the same user carry another one.
func TestNotifierTopicDoesNotNameTheUser(t *testing.T) {
	topic := func(f *notifierFixture) string {
		t.Helper()
		f.n.LoginStarted(f.login, "app.example.com")
		f.waitRequests(t, len(f.svc.requests())+1)
		got := f.svc.requests()
		return got[len(got)-1].header.Get("Topic")
	}
	f, other := newNotifierFixture(t, http.StatusCreated), newNotifierFixture(t, http.StatusCreated)
	first, again, elsewhere := topic(f), topic(f), topic(other)
	if len(first) != 32 || strings.Trim(first, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") != "" {
		t.Fatalf("Topic %q is not 32 base64url characters", first)
	}
	if again != first {
		t.Fatalf("two pushes to one user carry topics %q and %q: a newer one would not replace an older one", first, again)
	}
	if elsewhere == first {
		t.Fatalf("two gates give %s the same topic %q: it depends on the address alone", f.login.Email, first)
	}
	sum := sha256.Sum256([]byte("authgate-push-topic\x00" + f.login.Email))
	if first == base64.RawURLEncoding.EncodeToString(sum[:24]) {
		t.Fatalf("Topic %q is a plain hash of the address", first)
	}
}

func TestNotifierNamesTheSiteByItsTitle(t *testing.T) {
	f := newNotifierFixture(t, http.StatusCreated)
	f.login.SiteTitle = "Ops centre"
	f.n.LoginStarted(f.login, "app.example.com")
	f.waitRequests(t, 1)
	plain, err := f.b.decrypt(f.svc.requests()[0].body)
	if err != nil {
		t.Fatal(err)
	}
	var p Payload
	if err := json.Unmarshal(plain, &p); err != nil {
		t.Fatal(err)
	}
	if p.Title != "Sign in to Ops centre on app.example.com?" {
		t.Fatalf("notification title %q", p.Title)
	}
}

func TestNotifierDropsAGoneSubscription(t *testing.T) {
	f := newNotifierFixture(t, http.StatusGone)
	f.n.LoginStarted(f.login, "app.example.com")
	f.waitStats(t, func(s Stats) bool { return s.Gone == 1 })
	d, err := f.st.GetDevice(t.Context(), f.dev.ID)
	if err != nil {
		t.Fatal(err)
	}
	if d.Push != nil {
		t.Fatalf("subscription kept after 410: %+v", d.Push)
	}
}

func TestNotifierRetriesAFailureOnce(t *testing.T) {
	f := newNotifierFixture(t, http.StatusInternalServerError)
	f.n.LoginStarted(f.login, "app.example.com")
	s := f.waitStats(t, func(s Stats) bool { return s.Failed == 2 })
	time.Sleep(200 * time.Millisecond) // a third attempt would come after 50 ms
	if n := len(f.svc.requests()); n != 2 || s.Retried != 1 {
		t.Fatalf("%d requests, %d retries; want 2 and 1", n, s.Retried)
	}
}

func TestNotifierSendsNothingForADecidedLogin(t *testing.T) {
	f := newNotifierFixture(t, http.StatusInternalServerError)
	f.n.LoginStarted(f.login, "app.example.com")
	f.waitRequests(t, 1)
	// Decided before the retry is due: the retry must not go out.
	if _, err := f.st.TransitionLogin(t.Context(), f.login.ID, store.Transition{From: store.LoginPending, To: store.LoginDenied, At: time.Now()}); err != nil {
		t.Fatal(err)
	}
	f.waitStats(t, func(s Stats) bool { return s.Skipped == 1 })
	if n := len(f.svc.requests()); n != 1 {
		t.Fatalf("%d requests after the decision, want 1", n)
	}
	f.n.LoginStarted(f.login, "app.example.com")
	f.waitStats(t, func(s Stats) bool { return s.Skipped == 2 })
	if n := len(f.svc.requests()); n != 1 {
		t.Fatalf("a decided login was pushed: %d requests", n)
	}
}

// TestNotifierRetriesNothingToADeviceTakenOff removes the device, or
// turns its notifications off, after a failed push and before its retry:
// the retry must not go out, or a phone just taken off the account (a
// lost one) would still be told of the user's sign-ins.
func TestNotifierRetriesNothingToADeviceTakenOff(t *testing.T) {
	for name, takeOff := range map[string]func(f *notifierFixture) error{
		"removed": func(f *notifierFixture) error { return f.st.DeleteDevice(t.Context(), f.dev.ID) },
		"notifications off": func(f *notifierFixture) error {
			return f.st.SetPushSubscription(t.Context(), f.dev.ID, nil)
		},
	} {
		t.Run(name, func(t *testing.T) {
			f := newNotifierFixture(t, http.StatusInternalServerError)
			f.n.LoginStarted(f.login, "app.example.com")
			f.waitRequests(t, 1)
			if err := takeOff(f); err != nil {
				t.Fatal(err)
			}
			f.waitStats(t, func(s Stats) bool { return s.Retried == 1 && s.Skipped == 1 })
			time.Sleep(100 * time.Millisecond) // the retry was due after 50 ms
			if n := len(f.svc.requests()); n != 1 {
				t.Fatalf("%d pushes, want the first one only", n)
			}
		})
	}
}

func TestLoginStartedDoesNotWaitForAHangingPushService(t *testing.T) {
	release := make(chan struct{})
	hang := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer hang.Close()
	defer close(release)
	st := memory.New()
	defer st.Close()
	b := newBrowser(t)
	for i := range 3 {
		d := &store.Device{ID: "d" + string(rune('a'+i)), Email: "a@example.com", CreatedAt: time.Now(), Push: b.subscription(hang.URL + "/x")}
		if err := st.CreateDevice(t.Context(), d); err != nil {
			t.Fatal(err)
		}
	}
	l := &store.Login{ID: "L", Email: "a@example.com", CreatedAt: time.Now(), ExpiresAt: time.Now().Add(time.Minute), Status: store.LoginPending}
	if err := st.CreateLogin(t.Context(), l, time.Minute); err != nil {
		t.Fatal(err)
	}
	n := NewNotifier(NotifierConfig{Workers: 1, Queue: 4, Timeout: 30 * time.Second}, testSender(t, mustKey(t), hang.URL), st)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { n.Run(ctx); close(done) }()
	start := time.Now()
	for range 100 {
		n.LoginStarted(l, "app.example.com")
	}
	if d := time.Since(start); d > 100*time.Millisecond {
		t.Fatalf("100 LoginStarted calls took %v with the push service hanging", d)
	}
	if n.Stats().Dropped == 0 {
		t.Fatal("a full queue dropped nothing")
	}
	cancel()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not stop while a push hung")
	}
}

func TestNotifierSkipsSubscriptionsMadeForAnotherKey(t *testing.T) {
	f := newNotifierFixture(t, http.StatusCreated)
	old := f.b.subscription(f.svc.URL + "/sub")
	old.KeyID = "key-before-rotation"
	if err := f.st.SetPushSubscription(t.Context(), f.dev.ID, old); err != nil {
		t.Fatal(err)
	}
	f.n.LoginStarted(f.login, "app.example.com")
	f.waitStats(t, func(s Stats) bool { return s.Stale == 1 })
	if n := len(f.svc.requests()); n != 0 {
		t.Fatalf("%d pushes to a subscription of another key", n)
	}
	current := f.b.subscription(f.svc.URL + "/sub")
	current.KeyID = f.n.KeyID()
	if err := f.st.SetPushSubscription(t.Context(), f.dev.ID, current); err != nil {
		t.Fatal(err)
	}
	f.n.LoginStarted(f.login, "app.example.com")
	f.waitRequests(t, 1)
}
