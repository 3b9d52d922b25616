package memory

import (
	"context"
	"fmt"
	"sync"
)

// fanout hands values published under the store's mutex to every
// subscriber without blocking. A subscriber that falls more than
// subscriberBuffer values behind is dropped rather than allowed to slow
// the writer: its subscription then ends with an error after delivering
// what was queued. what names the values in errors ("revocations").
type fanout[T any] struct {
	what string
	subs map[*fanoutSub[T]]struct{}
}

// fanoutSub is one subscription. values is closed when it is dropped;
// err, set before that, says why.
type fanoutSub[T any] struct {
	values chan T
	err    error
}

func newFanout[T any](what string) fanout[T] {
	return fanout[T]{what: what, subs: make(map[*fanoutSub[T]]struct{})}
}

// subscribe adds a subscription (mu held by the caller, which has checked
// the store is usable), releases mu, calls ready, then calls fn for each
// value until ctx ends (ctx.Err()) or the subscription is dropped (its
// error).
func (f *fanout[T]) subscribe(ctx context.Context, mu *sync.Mutex, ready func(), fn func(T)) error {
	sub := &fanoutSub[T]{values: make(chan T, subscriberBuffer)}
	f.subs[sub] = struct{}{}
	mu.Unlock()

	ready()
	for {
		select {
		case <-ctx.Done():
			mu.Lock()
			delete(f.subs, sub)
			mu.Unlock()
			return ctx.Err()
		case v, ok := <-sub.values:
			if !ok {
				return sub.err
			}
			fn(v)
		}
	}
}

// publishLocked hands v to every subscriber. The caller holds the
// store's mutex.
func (f *fanout[T]) publishLocked(v T) {
	for sub := range f.subs {
		select {
		case sub.values <- v:
		default:
			f.dropLocked(sub, fmt.Errorf("memory store: %s subscriber fell behind; read again and subscribe again", f.what))
		}
	}
}

// dropLocked ends sub with err. The caller holds the store's mutex.
func (f *fanout[T]) dropLocked(sub *fanoutSub[T], err error) {
	sub.err = fmt.Errorf("subscribing to %s: %w", f.what, err)
	close(sub.values)
	delete(f.subs, sub)
}

// closeLocked ends every subscription with err.
func (f *fanout[T]) closeLocked(err error) {
	for sub := range f.subs {
		f.dropLocked(sub, err)
	}
}
