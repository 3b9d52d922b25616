package caddymodule

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"
)

// sharedReceivers keeps the receivers added through the admin API in
// Redis, one hash field per receiver, so every instance on the Redis
// store knows them; each instance reloads the hash every resyncEvery.
type sharedReceivers struct {
	rdb redis.UniversalClient
	key string // hash: id -> storedWebhook JSON
	// migrated is set (no TTL) once the Caddy-storage list was copied in.
	// It also shows whether Redis lost its data: gone after this instance
	// saw it, the hash went with it, and the receivers are written back.
	migrated string
	// loadScript reads the marker and the hash in one step (loadMarkedSrc).
	loadScript *redis.Script

	mu      sync.Mutex
	runtime map[string]storedWebhook // the receivers this dispatcher got from the list
	// seq counts this instance's own adds and removals; touched holds,
	// per receiver, the count at its latest one, so that a resync whose
	// list was read before that change does not undo it.
	seq     uint64
	touched map[string]uint64

	// fromStorage are the receivers an earlier version kept in Caddy's
	// storage, copied into Redis by the first resync that reaches it.
	fromStorage []storedWebhook
	migrateOnce bool
}

// receiversResyncEvery is how often an instance reloads the shared list.
const receiversResyncEvery = 2 * time.Second

func newSharedReceivers(rdb redis.UniversalClient, prefix string) *sharedReceivers {
	return &sharedReceivers{rdb: rdb, key: prefix + ":receivers", migrated: prefix + ":receivers:migrated",
		loadScript: redis.NewScript(loadMarkedSrc),
		runtime:    map[string]storedWebhook{}, touched: map[string]uint64{}}
}

// migrate copies receivers kept in Caddy's storage by an earlier version
// into the hash, once for the whole deployment; or, when the marker is
// gone after this instance saw it (Redis restarted empty, was flushed or
// failed over to a copy without it), writes back the receivers this
// instance knows, so that Redis losing its data does not silently stop
// their deliveries. It reports whether it wrote back.
func (r *sharedReceivers) migrate(ctx context.Context) (wroteBack bool, err error) {
	if r.migrateOnce {
		return r.writeBack(ctx)
	}
	first, err := r.rdb.SetNX(ctx, r.migrated, "1", 0).Result()
	if err != nil || !first {
		return false, wrapReceivers("marking the receiver list migrated", err)
	}
	return false, r.put(ctx, r.fromStorage)
}

// writeBack puts back the receivers this instance knows when the marker
// is gone, then sets the marker again: a write-back cut short is tried
// again at the next pass.
func (r *sharedReceivers) writeBack(ctx context.Context) (bool, error) {
	n, err := r.rdb.Exists(ctx, r.migrated).Result()
	if err != nil || n == 1 {
		return false, wrapReceivers("reading the receiver list's marker", err)
	}
	r.mu.Lock()
	list := make([]storedWebhook, 0, len(r.runtime))
	for _, s := range r.runtime {
		list = append(list, s)
	}
	r.mu.Unlock()
	if err := r.put(ctx, list); err != nil {
		return false, err
	}
	if err := r.rdb.SetNX(ctx, r.migrated, "1", 0).Err(); err != nil {
		return false, wrapReceivers("marking the receiver list migrated", err)
	}
	return len(list) > 0, nil
}

// put adds each receiver of list the hash lacks.
func (r *sharedReceivers) put(ctx context.Context, list []storedWebhook) error {
	for _, s := range list {
		raw, err := json.Marshal(s)
		if err != nil {
			return err
		}
		if err := r.rdb.HSetNX(ctx, r.key, s.ID, raw).Err(); err != nil {
			return wrapReceivers("copying a receiver into Redis", err)
		}
	}
	return nil
}

func (r *sharedReceivers) load(ctx context.Context) ([]storedWebhook, error) {
	m, err := r.rdb.HGetAll(ctx, r.key).Result()
	if err != nil {
		return nil, wrapReceivers("loading webhooks added through the admin API", err)
	}
	return decodeReceivers(m)
}

// loadMarkedSrc reads the marker's presence and the receivers hash.
// KEYS[1] the marker, KEYS[2] the hash. Returns {exists, {id, json…}}.
const loadMarkedSrc = `
return {redis.call('EXISTS', KEYS[1]), redis.call('HGETALL', KEYS[2])}
`

// loadMarked is load, and whether the migrated marker is there, read in
// one step (both keys share a hash tag): without the marker, Redis lost
// its data since the last pass, and an empty list says nothing of what
// was removed. A script rather than MULTI: a Redis at its maxmemory
// under noeviction refuses every command queued in a MULTI, reads
// included, and answers only EXECABORT, which hides why.
func (r *sharedReceivers) loadMarked(ctx context.Context) ([]storedWebhook, bool, error) {
	res, err := r.loadScript.Run(ctx, r.rdb, []string{r.migrated, r.key}).Slice()
	if err != nil {
		return nil, false, wrapReceivers("loading webhooks added through the admin API", err)
	}
	if len(res) != 2 {
		return nil, false, fmt.Errorf("loading webhooks added through the admin API: a reply of %d parts", len(res))
	}
	marked, _ := res[0].(int64)
	pairs, _ := res[1].([]any)
	m := make(map[string]string, len(pairs)/2)
	for i := 0; i+1 < len(pairs); i += 2 {
		id, _ := pairs[i].(string)
		raw, _ := pairs[i+1].(string)
		m[id] = raw
	}
	list, err := decodeReceivers(m)
	return list, marked == 1, err
}

// decodeReceivers reads the receivers hash's fields.
func decodeReceivers(m map[string]string) ([]storedWebhook, error) {
	list := make([]storedWebhook, 0, len(m))
	for id, raw := range m {
		var s storedWebhook
		if err := json.Unmarshal([]byte(raw), &s); err != nil || s.ID != id {
			return nil, fmt.Errorf("reading the stored webhook %q: %w", id, err)
		}
		list = append(list, s)
	}
	return list, nil
}

// mark records that the dispatcher got s from this list.
func (r *sharedReceivers) mark(s storedWebhook) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.runtime[s.ID] = s
	r.seq++
	r.touched[s.ID] = r.seq
}

// unmark records that the dispatcher no longer has id from this list.
func (r *sharedReceivers) unmark(id string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.runtime, id)
	r.seq++
	r.touched[id] = r.seq
}

// changes returns the count of this instance's adds and removals so
// far: read before a list, it tells reconcile which of them the list
// may not show yet.
func (r *sharedReceivers) changes() uint64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.seq
}

// reconcile compares list, read after changes returned since, with the
// receivers this instance has: those to add (in the list, not here) and
// to remove (here, not in the list), leaving out any receiver this
// instance added or removed after since, which the list may predate;
// the changes up to since, which the list shows, are forgotten. The
// caller holds r.mu.
func (r *sharedReceivers) reconcile(list []storedWebhook, since uint64) (add []storedWebhook, remove []string) {
	seen := make(map[string]bool, len(list))
	for _, s := range list {
		seen[s.ID] = true
		if _, ok := r.runtime[s.ID]; !ok && r.touched[s.ID] <= since {
			add = append(add, s)
		}
	}
	for id := range r.runtime {
		if !seen[id] && r.touched[id] <= since {
			remove = append(remove, id)
		}
	}
	for id, at := range r.touched {
		if at <= since {
			delete(r.touched, id)
		}
	}
	return add, remove
}

// putWithin keeps s unless its app has limit receivers already (any
// number when limit is 0), counting and adding in one step so that
// instances adding at once cannot pass the limit together. It returns
// how many the app had when it refused.
func (r *sharedReceivers) putWithin(ctx context.Context, s storedWebhook, limit int) (refusedAt int, err error) {
	raw, err := json.Marshal(s)
	if err != nil {
		return 0, err
	}
	n, err := putWithinLimit.Run(ctx, r.rdb, []string{r.key}, s.ID, raw, s.AppID, limit).Int()
	if err != nil {
		return 0, wrapReceivers("adding to the shared receiver list", err)
	}
	if n >= 0 {
		return n, nil
	}
	return -1, nil
}

// putWithinLimit: KEYS[1] the receivers hash; ARGV id, JSON, app id,
// limit (0: none). It returns -1 once added, else the app's count.
var putWithinLimit = redis.NewScript(`
local limit = tonumber(ARGV[4])
if limit > 0 then
  local n = 0
  for _, raw in ipairs(redis.call('HVALS', KEYS[1])) do
    local ok, v = pcall(cjson.decode, raw)
    if ok and type(v) == 'table' and (v.app_id or '') == ARGV[3] then n = n + 1 end
  end
  if n >= limit then return n end
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
return -1
`)

func (r *sharedReceivers) delete(ctx context.Context, id string) (bool, error) {
	n, err := r.rdb.HDel(ctx, r.key, id).Result()
	return n == 1, wrapReceivers("forgetting the webhook", err)
}

func wrapReceivers(what string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%s: %w", what, err)
}

// resync adds to the dispatcher the receivers another instance added and
// removes those another instance removed, after writing back those Redis
// lost.
func (w *webhooks) resync(ctx context.Context, log *zap.Logger) error {
	r := w.shared
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	wroteBack, err := r.migrate(ctx)
	if err != nil {
		return err
	}
	if wroteBack {
		log.Warn("Redis lost the webhook receivers added through the admin API; wrote back the ones this instance knows")
	}
	r.migrateOnce = true
	since := r.changes()
	list, marked, err := r.loadMarked(ctx)
	if err != nil {
		return err
	}
	if !marked {
		return nil // Redis lost its data just now: the next pass writes back
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	r.mu.Lock()
	defer r.mu.Unlock()
	add, remove := r.reconcile(list, since)
	var errs []error
	for _, s := range add {
		if _, err := w.dispatcher.AddEndpoint(s.endpoint()); err != nil {
			errs = append(errs, fmt.Errorf("adding the shared webhook %q: %w", s.ID, err))
			continue
		}
		r.runtime[s.ID] = s
	}
	for _, id := range remove {
		_ = w.dispatcher.RemoveEndpoint(id)
		delete(r.runtime, id)
	}
	return errors.Join(errs...)
}

// resyncLoop runs resync every receiversResyncEvery until ctx ends.
func (w *webhooks) resyncLoop(ctx context.Context, log *zap.Logger) {
	if err := w.resync(ctx, log); err != nil && ctx.Err() == nil {
		log.Warn("webhook receivers not loaded from Redis yet; retrying", zap.Error(err))
	}
	t := time.NewTicker(receiversResyncEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := w.resync(ctx, log); err != nil && ctx.Err() == nil {
				log.Warn("webhook receivers not reloaded from Redis", zap.Error(err))
			}
		}
	}
}
