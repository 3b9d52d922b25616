package flow

import "github.com/authgate/authgate/gate/store"

// StartNotifier learns of every login that starts, so that the user's
// phones can be woken (gate/push). LoginStarted must return at once: the
// sending happens elsewhere, never on the browser's request.
type StartNotifier interface {
	LoginStarted(l *store.Login, site string)
}

// WithStartNotifier tells n of every login that starts, after it is
// stored and its login_requested event is emitted.
func WithStartNotifier(n StartNotifier) Option { return func(s *Service) { s.notifier = n } }
