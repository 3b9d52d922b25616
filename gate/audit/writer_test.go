package audit_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/authgate/authgate/gate/audit"
	"github.com/authgate/authgate/gate/event"
)

// blockingTrail holds every Append until release is closed, and says on
// entered when the first one began.
type blockingTrail struct {
	*audit.Ring
	release chan struct{}
	entered chan struct{}
	once    *sync.Once
}

func (b blockingTrail) Append(ctx context.Context, e ...audit.Entry) error {
	b.once.Do(func() { close(b.entered) })
	<-b.release
	return b.Ring.Append(ctx, e...)
}

func TestWriterNeverBlocksAndCountsDrops(t *testing.T) {
	tr := blockingTrail{Ring: audit.NewRing(audit.Limits{}), release: make(chan struct{}), entered: make(chan struct{}), once: new(sync.Once)}
	w := audit.NewWriter(tr, 8, nil)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); w.Run(ctx) }()
	emit := func() { w.Emit(context.Background(), event.New(event.Login, map[string]any{"email": "a@example.com"})) }
	// The first entry takes the writer into an Append that hangs.
	emit()
	<-tr.entered
	start := time.Now()
	for i := 0; i < 99; i++ {
		emit()
	}
	if d := time.Since(start); d > 100*time.Millisecond {
		t.Fatalf("99 emits onto a stuck trail took %v", d)
	}
	// The buffer holds 8; the other 91 are dropped and counted.
	if w.Dropped() != 99-8 {
		t.Fatalf("dropped %d of 99 with a buffer of 8 and the writer stuck", w.Dropped())
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
