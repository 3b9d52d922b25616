package webhook

import (
	"context"
	"fmt"

	"go.uber.org/zap"
)

// endpointSet is an immutable view of the configured endpoints; Emit and
// the workers read it without locking, AddEndpoint and RemoveEndpoint
// replace it.
type endpointSet struct {
	byID  map[string]*endpointState
	order []*endpointState
}

func (s *endpointSet) with(st *endpointState) *endpointSet {
	n := &endpointSet{byID: make(map[string]*endpointState, len(s.byID)+1), order: append(s.order[:len(s.order):len(s.order)], st)}
	for id, v := range s.byID {
		n.byID[id] = v
	}
	n.byID[st.ep.ID] = st
	return n
}

func (s *endpointSet) without(id string) *endpointSet {
	n := &endpointSet{byID: make(map[string]*endpointState, len(s.byID))}
	for _, st := range s.order {
		if st.ep.ID != id {
			n.order = append(n.order, st)
			n.byID[st.ep.ID] = st
		}
	}
	return n
}

// endpoint returns the state of an endpoint, or nil.
func (d *Dispatcher) endpoint(id string) *endpointState { return d.set.Load().byID[id] }

// newEndpointState validates ep and prepares its signer.
func newEndpointState(ep Endpoint) (*endpointState, error) {
	ep = ep.withDefaults()
	if err := ep.Validate(); err != nil {
		return nil, err
	}
	s, err := newSigner(ep)
	if err != nil {
		return nil, err
	}
	return &endpointState{ep: ep, signer: s}, nil
}

// AddEndpoint starts delivering to ep (validated as in New) and returns
// it with its id and defaults filled in. An endpoint with the same id is
// an error.
func (d *Dispatcher) AddEndpoint(ep Endpoint) (Endpoint, error) {
	st, err := newEndpointState(ep)
	if err != nil {
		return Endpoint{}, fmt.Errorf("adding webhook: %w", err)
	}
	d.setMu.Lock()
	defer d.setMu.Unlock()
	cur := d.set.Load()
	if cur.byID[st.ep.ID] != nil {
		return Endpoint{}, fmt.Errorf("adding webhook %s: an endpoint with id %q exists", ShownURL(st.ep.URL), st.ep.ID)
	}
	d.set.Store(cur.with(st))
	d.local.addEndpoint(st.ep)
	return st.ep, nil
}

// RemoveEndpoint stops delivering to an endpoint and drops its delivery
// log (waiting at most logTimeout for a shared one). Deliveries already
// in the outbox for it are retried on the normal schedule (another
// instance may still know the endpoint) and then dead-lettered.
func (d *Dispatcher) RemoveEndpoint(id string) error {
	d.setMu.Lock()
	cur := d.set.Load()
	if cur.byID[id] == nil {
		d.setMu.Unlock()
		return fmt.Errorf("removing %q: %w", id, ErrUnknownEndpoint)
	}
	d.set.Store(cur.without(id))
	d.local.removeEndpoint(id)
	d.setMu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), logTimeout)
	defer cancel()
	if err := d.logs.Forget(ctx, id); err != nil { // its records expire with the log's TTL
		d.log.Warn("webhook delivery log of a removed endpoint not dropped", zap.String("endpoint", id), zap.Error(err))
	}
	return nil
}
