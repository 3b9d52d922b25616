package apikey

import (
	"context"
	"errors"
	"time"

	"go.uber.org/zap"

	"github.com/authgate/authgate/gate/event"
	"github.com/authgate/authgate/gate/store"
)

// usageTimeout bounds the store calls for one use report.
const usageTimeout = 5 * time.Second

// usage is one report from the hot path to the use recorder.
type usage struct {
	e       *entry
	ip      string
	at      time.Time
	newAddr bool
	touch   bool
}

// report hands a use to the recorder without waiting; if its queue is
// full the entry forgets the use, so a later request reports it.
func (s *Service) report(e *entry, ip string, at time.Time, newAddr, touch bool) {
	select {
	case s.usage <- usage{e: e, ip: ip, at: at, newAddr: newAddr, touch: touch}:
	default:
		e.forget(ip, touch)
	}
}

// Run records key use until ctx is done: the last-used time, and
// api_key_used for an address the key had not been used from (once
// across instances, through a marker in the store). The caller owns Run:
// call it once, in its own goroutine.
func (s *Service) Run(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case u := <-s.usage:
			s.record(ctx, u)
		}
	}
}

// record writes one use report to the store.
func (s *Service) record(ctx context.Context, u usage) {
	ctx, cancel := context.WithTimeout(ctx, usageTimeout)
	defer cancel()
	v := u.e.v
	if u.newAddr {
		ttl := addrMemory
		if !v.ExpiresAt.IsZero() {
			ttl = max(time.Minute, min(ttl, time.Until(v.ExpiresAt)))
		}
		err := s.store.Mark(ctx, "apikey-addr|"+v.ID+"|"+u.ip, ttl)
		switch {
		case err == nil:
			s.events.Emit(ctx, event.New(event.APIKeyUsed, map[string]any{
				"key_id": v.ID, "key_name": v.Name, "email": v.Email, "ip": u.ip,
			}))
		case errors.Is(err, store.ErrConflict):
		default:
			u.e.forget(u.ip, false)
			s.log.Warn("recording an API key's new address failed", zap.String("key_id", v.ID), zap.Error(err))
		}
	}
	if u.touch {
		err := s.store.TouchAPIKey(ctx, v.ID, u.at)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			u.e.forget("", true)
			s.log.Warn("recording an API key's use failed", zap.String("key_id", v.ID), zap.Error(err))
		}
	}
}
