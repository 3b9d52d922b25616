package redisstore

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/authgate/authgate/gate/store"
)

// healthInterval is how long a subscription waits for a message before it
// pings the server to learn whether the connection still stands.
const healthInterval = 15 * time.Second

// SubscribeRevocations subscribes to the revocation channel, calls ready
// once Redis has confirmed the subscription, and then calls fn for each
// revocation any instance publishes. It returns ctx.Err() when ctx ends,
// and an error wrapping store.ErrUnavailable when the connection breaks or
// the store closes: events may have been missed then, so the caller
// should resync from Revocations and subscribe again. A silent connection
// is pinged every healthInterval; a ping left unanswered for another
// interval counts as broken. Messages that do not decode are skipped.
func (s *Store) SubscribeRevocations(ctx context.Context, ready func(), fn func(store.RevocationEvent)) error {
	return s.subscribe(ctx, s.channel(), "revocations", ready, func(payload string) {
		var ev store.RevocationEvent
		if err := json.Unmarshal([]byte(payload), &ev); err != nil {
			return
		}
		fn(ev)
	})
}

// subscribe holds a subscription to channel, calling ready once Redis has
// confirmed it and fn with each message's payload, until ctx ends, the
// store closes or the connection breaks (see SubscribeRevocations). what
// names the channel in errors.
func (s *Store) subscribe(ctx context.Context, channel, what string, ready func(), fn func(payload string)) error {
	if err := s.check(); err != nil {
		return err
	}
	pubsub := s.client.Subscribe(ctx)
	// A blocking read does not watch ctx: closing the subscription is what
	// ends it, when ctx ends or the store closes.
	stop := make(chan struct{})
	watcherDone := make(chan struct{})
	go func() {
		defer close(watcherDone)
		select {
		case <-ctx.Done():
		case <-s.closed:
		case <-stop:
		}
		_ = pubsub.Close()
	}()
	defer func() {
		close(stop)
		<-watcherDone
	}()

	// why explains a failed read: the context or Close take precedence
	// over the error that closing the subscription caused.
	why := func(op string, err error) error {
		if ctxErr := ctx.Err(); ctxErr != nil {
			return ctxErr
		}
		if closed := s.check(); closed != nil {
			return closed
		}
		return wrap(op, err)
	}

	if err := pubsub.Subscribe(ctx, channel); err != nil {
		return why("subscribing to "+what, err)
	}
	for confirmed := false; !confirmed; {
		msg, err := pubsub.Receive(ctx)
		if err != nil {
			return why("subscribing to "+what, err)
		}
		_, confirmed = msg.(*redis.Subscription)
	}
	ready()

	pinged := false
	for {
		msg, err := pubsub.ReceiveTimeout(ctx, healthInterval)
		var netErr net.Error
		switch {
		case err != nil && errors.As(err, &netErr) && netErr.Timeout() && !pinged:
			if err := pubsub.Ping(ctx); err != nil {
				return why("pinging the "+what+" subscription", err)
			}
			pinged = true
			continue
		case err != nil:
			return why("receiving "+what, err)
		}
		pinged = false
		m, ok := msg.(*redis.Message)
		if !ok {
			continue // a pong or a subscription notice
		}
		fn(m.Payload)
	}
}
