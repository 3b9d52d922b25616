// Package redisdeliverylog keeps the webhook delivery log in Redis, so
// every instance of a gateway lists, and can replay, the deliveries any
// of them made. Per endpoint it keeps a ZSET of event ids scored by their
// last update and one hash per event (state, attempts, body), trimmed to
// a number of events and expiring after a TTL; each endpoint's keys share
// a hash tag of their own, so Cluster spreads endpoints over its slots
// and every script runs on one slot.
package redisdeliverylog

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/authgate/authgate/gate/webhook"
)

// Options configures a Log. Zero values mean the documented defaults.
type Options struct {
	// Prefix starts every key; an endpoint's keys are
	// Prefix:{<endpoint id>}:… . A prefix holding a hash tag of its own
	// puts every endpoint on that one slot. Default
	// "authgate:webhooks:log".
	Prefix string
	// Keep is how many events are kept per endpoint; 0 means
	// webhook.DefaultLogEvents.
	Keep int
	// TTL is how long an event is kept after its last change; 0 means
	// webhook.DefaultLogTTL.
	TTL time.Duration
}

// Log is a webhook.DeliveryLog in Redis. Safe for concurrent use.
type Log struct {
	rdb    redis.UniversalClient
	prefix string
	keep   int
	ttl    time.Duration
}

// New returns a Log on rdb; it does not talk to Redis until used.
func New(rdb redis.UniversalClient, opts Options) *Log {
	if opts.Prefix == "" {
		opts.Prefix = "authgate:webhooks:log"
	}
	if opts.Keep <= 0 {
		opts.Keep = webhook.DefaultLogEvents
	}
	if opts.TTL <= 0 {
		opts.TTL = webhook.DefaultLogTTL
	}
	return &Log{rdb: rdb, prefix: opts.Prefix, keep: opts.Keep, ttl: opts.TTL}
}

// index returns the key of an endpoint's ZSET of event ids.
func (l *Log) index(endpointID string) string { return l.prefix + ":{" + endpointID + "}:events" }

// recordPrefix returns the start of the keys of an endpoint's records.
func (l *Log) recordPrefix(endpointID string) string { return l.prefix + ":{" + endpointID + "}:e:" }

func micros(t time.Time) string { return strconv.FormatInt(t.UnixMicro(), 10) }

// kind names a change kind to applyScript.
func kind(k webhook.ChangeKind) (string, bool) {
	switch k {
	case webhook.ChangeEnqueued:
		return "q", true
	case webhook.ChangeAttempted:
		return "a", true
	case webhook.ChangeGaveUp:
		return "d", true
	}
	return "", false
}

// Apply records changes in one pipelined round trip: one EVALSHA each
// (a second round trip, with EVAL, for those Redis had no script for).
func (l *Log) Apply(ctx context.Context, changes []webhook.LogChange) error {
	type call struct {
		keys []string
		args []any
	}
	calls := make([]call, 0, len(changes))
	for _, c := range changes {
		k, ok := kind(c.Kind)
		if !ok {
			return fmt.Errorf("recording a webhook delivery: unknown change kind %d", c.Kind)
		}
		d := c.Delivery
		at := c.At
		var attempt []byte
		if c.Kind == webhook.ChangeAttempted {
			at = c.Attempt.At
			var err error
			if attempt, err = json.Marshal(c.Attempt); err != nil {
				return fmt.Errorf("recording a webhook attempt: %w", err)
			}
		}
		calls = append(calls, call{
			keys: []string{l.index(d.EndpointID), l.recordPrefix(d.EndpointID) + d.EventID},
			args: []any{k, d.EventID, d.EventType, d.Body, micros(at), c.State, attempt,
				l.keep, l.ttl.Milliseconds(), webhook.MaxAttemptsKept},
		})
	}
	run := func(todo []int, eval bool) ([]int, error) {
		cmds := make([]*redis.Cmd, len(todo))
		_, _ = l.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
			for i, j := range todo {
				if eval {
					cmds[i] = applyScript.Eval(ctx, p, calls[j].keys, calls[j].args...)
				} else {
					cmds[i] = applyScript.EvalSha(ctx, p, calls[j].keys, calls[j].args...)
				}
			}
			return nil
		})
		var again []int
		var errs []error
		for i, cmd := range cmds {
			if err := cmd.Err(); err != nil && !errors.Is(err, redis.Nil) {
				if !eval && redis.HasErrorPrefix(err, "NOSCRIPT") {
					again = append(again, todo[i])
					continue
				}
				errs = append(errs, err)
			}
		}
		return again, errors.Join(errs...)
	}
	all := make([]int, len(calls))
	for i := range all {
		all[i] = i
	}
	again, err := run(all, false)
	if len(again) > 0 {
		_, err2 := run(again, true)
		err = errors.Join(err, err2)
	}
	if err != nil {
		return fmt.Errorf("recording %d webhook delivery changes: %w", len(changes), err)
	}
	return nil
}

// Record hash fields read back.
var fields = []string{"type", "state", "updated", "attempts"}

// Records reads what q selects: one pipelined round trip for one event,
// two (the indexes, then the records) for a listing.
func (l *Log) Records(ctx context.Context, q webhook.LogQuery) ([]webhook.EventRecord, error) {
	type ref struct{ endpoint, event string }
	var refs []ref
	if q.EventID != "" {
		for _, ep := range q.EndpointIDs {
			refs = append(refs, ref{ep, q.EventID})
		}
	} else {
		cmds := make([]*redis.StringSliceCmd, len(q.EndpointIDs))
		_, err := l.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
			for i, ep := range q.EndpointIDs {
				cmds[i] = p.ZRevRange(ctx, l.index(ep), 0, int64(l.keep-1))
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("listing webhook deliveries: %w", err)
		}
		for i, ep := range q.EndpointIDs {
			for _, ev := range cmds[i].Val() {
				refs = append(refs, ref{ep, ev})
			}
		}
	}
	if len(refs) == 0 {
		return nil, nil
	}
	want := fields
	if q.Body {
		want = append(slices.Clip(fields), "body")
	}
	cmds := make([]*redis.SliceCmd, len(refs))
	_, err := l.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, r := range refs {
			cmds[i] = p.HMGet(ctx, l.recordPrefix(r.endpoint)+r.event, want...)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("reading webhook deliveries: %w", err)
	}
	out := make([]webhook.EventRecord, 0, len(refs))
	for i, r := range refs {
		rec, ok, err := parse(r.endpoint, r.event, cmds[i].Val())
		if err != nil {
			return nil, err
		}
		if ok {
			out = append(out, rec)
		}
	}
	slices.SortStableFunc(out, func(a, b webhook.EventRecord) int { return b.UpdatedAt.Compare(a.UpdatedAt) })
	return out, nil
}

// parse turns one HMGET answer (fields, then maybe body) into a record;
// ok is false for a record that is gone.
func parse(endpointID, eventID string, v []any) (webhook.EventRecord, bool, error) {
	str := func(i int) (string, bool) {
		if i >= len(v) {
			return "", false
		}
		s, ok := v[i].(string)
		return s, ok
	}
	typ, ok := str(0)
	if !ok {
		return webhook.EventRecord{}, false, nil
	}
	r := webhook.EventRecord{EventID: eventID, EventType: typ, EndpointID: endpointID}
	r.State, _ = str(1)
	if s, ok := str(2); ok {
		us, _ := strconv.ParseInt(s, 10, 64)
		r.UpdatedAt = time.UnixMicro(us).UTC()
	}
	if s, ok := str(3); ok && s != "" {
		for line := range strings.SplitSeq(s, "\n") {
			var a webhook.Attempt
			if err := json.Unmarshal([]byte(line), &a); err != nil {
				return webhook.EventRecord{}, false, fmt.Errorf("reading webhook delivery %s of %q: attempt: %w", eventID, endpointID, err)
			}
			r.Attempts = append(r.Attempts, a)
		}
	}
	if b, ok := str(4); ok {
		r.Body = []byte(b)
	}
	return r, true, nil
}

// Forget deletes every record of endpointID in one script.
func (l *Log) Forget(ctx context.Context, endpointID string) error {
	if err := forgetScript.Run(ctx, l.rdb, []string{l.index(endpointID)}, l.recordPrefix(endpointID)).Err(); err != nil && !errors.Is(err, redis.Nil) {
		return fmt.Errorf("forgetting the webhook deliveries of %q: %w", endpointID, err)
	}
	return nil
}

var _ webhook.DeliveryLog = (*Log)(nil)
