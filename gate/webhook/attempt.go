package webhook

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	"go.uber.org/zap"

	"github.com/authgate/authgate/gate/webhook/outbox"
)

// maxResponseKept bounds the part of an answer kept in the delivery log.
const maxResponseKept = 256

// outcome is what one attempt produced.
type outcome struct {
	status     int
	retryAfter time.Duration
	response   string
	err        error
}

// post makes one signed attempt of c to st within ctx.
func (d *Dispatcher) post(ctx context.Context, st *endpointState, c outbox.Claim, at time.Time) outcome {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, st.ep.URL, bytes.NewReader(c.Body))
	if err != nil {
		return outcome{err: fmt.Errorf("building request: %w", err)}
	}
	st.signer.sign(req.Header, c.EventID, c.EventType, c.Body, at)
	client := d.client
	if st.ep.PublicOnly {
		client = d.publicClient
	}
	resp, err := client.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) { // the URL may carry a token: keep it out of logs
			err = ue.Err
		}
		return outcome{err: err}
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBody))
	o := outcome{status: resp.StatusCode, response: Sanitize(string(body), maxResponseKept),
		retryAfter: retryAfter(resp.Header, time.Now())}
	if err != nil && resp.StatusCode/100 != 2 {
		o.err = fmt.Errorf("reading answer: %w", err)
	}
	return o
}

// deliver makes one attempt of c and settles it: Ack on 2xx, dead letter
// on 410 (disabling the endpoint) or when the schedule is spent, else a
// retry at the next scheduled time.
func (d *Dispatcher) deliver(ctx context.Context, c outbox.Claim) {
	st := d.endpoint(c.EndpointID)
	if st == nil {
		d.unknownEndpoint(ctx, c)
		return
	}
	if st.disabled.Load() {
		reason := "endpoint disabled after 410 Gone"
		d.settle(ctx, c, func(sctx context.Context) error { return d.ob.DeadLetter(sctx, c, reason) })
		d.gaveUp(c.Delivery, reason)
		d.shareHealth(c.EndpointID, HealthUpdate{Error: reason, Dead: 1})
		return
	}
	at := time.Now()
	actx, cancel := context.WithTimeout(ctx, st.ep.Timeout)
	o := d.post(actx, st, c, at)
	cancel()
	if ctx.Err() != nil { // stopping: not the receiver's fault
		d.putBack(ctx, c)
		return
	}
	c.Attempt++
	a := Attempt{Number: c.Attempt, At: at.UTC(), Status: o.status, Duration: time.Since(at), Response: o.response}
	fields := []zap.Field{zap.String("event_id", c.EventID), zap.String("event", c.EventType),
		zap.String("endpoint", c.EndpointID), zap.Int("attempt", c.Attempt), zap.Int("status", o.status),
		zap.Duration("duration", a.Duration)}

	switch {
	case o.err == nil && o.status/100 == 2:
		d.attempted(c.Delivery, a, StateDelivered)
		d.shareHealth(c.EndpointID, healthOf(a, StateDelivered))
		d.settle(ctx, c, func(sctx context.Context) error { return d.ob.Ack(sctx, c) })
		if ce := d.log.Check(zap.DebugLevel, "webhook delivered"); ce != nil {
			ce.Write(fields...)
		}
		return
	case o.status == http.StatusGone:
		a.Error = "410 Gone: endpoint disabled"
		st.disabled.Store(true)
		d.local.setDisabled(c.EndpointID, true)
		d.attempted(c.Delivery, a, StateDead)
		u := healthOf(a, StateDead)
		u.Disable = true
		if !d.shareHealth(c.EndpointID, u) {
			st.unshared.Store(true)
		}
		d.settle(ctx, c, func(sctx context.Context) error { return d.ob.DeadLetter(sctx, c, a.Error) })
		d.log.Warn("webhook endpoint answered 410 Gone; disabled until enabled again", fields...)
		return
	}
	switch {
	case o.err != nil:
		a.Error = o.err.Error()
	case o.status/100 == 3:
		a.Error = fmt.Sprintf("status %d: redirects are not followed", o.status)
	default:
		a.Error = fmt.Sprintf("status %d", o.status)
	}
	c.LastError = a.Error
	fields = append(fields, zap.String("error", a.Error))
	delay, ok := nextDelay(d.cfg.Schedule, c.Attempt, o.retryAfter, d.cfg.MaxRetryAfter)
	if !ok {
		d.attempted(c.Delivery, a, StateDead)
		d.shareHealth(c.EndpointID, healthOf(a, StateDead))
		d.settle(ctx, c, func(sctx context.Context) error {
			return d.ob.DeadLetter(sctx, c, "retries exhausted: "+a.Error)
		})
		d.log.Warn("webhook delivery dead-lettered after its last attempt", fields...)
		return
	}
	d.attempted(c.Delivery, a, StateRetrying)
	d.shareHealth(c.EndpointID, healthOf(a, StateRetrying))
	d.settle(ctx, c, func(sctx context.Context) error { return d.ob.Retry(sctx, c, time.Now().Add(delay)) })
	d.log.Info("webhook delivery failed; retry scheduled", append(fields, zap.Duration("retry_in", delay))...)
}

// settle runs an outbox settlement that must not be cut short by the
// workers stopping.
func (d *Dispatcher) settle(ctx context.Context, c outbox.Claim, fn func(context.Context) error) {
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := fn(sctx); err != nil {
		d.log.Error("webhook outbox settlement failed; the delivery may be attempted again",
			zap.String("event_id", c.EventID), zap.String("endpoint", c.EndpointID), zap.Error(err))
	}
}

// Deliveries for an endpoint this instance does not know are left for
// the instances that know it (one with the receiver in its config, as
// during a rolling deploy, or added through another's admin API a moment
// ago) for leaveUnknownFor after they were queued, put back every
// leaveUnknownEvery without taking one of their attempts.
const (
	leaveUnknownFor   = 10 * time.Minute
	leaveUnknownEvery = 2 * time.Second
)

// unknownEndpoint handles a delivery for an endpoint this instance does
// not know: while it is young it goes back to the queue for the others,
// its attempts untouched, and the first such delivery of an endpoint a
// minute is logged; an older one is retried on the schedule like a failed
// attempt, and dead-lettered only when the schedule is spent, so a
// delivery for a receiver no instance has any more ends.
func (d *Dispatcher) unknownEndpoint(ctx context.Context, c outbox.Claim) {
	if time.Since(c.EnqueuedAt) < leaveUnknownFor {
		if d.unknownLogged.Allow(c.EndpointID, time.Now()) {
			d.log.Warn("a delivery for a receiver this instance's config lacks was left for the instances that have it; give every instance the same webhooks",
				zap.String("endpoint", c.EndpointID), zap.String("event_id", c.EventID))
		}
		d.settle(ctx, c, func(sctx context.Context) error { return d.ob.Retry(sctx, c, time.Now().Add(leaveUnknownEvery)) })
		return
	}
	c.Attempt++
	c.LastError = "endpoint not configured on this instance"
	delay, ok := nextDelay(d.cfg.Schedule, c.Attempt, 0, d.cfg.MaxRetryAfter)
	if !ok {
		d.settle(ctx, c, func(sctx context.Context) error { return d.ob.DeadLetter(sctx, c, c.LastError) })
		d.gaveUp(c.Delivery, c.LastError)
		return
	}
	d.settle(ctx, c, func(sctx context.Context) error { return d.ob.Retry(sctx, c, time.Now().Add(delay)) })
}

// attempted records one attempt of del that left it in state.
func (d *Dispatcher) attempted(del outbox.Delivery, a Attempt, state string) {
	d.local.attempted(del.EndpointID, a, state)
	d.note(LogChange{Kind: ChangeAttempted, Delivery: del, At: a.At, Attempt: a, State: state})
}

// gaveUp records that del was given up on without an attempt.
func (d *Dispatcher) gaveUp(del outbox.Delivery, reason string) {
	d.local.dead(del.EndpointID, reason)
	d.note(LogChange{Kind: ChangeGaveUp, Delivery: del, At: time.Now()})
}
