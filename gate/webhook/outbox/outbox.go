// Package outbox holds webhook deliveries between the moment an event is
// emitted and the moment a worker has delivered it or given up on it.
//
// An Outbox is at-least-once: a delivery that Enqueue accepted is handed to
// a worker by Claim until that worker (or another, after a crash) settles
// it with Ack, Retry or DeadLetter. Memory is the single-instance outbox;
// package redisoutbox holds one that several instances share.
package outbox

import (
	"context"
	"errors"
	"time"
)

// ErrFull is returned by Enqueue when a bounded outbox refuses a delivery.
var ErrFull = errors.New("outbox: full")

// Delivery is one event on its way to one endpoint. It holds no secret:
// signing happens at each attempt, with the endpoint's current keys.
type Delivery struct {
	EventID    string    `json:"event_id"`
	EventType  string    `json:"event_type"`
	EndpointID string    `json:"endpoint_id"`
	Body       []byte    `json:"body"`    // the encoded envelope, signed as is
	Attempt    int       `json:"attempt"` // attempts already made
	EnqueuedAt time.Time `json:"enqueued_at"`
	LastError  string    `json:"last_error,omitempty"` // why the last attempt failed
}

// Claim is a delivery handed to one worker. Receipt identifies the claim to
// Ack, Retry and DeadLetter; its form belongs to the outbox.
type Claim struct {
	Delivery
	Receipt string
}

// Outbox is a durable (for its backing store) queue of deliveries with
// scheduled retries. Implementations are safe for concurrent use.
type Outbox interface {
	// Enqueue accepts d for delivery as soon as a worker is free. Once it
	// returns nil, d is settled only by Ack, Retry or DeadLetter. A
	// bounded outbox returns ErrFull (wrapped) instead of waiting.
	Enqueue(ctx context.Context, d Delivery) error
	// Claim returns the next delivery that is due, waiting until one is or
	// ctx is done (then it returns ctx.Err()). consumer names the caller
	// (one name per process); a claim that is not settled is handed out
	// again: at once in memory when released, after a visibility timeout
	// where workers of other processes may reclaim it.
	Claim(ctx context.Context, consumer string) (Claim, error)
	// Ack removes a delivered claim.
	Ack(ctx context.Context, c Claim) error
	// Retry settles c and schedules c.Delivery (as the caller updated it,
	// Attempt and LastError included) to be claimable again at at.
	Retry(ctx context.Context, c Claim, at time.Time) error
	// DeadLetter settles c for good and keeps it, with reason, among the
	// most recent dead letters.
	DeadLetter(ctx context.Context, c Claim, reason string) error
	// DeadLetters returns up to max of the most recent dead letters,
	// newest first.
	DeadLetters(ctx context.Context, max int) ([]Dead, error)
	// Depth returns how many deliveries wait: due, scheduled or claimed.
	Depth(ctx context.Context) (int64, error)
}

// Dead is a delivery that was given up on.
type Dead struct {
	Delivery
	Reason string    `json:"reason"`
	At     time.Time `json:"at"`
}

// MaxDeadLetters is how many dead letters an outbox keeps.
const MaxDeadLetters = 1000
