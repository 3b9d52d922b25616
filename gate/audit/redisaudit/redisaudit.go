// Package redisaudit is the audit.Trail in a Redis Stream that every
// authgate instance shares: each entry is XADDed with MINID trimming (the
// retention) and an approximate MAXLEN cap (the size), and listings read
// it newest first with XREVRANGE.
package redisaudit

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/authgate/authgate/gate/audit"
	"github.com/authgate/authgate/gate/store"
)

// scanBatch is how many stream entries one XREVRANGE reads.
const scanBatch = 500

// maxScan bounds the entries one listing reads while filtering, so a
// query that matches little cannot read the whole stream; the page's
// Next then continues from where it stopped.
const maxScan = 20_000

// Trail is an audit.Trail in a Redis Stream.
type Trail struct {
	rdb    redis.UniversalClient
	key    string
	limits audit.Limits
	now    func() time.Time
}

// New returns a trail in the stream prefix+":{audit}:stream" on rdb.
func New(rdb redis.UniversalClient, prefix string, limits audit.Limits) *Trail {
	if prefix == "" {
		prefix = "authgate"
	}
	return &Trail{rdb: rdb, key: prefix + ":{audit}:stream", limits: limits.WithDefaults(), now: time.Now}
}

// Append XADDs entries, oldest first. Each XADD trims by MINID: stream
// ids begin with the time they were added in milliseconds, so every entry
// added before now minus the retention goes. Then one XTRIM caps the
// length approximately (whole radix-tree nodes, cheap). Approximate
// MAXLEN is fine here, unlike in the webhook outbox: the audit stream is
// a log nobody acknowledges, so losing its oldest entries to the cap is
// exactly what the cap means, whereas trimming the outbox could silently
// drop deliveries not yet made.
func (t *Trail) Append(ctx context.Context, entries ...audit.Entry) error {
	if len(entries) == 0 {
		return nil
	}
	minID := strconv.FormatInt(t.now().Add(-t.limits.Retention).UnixMilli(), 10)
	pipe := t.rdb.Pipeline()
	for i := range entries {
		e := entries[i]
		e.ID = ""
		raw, err := json.Marshal(&e)
		if err != nil {
			return fmt.Errorf("encoding audit entry: %w", err)
		}
		pipe.XAdd(ctx, &redis.XAddArgs{Stream: t.key, MinID: minID, Values: []string{"e", string(raw)}})
	}
	pipe.XTrimMaxLenApprox(ctx, t.key, int64(t.limits.MaxEntries), 0)
	if _, err := pipe.Exec(ctx); err != nil {
		return fmt.Errorf("appending to the audit stream: %w: %w", store.ErrUnavailable, err)
	}
	return nil
}

// List reads the stream newest first, filtering as it goes.
func (t *Trail) List(ctx context.Context, q audit.Query) (audit.Page, error) {
	if err := q.Normalize(); err != nil {
		return audit.Page{}, err
	}
	cutoff := t.now().Add(-t.limits.Retention)
	end := "+"
	if q.Before != "" {
		if !validID(q.Before) {
			return audit.Page{}, fmt.Errorf("%w: before is not an entry id", audit.ErrBadQuery)
		}
		end = "(" + q.Before
	}
	start := "-"
	// Stream ids carry the time an entry was added, a little after the
	// time it happened; a minute's slack keeps late writes in range.
	if !q.Until.IsZero() && end == "+" {
		end = strconv.FormatInt(q.Until.Add(time.Minute).UnixMilli(), 10)
	}
	lower := cutoff
	if q.Since.After(lower) {
		lower = q.Since
	}
	start = strconv.FormatInt(lower.Add(-time.Minute).UnixMilli(), 10)
	page := audit.Page{Entries: []audit.Entry{}}
	scanned := 0
	for {
		msgs, err := t.rdb.XRevRangeN(ctx, t.key, end, start, scanBatch).Result()
		if err != nil {
			return audit.Page{}, fmt.Errorf("reading the audit stream: %w: %w", store.ErrUnavailable, err)
		}
		for _, m := range msgs {
			scanned++
			e, ok := decode(m)
			if !ok || e.Time.Before(cutoff) || !q.Match(&e) {
				if scanned >= maxScan {
					page.Next = m.ID
					return page, nil
				}
				continue
			}
			if len(page.Entries) == q.Limit {
				page.Next = page.Entries[len(page.Entries)-1].ID
				return page, nil
			}
			page.Entries = append(page.Entries, e)
		}
		if len(msgs) < scanBatch {
			return page, nil
		}
		end = "(" + msgs[len(msgs)-1].ID
	}
}

func decode(m redis.XMessage) (audit.Entry, bool) {
	raw, _ := m.Values["e"].(string)
	var e audit.Entry
	if err := json.Unmarshal([]byte(raw), &e); err != nil {
		return e, false
	}
	e.ID = m.ID
	return e, true
}

// validID reports whether s has the shape of a stream id ("ms-seq").
func validID(s string) bool {
	ms, seq, ok := strings.Cut(s, "-")
	if !ok {
		return false
	}
	_, err1 := strconv.ParseUint(ms, 10, 64)
	_, err2 := strconv.ParseUint(seq, 10, 64)
	return err1 == nil && err2 == nil
}
