package caddymodule

import (
	"context"
	"sync/atomic"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/modules/caddyevents"
	"go.uber.org/zap"

	"github.com/authgate/authgate/gate/event"
)

// caddyEventPrefix begins the names of authgate's events on Caddy's
// events app: authgate_login, authgate_logout, ….
const caddyEventPrefix = "authgate_"

// caddyEventSink re-emits gate events on Caddy's events app so other
// Caddy modules can subscribe to them. Caddy runs subscribers
// synchronously, so events go through a bounded queue and one goroutine
// owned by the app; when the queue is full the event is dropped for this
// sink only (webhooks keep it), logged and counted.
type caddyEventSink struct {
	app     *caddyevents.App
	ctx     caddy.Context
	queue   chan event.Event
	dropped atomic.Int64
	log     *zap.Logger
}

func newCaddyEventSink(ctx caddy.Context, log *zap.Logger) (*caddyEventSink, error) {
	v, err := ctx.App("events")
	if err != nil {
		return nil, err
	}
	return &caddyEventSink{app: v.(*caddyevents.App), ctx: ctx, queue: make(chan event.Event, 1024), log: log}, nil
}

// Emit queues e without waiting.
func (s *caddyEventSink) Emit(_ context.Context, e event.Event) {
	select {
	case s.queue <- e:
	default:
		if n := s.dropped.Add(1); n == 1 || n%1000 == 0 {
			s.log.Warn("Caddy events queue full; event not re-emitted on the events app",
				zap.String("event", e.Type), zap.Int64("dropped", n))
		}
	}
}

// run emits queued events until ctx ends.
func (s *caddyEventSink) run(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case e := <-s.queue:
			data := make(map[string]any, len(e.Data)+1)
			for k, v := range e.Data {
				data[k] = v
			}
			data["id"] = e.ID
			s.app.Emit(s.ctx, caddyEventPrefix+e.Type, data)
		}
	}
}
