package token

import (
	"math"

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
	current := s.gens[email]
	if len(s.dGens) > 0 {
		current = max(current, s.dGens[email])
	}
	return gen < current
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

// stateFromSnapshot builds a base from a store snapshot, dropping
// revocations that ended before t (unix nanoseconds).
func stateFromSnapshot(snap *store.RevocationSnapshot, t int64) *revState {
	n := &revState{
		sessions: make(map[string]int64, len(snap.Sessions)),
		gens:     make(map[string]int64, len(snap.Generations)),
	}
	for sid, until := range snap.Sessions {
		if u := until.UnixNano(); u > t {
			n.sessions[sid] = u
		}
	}
	for email, g := range snap.Generations {
		if g > 0 {
			n.gens[email] = g
		}
	}
	return n
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
