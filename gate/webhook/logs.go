package webhook

import (
	"context"
	"fmt"

	"go.uber.org/zap"
)

// note records c in the delivery log: at once in memory, through the
// writer (never waiting) for a shared log.
func (d *Dispatcher) note(c LogChange) {
	if d.logw != nil {
		d.logw.add(c)
		return
	}
	_ = d.logs.Apply(context.Background(), []LogChange{c})
}

// endpointIDs returns the ids of the configured endpoints.
func (d *Dispatcher) endpointIDs() []string {
	set := d.set.Load()
	ids := make([]string, 0, len(set.order))
	for _, st := range set.order {
		ids = append(ids, st.ep.ID)
	}
	return ids
}

// records reads the delivery log within logTimeout.
func (d *Dispatcher) records(ctx context.Context, q LogQuery) ([]EventRecord, error) {
	ctx, cancel := context.WithTimeout(ctx, logTimeout)
	defer cancel()
	recs, err := d.logs.Records(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("reading the webhook delivery log: %w", err)
	}
	return recs, nil
}

// DeliveriesContext returns the delivery log's records of endpointID
// (every configured endpoint if empty), newest first. With a shared log
// they are every instance's. An endpoint that is not configured is an
// error wrapping ErrUnknownEndpoint.
func (d *Dispatcher) DeliveriesContext(ctx context.Context, endpointID string) ([]EventRecord, error) {
	ids := []string{endpointID}
	if endpointID == "" {
		ids = d.endpointIDs()
	} else if d.endpoint(endpointID) == nil {
		return nil, fmt.Errorf("deliveries of %q: %w", endpointID, ErrUnknownEndpoint)
	}
	return d.records(ctx, LogQuery{EndpointIDs: ids})
}

// EventContext returns the delivery log's records of one event, one per
// configured endpoint it went to.
func (d *Dispatcher) EventContext(ctx context.Context, eventID string) ([]EventRecord, error) {
	return d.records(ctx, LogQuery{EndpointIDs: d.endpointIDs(), EventID: eventID})
}

// Deliveries is DeliveriesContext that logs an unreadable log and returns
// nothing.
func (d *Dispatcher) Deliveries(endpointID string) []EventRecord {
	recs, err := d.DeliveriesContext(context.Background(), endpointID)
	if err != nil {
		d.log.Warn("webhook deliveries not listed", zap.String("endpoint", endpointID), zap.Error(err))
	}
	return recs
}

// Event is EventContext that logs an unreadable log and returns nothing.
func (d *Dispatcher) Event(eventID string) []EventRecord {
	recs, err := d.EventContext(context.Background(), eventID)
	if err != nil {
		d.log.Warn("webhook event not read", zap.String("event_id", eventID), zap.Error(err))
	}
	return recs
}

// LogDropped returns how many changes a shared delivery log lost (queue
// full, or the log did not answer); 0 for the memory log.
func (d *Dispatcher) LogDropped() int64 {
	if d.logw == nil {
		return 0
	}
	return d.logw.dropped.Load()
}
