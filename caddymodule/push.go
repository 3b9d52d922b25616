package caddymodule

import (
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"strings"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/authgate/authgate/gate/push"
	"github.com/authgate/authgate/gate/store"
	"github.com/authgate/authgate/gate/web"
)

// generatedPushKeyPath is where a generated VAPID key is kept in Caddy's
// storage, so every instance sharing it, and every restart, signs with the
// key the phones subscribed with.
const generatedPushKeyPath = "authgate/push_key"

// unmarshalPushOption parses push_key, push_contact and push_services.
// Values holding placeholders are checked at provision instead, once
// their variables and files are known to exist.
func (a *App) unmarshalPushOption(d *caddyfile.Dispenser) error {
	switch opt := d.Val(); opt {
	case "push_key":
		if err := placeholderArg(d, &a.PushKey); err != nil {
			return err
		}
		if !hasPlaceholder(a.PushKey) {
			if _, err := push.ParseKey(a.PushKey); err != nil {
				return d.Errf("push_key: %v", err)
			}
		}
	case "push_contact":
		if err := placeholderArg(d, &a.PushContact); err != nil {
			return err
		}
		if !hasPlaceholder(a.PushContact) {
			if err := checkPushContact(a.PushContact); err != nil {
				return d.Errf("push_contact: %v", err)
			}
		}
	case "push_services":
		args := d.RemainingArgs()
		if len(args) == 0 {
			return d.ArgErr()
		}
		for _, s := range args {
			if err := checkPlaceholderSources(d, opt, s); err != nil {
				return err
			}
			if hasPlaceholder(s) {
				continue
			}
			if _, err := push.NewAllowList([]string{s}); err != nil {
				return d.Errf("push_services: %v", err)
			}
		}
		a.PushServices = append(a.PushServices, args...)
	}
	return nil
}

// checkPushContact accepts a mailto: address or an https: URL (RFC 8292's
// sub claim).
func checkPushContact(v string) error {
	u, err := url.Parse(v)
	switch {
	case err != nil:
		return fmt.Errorf("%q is not a URL", v)
	case u.Scheme == "mailto" && strings.Contains(u.Opaque, "@"):
		return nil
	case u.Scheme == "https" && u.Host != "":
		return nil
	}
	return fmt.Errorf("%q: want mailto:<address> or an https: URL", v)
}

// expandPush replaces placeholders in the push options.
func (a *App) expandPush(e expander) error {
	if err := e.into("push_key", &a.PushKey); err != nil {
		return err
	}
	if err := e.into("push_contact", &a.PushContact); err != nil {
		return err
	}
	if a.PushContact != "" {
		if err := checkPushContact(a.PushContact); err != nil {
			return fmt.Errorf("push_contact: %w", err)
		}
	}
	for i := range a.PushServices {
		v, err := e.required(fmt.Sprintf("push_services %d", i+1), a.PushServices[i])
		if err != nil {
			return err
		}
		a.PushServices[i] = v
	}
	return nil
}

// setupPush builds the notifier: the VAPID key (configured, or generated
// once and kept in Caddy's storage), the allow-list and the worker pool,
// which Start runs and Stop ends.
func (a *App) setupPush(ctx caddy.Context, st store.Store) (*push.Notifier, error) {
	key, err := a.loadPushKey(ctx)
	if err != nil {
		return nil, err
	}
	allow, err := push.NewAllowList(a.PushServices)
	if err != nil {
		return nil, fmt.Errorf("push_services: %w", err)
	}
	// Apple's push service refuses a VAPID token without a contact (sub):
	// the site's public https URL serves when no push_contact is given.
	contact := a.PushContact
	if contact == "" && strings.HasPrefix(a.PublicURL, "https://") {
		contact = a.PublicURL
	}
	if contact == "" {
		a.log.Warn("push_contact is not set: Apple's push service (Safari, iPhone) refuses pushes without one; set push_contact mailto:<address>")
	}
	// Pushes mostly wait on the network: many workers cost little, and
	// one push service may hold only three quarters of them.
	const workers = 32
	sender, err := push.NewSender(push.SenderConfig{Key: key, Contact: contact, Allow: allow, Conns: workers})
	if err != nil {
		return nil, err
	}
	n := push.NewNotifier(push.NotifierConfig{Workers: workers, Browser: web.BrowserName, Logger: a.log.Named("push")}, sender, st)
	if err := ctx.GetMetricsRegistry().Register(newPushCollector(n)); err != nil {
		return nil, fmt.Errorf("registering push metrics: %w", err)
	}
	return n, nil
}

func (a *App) loadPushKey(ctx caddy.Context) (*push.Key, error) {
	if a.PushKey != "" {
		k, err := push.ParseKey(a.PushKey)
		if err != nil {
			return nil, fmt.Errorf("push_key: %w", err)
		}
		return k, nil
	}
	s := ctx.Storage()
	raw, err := s.Load(ctx, generatedPushKeyPath)
	if err == nil {
		return parseStoredPushKey(raw)
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("loading generated push key: %w", err)
	}
	k, err := push.GenerateKey()
	if err != nil {
		return nil, err
	}
	if err := s.Store(ctx, generatedPushKeyPath, []byte(k.Encode())); err != nil {
		return nil, fmt.Errorf("keeping generated push key: %w", err)
	}
	// Another instance sharing the storage may have written first: use
	// whatever is stored now.
	if raw, err = s.Load(ctx, generatedPushKeyPath); err != nil {
		return nil, fmt.Errorf("reloading generated push key: %w", err)
	}
	return parseStoredPushKey(raw)
}

// parseStoredPushKey reads the generated key kept in storage. An error
// names where it is kept: the config has no push_key to look at.
func parseStoredPushKey(raw []byte) (*push.Key, error) {
	k, err := push.ParseKey(string(raw))
	if err != nil {
		return nil, fmt.Errorf("the generated push key kept in Caddy's storage at %s is damaged (delete it to have a new one made; phones then subscribe again), or set push_key: %w", generatedPushKeyPath, err)
	}
	return k, nil
}

// pushCollector reports the notifier's counters as
// authgate_push_total{result}.
type pushCollector struct {
	n    *push.Notifier
	desc *prometheus.Desc
}

func newPushCollector(n *push.Notifier) pushCollector {
	return pushCollector{n: n, desc: prometheus.NewDesc("authgate_push_total",
		"Web Push messages to phones by result (sent, gone, failed, retried, refused, dropped, skipped, stale), on this instance.",
		[]string{"result"}, nil)}
}

// Describe sends the descriptor.
func (c pushCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

// Collect reads the counters.
func (c pushCollector) Collect(ch chan<- prometheus.Metric) {
	s := c.n.Stats()
	for result, v := range map[string]uint64{
		"sent": s.Sent, "gone": s.Gone, "failed": s.Failed, "retried": s.Retried,
		"refused": s.Refused, "dropped": s.Dropped, "skipped": s.Skipped, "stale": s.Stale,
	} {
		ch <- prometheus.MustNewConstMetric(c.desc, prometheus.CounterValue, float64(v), result)
	}
}
