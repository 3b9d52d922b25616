package token

import (
	"math"
	"time"

	"github.com/authgate/authgate/gate/store"
)

// foldAt is the size the delta of a revState may reach before it is folded
// into a new base. Each write copies the delta, and a fold copies the base,
// so a burst of n events costs about n×foldAt + n/foldAt×base map writes
// rather than n×base.
const foldAt = 256

// revState is one immutable version of the revocation set: a base (the
// last snapshot, or the last fold) and a small delta of events applied
// since. Readers use it without locks; writers build a new one.
type revState struct {
	sessions  map[string]int64 // sid → unix nanoseconds the revocation lasts until
	gens      map[string]int64 // canonical email → current generation
	dSessions map[string]int64
	dGens     map[string]int64
}

// revoked reports whether a token of sid, email and gen is revoked at t
// (unix nanoseconds).
func (s *revState) revoked(sid, email string, gen int64, t int64) bool {
	if u, ok := s.sessions[sid]; ok && t < u {
		return true
	}
	if len(s.dSessions) > 0 {
		if u, ok := s.dSessions[sid]; ok && t < u {
			return true
		}
	}
	return gen < s.generation(email)
}

// generation returns the current generation of email.
func (s *revState) generation(email string) int64 {
	current := s.gens[email]
	if len(s.dGens) > 0 {
		current = max(current, s.dGens[email])
	}
	return current
}

// with returns a new state with ev applied. A session stays revoked until
// the later of its times; a generation only rises.
func (s *revState) with(ev store.RevocationEvent) *revState {
	n := &revState{sessions: s.sessions, gens: s.gens,
		dSessions: cloneMap(s.dSessions, 1), dGens: cloneMap(s.dGens, 1)}
	applyEvent(n.dSessions, n.dGens, ev)
	if len(n.dSessions)+len(n.dGens) > foldAt {
		return n.folded(math.MinInt64)
	}
	return n
}

// folded returns the state with its delta merged into a new base, keeping
// only session revocations that last beyond t (unix nanoseconds).
func (s *revState) folded(t int64) *revState {
	n := &revState{
		sessions: make(map[string]int64, len(s.sessions)+len(s.dSessions)),
		gens:     make(map[string]int64, len(s.gens)+len(s.dGens)),
	}
	for _, m := range []map[string]int64{s.sessions, s.dSessions} {
		for sid, until := range m {
			if until > t && until > n.sessions[sid] {
				n.sessions[sid] = until
			}
		}
	}
	for _, m := range []map[string]int64{s.gens, s.dGens} {
		for email, g := range m {
			if g > n.gens[email] {
				n.gens[email] = g
			}
		}
	}
	return n
}

// len returns the number of revoked sessions and user generations held.
func (s *revState) len() (sessions, generations int) {
	f := s
	if len(s.dSessions)+len(s.dGens) > 0 {
		f = s.folded(math.MinInt64)
	}
	return len(f.sessions), len(f.gens)
}

// merged returns the state with snap merged in, keeping only session
// revocations that last beyond t (unix nanoseconds): the later until of
// each session, the higher generation of each user. Nothing this state
// knows is dropped because the snapshot lacks it.
func (s *revState) merged(snap *store.RevocationSnapshot, t int64) *revState {
	n := s.folded(t)
	for sid, stored := range snap.Sessions {
		u := stored.UnixNano()
		if cur, ok := n.sessions[sid]; u > t && (!ok || cur == math.MaxInt64 || u > cur) {
			n.sessions[sid] = u
		}
	}
	for email, g := range snap.Generations {
		if g > n.gens[email] {
			n.gens[email] = g
		}
	}
	return n
}

// missingFrom returns what this state holds beyond t (unix nanoseconds)
// that snap lacks, compared at the store's millisecond precision: the
// revocations a store that lost data must be given back. Nil if none.
func (s *revState) missingFrom(snap *store.RevocationSnapshot, t int64) *store.RevocationSnapshot {
	f := s.folded(t)
	var lost *store.RevocationSnapshot
	lose := func() *store.RevocationSnapshot {
		if lost == nil {
			lost = &store.RevocationSnapshot{Sessions: map[string]time.Time{}, Generations: map[string]int64{}}
		}
		return lost
	}
	for sid, until := range f.sessions {
		if until == math.MaxInt64 {
			continue // an event without an end: nothing to give back
		}
		if stored, ok := snap.Sessions[sid]; !ok || stored.UnixMilli() < until/int64(time.Millisecond) {
			lose().Sessions[sid] = time.Unix(0, until)
		}
	}
	for email, g := range f.gens {
		if snap.Generations[email] < g {
			lose().Generations[email] = g
		}
	}
	return lost
}

// applyEvent folds one event into the maps.
func applyEvent(sessions, gens map[string]int64, ev store.RevocationEvent) {
	if ev.SessionID != "" {
		until := int64(math.MaxInt64) // no end given: keep until a snapshot says otherwise
		if !ev.Until.IsZero() {
			until = ev.Until.UnixNano()
		}
		if until > sessions[ev.SessionID] {
			sessions[ev.SessionID] = until
		}
	}
	if ev.Email != "" && ev.Generation > gens[ev.Email] {
		gens[ev.Email] = ev.Generation
	}
}

// cloneMap copies m with room for extra more entries.
func cloneMap(m map[string]int64, extra int) map[string]int64 {
	c := make(map[string]int64, len(m)+extra)
	for k, v := range m {
		c[k] = v
	}
	return c
}
