package gateway

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/redis/go-redis/v9"
)

// roundTrips counts the round trips a go-redis client makes, by command
// name (a pipeline by the names of its commands): what INFO commandstats
// shows minus the commands scripts run inside Redis, a pipeline counted
// once.
type roundTrips struct {
	mu    sync.Mutex
	calls map[string]int
}

func (c *roundTrips) add(name string) {
	c.mu.Lock()
	c.calls[strings.ToLower(name)]++
	c.mu.Unlock()
}

// take returns the counts so far and starts again.
func (c *roundTrips) take() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	got := c.calls
	c.calls = map[string]int{}
	return got
}

// DialHook passes dials through.
func (c *roundTrips) DialHook(next redis.DialHook) redis.DialHook { return next }

// ProcessHook counts one command.
func (c *roundTrips) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		c.add(cmd.Name())
		return next(ctx, cmd)
	}
}

// ProcessPipelineHook counts a pipeline once, as one round trip, by the
// names of its commands.
func (c *roundTrips) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		names := make([]string, len(cmds))
		for i, cmd := range cmds {
			names[i] = cmd.Name()
		}
		c.add("pipeline[" + strings.Join(names, ",") + "]")
		return next(ctx, cmds)
	}
}

// summary prints counts per operation, most frequent first.
func summary(calls map[string]int, n int) string {
	names := make([]string, 0, len(calls))
	total := 0
	for k, v := range calls {
		names = append(names, k)
		total += v
	}
	sort.Slice(names, func(i, j int) bool {
		return calls[names[i]] > calls[names[j]] || calls[names[i]] == calls[names[j]] && names[i] < names[j]
	})
	parts := make([]string, len(names))
	for i, k := range names {
		parts[i] = fmt.Sprintf("%s=%.1f", k, float64(calls[k])/float64(n))
	}
	return fmt.Sprintf("%.1f (%s)", float64(total)/float64(n), strings.Join(parts, " "))
}
