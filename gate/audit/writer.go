package audit

import (
	"context"
	"sync/atomic"
	"time"

	"go.uber.org/zap"

	"github.com/authgate/authgate/gate/event"
)

// DefaultBuffer is how many entries a Writer holds before it drops.
const DefaultBuffer = 4096

// writeTimeout bounds one batch written to the trail.
const writeTimeout = 5 * time.Second

// maxBatch is the most entries written in one Append.
const maxBatch = 256

// Writer puts entries on the trail off the request path: Emit and Record
// only queue (a bounded buffer) and never wait; Run writes in the
// background. When the buffer is full, entries are dropped, counted
// (Dropped) and logged. It is an event.Sink.
type Writer struct {
	trail   Trail
	log     *zap.Logger
	queue   chan Entry
	dropped atomic.Int64
	failed  atomic.Int64
}

// NewWriter returns a writer onto trail holding up to buffer entries
// (DefaultBuffer if 0). Nothing is written until Run.
func NewWriter(trail Trail, buffer int, log *zap.Logger) *Writer {
	if buffer <= 0 {
		buffer = DefaultBuffer
	}
	if log == nil {
		log = zap.NewNop()
	}
	return &Writer{trail: trail, log: log, queue: make(chan Entry, buffer)}
}

// List reads the trail the writer writes to. Entries still queued are
// not in it yet.
func (w *Writer) List(ctx context.Context, q Query) (Page, error) { return w.trail.List(ctx, q) }

// Emit queues the entry of a gateway event.
func (w *Writer) Emit(_ context.Context, e event.Event) { w.Record(FromEvent(e)) }

// Record queues e; it never blocks.
func (w *Writer) Record(e Entry) {
	select {
	case w.queue <- e:
	default:
		w.dropped.Add(1)
	}
}

// Dropped returns how many entries were dropped because the buffer was
// full.
func (w *Writer) Dropped() int64 { return w.dropped.Load() }

// Failed returns how many entries were lost because the trail refused
// them.
func (w *Writer) Failed() int64 { return w.failed.Load() }

// Run writes queued entries until ctx ends, then writes what is still
// queued (bounded by writeTimeout) and returns.
func (w *Writer) Run(ctx context.Context) {
	tick := time.NewTicker(10 * time.Second)
	defer tick.Stop()
	var reported int64
	report := func() {
		if d := w.dropped.Load(); d != reported {
			w.log.Warn("audit entries dropped: the audit buffer was full", zap.Int64("dropped", d-reported), zap.Int64("dropped_total", d))
			reported = d
		}
	}
	for {
		select {
		case <-ctx.Done():
			w.drain()
			report()
			return
		case <-tick.C:
			report()
		case e := <-w.queue:
			w.write(context.Background(), w.batch(e))
		}
	}
}

// batch collects e and whatever else is queued, up to maxBatch.
func (w *Writer) batch(e Entry) []Entry {
	b := []Entry{e}
	for len(b) < maxBatch {
		select {
		case e := <-w.queue:
			b = append(b, e)
		default:
			return b
		}
	}
	return b
}

func (w *Writer) write(ctx context.Context, b []Entry) {
	ctx, cancel := context.WithTimeout(ctx, writeTimeout)
	defer cancel()
	if err := w.trail.Append(ctx, b...); err != nil {
		w.failed.Add(int64(len(b)))
		w.log.Error("writing the audit trail failed; entries lost", zap.Int("entries", len(b)), zap.Error(err))
	}
}

// drain writes what is queued now, for a clean stop.
func (w *Writer) drain() {
	deadline := time.Now().Add(writeTimeout)
	for time.Now().Before(deadline) {
		select {
		case e := <-w.queue:
			w.write(context.Background(), w.batch(e))
		default:
			return
		}
	}
}
