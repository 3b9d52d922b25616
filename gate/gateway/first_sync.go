package gateway

import (
	"context"
	"time"
)

// firstSyncWait bounds how long a protected request waits for the
// revocation set's first load. An instance, or the config a reload
// started, has no set until its first snapshot (one store read): a
// request in that moment waits for it instead of getting 503, and gets
// 503 only if the store does not answer in time.
const firstSyncWait = 2 * time.Second

// awaitFirstSync returns at once once the revocation set has loaded;
// before that it waits for the load, firstSyncWait or ctx, whichever
// comes first.
func (g *Gateway) awaitFirstSync(ctx context.Context) {
	if !g.revocations.LastSync().IsZero() {
		return
	}
	t := time.NewTimer(firstSyncWait)
	defer t.Stop()
	select {
	case <-g.revocations.Synced():
	case <-t.C:
	case <-ctx.Done():
	}
}
