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
// once. A new connection's handshake (HELLO, CLIENT SETINFO) is the
// connection's, not a request's, and is left out: the client dials when
// its pool or its automatic pipeline needs one more connection.
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
		if !handshake(cmd) {
			c.add(cmd.Name())
		}
		return next(ctx, cmd)
	}
}

// ProcessPipelineHook counts a pipeline once, as one round trip, by the
// names of its commands.
func (c *roundTrips) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		names := make([]string, 0, len(cmds))
		for _, cmd := range cmds {
			if !handshake(cmd) {
				names = append(names, cmd.Name())
			}
		}
		if len(names) > 0 {
			c.add("pipeline[" + strings.Join(names, ",") + "]")
		}
		return next(ctx, cmds)
	}
}

// handshake reports whether cmd is one a client sends on a connection it
// has just dialed.
func handshake(cmd redis.Cmder) bool {
	switch strings.ToLower(cmd.Name()) {
	case "hello", "client", "auth", "select":
		return true
	}
	return false
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
