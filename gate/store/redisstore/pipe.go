package redisstore

import (
	"context"
	"fmt"
	"sync/atomic"

	"github.com/redis/go-redis/v9"
)

// pipe sends the store's commands through the client's automatic
// pipeline, so that the commands of concurrent requests share one write
// and one read instead of paying a round trip (and a pair of system calls
// on each side) apiece. A caller still waits for its own reply only, and
// only as long as its context allows: when ctx ends first, the command
// stays in its batch and runs when Redis answers again (a decision sent
// while Redis stalled may still be made after its request answered
// 503), but the caller gets ctx's error at once.
//
// pipe is a redis.Scripter, so a script's Run (EVALSHA, then EVAL after a
// server restart) rides it too. When the client offers no automatic
// pipeline, pipe sends each command on its own.
//
// The automatic pipeline is go-redis's, marked experimental there; the
// store depends on the version go.mod pins.
type pipe struct {
	client redis.UniversalClient
	ap     *redis.AutoPipeliner // nil: send each command on its own
	// waiting counts the calls in flight through the pipe: with none
	// other, a group of commands has no batch to share (see sendAll).
	waiting atomic.Int64
}

// maxQueued bounds the commands a store has sent or queued and not yet
// had answered. Past it, a call fails at once with store.ErrUnavailable
// instead of queueing: while Redis stalls, requests keep arriving, and
// each leaves its command in the queue when its deadline passes. Under
// normal load the queue holds about one command per request in flight.
const maxQueued = 10000

// newPipe returns a pipe on client that queues at most limit commands;
// client may be nil (a store that is never used).
func newPipe(client redis.UniversalClient, limit int) *pipe {
	p := &pipe{client: client}
	if client == nil {
		return p
	}
	opts := redis.DefaultAutoPipelineOptions()
	opts.MaxQueuedCommands = limit
	if ap, err := client.AsyncAutoPipelineWithOptions(opts); err == nil {
		p.ap = ap
	}
	return p
}

// send sends cmd and waits for its reply or for ctx to end, and returns
// the command to read: cmd once answered, or, when ctx ended first, a
// fresh command from blank carrying ctx's error (cmd's batch may still
// be filling cmd in).
func send[C redis.Cmder](ctx context.Context, p *pipe, cmd C, blank func() C) C {
	if p.ap == nil {
		_ = p.client.Process(ctx, cmd) // the error is cmd's own
		return cmd
	}
	p.waiting.Add(1)
	defer p.waiting.Add(-1)
	if err := p.submitAll(ctx, []redis.Cmder{cmd}); err != nil {
		late := blank()
		late.SetErr(err)
		return late
	}
	return cmd
}

// get is GET key.
func (p *pipe) get(ctx context.Context, key string) *redis.StringCmd {
	mk := func() *redis.StringCmd { return redis.NewStringCmd(ctx, "get", key) }
	return send(ctx, p, mk(), mk)
}

// hget is HGET key field.
func (p *pipe) hget(ctx context.Context, key, field string) *redis.StringCmd {
	mk := func() *redis.StringCmd { return redis.NewStringCmd(ctx, "hget", key, field) }
	return send(ctx, p, mk(), mk)
}

// hgetall is HGETALL key.
func (p *pipe) hgetall(ctx context.Context, key string) *redis.MapStringStringCmd {
	mk := func() *redis.MapStringStringCmd { return redis.NewMapStringStringCmd(ctx, "hgetall", key) }
	return send(ctx, p, mk(), mk)
}

// eval is the EVAL family: the command name, the script or its SHA, the
// keys and the arguments, as go-redis builds them (the first key marks
// the Cluster slot).
func (p *pipe) eval(ctx context.Context, name, payload string, keys []string, args ...any) *redis.Cmd {
	mk := func() *redis.Cmd { return evalCmd(ctx, name, payload, keys, args...) }
	return send(ctx, p, mk(), mk)
}

// evalCmd builds an EVAL-family command without sending it.
func evalCmd(ctx context.Context, name, payload string, keys []string, args ...any) *redis.Cmd {
	cmdArgs := make([]any, 0, 3+len(keys)+len(args))
	cmdArgs = append(cmdArgs, name, payload, len(keys))
	for _, k := range keys {
		cmdArgs = append(cmdArgs, k)
	}
	cmdArgs = append(cmdArgs, args...)
	cmd := redis.NewCmd(ctx, cmdArgs...)
	if len(keys) > 0 {
		cmd.SetFirstKeyPos(3)
	}
	return cmd
}

// sendAll sends cmds together and waits for all their replies. While
// other calls are in flight through the pipe, cmds join the automatic
// pipeline's batches; when none is, they go as one pipeline of their
// own on the plain client: handed to an idle automatic pipeline one by
// one, the first would leave alone and the rest a round trip later.
// When ctx ends first it returns ctx's error, and the caller must not
// read cmds (their batch may still be filling them in); else each
// command holds its own reply or error.
func (p *pipe) sendAll(ctx context.Context, cmds ...redis.Cmder) error {
	if p.ap != nil {
		shared := p.waiting.Add(1) > 1
		defer p.waiting.Add(-1)
		if shared {
			return p.submitAll(ctx, cmds)
		}
	}
	p.pipelined(ctx, cmds)
	return nil
}

// submitAll hands cmds to the automatic pipeline and waits for them; it
// returns an error only when ctx ended first.
func (p *pipe) submitAll(ctx context.Context, cmds []redis.Cmder) error {
	futures := make([]redis.AutoFuture, len(cmds))
	for i, c := range cmds {
		futures[i] = p.ap.Submit(ctx, c)
	}
	for _, f := range futures {
		if err := f.WaitContext(ctx); err != nil && ctx.Err() != nil {
			return fmt.Errorf("waiting for redis: %w", ctx.Err())
		}
	}
	return nil
}

// pipelined sends cmds as one pipeline on the plain client, whose I/O
// ends with ctx; each command's own error is read by the caller.
func (p *pipe) pipelined(ctx context.Context, cmds []redis.Cmder) {
	_, _ = p.client.Pipelined(ctx, func(pl redis.Pipeliner) error {
		for _, c := range cmds {
			_ = pl.Process(ctx, c)
		}
		return nil
	})
}

// Eval runs script through the pipeline.
func (p *pipe) Eval(ctx context.Context, script string, keys []string, args ...any) *redis.Cmd {
	return p.eval(ctx, "eval", script, keys, args...)
}

// EvalSha runs the script with that SHA through the pipeline.
func (p *pipe) EvalSha(ctx context.Context, sha1 string, keys []string, args ...any) *redis.Cmd {
	return p.eval(ctx, "evalsha", sha1, keys, args...)
}

// EvalRO runs a read-only script through the pipeline.
func (p *pipe) EvalRO(ctx context.Context, script string, keys []string, args ...any) *redis.Cmd {
	return p.eval(ctx, "eval_ro", script, keys, args...)
}

// EvalShaRO runs the read-only script with that SHA through the pipeline.
func (p *pipe) EvalShaRO(ctx context.Context, sha1 string, keys []string, args ...any) *redis.Cmd {
	return p.eval(ctx, "evalsha_ro", sha1, keys, args...)
}

// ScriptExists asks the server directly: it is not on a request's path.
func (p *pipe) ScriptExists(ctx context.Context, hashes ...string) *redis.BoolSliceCmd {
	return p.client.ScriptExists(ctx, hashes...)
}

// ScriptLoad loads script directly: it is not on a request's path.
func (p *pipe) ScriptLoad(ctx context.Context, script string) *redis.StringCmd {
	return p.client.ScriptLoad(ctx, script)
}

var _ redis.Scripter = (*pipe)(nil)
