package redisstore

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/authgate/authgate/gate/store"
)

// OpenSession sends the session's SET, its index script, the
// generation's HGET and the device's note script together, in the batch
// the store's concurrent calls share: one round trip (on a Cluster, one
// per shard they live on, sent at once). A script the server has not
// loaded (after a restart) is loaded and run again on its own; the
// others are not repeated.
func (s *Store) OpenSession(ctx context.Context, o store.SessionOpening) (*store.SessionOpened, error) {
	if err := s.check(); err != nil {
		return nil, err
	}
	sess := o.Session
	if !time.Now().Before(sess.ExpiresAt) {
		return nil, fmt.Errorf("redis store: creating session that expired at %v", sess.ExpiresAt)
	}
	data, err := json.Marshal(sess)
	if err != nil {
		return nil, fmt.Errorf("redis store: encoding session: %w", err)
	}
	index := scriptCall{s.scripts.index, []string{s.sessionsKey(sess.Email)},
		[]any{time.Now().UnixMilli(), "add", sess.ExpiresAt.UnixMilli(), sess.ID}, nil}
	note := scriptCall{script: s.scripts.noteApproval, keys: []string{s.deviceKey(o.DeviceID)}}
	// SET … EXAT … NX, as go-redis's SetArgs{Mode: "NX", ExpireAt} sends it.
	set := redis.NewStatusCmd(ctx, "set", s.sessionKey(sess.ID), data, "exat", sess.ExpiresAt.Unix(), "nx")
	gen := redis.NewStringCmd(ctx, "hget", s.generationsKey(), sess.Email)
	cmds := []redis.Cmder{set, index.build(ctx), gen}
	if o.DeviceID != "" {
		cmds = append(cmds, note.build(ctx))
	}
	if err := s.pipe.sendAll(ctx, cmds...); err != nil {
		return nil, wrap("creating session", err)
	}
	if err := set.Err(); err == redis.Nil || (err == nil && set.Val() != "OK") {
		return nil, fmt.Errorf("redis store: creating session: %w", store.ErrConflict)
	} else if err != nil {
		return nil, wrap("creating session", err)
	}
	if err := index.result(ctx, s.pipe); err != nil {
		return nil, wrap("indexing session", err)
	}
	out := &store.SessionOpened{}
	switch n, err := gen.Int64(); {
	case err == nil:
		out.Generation = n
	case err != redis.Nil:
		return nil, wrap("reading generation", err)
	}
	if o.DeviceID != "" {
		out.Device, out.FirstApproval, out.NoteErr = s.noteFrom(ctx, o.DeviceID, note.result(ctx, s.pipe), note.cmd)
	}
	return out, s.replicated(ctx, "creating session")
}

// noteFrom reads the note script's reply, or its error.
func (s *Store) noteFrom(ctx context.Context, id string, err error, cmd *redis.Cmd) (*store.Device, bool, error) {
	if err != nil {
		return nil, false, wrap("noting approval", err)
	}
	res, err := cmd.Slice()
	if err != nil {
		return nil, false, wrap("noting approval", err)
	}
	return s.noteApprovalReply(ctx, id, res)
}

// scriptCall is a script sent with other commands by its SHA.
type scriptCall struct {
	script *redis.Script
	keys   []string
	args   []any
	cmd    *redis.Cmd
}

// build makes the call's EVALSHA, to be sent, and keeps it as c.cmd.
func (c *scriptCall) build(ctx context.Context) *redis.Cmd {
	c.cmd = evalCmd(ctx, "evalsha", c.script.Hash(), c.keys, c.args...)
	return c.cmd
}

// result is the call's error once it was sent; a script the server
// did not know is run again on its own (EVALSHA, loading it if needed),
// and c.cmd then holds that run's reply.
func (c *scriptCall) result(ctx context.Context, client redis.Scripter) error {
	err := c.cmd.Err()
	if err == nil || err == redis.Nil || !strings.HasPrefix(err.Error(), "NOSCRIPT") {
		return err
	}
	c.cmd = c.script.Run(ctx, client, c.keys, c.args...)
	return c.cmd.Err()
}
