package webhook

import (
	"context"
	"time"

	"go.uber.org/zap"
)

// healthTimeout bounds one write or read of the shared health.
const healthTimeout = time.Second

// shareHealth writes u to the shared health store, if there is one. It
// runs on the delivery path: one bounded round trip. It reports whether
// the store took u (true without a store).
func (d *Dispatcher) shareHealth(endpointID string, u HealthUpdate) bool {
	if d.cfg.Health == nil {
		return true
	}
	ctx, cancel := context.WithTimeout(context.Background(), healthTimeout)
	defer cancel()
	if err := d.cfg.Health.Record(ctx, endpointID, u); err != nil {
		d.log.Warn("webhook health not shared", zap.String("endpoint", endpointID), zap.Error(err))
		return false
	}
	return true
}

// shareDisable writes again a 410 disable the store did not take; until
// it has, the endpoint stays disabled here whatever the store says.
func (d *Dispatcher) shareDisable(ctx context.Context, st *endpointState) {
	if err := d.cfg.Health.SetDisabled(ctx, st.ep.ID, true); err != nil {
		d.log.Warn("webhook disable not shared yet", zap.String("endpoint", st.ep.ID), zap.Error(err))
		return
	}
	st.unshared.Store(false)
}

// healthOf turns one logged attempt into a shared-health update.
func healthOf(a Attempt, state string) HealthUpdate {
	u := HealthUpdate{Fired: true, At: a.At, Status: a.Status, Error: a.Error}
	if state == StateDelivered {
		u.Delivered = 1
	} else {
		u.Failed = 1
	}
	if state == StateDead {
		u.Dead = 1
	}
	return u
}

// loadHealth reads the shared health of every endpoint and applies its
// disabled flags, so an endpoint another instance disabled is skipped
// here too. It returns what it read (nil without a store or on error).
func (d *Dispatcher) loadHealth(ctx context.Context) map[string]Health {
	if d.cfg.Health == nil {
		return nil
	}
	set := d.set.Load()
	ids := make([]string, 0, len(set.order))
	for _, st := range set.order {
		ids = append(ids, st.ep.ID)
	}
	ctx, cancel := context.WithTimeout(ctx, healthTimeout)
	defer cancel()
	hs, err := d.cfg.Health.Load(ctx, ids)
	if err != nil {
		d.log.Warn("webhook health not read from the shared store", zap.Error(err))
		return nil
	}
	if hs == nil {
		hs = make(map[string]Health, len(ids))
	}
	for _, st := range set.order {
		h := hs[st.ep.ID]
		if st.unshared.Load() {
			// This instance's 410 stands over the store's older flag.
			h.Disabled = true
			hs[st.ep.ID] = h
			d.shareDisable(ctx, st)
		}
		if st.disabled.Swap(h.Disabled) != h.Disabled {
			d.local.setDisabled(st.ep.ID, h.Disabled)
		}
	}
	return hs
}

// syncHealth applies the shared disabled flags every interval until ctx
// is done.
func (d *Dispatcher) syncHealth(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			d.loadHealth(ctx)
		}
	}
}

// EndpointsContext returns the delivery health of every endpoint, by id:
// with a shared health store, as all instances together saw it (this
// instance's own view if the store does not answer).
func (d *Dispatcher) EndpointsContext(ctx context.Context) []EndpointStatus {
	hs := d.loadHealth(ctx)
	out := d.local.statuses()
	if hs == nil {
		return out
	}
	for i := range out {
		h := hs[out[i].ID]
		s := &out[i]
		s.Disabled, s.LastFiredAt, s.LastStatus, s.LastError = h.Disabled, h.LastFiredAt, h.LastStatus, h.LastError
		s.Delivered, s.Failed, s.Dead = h.Delivered, h.Failed, h.Dead
	}
	return out
}
