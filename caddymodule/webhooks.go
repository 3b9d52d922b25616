package caddymodule

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
	"go.uber.org/zap"

	"github.com/authgate/authgate/gate/flow"
	"github.com/authgate/authgate/gate/gateway"
	"github.com/authgate/authgate/gate/store"
	"github.com/authgate/authgate/gate/store/redisstore"
	"github.com/authgate/authgate/gate/webhook"
	"github.com/authgate/authgate/gate/webhook/redisdeliverylog"
	"github.com/authgate/authgate/gate/webhook/redishealth"
	"github.com/authgate/authgate/gate/webhook/redisoutbox"
)

// WebhookConfig is one webhook receiver in the global options.
type WebhookConfig struct {
	// URL receives a signed POST per event.
	URL string `json:"url"`
	// Secret keys the signatures; a "whsec_…" secret also suits Standard
	// Webhooks libraries.
	Secret string `json:"secret"`
	// PreviousSecret also signs webhook-signature during a rotation; the
	// hex signature header is signed with Secret alone.
	PreviousSecret string `json:"previous_secret,omitempty"`
	// Events lists event names, or "*" (default) for all but access.
	Events []string `json:"events,omitempty"`
	// Timeout bounds each attempt. Default: 10s (3s for blocking hooks).
	Timeout caddy.Duration `json:"timeout,omitempty"`
	// SignatureHeader and SignaturePrefix rename the hex signature header
	// for receivers written for other products (e.g.
	// X-Authgear-Body-Signature with no prefix).
	SignatureHeader string `json:"signature_header,omitempty"`
	SignaturePrefix string `json:"signature_prefix,omitempty"`
	// AccessSampleRate delivers this fraction of access events (0 = all).
	AccessSampleRate float64 `json:"access_sample_rate,omitempty"`
	// Format is the payload format: envelope (default, authgate's own),
	// authgate (the AuthGate integration guide's flat bodies and headers)
	// or webgate (the webgate dispatcher's).
	Format string `json:"format,omitempty"`
	// AppID limits the receiver to the events of one app.
	AppID string `json:"app_id,omitempty"`
	// Blocking makes this a pre_login hook: asked before any push goes
	// out; {"is_allowed": false} refuses the login.
	Blocking bool `json:"blocking,omitempty"`
	// AllowOnError lets logins through when a blocking hook fails or times
	// out. Default: deny.
	AllowOnError bool `json:"allow_on_error,omitempty"`
}

// expand replaces placeholders in the receiver's URL and secrets and
// checks the result, which the Caddyfile parser could not do while they
// were placeholders.
func (w *WebhookConfig) expand(e expander, n int) error {
	name := fmt.Sprintf("webhook %d", n)
	url, err := e.required(name+" url", w.URL)
	if err != nil {
		return err
	}
	w.URL = url
	name = "webhook " + webhook.ShownURL(w.URL)
	if w.Secret, err = e.required(name+" secret", w.Secret); err != nil {
		return err
	}
	if err := e.into(name+" previous_secret", &w.PreviousSecret); err != nil {
		return err
	}
	ep := w.endpoint()
	if w.Blocking {
		ep.Events = nil
	}
	if err := ep.Validate(); err != nil {
		return err
	}
	return nil
}

func (w WebhookConfig) endpoint() webhook.Endpoint {
	return webhook.Endpoint{
		URL: w.URL, Secret: w.Secret, PreviousSecret: w.PreviousSecret, Events: w.Events,
		Timeout: time.Duration(w.Timeout), SignatureHeader: w.SignatureHeader,
		SignaturePrefix: w.SignaturePrefix, AccessSampleRate: w.AccessSampleRate,
		Format: w.Format, AppID: w.AppID,
	}
}

// unmarshalWebhook parses one webhook block. Syntax:
//
//	webhook <url> {
//	    secret <secret>
//	    previous_secret <secret>
//	    events <name...> | *
//	    timeout <duration>
//	    signature_header <name> [<prefix>]
//	    access_sample_rate <0..1>
//	    format envelope | authgate | webgate
//	    app <app_id>
//	    blocking [allow_on_error]
//	}
func unmarshalWebhook(d *caddyfile.Dispenser) (WebhookConfig, error) {
	var w WebhookConfig
	if !d.NextArg() {
		return w, d.ArgErr()
	}
	w.URL = d.Val()
	if d.NextArg() {
		return w, d.ArgErr()
	}
	if err := checkPlaceholderSources(d, "webhook", w.URL); err != nil {
		return w, err
	}
	for nesting := d.Nesting(); d.NextBlock(nesting); {
		switch opt := d.Val(); opt {
		case "secret":
			if err := placeholderArg(d, &w.Secret); err != nil {
				return w, err
			}
		case "previous_secret":
			if err := placeholderArg(d, &w.PreviousSecret); err != nil {
				return w, err
			}
		case "events":
			w.Events = d.RemainingArgs()
			if len(w.Events) == 0 {
				return w, d.ArgErr()
			}
		case "timeout":
			if err := durationArg(d, &w.Timeout); err != nil {
				return w, err
			}
		case "signature_header":
			args := d.RemainingArgs()
			if len(args) < 1 || len(args) > 2 {
				return w, d.ArgErr()
			}
			w.SignatureHeader = args[0]
			if len(args) == 2 {
				w.SignaturePrefix = args[1]
			}
		case "access_sample_rate":
			var s string
			if err := oneArg(d, &s); err != nil {
				return w, err
			}
			v, err := strconv.ParseFloat(s, 64)
			if err != nil || v < 0 || v > 1 {
				return w, d.Errf("access_sample_rate: %q is not a number from 0 to 1", s)
			}
			w.AccessSampleRate = v
		case "format":
			if err := oneArg(d, &w.Format); err != nil {
				return w, err
			}
			if !slices.Contains(webhook.Formats(), w.Format) {
				return w, d.Errf("format: %q is not one of %s", w.Format, strings.Join(webhook.Formats(), ", "))
			}
		case "app":
			if err := oneArg(d, &w.AppID); err != nil {
				return w, err
			}
		case "blocking":
			w.Blocking = true
			for d.NextArg() {
				if d.Val() != "allow_on_error" {
					return w, d.Errf("blocking: unknown argument %q (want allow_on_error)", d.Val())
				}
				w.AllowOnError = true
			}
		case "allow_on_error":
			return w, d.Err("allow_on_error is an argument of blocking: write 'blocking allow_on_error'")
		default:
			return w, d.Errf("unrecognized webhook option '%s'%s", opt, didYouMean(opt, []string{
				"secret", "previous_secret", "events", "timeout", "signature_header", "access_sample_rate", "format", "app", "blocking",
			}))
		}
	}
	if w.Secret == "" {
		return w, d.Errf("webhook %s: a secret is required", webhook.ShownURL(w.URL))
	}
	if hasPlaceholder(w.URL) || hasPlaceholder(w.Secret) || hasPlaceholder(w.PreviousSecret) {
		return w, nil // checked once expanded, at provision
	}
	ep := w.endpoint()
	if w.Blocking {
		ep.Events = nil
	}
	if err := ep.Validate(); err != nil {
		return w, d.Err(err.Error())
	}
	return w, nil
}

// webhooks owns the app's delivery work: the dispatcher (an event sink),
// the pre_login hooks, and the endpoints added through the admin API.
type webhooks struct {
	dispatcher *webhook.Dispatcher
	preLogin   []*webhook.PreLoginHook

	storage caddy.Context
	mu      sync.Mutex // serialises changes to the stored endpoint list
	// shared, with the Redis store, keeps the admin-added endpoints in
	// Redis instead of storage (webhooks_shared.go).
	shared *sharedReceivers
	health webhook.HealthStore // the shared health, with the Redis store
}

// storedWebhooksPath is where endpoints added through the admin API are
// kept in Caddy's storage, so every instance sharing it and every restart
// knows them.
const storedWebhooksPath = "authgate/webhooks.json"

// storedWebhook is an endpoint added through the admin API.
type storedWebhook struct {
	ID     string   `json:"id"`
	AppID  string   `json:"app_id,omitempty"`
	URL    string   `json:"url"`
	Secret string   `json:"secret"`
	Events []string `json:"events,omitempty"`
	Format string   `json:"format,omitempty"`
	// PublicOnly: registered by an app, delivered to public addresses only.
	PublicOnly bool `json:"public_only,omitempty"`
}

// endpoint is the dispatcher's view of a stored receiver: limited to its
// app's events when it names one.
func (s storedWebhook) endpoint() webhook.Endpoint {
	return webhook.Endpoint{ID: s.ID, URL: s.URL, Secret: s.Secret, Events: s.Events, AppID: s.AppID,
		Format: s.Format, PublicOnly: s.PublicOnly}
}

// setupWebhooks builds the dispatcher over the right outbox: a Redis
// Stream shared by every instance with the Redis store, a bounded memory
// queue otherwise.
func (a *App) setupWebhooks(ctx caddy.Context, st *sharedStore) (*webhooks, error) {
	w := &webhooks{storage: ctx}
	var endpoints []webhook.Endpoint
	for _, cfg := range a.Webhooks {
		if cfg.Blocking {
			ep := cfg.endpoint()
			ep.Events = nil
			hook, err := webhook.NewPreLoginHook(ep, cfg.AllowOnError, a.log)
			if err != nil {
				return nil, err
			}
			w.preLogin = append(w.preLogin, hook)
			continue
		}
		endpoints = append(endpoints, cfg.endpoint())
	}
	var stored []storedWebhook
	if rs, ok := st.Store.(*redisstore.Store); ok {
		// Provisioning never waits on Redis (caddy validate works while
		// it is down): the shared receivers arrive with the first resync,
		// which also copies in the ones an earlier version kept in
		// Caddy's storage.
		w.shared = newSharedReceivers(rs.Client(), rs.Prefix()+":{webhooks}")
		fromStorage, err := w.loadStorage(ctx)
		if err != nil {
			return nil, err
		}
		w.shared.fromStorage = fromStorage
	} else {
		var err error
		if stored, err = w.load(ctx); err != nil {
			return nil, err
		}
	}
	for _, s := range stored {
		endpoints = append(endpoints, s.endpoint())
		if w.shared != nil {
			w.shared.mark(s)
		}
	}
	cfg := webhook.Config{Endpoints: endpoints, Logger: a.log.Named("webhook")}
	for _, d := range a.WebhookSchedule {
		cfg.Schedule = append(cfg.Schedule, time.Duration(d))
	}
	if st.outbox != nil {
		cfg.Outbox = st.outbox
	}
	if st.deliveries != nil {
		cfg.DeliveryLog, cfg.Health = st.deliveries, st.health
	}
	if rs, ok := st.Store.(*redisstore.Store); ok {
		ob, err := redisoutbox.New(ctx, rs.Client(), redisoutbox.Options{
			Prefix: rs.Prefix() + ":{webhooks}", Visibility: time.Duration(a.WebhookClaimTimeout),
			Logger: a.log.Named("webhook"),
		})
		if err != nil {
			return nil, fmt.Errorf("opening the webhook outbox: %w", err)
		}
		cfg.Outbox = ob
		cfg.Health = redishealth.New(rs.Client(), rs.Prefix()+":{webhooks}")
		w.health = cfg.Health
		// The delivery log too, one hash tag per receiver: every instance
		// lists and replays every instance's deliveries.
		cfg.DeliveryLog = redisdeliverylog.New(rs.Client(), redisdeliverylog.Options{Prefix: rs.Prefix() + ":webhooks:log"})
	}
	d, err := webhook.New(cfg)
	if err != nil {
		return nil, err
	}
	w.dispatcher = d
	return w, nil
}

// preLoginFunc chains the blocking hooks: the first refusal wins.
func (w *webhooks) preLoginFunc() flow.PreLoginFunc {
	if len(w.preLogin) == 0 {
		return nil
	}
	return func(ctx context.Context, l *store.Login) (bool, string) {
		for _, h := range w.preLogin {
			if ok, reason := h.Check(ctx, l); !ok {
				return false, reason
			}
		}
		return true, ""
	}
}

// load returns the endpoints added through the admin API.
func (w *webhooks) load(ctx context.Context) ([]storedWebhook, error) {
	if w.shared != nil {
		return w.shared.load(ctx)
	}
	return w.loadStorage(ctx)
}

func (w *webhooks) loadStorage(ctx context.Context) ([]storedWebhook, error) {
	raw, err := w.storage.Storage().Load(ctx, storedWebhooksPath)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("loading webhooks added through the admin API: %w", err)
	}
	var list []storedWebhook
	if err := json.Unmarshal(raw, &list); err != nil {
		return nil, fmt.Errorf("reading %s: %w", storedWebhooksPath, err)
	}
	return list, nil
}

func (w *webhooks) save(ctx context.Context, list []storedWebhook) error {
	raw, err := json.Marshal(list)
	if err != nil {
		return err
	}
	return w.storage.Storage().Store(ctx, storedWebhooksPath, raw)
}

// add registers a new endpoint with a generated secret, delivers to it
// at once and keeps it in storage. With an app id it receives only that
// app's events. A limit above zero refuses the endpoint when the app has
// that many already. It returns the endpoint's id and secret.
func (w *webhooks) add(ctx context.Context, s storedWebhook, limit int) (storedWebhook, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if limit > 0 && w.shared == nil {
		list, err := w.load(ctx)
		if err != nil {
			return s, err
		}
		n := 0
		for _, other := range list {
			if other.AppID == s.AppID {
				n++
			}
		}
		if n >= limit {
			return s, tooManyReceivers(n)
		}
	}
	// A random id, so the same URL may be registered for several apps.
	s.ID, s.Secret = webhook.NewEndpointID(), webhook.GenerateSecret()
	ep, err := w.dispatcher.AddEndpoint(s.endpoint())
	if err != nil {
		return s, fmt.Errorf("%w: %w", gateway.ErrInvalidWebhook, err)
	}
	s.ID = ep.ID
	if w.shared != nil {
		var had int
		had, err = w.shared.putWithin(ctx, s, limit)
		if err == nil && had >= 0 {
			_ = w.dispatcher.RemoveEndpoint(ep.ID)
			return s, tooManyReceivers(had)
		}
		if err == nil {
			w.shared.mark(s)
		}
	} else {
		var list []storedWebhook
		list, err = w.load(ctx)
		if err == nil {
			err = w.save(ctx, append(list, s))
		}
	}
	if err != nil {
		_ = w.dispatcher.RemoveEndpoint(ep.ID)
		return s, fmt.Errorf("keeping the webhook: %w", err)
	}
	return s, nil
}

// tooManyReceivers refuses a receiver for an app that has n already.
func tooManyReceivers(n int) error {
	return fmt.Errorf("%w: the app has %d receivers already; an operator removes old ones with DELETE /authgate/webhooks/{id}", gateway.ErrInvalidWebhook, n)
}

// maxRegisteredPerApp bounds the receivers POST /api/webhooks keeps per
// app, so an app's key cannot fill the storage; the operator removes old
// ones with the admin API.
const maxRegisteredPerApp = 20

// RegisterWebhook adds a receiver for the standalone gate's POST
// /api/webhooks.
func (w *webhooks) RegisterWebhook(ctx context.Context, req gateway.WebhookRequest) (gateway.Webhook, error) {
	s, err := w.add(ctx, storedWebhook{AppID: req.AppID, URL: req.URL, Events: req.Events, Format: req.Format, PublicOnly: req.PublicOnly}, maxRegisteredPerApp)
	if err != nil {
		return gateway.Webhook{}, err
	}
	return gateway.Webhook{ID: s.ID, AppID: s.AppID, URL: s.URL, Secret: s.Secret, Events: s.Events, Format: s.Format}, nil
}

// remove stops deliveries to an admin-added endpoint and forgets it.
func (w *webhooks) remove(ctx context.Context, id string) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.shared != nil {
		found, err := w.shared.delete(ctx, id)
		if err != nil {
			return err
		}
		if !found {
			return fmt.Errorf("webhook %q: %w (only webhooks added through the admin API can be removed; others live in the Caddyfile)", id, webhook.ErrUnknownEndpoint)
		}
		w.shared.unmark(id)
		// A health hash left behind is harmless: ids are never reused.
		_ = w.health.Forget(ctx, id)
		if err := w.dispatcher.RemoveEndpoint(id); err != nil && !errors.Is(err, webhook.ErrUnknownEndpoint) {
			return err
		}
		return nil
	}
	list, err := w.load(ctx)
	if err != nil {
		return err
	}
	kept := list[:0]
	found := false
	for _, s := range list {
		if s.ID == id {
			found = true
			continue
		}
		kept = append(kept, s)
	}
	if !found {
		return fmt.Errorf("webhook %q: %w (only webhooks added through the admin API can be removed; others live in the Caddyfile)", id, webhook.ErrUnknownEndpoint)
	}
	if err := w.save(ctx, kept); err != nil {
		return fmt.Errorf("forgetting the webhook: %w", err)
	}
	if err := w.dispatcher.RemoveEndpoint(id); err != nil && !errors.Is(err, webhook.ErrUnknownEndpoint) {
		return err
	}
	return nil
}

// run delivers until ctx ends.
func (w *webhooks) run(ctx context.Context, log *zap.Logger) {
	var wg sync.WaitGroup
	defer wg.Wait()
	if w.shared != nil {
		wg.Go(func() { w.resyncLoop(ctx, log) })
	}
	if err := w.dispatcher.Run(ctx); err != nil {
		log.Error("webhook dispatcher stopped", zap.Error(err))
	}
}
