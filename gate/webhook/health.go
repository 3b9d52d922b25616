package webhook

import (
	"context"
	"time"
)

// HealthUpdate is what one attempt (or one give-up) changes in an
// endpoint's shared health.
type HealthUpdate struct {
	// Fired is set when an attempt was made: LastFiredAt, LastStatus and
	// LastError take its values.
	Fired     bool
	At        time.Time
	Status    int
	Error     string
	Delivered int64 // added to the counters
	Failed    int64
	Dead      int64
	// Disable marks the endpoint disabled (a 410 Gone).
	Disable bool
}

// Health is the part of EndpointStatus that changes with deliveries.
type Health struct {
	Disabled    bool
	LastFiredAt time.Time
	LastStatus  int
	LastError   string
	Delivered   int64
	Failed      int64
	Dead        int64
}

// HealthStore shares endpoint health between the instances of one
// gateway (package redishealth). The instance that attempted writes;
// every instance reads.
type HealthStore interface {
	// Record applies u to the health of endpointID.
	Record(ctx context.Context, endpointID string, u HealthUpdate) error
	// SetDisabled sets or clears the disabled flag of endpointID.
	SetDisabled(ctx context.Context, endpointID string, disabled bool) error
	// Load returns the health of each of ids; one missing has none yet.
	Load(ctx context.Context, ids []string) (map[string]Health, error)
	// Forget drops the health of a removed endpoint.
	Forget(ctx context.Context, endpointID string) error
}
