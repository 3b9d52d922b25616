// Package webhook delivers authgate's events to HTTP receivers: it encodes
// each event once into a body that every receiver's JSON round trip keeps
// byte for byte, signs every attempt for the hex scheme of the published
// samples and for Standard Webhooks, and delivers through an outbox with
// retries, a dead-letter queue and a delivery log.
package webhook

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"go.uber.org/zap"

	"github.com/authgate/authgate/gate/event"
	"github.com/authgate/authgate/gate/webhook/outbox"
)

// Errors of the Dispatcher's admin operations.
var (
	ErrUnknownEndpoint = errors.New("webhook: unknown endpoint")
	ErrUnknownEvent    = errors.New("webhook: event not in the delivery log")
	ErrRunning         = errors.New("webhook: dispatcher already running")
)

// Config configures a Dispatcher. Zero values mean the documented defaults.
type Config struct {
	// Endpoints receive the events they subscribe to.
	Endpoints []Endpoint
	// Outbox holds deliveries; nil means an outbox.Memory of
	// QueueCapacity. Several instances share work through a shared one
	// (package redisoutbox).
	Outbox outbox.Outbox
	// QueueCapacity bounds the default memory outbox; 0 means
	// outbox.DefaultCapacity.
	QueueCapacity int
	// Workers is how many deliveries run at once; 0 means 8.
	Workers int
	// PerEndpoint is how many of them may go to one endpoint at once
	// (fair.go); 0 means half of Workers. A receiver that hangs holds no
	// more, so the others keep their share.
	PerEndpoint int
	// Schedule is when attempts are made (see DefaultSchedule, the
	// default); its length is the number of attempts.
	Schedule []time.Duration
	// MaxRetryAfter caps a receiver's Retry-After; 0 means
	// DefaultMaxRetryAfter.
	MaxRetryAfter time.Duration
	// Consumer names this instance to a shared outbox; empty means a
	// random name.
	Consumer string
	// EnqueueTimeout bounds Emit's hand-over to an outbox behind a
	// network; 0 means 500ms. A delivery the outbox does not take in time
	// is held in memory and handed over when it answers again.
	EnqueueTimeout time.Duration
	// SpillCapacity bounds the deliveries held in memory while a shared
	// outbox is unreachable; 0 means DefaultSpillCapacity.
	SpillCapacity int
	// LogEvents is how many recent events the delivery log keeps per
	// endpoint; 0 means DefaultLogEvents (100).
	LogEvents int
	// LogTTL is how long the delivery log keeps an event; 0 means
	// DefaultLogTTL (24h).
	LogTTL time.Duration
	// DeliveryLog shares the delivery log between instances (package
	// redisdeliverylog, bounded by its own options); nil keeps a
	// MemoryLog of LogEvents and LogTTL in this instance. A shared log is
	// written off the delivery path, best effort; a *MemoryLog given here
	// (one that outlives this Dispatcher, as across a configuration
	// reload) is written as the default one is, on the delivery path.
	DeliveryLog DeliveryLog
	// Logger receives delivery logs (never secrets or signatures); nil
	// means none.
	Logger *zap.Logger
	// Health shares endpoint health and the disabled-after-410 flag
	// between instances (package redishealth), or between the
	// Dispatchers one instance runs one after another (MemoryHealth); nil
	// keeps them in this Dispatcher's memory.
	Health HealthStore
	// HealthSync is how often Run reads the shared disabled flags; 0
	// means 1s.
	HealthSync time.Duration
}

// endpointState is one configured endpoint with its keys.
type endpointState struct {
	ep       Endpoint
	signer   *signer
	disabled atomic.Bool
	// unshared is set while a 410 disable this instance saw has not
	// reached the shared health store; the next re-read writes it
	// again instead of taking the store's "enabled".
	unshared atomic.Bool
}

// Dispatcher delivers events to endpoints. It is an event.Sink: Emit only
// encodes and enqueues; Run's workers deliver.
type Dispatcher struct {
	cfg    Config
	set    atomic.Pointer[endpointSet]
	setMu  sync.Mutex // serialises changes to set
	ob     outbox.Outbox
	client *http.Client
	// publicClient delivers to PublicOnly endpoints.
	publicClient *http.Client
	log          *zap.Logger
	local        *localHealth
	logs         DeliveryLog
	logw         *logWriter // nil for the memory log
	running      atomic.Bool
	spill        spill
	rejected     atomic.Int64
	slots        *endpointSlots
	deferred     atomic.Int64
	// claimLogged is when a failed claim was last logged (Unix ns), and
	// claimFailed how many failed since: while the outbox does not answer
	// every worker retries every second, and one line a minute says so.
	claimLogged atomic.Int64
	claimFailed atomic.Int64
	// unknownLogged limits the line logged for deliveries left for the
	// instances that know their endpoint.
	unknownLogged logLimit
}

// claimLogEvery is how often an outbox that keeps failing is logged.
const claimLogEvery = time.Minute

// New validates cfg and returns a Dispatcher; it delivers nothing until
// Run.
func New(cfg Config) (*Dispatcher, error) {
	if cfg.Workers <= 0 {
		cfg.Workers = 8
	}
	if cfg.PerEndpoint <= 0 {
		cfg.PerEndpoint = max(1, cfg.Workers/2)
	}
	cfg.PerEndpoint = min(cfg.PerEndpoint, cfg.Workers)
	if len(cfg.Schedule) == 0 {
		cfg.Schedule = DefaultSchedule()
	}
	if cfg.MaxRetryAfter <= 0 {
		cfg.MaxRetryAfter = DefaultMaxRetryAfter
	}
	if cfg.EnqueueTimeout <= 0 {
		cfg.EnqueueTimeout = 500 * time.Millisecond
	}
	if cfg.SpillCapacity <= 0 {
		cfg.SpillCapacity = DefaultSpillCapacity
	}
	if cfg.LogEvents <= 0 {
		cfg.LogEvents = DefaultLogEvents
	}
	if cfg.LogTTL <= 0 {
		cfg.LogTTL = DefaultLogTTL
	}
	if cfg.Logger == nil {
		cfg.Logger = zap.NewNop()
	}
	if cfg.HealthSync <= 0 {
		cfg.HealthSync = time.Second
	}
	if cfg.Consumer == "" {
		var b [6]byte
		_, _ = rand.Read(b[:])
		cfg.Consumer = "authgate-" + hex.EncodeToString(b[:])
	}
	if cfg.Outbox == nil {
		cfg.Outbox = outbox.NewMemory(cfg.QueueCapacity, cfg.Logger)
	}
	d := &Dispatcher{
		cfg:          cfg,
		ob:           cfg.Outbox,
		client:       newClient(cfg.Workers),
		publicClient: newPublicClient(cfg.Workers),
		log:          cfg.Logger,
		local:        newLocalHealth(),
		logs:         cfg.DeliveryLog,
		spill:        spill{cap: cfg.SpillCapacity},
		slots:        newEndpointSlots(cfg.PerEndpoint),
	}
	if d.logs == nil {
		d.logs = NewMemoryLog(cfg.LogEvents, cfg.LogTTL)
	} else if _, inMemory := d.logs.(*MemoryLog); !inMemory {
		d.logw = newLogWriter(d.logs, cfg.Logger)
	}
	set := &endpointSet{byID: make(map[string]*endpointState)}
	var errs []error
	for _, ep := range cfg.Endpoints {
		st, err := newEndpointState(ep)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if set.byID[st.ep.ID] != nil {
			errs = append(errs, fmt.Errorf("webhook %s: duplicate id %q", ShownURL(st.ep.URL), st.ep.ID))
			continue
		}
		set = set.with(st)
		d.local.addEndpoint(st.ep)
	}
	d.set.Store(set)
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("configuring webhooks: %w", err)
	}
	return d, nil
}

// Emit encodes e once and enqueues one delivery per enabled endpoint that
// wants it. It does not wait for delivery; it waits for the outbox at
// most EnqueueTimeout, whatever ctx says (a finished request must not
// cancel its event). An event the outbox refuses is logged and counted in
// Rejected; one it accepts is delivered or dead-lettered.
func (d *Dispatcher) Emit(ctx context.Context, e event.Event) {
	var targets []*endpointState
	for _, st := range d.set.Load().order {
		if !st.disabled.Load() && st.ep.Receives(e) {
			targets = append(targets, st)
		}
	}
	if len(targets) > 0 {
		d.enqueue(ctx, e, targets)
	}
}

// enqueue encodes e once per format its targets use and hands one
// delivery per target to the outbox; it returns how many were accepted.
func (d *Dispatcher) enqueue(ctx context.Context, e event.Event, targets []*endpointState) int {
	bodies := make(map[string][]byte, 1)
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), d.cfg.EnqueueTimeout)
	defer cancel()
	n := 0
	now := time.Now().UTC()
	for _, st := range targets {
		body, ok := bodies[st.ep.Format]
		if !ok {
			var err error
			if body, err = encodeAs(st.ep.Format, e); err != nil {
				d.rejected.Add(1)
				d.log.Error("webhook event not encodable; not delivered",
					zap.String("event_id", e.ID), zap.String("event", e.Type), zap.String("endpoint", st.ep.ID), zap.Error(err))
				continue
			}
			bodies[st.ep.Format] = body
		}
		del := outbox.Delivery{EventID: e.ID, EventType: e.Type, EndpointID: st.ep.ID, Body: body, EnqueuedAt: now}
		since := time.Now()
		if !d.hand(ctx, del) {
			continue
		}
		d.note(LogChange{Kind: ChangeEnqueued, Delivery: del, At: since})
		n++
	}
	return n
}

// hand gives del to the outbox, or, while a shared outbox is unreachable
// (or deliveries already wait for it, to keep their order), holds it in
// memory for the drainer. It reports whether del was accepted.
func (d *Dispatcher) hand(ctx context.Context, del outbox.Delivery) bool {
	if d.spill.len() == 0 {
		err := d.ob.Enqueue(ctx, del)
		if err == nil {
			return true
		}
		if errors.Is(err, outbox.ErrFull) { // a full memory outbox logs for itself
			d.rejected.Add(1)
			return false
		}
		d.log.Warn("webhook outbox unreachable; holding deliveries in memory until it answers",
			zap.String("event_id", del.EventID), zap.Error(err))
	}
	if d.spill.add(del) {
		return true
	}
	d.rejected.Add(1)
	d.log.Error("webhook delivery refused: the outbox is unreachable and the in-memory hold is full",
		zap.String("event_id", del.EventID), zap.String("endpoint", del.EndpointID))
	return false
}

// Rejected returns how many deliveries Emit, Ping or Replay could not
// enqueue (outbox full or unreachable, event not encodable).
func (d *Dispatcher) Rejected() int64 { return d.rejected.Load() }

// Outbox returns the outbox deliveries go through (for depth and dead
// letters).
func (d *Dispatcher) Outbox() outbox.Outbox { return d.ob }

// Run delivers with Config.Workers workers until ctx is done, then
// returns once every worker has stopped: a delivery cut short goes back
// to the outbox, not counted as an attempt. It returns ErrRunning if Run
// is already running, else nil.
func (d *Dispatcher) Run(ctx context.Context) error {
	if !d.running.CompareAndSwap(false, true) {
		return ErrRunning
	}
	defer d.running.Store(false)
	var wg sync.WaitGroup
	for range d.cfg.Workers {
		wg.Go(func() { d.work(ctx) })
	}
	wg.Go(func() { d.drainSpill(ctx, 250*time.Millisecond) })
	if d.cfg.Health != nil {
		wg.Go(func() { d.syncHealth(ctx, d.cfg.HealthSync) })
	}
	if d.logw != nil {
		wg.Go(func() { d.logw.run(ctx) })
	}
	wg.Wait()
	return nil
}

func (d *Dispatcher) work(ctx context.Context) {
	for {
		c, err := d.ob.Claim(ctx, d.cfg.Consumer)
		if ctx.Err() != nil {
			if err == nil { // claimed just as we stopped: hand it back
				d.putBack(ctx, c)
			}
			return
		}
		if err != nil {
			d.logClaimFailure(err)
			select {
			case <-ctx.Done():
				return
			case <-time.After(time.Second):
			}
			continue
		}
		d.deliverFair(ctx, c)
	}
}

// putBack returns an unattempted claim to the outbox.
func (d *Dispatcher) putBack(ctx context.Context, c outbox.Claim) {
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := d.ob.Retry(sctx, c, time.Now()); err != nil {
		d.log.Warn("webhook delivery not handed back; the outbox will reclaim it",
			zap.String("event_id", c.EventID), zap.String("endpoint", c.EndpointID), zap.Error(err))
	}
}

// Ping enqueues a ping event for the one endpoint endpointID (even if it
// does not list ping) and returns its event id.
func (d *Dispatcher) Ping(ctx context.Context, endpointID string) (string, error) {
	st := d.endpoint(endpointID)
	if st == nil {
		return "", fmt.Errorf("pinging %q: %w", endpointID, ErrUnknownEndpoint)
	}
	e := event.New(event.Ping, map[string]any{"endpoint_id": Sanitize(endpointID, MaxIdentifier)})
	if d.enqueue(ctx, e, []*endpointState{st}) == 0 {
		return "", fmt.Errorf("pinging %q: the outbox refused the delivery", endpointID)
	}
	return e.ID, nil
}

// Replay enqueues again, as a fresh delivery with its attempts reset,
// every delivery of eventID to a configured endpoint that the delivery
// log still holds (with a shared log, whichever instance made it), and
// returns how many it enqueued. The event keeps its id, so receivers see
// the same webhook-id.
func (d *Dispatcher) Replay(ctx context.Context, eventID string) (int, error) {
	recs, err := d.records(ctx, LogQuery{EndpointIDs: d.endpointIDs(), EventID: eventID, Body: true})
	if err != nil {
		return 0, fmt.Errorf("replaying %q: %w", eventID, err)
	}
	if len(recs) == 0 {
		return 0, fmt.Errorf("replaying %q: %w", eventID, ErrUnknownEvent)
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), d.cfg.EnqueueTimeout)
	defer cancel()
	n := 0
	var errs []error
	for _, r := range recs {
		if d.endpoint(r.EndpointID) == nil {
			continue
		}
		since := time.Now()
		del := outbox.Delivery{EventID: r.EventID, EventType: r.EventType, EndpointID: r.EndpointID,
			Body: r.Body, EnqueuedAt: since.UTC()}
		if err := d.ob.Enqueue(ctx, del); err != nil {
			d.rejected.Add(1)
			errs = append(errs, err)
			continue
		}
		d.note(LogChange{Kind: ChangeEnqueued, Delivery: del, At: since})
		n++
	}
	if err := errors.Join(errs...); err != nil {
		return n, fmt.Errorf("replaying %q: %w", eventID, err)
	}
	return n, nil
}

// Enable lets a disabled endpoint (one that answered 410 Gone) receive
// deliveries again.
func (d *Dispatcher) Enable(endpointID string) error {
	st := d.endpoint(endpointID)
	if st == nil {
		return fmt.Errorf("enabling %q: %w", endpointID, ErrUnknownEndpoint)
	}
	if h := d.cfg.Health; h != nil {
		ctx, cancel := context.WithTimeout(context.Background(), healthTimeout)
		defer cancel()
		if err := h.SetDisabled(ctx, endpointID, false); err != nil {
			return fmt.Errorf("enabling %q: %w", endpointID, err)
		}
	}
	st.unshared.Store(false)
	st.disabled.Store(false)
	d.local.setDisabled(endpointID, false)
	return nil
}

// Endpoints returns the delivery health of every endpoint, by id (see
// EndpointsContext).
func (d *Dispatcher) Endpoints() []EndpointStatus { return d.EndpointsContext(context.Background()) }

var _ event.Sink = (*Dispatcher)(nil)

// logClaimFailure logs a failed claim, at most once per claimLogEvery
// for all workers together, with the number of failures it stands for.
func (d *Dispatcher) logClaimFailure(err error) {
	d.claimFailed.Add(1)
	now, last := time.Now().UnixNano(), d.claimLogged.Load()
	if (last != 0 && now-last < int64(claimLogEvery)) || !d.claimLogged.CompareAndSwap(last, now) {
		return
	}
	d.log.Warn("webhook outbox claim failed; deliveries wait until it answers (logged once a minute while it fails)",
		zap.Error(err), zap.Int64("failed_claims", d.claimFailed.Swap(0)))
}
