package gateway

import (
	"context"
	"errors"
	"net/http"
	"time"

	"go.uber.org/zap"

	"github.com/authgate/authgate/gate/flow"
	"github.com/authgate/authgate/gate/store"
)

// loginRecheck is how often a waiting browser's event stream reads its
// login although no change was signalled: a lost signal delays the
// browser by at most this. A change is read when it is signalled, and the
// login once more when its window ends, to expire it.
const loginRecheck = 15 * time.Second

// loginEventsGrace is how long a stream stays open past the approval
// window while the store cannot be read, before it gives up.
const loginEventsGrace = 30 * time.Second

// loginStatusEvent is the data of a "status" event on a login's stream.
type loginStatusEvent struct {
	Status    string `json:"status"`           // pending, approved, denied or expired
	Reason    string `json:"reason,omitempty"` // why it was denied
	ExpiresIn int    `json:"expires_in"`       // seconds left to approve, while pending
}

// statusEventOf describes a login as its browser may see it.
func statusEventOf(l *store.Login, now time.Time) loginStatusEvent {
	ev := loginStatusEvent{Status: publicStatus(l.Status)}
	switch l.Status {
	case store.LoginPending:
		ev.ExpiresIn = max(0, int(l.ExpiresAt.Sub(now).Round(time.Second).Seconds()))
	case store.LoginDenied:
		ev.Reason = l.Reason
	}
	return ev
}

// handleLoginEvents is GET /auth/events/{id}: a server-sent event stream
// of the login's status, for the browser that started it (the binding
// cookie must match, as for collecting it). It sends a "status" event at
// once and whenever the status changes, and ends after the first final
// one (approved, denied, expired). It never collects the session: on
// "approved" the page calls /auth/check, which sets the cookie.
func (g *Gateway) handleLoginEvents(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	id := r.PathValue("id")
	l, err := g.store.GetLogin(ctx, id)
	switch {
	case errors.Is(err, store.ErrNotFound):
		writeError(w, http.StatusNotFound, "no such login")
		return
	case err != nil:
		g.storeFailure(w, r, err)
		return
	case !flow.BindingMatches(g.bindingSecret(r), l.BindingHash):
		writeError(w, http.StatusForbidden, "this login was started in another browser")
		return
	}
	if !g.admitStream(w, "login:"+l.ID) {
		return
	}
	defer g.streams.give("login:" + l.ID)
	s, err := openSSE(w)
	if err != nil {
		g.log.Debug("login event stream not opened", zap.Error(err))
		return
	}
	g.streamLogin(ctx, s, l)
}

// streamLogin sends l's status, then watches it until it is final, the
// client leaves, or the store stays unreadable past the approval window.
func (g *Gateway) streamLogin(ctx context.Context, s *sseStream, l *store.Login) {
	waiter := g.newStreamWaiter(s, g.live.Watch("", "", l.ID))
	defer waiter.stop()
	giveUp := l.ExpiresAt.Add(loginEventsGrace)
	sent := ""
	for {
		ev := statusEventOf(l, time.Now())
		if key := ev.Status + "|" + ev.Reason; key != sent {
			if err := s.send("status", ev); err != nil {
				return
			}
			sent = key
		}
		if ev.Status != string(store.LoginPending) {
			return
		}
		// Just past the window, so that Check expires the login.
		if _, ok := waiter.wait(ctx, loginRecheck, loginFallbackEvery, l.ExpiresAt.Add(streamMinWait)); !ok {
			return
		}
		now := time.Now()
		// An empty binding never collects: Check only reads the login,
		// and expires it once its window has passed.
		res, err := g.flow.Check(ctx, l.ID, "")
		switch {
		case errors.Is(err, flow.ErrNotFound):
			_ = s.send("status", loginStatusEvent{Status: string(store.LoginExpired)})
			return
		case err != nil:
			if ctx.Err() != nil || now.After(giveUp) {
				return
			}
			if c := g.log.Check(zap.DebugLevel, "login event stream cannot read the store"); c != nil {
				c.Write(zap.Error(err))
			}
		default:
			l = res.Login
		}
	}
}
