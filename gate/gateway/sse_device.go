package gateway

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/authgate/authgate/gate/device"
	"github.com/authgate/authgate/gate/store"
	"github.com/authgate/authgate/gate/web"
)

// Device event streams read the store when the live hub signals a change
// (a login of the user created, a shown login decided, the device
// removed, on any instance sharing the store) and on slow safety timers.
const (
	// deviceEventsEvery is how often a device's stream reads its user's
	// pending logins although no change was signalled.
	deviceEventsEvery = 30 * time.Second
	// deviceRecheckEvery is how often the stream checks that the device
	// is still enrolled although no removal was signalled.
	deviceRecheckEvery = 60 * time.Second
	// deviceRecheckPolling replaces deviceRecheckEvery while the hub's
	// subscription is down.
	deviceRecheckPolling = 5 * time.Second
	// deviceStreamLifetime ends a stream after a while so that the device
	// signs again (a signature is accepted once, and a revoked device is
	// shut out of every stream it holds).
	deviceStreamLifetime = 5 * time.Minute
)

// pendingItem is one login on a device's stream: the device API's shape,
// plus a short browser name and the time left as the server sees it, so
// a phone with a wrong clock still counts down right.
type pendingItem struct {
	device.PendingLogin
	Browser     string `json:"browser"`
	ExpiresInMS int64  `json:"expires_in_ms"`
	// From says in words where the sign-in comes from: "on this network"
	// when the browser's address is the phone's own, else the address
	// (and a coarse location when a GeoIP database is configured).
	From        string `json:"from"`
	SameNetwork bool   `json:"same_network"`
	Location    string `json:"location,omitempty"`
}

// pendingEvent is the data of a "pending" event: every login waiting for
// the device's user, [] when none is.
type pendingEvent struct {
	Logins []pendingItem `json:"logins"`
}

// pendingEventOf describes logins for a device whose request came from
// phoneIP; locate, if set, names an address's coarse location.
func pendingEventOf(logins []*store.Login, now time.Time, reportBlock time.Duration, phoneIP string, locate func(string) string) pendingEvent {
	ev := pendingEvent{Logins: make([]pendingItem, 0, len(logins))}
	for _, l := range logins {
		item := pendingItem{
			PendingLogin: device.PendingLogin{
				SessionID: l.ID, AppID: l.AppID, SiteTitle: l.SiteTitle, ClientIP: l.ClientIP, UserAgent: l.UserAgent,
				CreatedAt: l.CreatedAt, ExpiresAt: l.ExpiresAt, Choices: l.Choices,
				ReportBlockSeconds: int(reportBlock / time.Second),
			},
			Browser:     web.BrowserName(l.UserAgent),
			ExpiresInMS: max(0, l.ExpiresAt.Sub(now).Milliseconds()),
		}
		item.From, item.SameNetwork, item.Location = whereFrom(l.ClientIP, phoneIP, locate)
		ev.Logins = append(ev.Logins, item)
	}
	return ev
}

// requestIP is the client address of a gate request as its site trusts
// it (the TCP peer for a request that reached no site).
func requestIP(r *http.Request) string {
	if rt := routeOf(r); rt != nil {
		return rt.clientIP(r)
	}
	return remoteIP(r)
}

// whereFrom says in words where a sign-in from loginIP comes from, as
// seen by a phone at phoneIP.
func whereFrom(loginIP, phoneIP string, locate func(string) string) (from string, same bool, location string) {
	if loginIP == "" {
		return "an unknown address", false, ""
	}
	if loginIP == phoneIP {
		return "on this network", true, ""
	}
	if locate != nil {
		location = locate(loginIP)
	}
	if location != "" {
		return loginIP + " (" + location + ")", false, location
	}
	return loginIP, false, ""
}

// handleDeviceEvents is GET /device/events, signed (the query form, since
// EventSource cannot set headers): a server-sent event stream of the
// logins waiting for the device's user. It sends "pending" at once and
// whenever the set changes (a new login, or one decided or expired), a
// keepalive comment when idle for 15 s, "revoked" if the device is
// removed, and "reconnect" before it ends after five minutes; the client
// then opens a new stream with a fresh signature.
func (g *Gateway) handleDeviceEvents(w http.ResponseWriter, r *http.Request) {
	d, _ := g.authDevice(w, r)
	if d == nil {
		return
	}
	if !g.admitStream(w, "device:"+d.ID) {
		return
	}
	defer g.streams.give("device:" + d.ID)
	s, err := openSSE(w)
	if err != nil {
		g.log.Debug("device event stream not opened", zap.Error(err))
		return
	}
	g.streamPending(r.Context(), s, d, requestIP(r))
}

// streamPending watches the pending logins of d's user until the client
// leaves, the device is revoked or the stream's lifetime ends.
func (g *Gateway) streamPending(ctx context.Context, s *sseStream, d *store.Device, phoneIP string) {
	watch := g.live.Watch(d.Email, d.ID)
	waiter := g.newStreamWaiter(s, watch)
	defer waiter.stop()
	started := time.Now()
	lastCheck := started
	sent := "\x00" // nothing sent yet
	var shown []*store.Login
	for {
		now := time.Now()
		logins, err := g.flow.Pending(ctx, d)
		if err == nil {
			shown = logins
			if key := loginIDs(logins); key != sent {
				// Watched before they are shown: a decision made the
				// moment the phone shows a login must wake this stream.
				watch.SetLogins(idsOf(logins))
				if err := s.send("pending", pendingEventOf(logins, now, g.flow.Config().ReportBlock, phoneIP, g.locate)); err != nil {
					return
				}
				sent = key
			}
		} else if ctx.Err() != nil {
			return
		}
		// Wake when the first shown login's window ends, to drop it, and
		// before the stream's lifetime does.
		deadline := started.Add(deviceStreamLifetime)
		for _, l := range shown {
			deadline = earliest(deadline, l.ExpiresAt.Add(streamMinWait))
		}
		signalled, ok := waiter.wait(ctx, deviceEventsEvery, deviceFallbackEvery, deadline)
		if !ok {
			return
		}
		now = time.Now()
		if now.Sub(started) >= deviceStreamLifetime {
			_ = s.send("reconnect", struct{}{})
			return
		}
		// A signal may be the device's removal: check then, and on the
		// slow timer (a faster one while signals do not arrive).
		recheck := deviceRecheckEvery
		if !g.live.Up() {
			recheck = deviceRecheckPolling
		}
		if (signalled && g.live.Up()) || now.Sub(lastCheck) >= recheck {
			lastCheck = now
			if _, err := g.store.GetDevice(ctx, d.ID); errors.Is(err, store.ErrNotFound) {
				_ = s.send("revoked", struct{}{})
				return
			}
		}
	}
}

// earliest returns the earlier of a and b.
func earliest(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

// idsOf returns the ids of logins.
func idsOf(logins []*store.Login) []string {
	ids := make([]string, len(logins))
	for i, l := range logins {
		ids[i] = l.ID
	}
	return ids
}

// loginIDs names a set of logins by their ids, for change detection.
func loginIDs(logins []*store.Login) string {
	ids := make([]string, len(logins))
	for i, l := range logins {
		ids[i] = l.ID
	}
	return strings.Join(ids, ",")
}
