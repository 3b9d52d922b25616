package webhook

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"go.uber.org/zap"
)

// Bounds of the writer of a shared delivery log.
const (
	// logTimeout bounds one write or read of a shared delivery log.
	logTimeout = time.Second
	// logQueueCap bounds the changes waiting to be written; more are
	// dropped (the log is best effort, deliveries do not wait for it).
	logQueueCap = 4096
	// logBatch is how many changes one write carries at most.
	logBatch = 64
	// logWarnEvery spaces the warnings of a failing log.
	logWarnEvery = 10 * time.Second
)

// logWriter writes delivery-log changes to a shared DeliveryLog off the
// delivery path: add never waits, run writes them in order, in batches.
type logWriter struct {
	log     DeliveryLog
	logger  *zap.Logger
	wake    chan struct{}
	dropped atomic.Int64

	mu     sync.Mutex
	queue  []LogChange
	warned time.Time
}

func newLogWriter(log DeliveryLog, logger *zap.Logger) *logWriter {
	return &logWriter{log: log, logger: logger, wake: make(chan struct{}, 1)}
}

// add queues c, or drops it if the queue is full.
func (w *logWriter) add(c LogChange) {
	w.mu.Lock()
	if len(w.queue) >= logQueueCap {
		w.mu.Unlock()
		w.dropped.Add(1)
		return
	}
	w.queue = append(w.queue, c)
	w.mu.Unlock()
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// take removes and returns up to logBatch queued changes.
func (w *logWriter) take() []LogChange {
	w.mu.Lock()
	defer w.mu.Unlock()
	n := min(len(w.queue), logBatch)
	if n == 0 {
		return nil
	}
	b := make([]LogChange, n)
	copy(b, w.queue)
	w.queue = w.queue[n:]
	if len(w.queue) == 0 {
		w.queue = nil
	}
	return b
}

// run writes queued changes until ctx is done, then writes what is left
// for at most logTimeout.
func (w *logWriter) run(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			end := time.Now().Add(logTimeout)
			for b := w.take(); len(b) > 0 && time.Now().Before(end); b = w.take() {
				w.write(context.WithoutCancel(ctx), b)
			}
			return
		case <-w.wake:
		}
		for b := w.take(); len(b) > 0; b = w.take() {
			w.write(ctx, b)
		}
	}
}

// write applies one batch within logTimeout; a batch that fails is
// dropped and counted.
func (w *logWriter) write(ctx context.Context, b []LogChange) {
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), logTimeout)
	defer cancel()
	err := w.log.Apply(wctx, b)
	if err == nil {
		return
	}
	w.dropped.Add(int64(len(b)))
	w.mu.Lock()
	warn := time.Since(w.warned) >= logWarnEvery
	if warn {
		w.warned = time.Now()
	}
	w.mu.Unlock()
	if warn {
		w.logger.Warn("webhook delivery log not written; deliveries go on, their log entries are lost",
			zap.Int("changes", len(b)), zap.Int64("dropped_total", w.dropped.Load()), zap.Error(err))
	}
}
