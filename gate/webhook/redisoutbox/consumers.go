package redisoutbox

import (
	"context"
	"fmt"
	"time"
)

// forgetConsumers removes from the group every consumer other than self
// that has been idle longer than forgetAfter and holds no entry: an
// instance that left. Its entries were reclaimed first (after Visibility,
// by maintain), so nothing is lost; without this, the group would list it
// for ever. It runs at most every forgetAfter/4.
func (o *Outbox) forgetConsumers(ctx context.Context, self string, now time.Time) error {
	o.mu.Lock()
	if now.Before(o.nextForget) {
		o.mu.Unlock()
		return nil
	}
	o.nextForget = now.Add(o.forgetAfter / 4)
	o.mu.Unlock()

	consumers, err := o.rdb.XInfoConsumers(ctx, o.stream, o.group).Result()
	if err != nil {
		return fmt.Errorf("listing the consumers of %s: %w", o.stream, err)
	}
	for _, c := range consumers {
		if c.Name == self || c.Pending > 0 || c.Idle < o.forgetAfter {
			continue
		}
		if err := o.rdb.XGroupDelConsumer(ctx, o.stream, o.group, c.Name).Err(); err != nil {
			return fmt.Errorf("removing consumer %q of %s: %w", c.Name, o.stream, err)
		}
	}
	return nil
}
