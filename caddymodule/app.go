// Package caddymodule adapts authgate to Caddy: the global authgate app
// (store, keys, background work), the authgate HTTP handler, their
// Caddyfile syntax, the admin API and the `caddy authgate` commands. It
// holds no business logic: everything it does is a call into gate/.
package caddymodule

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/caddyserver/caddy/v2"
	"go.uber.org/zap"

	"github.com/authgate/authgate/gate/apikey"
	"github.com/authgate/authgate/gate/audit"
	"github.com/authgate/authgate/gate/directory"
	"github.com/authgate/authgate/gate/event"
	"github.com/authgate/authgate/gate/flow"
	"github.com/authgate/authgate/gate/gateway"
	"github.com/authgate/authgate/gate/geoip"
	"github.com/authgate/authgate/gate/push"
	"github.com/authgate/authgate/gate/store/redisstore"
)

func init() {
	caddy.RegisterModule(App{})
}

// App is the global authgate app: one store, one set of keys and one
// gateway shared by every site that uses the authgate handler. It owns the
// background work (revocation sync, webhook workers) and stops it when
// its config is unloaded.
type App struct {
	// Store says where logins, devices and sessions live. Default: in
	// memory (one instance).
	Store *StoreConfig `json:"store,omitempty"`
	// SigningKey signs session tokens: a secret of at least 32 bytes,
	// "base64:<…>", or an Ed25519 private key in PEM. Default: a secret
	// generated once and kept in Caddy's storage, so restarts and reloads
	// keep users logged in.
	SigningKey string `json:"signing_key,omitempty"`
	// PreviousKeys still verify tokens (rotation) but sign none.
	PreviousKeys []string `json:"previous_keys,omitempty"`
	// GatePath is the path of the gate's pages and API on every protected
	// site. Default: /.authgate.
	GatePath string `json:"gate_path,omitempty"`
	// CookieDomain scopes the session cookie to a domain and its
	// subdomains, for single sign-on. Default: the site's own host.
	CookieDomain string `json:"cookie_domain,omitempty"`
	// SessionLifetime is how long a login lasts. Default: 12h.
	SessionLifetime caddy.Duration `json:"session_lifetime,omitempty"`
	// LoginTimeout is the approval window of a login. Default: 120s.
	LoginTimeout caddy.Duration `json:"login_timeout,omitempty"`
	// PushesPerEmail caps logins started per email per minute. Default: 5.
	PushesPerEmail int `json:"pushes_per_email,omitempty"`
	// PushesPerIP caps logins started per client IP per minute. Default: 20.
	PushesPerIP int `json:"pushes_per_ip,omitempty"`
	// ReportBlock is how long "deny and report" blocks logins for an
	// email. Default: 1h.
	ReportBlock caddy.Duration `json:"report_block,omitempty"`
	// LockoutAttempts refused logins in a row (denied, wrong number,
	// reported, expired, wrong codes) stop new pushes for the user.
	// Default: 5.
	LockoutAttempts int `json:"lockout_attempts,omitempty"`
	// LockoutDuration is how long such a lockout lasts. Default: 15m.
	LockoutDuration caddy.Duration `json:"lockout_duration,omitempty"`
	// RevocationMaxStaleness is how long logged-in users keep access while
	// revocations cannot be refreshed from the store; then 503. Default: 30s.
	RevocationMaxStaleness caddy.Duration `json:"revocation_max_staleness,omitempty"`
	// PublicURL is the gate's external base URL (scheme and host) used in
	// enrolment links made through the admin API.
	PublicURL string `json:"public_url,omitempty"`
	// Groups assigns users to groups (group name → emails or "@domain"),
	// for "allow group" rules and the Remote-Groups header.
	Groups map[string][]string `json:"groups,omitempty"`
	// Directory is a user directory asked about every login (LDAP).
	Directory *DirectoryConfig `json:"directory,omitempty"`
	// Webhooks receive signed events; blocking ones are pre_login hooks.
	Webhooks []WebhookConfig `json:"webhooks,omitempty"`
	// WebhookSchedule is when delivery attempts are made, each delay
	// counted from the failure before it (default: at once, then 5s, 5m,
	// 30m, 2h, 5h, 10h, 14h, 20h, 24h later).
	WebhookSchedule []caddy.Duration `json:"webhook_schedule,omitempty"`
	// WebhookClaimTimeout is how long a delivery claimed by an instance
	// may stay unsettled before another instance takes it over (Redis
	// store only; it must exceed every webhook's timeout). Default: 1m.
	WebhookClaimTimeout caddy.Duration `json:"webhook_claim_timeout,omitempty"`
	// Brand is every site's default title, logo and accent colour.
	Brand BrandConfig `json:"brand,omitzero"`
	// GeoIP is the path of a MaxMind GeoLite2 (or GeoIP2) City or Country
	// database; when set, the phone's request card names the coarse
	// location of the signing-in browser's address. Nothing is bundled.
	GeoIP string `json:"geoip,omitempty"`
	// APIKeyRate is how many requests one API key may make per
	// APIKeyRateWindow on each instance (a burst of that many, refilled
	// evenly). Default: 600 per minute.
	APIKeyRate       int            `json:"api_key_rate,omitempty"`
	APIKeyRateWindow caddy.Duration `json:"api_key_rate_window,omitempty"`
	// APIKeyFreshLogin is how recent a browser's approved sign-in must be
	// to create an API key. Default: 10m.
	APIKeyFreshLogin caddy.Duration `json:"api_key_fresh_login,omitempty"`
	// APIKeyRecheck is how long a verified API key is trusted from memory
	// before its record (and its owner, in the directory) is read again.
	// Revocations do not wait for it. Default: 5m.
	APIKeyRecheck caddy.Duration `json:"api_key_recheck,omitempty"`
	// AdminGroup is the group whose members may use the admin console at
	// <gate_path>/admin. Default: admin.
	AdminGroup string `json:"admin_group,omitempty"`
	// AdminStepUp is how recent the phone approval behind a console
	// change must be. Default: 5m.
	AdminStepUp caddy.Duration `json:"admin_step_up,omitempty"`
	// Audit sets the audit trail's retention and size.
	Audit *AuditConfig `json:"audit,omitempty"`
	// PushKey is the VAPID private key (base64url of the P-256 scalar, or
	// PEM) that signs Web Push messages. Default: generated once and kept
	// in Caddy's storage.
	PushKey string `json:"push_key,omitempty"`
	// PushContact is the VAPID contact (mailto: or https: URL) push
	// services may reach the operator at. Default: PublicURL when it is
	// https (Apple's push service needs one).
	PushContact string `json:"push_contact,omitempty"`
	// PushServices lists the push services subscriptions may name (host,
	// *.domain, or scheme://host:port). Default: FCM, Mozilla, Apple and
	// Windows. Listing it replaces the defaults.
	PushServices []string `json:"push_services,omitempty"`

	gw          *gateway.Gateway
	store       *sharedStore
	directory   *directory.LDAP
	webhooks    *webhooks
	caddyEvents *caddyEventSink
	audit       *audit.Writer
	push        *push.Notifier
	log         *zap.Logger
	geo         *geoip.Locator
	// agreement compares this instance's settings with the others' on a
	// Redis store (nil with the memory store).
	agreement *agreement
	cancel    context.CancelFunc
	done      *sync.WaitGroup
}

// CaddyModule returns the Caddy module information.
func (App) CaddyModule() caddy.ModuleInfo {
	return caddy.ModuleInfo{ID: "authgate", New: func() caddy.Module { return new(App) }}
}

// Provision opens (or shares, across a reload) the store, loads or makes
// the signing key and builds the gateway.
func (a *App) Provision(ctx caddy.Context) error {
	a.log = ctx.Logger()
	if err := a.expandPlaceholders(); err != nil {
		return fmt.Errorf("authgate: %w", err)
	}
	if a.PublicURL != "" {
		if err := checkPublicURL(a.PublicURL); err != nil {
			return fmt.Errorf("authgate: public_url: %w", err)
		}
	}
	st, err := openStore(a.Store, a.log.Named("webhook"))
	if err != nil {
		return fmt.Errorf("authgate: store: %w", err)
	}
	a.store = st
	keys, err := a.loadKeys(ctx)
	if err != nil {
		return fmt.Errorf("authgate: loading signing keys: %w", err)
	}
	a.warnOfADroppedSigningKey(st, keys)
	if rs, ok := st.Store.(*redisstore.Store); ok {
		a.agreement = newAgreement(rs.Client(), rs.Prefix(), st.instanceID, a.settingsOf(keys), a.log)
	}
	if a.directory, err = a.openDirectory(); err != nil {
		return fmt.Errorf("authgate: %w", err)
	}
	a.webhooks, err = a.setupWebhooks(ctx, st)
	if err != nil {
		return fmt.Errorf("authgate: %w", err)
	}
	a.caddyEvents, err = newCaddyEventSink(ctx, a.log)
	if err != nil {
		return fmt.Errorf("authgate: loading Caddy's events app: %w", err)
	}
	a.audit = a.openAudit(st)
	a.push, err = a.setupPush(ctx, st.Store)
	if err != nil {
		return fmt.Errorf("authgate: %w", err)
	}
	m, err := newMetrics(ctx.GetMetricsRegistry(), a.webhooks.dispatcher)
	if err != nil {
		return fmt.Errorf("authgate: registering metrics: %w", err)
	}
	if err := ctx.GetMetricsRegistry().Register(newAuditCollector(a.audit)); err != nil {
		return fmt.Errorf("authgate: registering audit metrics: %w", err)
	}
	var locate func(string) string
	if a.GeoIP != "" {
		if a.geo, err = geoip.Open(a.GeoIP); err != nil {
			return fmt.Errorf("authgate: geoip: %w", err)
		}
		locate = a.geo.Locate
	}
	if a.directory != nil {
		if err := ctx.GetMetricsRegistry().Register(newDirectoryCollector(a.directory)); err != nil {
			return fmt.Errorf("authgate: registering directory metrics: %w", err)
		}
	}
	a.gw, err = gateway.New(gateway.Config{
		Prefix:       a.GatePath,
		CookieDomain: a.CookieDomain,
		Flow: flow.Config{
			LoginTimeout:    time.Duration(a.LoginTimeout),
			SessionLifetime: time.Duration(a.SessionLifetime),
			PushesPerEmail:  a.PushesPerEmail,
			PushesPerIP:     a.PushesPerIP,
			ReportBlock:     time.Duration(a.ReportBlock),
			LockoutAttempts: a.LockoutAttempts,
			LockoutDuration: time.Duration(a.LockoutDuration),
		},
		RevocationMaxStaleness: time.Duration(a.RevocationMaxStaleness),
		Groups:                 a.Groups,
		Brand:                  a.Brand.config(),
		APIKeys:                apikey.Config{RateLimit: a.APIKeyRate, RateWindow: time.Duration(a.APIKeyRateWindow), CacheTTL: time.Duration(a.APIKeyRecheck)},
		APIKeyFreshLogin:       time.Duration(a.APIKeyFreshLogin),
		AdminGroup:             a.AdminGroup,
		StepUpWindow:           time.Duration(a.AdminStepUp),
		ForwardedHTTPS:         forwardedHTTPS,
	}, gateway.Deps{
		Store: st.Store, Keys: keys, Logger: a.log,
		Events:    event.Sinks{a.webhooks.dispatcher, a.caddyEvents, m, a.audit},
		PreLogin:  a.webhooks.preLoginFunc(),
		Directory: a.directoryDep(),
		Audit:     a.audit,
		Webhooks:  consoleWebhooks{a.webhooks},
		Push:      a.push,
		Locate:    locate,
		Expiries:  st.expiries,
	})
	if err != nil {
		return fmt.Errorf("authgate: %w", err)
	}
	return nil
}

// expandPlaceholders replaces {env.X}, {file.X} and other Caddy
// placeholders in every option that may carry a secret, key, URL or
// address. Options added later that carry such a value belong here.
func (a *App) expandPlaceholders() error {
	e := newExpander()
	if a.Store != nil {
		if err := e.into("store", &a.Store.URL); err != nil {
			return err
		}
	}
	if err := e.into("signing_key", &a.SigningKey); err != nil {
		return err
	}
	for i := range a.PreviousKeys {
		if err := e.into(fmt.Sprintf("previous_key %d", i+1), &a.PreviousKeys[i]); err != nil {
			return err
		}
	}
	if err := e.into("public_url", &a.PublicURL); err != nil {
		return err
	}
	if err := e.into("cookie_domain", &a.CookieDomain); err != nil {
		return err
	}
	if err := a.Brand.expand(e); err != nil {
		return err
	}
	if err := e.into("geoip", &a.GeoIP); err != nil {
		return err
	}
	for i := range a.Webhooks {
		if err := a.Webhooks[i].expand(e, i+1); err != nil {
			return err
		}
	}
	if a.Directory != nil {
		if err := a.Directory.expand(e); err != nil {
			return err
		}
	}
	return a.expandPush(e)
}

// Start runs the background work until Stop.
func (a *App) Start() error {
	ctx, cancel := context.WithCancel(context.Background())
	a.cancel = cancel
	a.done = new(sync.WaitGroup)
	for _, run := range []func(context.Context){
		a.reportStore,
		a.agreement.run,
		a.gw.Run,
		func(ctx context.Context) { a.webhooks.run(ctx, a.log) },
		a.caddyEvents.run,
		a.audit.Run,
		a.push.Run,
	} {
		a.done.Add(1)
		go func() {
			defer a.done.Done()
			run(ctx)
		}()
	}
	return nil
}

// reportStore says in the log, once at start, whether the store answers,
// naming its address (without a password) when it does not: logins fail
// closed until it does, and the operator should not have to guess why.
// It also warns of an eviction policy that may evict authgate's keys.
func (a *App) reportStore(ctx context.Context) {
	if a.Store == nil || a.Store.Type != "redis" {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	if err := a.store.Ping(ctx); err != nil {
		a.log.Error("the Redis store does not answer; new logins get 503 until it does",
			zap.String("store", redactedURL(a.Store.URL)), zap.Error(err))
		return
	}
	a.log.Info("the Redis store answers", zap.String("store", redactedURL(a.Store.URL)))
	if rs, ok := a.store.Store.(*redisstore.Store); ok {
		if p, err := rs.EvictionPolicy(ctx); err == nil && strings.HasPrefix(p, "allkeys-") {
			a.log.Error("Redis may evict any key: when it is full it will evict authgate's own (the epoch marker signs every user out, a device unenrols a phone); set maxmemory-policy noeviction or a volatile-* policy",
				zap.String("store", redactedURL(a.Store.URL)), zap.String("maxmemory_policy", p))
		}
	}
}

// Stop ends the background work and waits for it.
func (a *App) Stop() error {
	if a.cancel != nil {
		a.cancel()
		a.done.Wait()
	}
	return nil
}

// Cleanup lets go of the shared store; the last config to use it closes
// it.
func (a *App) Cleanup() error {
	if err := a.geo.Close(); err != nil {
		a.log.Warn("closing the GeoIP database", zap.Error(err))
	}
	if a.directory != nil {
		_ = a.directory.Close()
	}
	if a.store != nil {
		return a.store.release()
	}
	return nil
}

// Gateway returns the provisioned gateway.
func (a *App) Gateway() *gateway.Gateway { return a.gw }

// Interface guards.
var (
	_ caddy.App          = (*App)(nil)
	_ caddy.Provisioner  = (*App)(nil)
	_ caddy.CleanerUpper = (*App)(nil)
)
