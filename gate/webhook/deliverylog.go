package webhook

import (
	"context"
	"time"

	"github.com/authgate/authgate/gate/webhook/outbox"
)

// Delivery states in the delivery log.
const (
	StatePending   = "pending"   // enqueued, not yet attempted
	StateRetrying  = "retrying"  // failed at least once, another attempt scheduled
	StateDelivered = "delivered" // a 2xx answer
	StateDead      = "dead"      // given up on
)

// Defaults of the delivery log's bounds (Config.LogEvents and LogTTL).
const (
	DefaultLogEvents = 100
	DefaultLogTTL    = 24 * time.Hour
)

// MaxAttemptsKept bounds the attempts a delivery log keeps per record
// (replays add more); the oldest go first.
const MaxAttemptsKept = 32

// Attempt is one try at delivering an event to an endpoint.
type Attempt struct {
	Number   int           `json:"number"` // 1 for the first attempt
	At       time.Time     `json:"at"`
	Status   int           `json:"status,omitempty"` // HTTP status; 0 if none came
	Error    string        `json:"error,omitempty"`
	Duration time.Duration `json:"duration"`
	Response string        `json:"response,omitempty"` // start of the answer, cleaned
}

// EventRecord is what the delivery log keeps of one event for one
// endpoint.
type EventRecord struct {
	EventID    string    `json:"event_id"`
	EventType  string    `json:"event_type"`
	EndpointID string    `json:"endpoint_id"`
	State      string    `json:"state"`
	Attempts   []Attempt `json:"attempts"`
	UpdatedAt  time.Time `json:"updated_at"`
	// Body is the delivered body, kept for Replay; filled only when a
	// LogQuery asks for it, and never shown.
	Body []byte `json:"-"`
}

// ChangeKind says what a LogChange records.
type ChangeKind int

// The changes a delivery log records.
const (
	// ChangeEnqueued: the delivery was handed to the outbox at At (a
	// replay makes an ended record pending again). A worker may claim and
	// attempt it before this is recorded: a record updated, or attempted,
	// at or after At keeps its state.
	ChangeEnqueued ChangeKind = iota + 1
	// ChangeAttempted: Attempt was made and left the record in State.
	ChangeAttempted
	// ChangeGaveUp: the delivery was given up on without an attempt.
	ChangeGaveUp
)

// LogChange is one thing that happened to one delivery. A record is made
// by the first change of its event and endpoint, keeping
// Delivery.Body for Replay.
type LogChange struct {
	Kind     ChangeKind
	Delivery outbox.Delivery
	// At is when it happened: for ChangeEnqueued, when the hand-over
	// began; for ChangeAttempted, Attempt.At.
	At      time.Time
	Attempt Attempt // ChangeAttempted
	State   string  // ChangeAttempted: the state the attempt left
}

// LogQuery selects delivery log records.
type LogQuery struct {
	// EndpointIDs are the endpoints whose records are read.
	EndpointIDs []string
	// EventID, if set, selects that event's records only.
	EventID string
	// Body fills each record's Body (for Replay).
	Body bool
}

// DeliveryLog keeps the recent events of each endpoint with their state,
// attempts and body: per endpoint at most a number of events, each for a
// limited time, and at most MaxAttemptsKept attempts per event. The
// default is a MemoryLog per instance; package redisdeliverylog shares
// one between the instances of a gateway. It is best effort: deliveries
// do not depend on it.
type DeliveryLog interface {
	// Apply records changes, in order.
	Apply(ctx context.Context, changes []LogChange) error
	// Records returns the records q selects, newest update first.
	Records(ctx context.Context, q LogQuery) ([]EventRecord, error)
	// Forget drops every record of an endpoint.
	Forget(ctx context.Context, endpointID string) error
}
