package token

import (
	"sync"
	"sync/atomic"
	"time"

	"go.uber.org/zap"

	"github.com/authgate/authgate/gate/store"
)

// Verdict is what Revocations.Check says of a token. The zero Verdict is
// none of the named ones, so a forgotten assignment never reads as Allowed.
type Verdict uint8

// The verdicts of Check.
const (
	// Allowed: neither the session nor the token's generation is revoked,
	// and the revocation set is current.
	Allowed Verdict = iota + 1
	// Revoked: the session was revoked, the user logged out everywhere
	// after the token was minted, or the token was minted in another
	// epoch of the store (before it lost its data).
	Revoked
	// Stale: the revocation set has not been confirmed current for longer
	// than MaxStaleness (or never was); the caller fails closed (503).
	Stale
)

// String returns the verdict's name.
func (v Verdict) String() string {
	switch v {
	case Allowed:
		return "allowed"
	case Revoked:
		return "revoked"
	case Stale:
		return "stale"
	}
	return "invalid"
}

// Defaults for the zero values of RevocationOptions.
const (
	// DefaultResyncEvery is the snapshot reload period when
	// RevocationOptions.ResyncEvery is zero.
	DefaultResyncEvery = 5 * time.Second
	// DefaultMaxStaleness is how long the set may go unconfirmed when
	// RevocationOptions.MaxStaleness is zero.
	DefaultMaxStaleness = 30 * time.Second
)

// RevocationOptions tune a Revocations; every zero value has a default.
type RevocationOptions struct {
	// ResyncEvery is how often the full snapshot is reloaded, which heals
	// any event the subscription missed; default DefaultResyncEvery. It is
	// lowered to MaxStaleness/2 if larger, so a healthy store never lets
	// the set go stale.
	ResyncEvery time.Duration
	// MaxStaleness is how long the set may go unconfirmed before Check
	// answers Stale; default DefaultMaxStaleness.
	MaxStaleness time.Duration
	// Logger receives warnings about a broken subscription or failed
	// resync; default a no-op logger.
	Logger *zap.Logger
	// Now is the clock; default time.Now. Check uses the time it is given,
	// which should come from the same clock.
	Now func() time.Time
}

// Revocations is the in-memory set of revoked sessions and user
// generations, kept current from a store by Run. Check is safe for
// concurrent use, takes no lock and allocates nothing: the set is an
// immutable value behind an atomic pointer, replaced whole by writers.
type Revocations struct {
	src      store.Sessions
	every    time.Duration
	maxStale int64 // nanoseconds
	log      *zap.Logger
	now      func() time.Time

	state atomic.Pointer[revState]

	mu sync.Mutex // serializes writers of state
	// epoch is the ID of the store's epoch as last read (0 before the
	// first snapshot); tokens minted in another epoch are revoked.
	epoch atomic.Int64
	// lastKick is when Check last asked for a resync (unix nanoseconds).
	lastKick atomic.Int64

	lastSync atomic.Int64 // unix nanoseconds of the last confirmation; 0 = never
	// subEpoch changes whenever the subscription comes up or goes down;
	// coveredEpoch is the epoch the last snapshot was taken within, while
	// the subscription was up. While they are equal, every event since that
	// snapshot has been seen, so each event received confirms the set.
	subEpoch     atomic.Uint64
	subUp        atomic.Bool
	coveredEpoch atomic.Uint64

	synced     chan struct{}
	syncedOnce sync.Once
	kick       chan struct{}
	running    atomic.Bool
}

// NewRevocations returns an empty set that answers Stale until Run has
// loaded the first snapshot from src.
func NewRevocations(src store.Sessions, opts RevocationOptions) *Revocations {
	if opts.MaxStaleness <= 0 {
		opts.MaxStaleness = DefaultMaxStaleness
	}
	if opts.ResyncEvery <= 0 {
		opts.ResyncEvery = DefaultResyncEvery
	}
	if opts.ResyncEvery > opts.MaxStaleness/2 {
		opts.ResyncEvery = opts.MaxStaleness / 2
	}
	if opts.Logger == nil {
		opts.Logger = zap.NewNop()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	r := &Revocations{
		src:      src,
		every:    opts.ResyncEvery,
		maxStale: int64(opts.MaxStaleness),
		log:      opts.Logger,
		now:      opts.Now,
		synced:   make(chan struct{}),
		kick:     make(chan struct{}, 1),
	}
	r.state.Store(&revState{})
	return r
}

// Check says whether a token of session sid, user email, generation gen
// and store epoch epoch may be used at now. email must be in the
// canonical form the store keys generations by (as minted into the
// token). A token of another epoch than the store's is Revoked: the
// store lost its data since (or the token predates epochs), so a
// revocation of it may be lost too. A known revocation answers Revoked
// even when the set is stale.
func (r *Revocations) Check(sid, email string, gen, epoch int64, now time.Time) Verdict {
	t := now.UnixNano()
	if r.state.Load().revoked(sid, email, gen, t) {
		return Revoked
	}
	if cur := r.epoch.Load(); cur != 0 && epoch != cur {
		r.epochMissed(t)
		return Revoked
	}
	if !r.fresh(t) {
		return Stale
	}
	return Allowed
}

// epochMissed asks for a resync, at most once a second: a token of
// another epoch may come from an instance that has already seen the
// store's new epoch, and this one should see it too without waiting for
// its next period.
func (r *Revocations) epochMissed(t int64) {
	last := r.lastKick.Load()
	if t-last >= int64(time.Second) && r.lastKick.CompareAndSwap(last, t) {
		r.kickResync()
	}
}

// Fresh reports whether the set was confirmed current within MaxStaleness
// of now, that is whether Check can answer anything but Stale.
func (r *Revocations) Fresh(now time.Time) bool { return r.fresh(now.UnixNano()) }

// fresh is Fresh at t, unix nanoseconds.
func (r *Revocations) fresh(t int64) bool {
	last := r.lastSync.Load()
	return last != 0 && t-last <= r.maxStale
}

// Epoch returns the ID of the store's epoch as last read, to be minted
// into tokens; 0 before the first snapshot.
func (r *Revocations) Epoch() int64 { return r.epoch.Load() }

// Generation returns the highest generation of email this instance
// knows of; a token minted with less is revoked here.
func (r *Revocations) Generation(email string) int64 { return r.state.Load().generation(email) }

// Apply records one revocation at once, without waiting for the store to
// echo it: the instance that revoked calls it after the store accepted the
// revocation. Applying an event twice, or out of order, is harmless: a
// session stays revoked until the later of its times, and a generation
// only rises.
func (r *Revocations) Apply(ev store.RevocationEvent) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.state.Store(r.state.Load().with(ev))
}

// Synced is closed once the first snapshot has been loaded.
func (r *Revocations) Synced() <-chan struct{} { return r.synced }

// LastSync returns when the set was last confirmed current (a snapshot
// load, or an event received on a subscription that has been up since the
// last snapshot); zero if never.
func (r *Revocations) LastSync() time.Time {
	t := r.lastSync.Load()
	if t == 0 {
		return time.Time{}
	}
	return time.Unix(0, t)
}

// Len returns the number of revoked sessions and user generations held.
func (r *Revocations) Len() (sessions, generations int) {
	return r.state.Load().len()
}

// confirm records that the set was current at t (never moving backwards).
func (r *Revocations) confirm(t time.Time) {
	n := t.UnixNano()
	for {
		old := r.lastSync.Load()
		if n <= old || r.lastSync.CompareAndSwap(old, n) {
			return
		}
	}
}
