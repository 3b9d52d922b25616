package push

import (
	"context"
	"errors"
	"net/url"
	"sync"
	"sync/atomic"
	"time"

	"go.uber.org/zap"

	"github.com/authgate/authgate/gate/store"
)

// Store is what the Notifier reads and changes.
type Store interface {
	GetLogin(ctx context.Context, id string) (*store.Login, error)
	GetDevice(ctx context.Context, id string) (*store.Device, error)
	ListDevices(ctx context.Context, email string) ([]*store.Device, error)
	DropPushSubscription(ctx context.Context, id, endpoint string) error
}

// NotifierConfig configures a Notifier. Zero values take the documented
// defaults.
type NotifierConfig struct {
	// Workers is the number of pushes in flight at once (default 4).
	Workers int
	// Queue bounds the pushes waiting for a worker (default 1024); past
	// it, pushes are dropped and counted, never waited for.
	Queue int
	// Timeout bounds one push, and never exceeds the login's remaining
	// time (default 10 s).
	Timeout time.Duration
	// RetryDelay is how long a failed push waits before its one retry
	// (default 2 s), or the push service's Retry-After if longer and
	// still within the login's time.
	RetryDelay time.Duration
	// Browser names the browser of a user agent for the notification
	// (default: none named).
	Browser func(userAgent string) string
	Logger  *zap.Logger
	// Now replaces time.Now (tests).
	Now func() time.Time
}

func (c *NotifierConfig) defaults() {
	if c.Workers <= 0 {
		c.Workers = 4
	}
	if c.Queue <= 0 {
		c.Queue = 1024
	}
	if c.Timeout <= 0 {
		c.Timeout = 10 * time.Second
	}
	if c.RetryDelay <= 0 {
		c.RetryDelay = 2 * time.Second
	}
	if c.Browser == nil {
		c.Browser = func(string) string { return "" }
	}
	if c.Logger == nil {
		c.Logger = zap.NewNop()
	}
	if c.Now == nil {
		c.Now = time.Now
	}
}

// Stats counts what the Notifier did since it was made.
type Stats struct {
	Sent    uint64 // accepted by the push service (2xx)
	Gone    uint64 // 404/410: the subscription was removed
	Failed  uint64 // other answers and transport errors, retries included
	Retried uint64 // failed pushes tried a second time
	Refused uint64 // endpoints the allow-list refused: never dialled
	Dropped uint64 // not sent: the queue was full or the notifier stopped
	// Skipped counts pushes not sent because the login was decided or
	// expired first, or the device was removed or turned notifications
	// off while the push waited.
	Skipped uint64
	// Stale counts subscriptions made for another VAPID key (before a
	// rotation): not sent, as no push service would take them, until
	// the app renews them.
	Stale uint64
}

// job is one push to one device, or (device nil) the fan-out of a login
// to its user's devices.
type job struct {
	login   *store.Login
	site    string
	device  *store.Device
	attempt int
	// listed says the device was just read by the fan-out: a job that
	// waited in the queue or for a retry reads it again.
	listed bool
}

// busyDelay is how long a push waits for a slot when its push service
// already holds its share of the workers.
const busyDelay = 200 * time.Millisecond

// Notifier sends a push to every subscribed device of a user when a login
// starts. LoginStarted never blocks; Run owns the workers. No push service
// holds more than three quarters of the workers, so one that hangs delays
// only its own pushes; one with a push in flight for over two seconds
// gets new pushes only while it holds under a quarter; after three
// pushes in a row without an answer, it gets one at a time and no
// retries until it answers again.
type Notifier struct {
	cfg    NotifierConfig
	sender *Sender
	store  Store
	jobs   chan job
	slots  *hostSlots

	mu      sync.Mutex
	running bool
	timers  map[*time.Timer]struct{}

	sent, gone, failed, retried, refused, dropped, skipped, stale atomic.Uint64
	lastDropLog                                                   atomic.Int64 // Unix ns
}

// NewNotifier returns a Notifier that sends with sender and reads st.
func NewNotifier(cfg NotifierConfig, sender *Sender, st Store) *Notifier {
	cfg.defaults()
	return &Notifier{cfg: cfg, sender: sender, store: st, jobs: make(chan job, cfg.Queue), timers: map[*time.Timer]struct{}{},
		slots: newHostSlots(cfg.Workers)}
}

// LoginStarted queues the pushes for a login just started on site (the
// host the user signs in to). It returns at once; a full queue drops the
// push and counts it.
func (n *Notifier) LoginStarted(l *store.Login, site string) {
	c := *l
	n.enqueue(job{login: &c, site: site})
}

func (n *Notifier) enqueue(j job) {
	select {
	case n.jobs <- j:
	default:
		// Counted always, logged at most once a minute: this runs on the
		// browser's request, which must not wait for a log write per drop.
		n.dropped.Add(1)
		now := n.cfg.Now().UnixNano()
		if last := n.lastDropLog.Load(); now-last > int64(time.Minute) && n.lastDropLog.CompareAndSwap(last, now) {
			n.cfg.Logger.Warn("push queue full: pushes dropped", zap.Int("queue", n.cfg.Queue), zap.Uint64("dropped_total", n.dropped.Load()))
		}
	}
}

// Run sends queued pushes with the configured number of workers until
// ctx is done, then stops pending retries and waits for the workers.
func (n *Notifier) Run(ctx context.Context) {
	n.mu.Lock()
	n.running = true
	n.mu.Unlock()
	var wg sync.WaitGroup
	for range n.cfg.Workers {
		wg.Go(func() {
			for {
				select {
				case <-ctx.Done():
					return
				case j := <-n.jobs:
					n.do(ctx, j)
				}
			}
		})
	}
	<-ctx.Done()
	n.mu.Lock()
	n.running = false
	for t := range n.timers {
		if t.Stop() {
			n.dropped.Add(1)
		}
	}
	clear(n.timers)
	n.mu.Unlock()
	wg.Wait()
	n.sender.CloseIdle()
}

// Stats returns the counters.
func (n *Notifier) Stats() Stats {
	return Stats{
		Sent: n.sent.Load(), Gone: n.gone.Load(), Failed: n.failed.Load(), Retried: n.retried.Load(),
		Refused: n.refused.Load(), Dropped: n.dropped.Load(), Skipped: n.skipped.Load(), Stale: n.stale.Load(),
	}
}

func (n *Notifier) do(ctx context.Context, j job) {
	if j.device == nil {
		n.fanOut(ctx, j)
		return
	}
	n.push(ctx, j)
}

// fanOut queues one push per subscribed device of the login's user.
func (n *Notifier) fanOut(ctx context.Context, j job) {
	devices, err := n.store.ListDevices(ctx, j.login.Email)
	if err != nil {
		n.failed.Add(1)
		n.cfg.Logger.Warn("push: listing devices failed", zap.Error(err))
		return
	}
	first := true
	for _, d := range devices {
		if d.Push == nil {
			continue
		}
		if !n.madeForThisKey(d.Push) {
			n.stale.Add(1)
			continue
		}
		dj := job{login: j.login, site: j.site, device: d}
		if first { // this worker sends the first push itself: one hop less
			first = false
			dj.listed = true
			defer n.push(ctx, dj)
			continue
		}
		n.enqueue(dj)
	}
}

// stillPending reports whether the login still waits for a decision, and
// how long it has left.
func (n *Notifier) stillPending(ctx context.Context, id string) (time.Duration, bool) {
	l, err := n.store.GetLogin(ctx, id)
	if err != nil {
		if !errors.Is(err, store.ErrNotFound) {
			n.cfg.Logger.Warn("push: loading login failed", zap.Error(err))
		}
		return 0, false
	}
	left := l.ExpiresAt.Sub(n.cfg.Now())
	return left, l.Status == store.LoginPending && left > 0
}

// push sends one message to one device, drops the subscription on 404 or
// 410, and schedules the one retry of any other failure.
func (n *Notifier) push(ctx context.Context, j job) {
	left, ok := n.stillPending(ctx, j.login.ID)
	if !ok {
		n.skipped.Add(1)
		return
	}
	if !j.listed {
		if j.device, ok = n.stillSubscribed(ctx, j.device); !ok {
			n.skipped.Add(1)
			return
		}
		j.listed = true
	}
	l, sub := j.login, j.device.Push
	host := endpointHost(sub.Endpoint)
	start, taken, failing := n.slots.take(host, time.Now())
	if !taken {
		if failing { // its probe is out: this push would only wait for it
			n.failed.Add(1)
			return
		}
		n.later(busyDelay, j) // the service has its share of the workers
		return
	}
	app := l.AppID
	if l.SiteTitle != "" {
		app = l.SiteTitle // the name the gate's pages show for the site
	}
	payload := LoginPayload(l.ID, app, j.site, n.cfg.Browser(l.UserAgent), l.ExpiresAt).Encode()
	sctx, cancel := context.WithTimeout(ctx, min(n.cfg.Timeout, left))
	err := n.sender.Send(sctx, sub, payload, Message{TTL: left, Urgency: "high", Topic: n.sender.vapid.key.topic(l.Email)})
	loginsEnd := left < n.cfg.Timeout && errors.Is(sctx.Err(), context.DeadlineExceeded)
	cancel()
	n.slots.release(host, start, outcomeOf(err, loginsEnd || ctx.Err() != nil))
	var se *StatusError
	switch {
	case err == nil:
		n.sent.Add(1)
		return
	case errors.Is(err, ErrGone):
		n.gone.Add(1)
		n.cfg.Logger.Info("push subscription gone: removed", zap.String("device_id", j.device.ID), zap.String("push_service", host))
		if err := n.store.DropPushSubscription(context.WithoutCancel(ctx), j.device.ID, sub.Endpoint); err != nil {
			n.cfg.Logger.Warn("push: removing subscription failed", zap.String("device_id", j.device.ID), zap.Error(err))
		}
		return
	case errors.Is(err, ErrNotAllowed):
		n.refused.Add(1)
		n.cfg.Logger.Warn("push refused", zap.String("device_id", j.device.ID), zap.String("push_service", host), zap.Error(err))
		return
	case ctx.Err() != nil:
		n.dropped.Add(1)
		return
	}
	n.failed.Add(1)
	n.cfg.Logger.Warn("push failed", zap.String("device_id", j.device.ID), zap.String("push_service", host),
		zap.Int("attempt", j.attempt+1), zap.Error(err))
	if j.attempt > 0 || n.slots.failing(host) {
		return
	}
	delay := n.cfg.RetryDelay
	if errors.As(err, &se) && se.RetryAfter > delay {
		delay = se.RetryAfter
	}
	if delay >= left {
		return
	}
	j.attempt++
	n.retried.Add(1)
	n.later(delay, j)
}

// stillSubscribed reads the device again for a push that waited: one
// removed since (a lost phone taken off the account) or that turned
// notifications off gets nothing more, and one that renewed its
// subscription gets the push at the new one.
func (n *Notifier) stillSubscribed(ctx context.Context, d *store.Device) (*store.Device, bool) {
	cur, err := n.store.GetDevice(ctx, d.ID)
	if err != nil {
		if !errors.Is(err, store.ErrNotFound) {
			n.cfg.Logger.Warn("push: loading device failed", zap.String("device_id", d.ID), zap.Error(err))
		}
		return nil, false
	}
	if cur.Push == nil || !n.madeForThisKey(cur.Push) {
		return nil, false
	}
	return cur, true
}

// madeForThisKey reports whether sub was made for the notifier's VAPID
// key (or before keys were recorded): no push service takes a push
// signed with another.
func (n *Notifier) madeForThisKey(sub *store.PushSubscription) bool {
	return sub.KeyID == "" || sub.KeyID == n.KeyID()
}

// later queues j after delay, unless Run has ended by then.
func (n *Notifier) later(delay time.Duration, j job) {
	j.listed = false
	n.mu.Lock()
	defer n.mu.Unlock()
	if !n.running {
		n.dropped.Add(1)
		return
	}
	var t *time.Timer
	t = time.AfterFunc(delay, func() {
		n.mu.Lock()
		_, live := n.timers[t]
		delete(n.timers, t)
		n.mu.Unlock()
		if live {
			n.enqueue(j)
		}
	})
	n.timers[t] = struct{}{}
}

// endpointHost is the push service's host, for logs: an endpoint's path
// addresses one browser and stays out of them.
func endpointHost(endpoint string) string {
	u, err := url.Parse(endpoint)
	if err != nil {
		return ""
	}
	return u.Host
}

// PublicKey returns the VAPID public key browsers subscribe with
// (base64url of the uncompressed point).
func (n *Notifier) PublicKey() string { return n.sender.vapid.key.PublicKey() }

// KeyID names the VAPID key, as stored with subscriptions made for it.
func (n *Notifier) KeyID() string { return n.sender.vapid.key.ID() }

// ParseSubscription checks a browser's subscription against the
// allow-list and the key formats (see the package-level function).
func (n *Notifier) ParseSubscription(j SubscriptionJSON) (*store.PushSubscription, error) {
	return ParseSubscription(n.sender.allow, j, n.KeyID(), n.cfg.Now())
}
