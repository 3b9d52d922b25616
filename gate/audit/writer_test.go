package audit_test

import (
	"context"
	"testing"
	"time"

	"github.com/authgate/authgate/gate/audit"
	"github.com/authgate/authgate/gate/event"
)

// blockingTrail holds every Append until release is closed.
type blockingTrail struct {
	*audit.Ring
	release chan struct{}
}

func (b blockingTrail) Append(ctx context.Context, e ...audit.Entry) error {
	<-b.release
	return b.Ring.Append(ctx, e...)
}

func TestWriterNeverBlocksAndCountsDrops(t *testing.T) {
	tr := blockingTrail{Ring: audit.NewRing(audit.Limits{}), release: make(chan struct{})}
	w := audit.NewWriter(tr, 8, nil)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); w.Run(ctx) }()
	start := time.Now()
	for i := 0; i < 100; i++ {
		w.Emit(context.Background(), event.New(event.Login, map[string]any{"email": "a@example.com"}))
	}
	if d := time.Since(start); d > 100*time.Millisecond {
		t.Fatalf("100 emits onto a stuck trail took %v", d)
	}
	if w.Dropped() < 100-8-maxBatchInFlight {
		t.Fatalf("dropped %d of 100 with a buffer of 8", w.Dropped())
	}
	close(tr.release)
	cancel()
	<-done
	p, _ := tr.List(context.Background(), audit.Query{Limit: audit.MaxLimit})
	if int64(len(p.Entries))+w.Dropped() != 100 {
		t.Fatalf("kept %d + dropped %d != 100", len(p.Entries), w.Dropped())
	}
	if e := p.Entries[0]; e.Type != event.Login || e.Actor != "a@example.com" || e.EventID == "" {
		t.Fatalf("entry %+v", e)
	}
}

// maxBatchInFlight is how many entries the writer may have taken off the
// buffer into a batch that is stuck in Append.
const maxBatchInFlight = 9

func TestFromEventNamesTheActor(t *testing.T) {
	e := audit.FromEvent(event.New(event.SessionRevoked, map[string]any{"email": "u@example.com", "by": "boss@example.com"}))
	if e.Actor != "boss@example.com" || e.Email != "u@example.com" {
		t.Fatalf("%+v", e)
	}
	e = audit.FromEvent(event.New(event.Login, map[string]any{"email": "u@example.com"}))
	if e.Actor != "u@example.com" {
		t.Fatalf("%+v", e)
	}
}
