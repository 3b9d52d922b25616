// Package redisoutbox is an outbox.Outbox in a Redis Stream that every
// authgate instance shares: deliveries are XADDed to the stream and read
// by one consumer group, so each goes to one worker of one instance;
// entries a crashed worker left unacknowledged for longer than the
// visibility timeout are reclaimed with XAUTOCLAIM; settled entries are
// XACKed and XDELed. Retries wait in a sorted set by due time and go back
// onto the stream when due. The stream is never trimmed by length, which
// would silently drop unacknowledged entries.
package redisoutbox

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"

	"github.com/authgate/authgate/gate/webhook/outbox"
)

// Options configures an Outbox. Zero values mean the documented defaults.
type Options struct {
	// Prefix starts every key. It should hold a hash tag so that all keys
	// share one Cluster slot; one without "{…}" is wrapped in braces.
	// Default "authgate:{webhooks}".
	Prefix string
	// Group names the consumer group; default "workers".
	Group string
	// Visibility is how long a claim may stay unsettled before another
	// worker may reclaim it; default 1m. It must exceed the longest
	// delivery attempt (an endpoint's timeout).
	Visibility time.Duration
	// Block is how long one read waits for new entries; default 1s. A
	// Claim notices its ctx ending within about this long.
	Block time.Duration
	// MaintainEvery is how often due retries are moved back onto the
	// stream and idle claims are looked for; default 500ms.
	MaintainEvery time.Duration
	// ForgetAfter is how long a consumer (an instance) may stay silent,
	// holding no entry, before it is removed from the group (consumers.go);
	// default 10m, and never less than twice Visibility.
	ForgetAfter time.Duration
	// Logger hears of a queue that Redis lost (default: none).
	Logger *zap.Logger
}

// Outbox is an outbox.Outbox in Redis. Safe for concurrent use; one per
// instance is enough, whatever the number of workers.
type Outbox struct {
	rdb                 redis.UniversalClient
	stream, retry, dead string
	group               string
	visibility, block   time.Duration
	maintainEvery       time.Duration
	mu                  sync.Mutex
	nextMaintain        time.Time
	autoclaimFrom       string
	forgetAfter         time.Duration
	log                 *zap.Logger
	// hadGroup is set once this instance has read from the group, so a
	// group missing later means Redis lost the queue.
	hadGroup   atomic.Bool
	nextForget time.Time
}

// New returns an Outbox on rdb. It does not need Redis to answer: the
// stream and consumer group are created by the first read that finds
// them missing (as after Redis lost its data), so a config can be
// validated, and an instance started, while Redis is down.
func New(ctx context.Context, rdb redis.UniversalClient, opts Options) (*Outbox, error) {
	p := opts.Prefix
	if p == "" {
		p = "authgate:{webhooks}"
	}
	if !strings.Contains(p, "{") {
		p = "{" + p + "}"
	}
	o := &Outbox{
		rdb:           rdb,
		stream:        p + ":stream",
		retry:         p + ":retry",
		dead:          p + ":dead",
		group:         orDefault(opts.Group, "workers"),
		visibility:    dflt(opts.Visibility, time.Minute),
		block:         dflt(opts.Block, time.Second),
		maintainEvery: dflt(opts.MaintainEvery, 500*time.Millisecond),
		autoclaimFrom: "0-0",
		log:           opts.Logger,
	}
	if o.log == nil {
		o.log = zap.NewNop()
	}
	o.forgetAfter = max(dflt(opts.ForgetAfter, 10*time.Minute), 2*o.visibility)
	return o, nil
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

func dflt(v, d time.Duration) time.Duration {
	if v <= 0 {
		return d
	}
	return v
}

// groupLost makes the consumer group again after a read found it missing.
// Missing after this instance had it, the queue went with Redis's data
// (a restart without persistence, a flush): deliveries queued and not
// yet made are gone, which only an operator can know to look into.
func (o *Outbox) groupLost(ctx context.Context) error {
	if o.hadGroup.CompareAndSwap(true, false) { // once, whichever worker saw it
		o.log.Error("the webhook queue is gone from Redis (restarted without persistence, or flushed): deliveries queued and not yet made were lost with it",
			zap.String("stream", o.stream))
	}
	return o.createGroup(ctx)
}

func (o *Outbox) createGroup(ctx context.Context) error {
	err := o.rdb.XGroupCreateMkStream(ctx, o.stream, o.group, "0").Err()
	if err != nil && !strings.HasPrefix(err.Error(), "BUSYGROUP") {
		return fmt.Errorf("creating consumer group %s on %s: %w", o.group, o.stream, err)
	}
	o.hadGroup.Store(true)
	return nil
}

// member is how a delivery is stored: on the stream (field "d") and in
// the retry set. Src makes retry-set members unique.
type member struct {
	outbox.Delivery
	Src string `json:"src,omitempty"`
}

// Enqueue XADDs d to the stream.
func (o *Outbox) Enqueue(ctx context.Context, d outbox.Delivery) error {
	b, err := json.Marshal(member{Delivery: d})
	if err != nil {
		return fmt.Errorf("encoding delivery %s: %w", d.EventID, err)
	}
	if err := o.rdb.XAdd(ctx, &redis.XAddArgs{Stream: o.stream, Values: []any{"d", b}}).Err(); err != nil {
		return fmt.Errorf("enqueueing %s for %s: %w", d.EventID, d.EndpointID, err)
	}
	return nil
}

// Claim returns the next entry for consumer: a reclaimed idle one, or a
// new one, waiting until one comes or ctx is done.
func (o *Outbox) Claim(ctx context.Context, consumer string) (outbox.Claim, error) {
	for {
		if err := ctx.Err(); err != nil {
			return outbox.Claim{}, err
		}
		msg, ok, err := o.maintain(ctx, consumer)
		if err != nil {
			return outbox.Claim{}, err
		}
		if !ok {
			msg, ok, err = o.read(ctx, consumer)
			if err != nil {
				return outbox.Claim{}, err
			}
		}
		if !ok {
			continue
		}
		c, err := o.decode(msg)
		if err != nil {
			// Unreadable: keep it among the dead letters, never retry it.
			_ = o.settle(ctx, msg.ID, "dead", 0, rawDead(msg, err))
			continue
		}
		return c, nil
	}
}

// read waits up to Block for a new entry.
func (o *Outbox) read(ctx context.Context, consumer string) (redis.XMessage, bool, error) {
	res, err := o.rdb.XReadGroup(ctx, &redis.XReadGroupArgs{
		Group: o.group, Consumer: consumer, Streams: []string{o.stream, ">"}, Count: 1, Block: o.block,
	}).Result()
	switch {
	case err == nil || errors.Is(err, redis.Nil):
		o.hadGroup.Store(true)
	}
	switch {
	case errors.Is(err, redis.Nil):
		return redis.XMessage{}, false, nil
	case err != nil && strings.HasPrefix(err.Error(), "NOGROUP"): // the server lost its data
		return redis.XMessage{}, false, o.groupLost(ctx)
	case err != nil:
		if ctx.Err() != nil {
			return redis.XMessage{}, false, ctx.Err()
		}
		return redis.XMessage{}, false, fmt.Errorf("reading %s: %w", o.stream, err)
	}
	if len(res) == 0 || len(res[0].Messages) == 0 {
		return redis.XMessage{}, false, nil
	}
	return res[0].Messages[0], true, nil
}

// maintain, at most every MaintainEvery, moves due retries back onto the
// stream and reclaims one entry idle for longer than Visibility. While it
// finds idle entries it keeps looking at each call.
func (o *Outbox) maintain(ctx context.Context, consumer string) (redis.XMessage, bool, error) {
	o.mu.Lock()
	now := time.Now()
	if now.Before(o.nextMaintain) {
		o.mu.Unlock()
		return redis.XMessage{}, false, nil
	}
	o.nextMaintain = now.Add(o.maintainEvery)
	start := o.autoclaimFrom
	o.mu.Unlock()

	if err := promoteScript.Run(ctx, o.rdb, []string{o.stream, o.retry},
		now.UnixMilli(), 100).Err(); err != nil && !errors.Is(err, redis.Nil) {
		return redis.XMessage{}, false, fmt.Errorf("moving due retries to %s: %w", o.stream, err)
	}
	msgs, next, err := o.rdb.XAutoClaim(ctx, &redis.XAutoClaimArgs{
		Stream: o.stream, Group: o.group, Consumer: consumer, MinIdle: o.visibility, Start: start, Count: 1,
	}).Result()
	if err != nil {
		if strings.HasPrefix(err.Error(), "NOGROUP") {
			return redis.XMessage{}, false, o.groupLost(ctx)
		}
		return redis.XMessage{}, false, fmt.Errorf("reclaiming idle entries of %s: %w", o.stream, err)
	}
	if err := o.forgetConsumers(ctx, consumer, now); err != nil {
		return redis.XMessage{}, false, err
	}
	o.mu.Lock()
	o.autoclaimFrom = next
	if len(msgs) > 0 || next != "0-0" {
		o.nextMaintain = time.Time{} // there may be more: look again next time
	}
	o.mu.Unlock()
	if len(msgs) == 0 {
		return redis.XMessage{}, false, nil
	}
	return msgs[0], true, nil
}

func (o *Outbox) decode(msg redis.XMessage) (outbox.Claim, error) {
	raw, _ := msg.Values["d"].(string)
	var m member
	if err := json.Unmarshal([]byte(raw), &m); err != nil {
		return outbox.Claim{}, fmt.Errorf("decoding entry %s: %w", msg.ID, err)
	}
	return outbox.Claim{Delivery: m.Delivery, Receipt: msg.ID}, nil
}

func rawDead(msg redis.XMessage, err error) []byte {
	raw, _ := msg.Values["d"].(string)
	b, _ := json.Marshal(outbox.Dead{Delivery: outbox.Delivery{Body: []byte(raw)},
		Reason: "unreadable outbox entry: " + err.Error(), At: time.Now().UTC()})
	return b
}

// settle acknowledges and deletes entry id and does the follow-up of
// kind ("ack", "retry", "dead"); an error if it was no longer pending.
func (o *Outbox) settle(ctx context.Context, id, kind string, score int64, payload []byte) error {
	n, err := settleScript.Run(ctx, o.rdb, []string{o.stream, o.followKey(kind)},
		o.group, id, kind, score, payload, outbox.MaxDeadLetters).Int()
	if err != nil {
		return fmt.Errorf("settling %s (%s): %w", id, kind, err)
	}
	if n == 0 {
		return fmt.Errorf("settling %s (%s): entry no longer pending; another worker settled it", id, kind)
	}
	return nil
}

func (o *Outbox) followKey(kind string) string {
	if kind == "dead" {
		return o.dead
	}
	return o.retry
}

// Ack settles a delivered claim.
func (o *Outbox) Ack(ctx context.Context, c outbox.Claim) error {
	return o.settle(ctx, c.Receipt, "ack", 0, nil)
}

// Retry settles c and schedules c.Delivery at at.
func (o *Outbox) Retry(ctx context.Context, c outbox.Claim, at time.Time) error {
	b, err := json.Marshal(member{Delivery: c.Delivery, Src: c.Receipt})
	if err != nil {
		return fmt.Errorf("encoding delivery %s: %w", c.EventID, err)
	}
	return o.settle(ctx, c.Receipt, "retry", at.UnixMilli(), b)
}

// DeadLetter settles c and keeps it among the newest dead letters.
func (o *Outbox) DeadLetter(ctx context.Context, c outbox.Claim, reason string) error {
	b, err := json.Marshal(outbox.Dead{Delivery: c.Delivery, Reason: reason, At: time.Now().UTC()})
	if err != nil {
		return fmt.Errorf("encoding dead letter %s: %w", c.EventID, err)
	}
	return o.settle(ctx, c.Receipt, "dead", 0, b)
}

// DeadLetters returns up to max of the newest dead letters.
func (o *Outbox) DeadLetters(ctx context.Context, max int) ([]outbox.Dead, error) {
	if max <= 0 {
		return nil, nil
	}
	raws, err := o.rdb.LRange(ctx, o.dead, 0, int64(max-1)).Result()
	if err != nil {
		return nil, fmt.Errorf("listing dead letters: %w", err)
	}
	out := make([]outbox.Dead, 0, len(raws))
	for _, r := range raws {
		var d outbox.Dead
		if err := json.Unmarshal([]byte(r), &d); err != nil {
			return nil, fmt.Errorf("decoding a dead letter: %w", err)
		}
		out = append(out, d)
	}
	return out, nil
}

// Depth returns the entries on the stream (new or claimed) plus the
// scheduled retries.
func (o *Outbox) Depth(ctx context.Context) (int64, error) {
	pipe := o.rdb.Pipeline()
	xl := pipe.XLen(ctx, o.stream)
	zc := pipe.ZCard(ctx, o.retry)
	if _, err := pipe.Exec(ctx); err != nil {
		return 0, fmt.Errorf("measuring outbox depth: %w", err)
	}
	return xl.Val() + zc.Val(), nil
}

// Pending returns how many entries are claimed and not yet settled, per
// consumer (for the health endpoint).
func (o *Outbox) Pending(ctx context.Context) (map[string]int64, error) {
	res, err := o.rdb.XPending(ctx, o.stream, o.group).Result()
	if err != nil {
		return nil, fmt.Errorf("reading pending entries: %w", err)
	}
	return res.Consumers, nil
}

var _ outbox.Outbox = (*Outbox)(nil)
