// Package gateway is authgate's HTTP face: the protected-request check
// that runs in front of every upstream, and the gate's own pages and JSON
// API under the gate path. It knows nothing of Caddy; the adapter hands it
// requests and a next handler.
package gateway

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/authgate/authgate/gate/apikey"
	"github.com/authgate/authgate/gate/brand"
	"github.com/authgate/authgate/gate/device"
	"github.com/authgate/authgate/gate/directory"
	"github.com/authgate/authgate/gate/event"
	"github.com/authgate/authgate/gate/flow"
	"github.com/authgate/authgate/gate/live"
	"github.com/authgate/authgate/gate/otp"
	"github.com/authgate/authgate/gate/policy"
	"github.com/authgate/authgate/gate/push"
	"github.com/authgate/authgate/gate/store"
	"github.com/authgate/authgate/gate/store/deadline"
	"github.com/authgate/authgate/gate/token"
	"github.com/authgate/authgate/gate/web"
)

// Config is the gateway-wide configuration (the global authgate block).
type Config struct {
	// Prefix is the path under which the gate's pages and API live on
	// every protected site (default "/.authgate").
	Prefix string
	// CookieDomain, when set, scopes the session cookie to this domain
	// and its subdomains (single sign-on), and lets return URLs name hosts
	// under it.
	CookieDomain string
	// Issuer and Audience go into and are required of every token
	// (defaults "authgate" and "authgate").
	Issuer, Audience string
	// Flow holds the login limits and lifetimes.
	Flow flow.Config
	// RevocationMaxStaleness is how long logged-in users keep access when
	// the revocation set cannot be refreshed (default 30 s); then 503.
	RevocationMaxStaleness time.Duration
	// RevocationResync is how often the full revocation set is reloaded
	// besides the live subscription (default 5 s).
	RevocationResync time.Duration
	// DeviceMaxSkew is how far a device's timestamp may be from now
	// (default 30 s).
	DeviceMaxSkew time.Duration
	// EnrollmentTTL is how long an enrolment link works (default 15 min).
	EnrollmentTTL time.Duration
	// Groups assigns users to groups: group name → emails or "@domain".
	Groups map[string][]string
	// Brand is the default title, logo and accent colour of every site.
	Brand brand.Config
	// APIKeys tunes API keys: rate limit, cache, keys per user.
	APIKeys apikey.Config
	// StoreTimeout bounds each store call made while answering a
	// request (default 750 ms, see package deadline): a stalled store
	// costs a request that long and a 503.
	StoreTimeout time.Duration
	// APIKeyFreshLogin is how recent the browser's approved sign-in must
	// be to create an API key (default 10 min): a stolen cookie or a key
	// cannot mint keys.
	APIKeyFreshLogin time.Duration
	// AdminGroup is the group whose members may use the admin console
	// (default DefaultAdminGroup).
	AdminGroup string
	// StepUpWindow is how recent the phone approval behind a console
	// action must be (default DefaultStepUpWindow).
	StepUpWindow time.Duration
	// ForwardedHTTPS, if set, reports whether a proxy the server trusts
	// says the browser reached it over HTTPS (the adapter reads Caddy's
	// trusted proxies and X-Forwarded-Proto). Behind a proxy that ends
	// TLS, that is what makes cookies Secure and __Host- and return
	// URLs https. Unset, only the connection's own TLS counts.
	ForwardedHTTPS func(*http.Request) bool
}

// DefaultPrefix is the gate path when none is configured.
const DefaultPrefix = "/.authgate"

func (c *Config) defaults() {
	if c.Prefix == "" {
		c.Prefix = DefaultPrefix
	}
	c.Prefix = "/" + strings.Trim(c.Prefix, "/")
	c.CookieDomain = strings.TrimPrefix(strings.ToLower(c.CookieDomain), ".")
	if c.Issuer == "" {
		c.Issuer = "authgate"
	}
	if c.Audience == "" {
		c.Audience = "authgate"
	}
	if c.RevocationMaxStaleness <= 0 {
		c.RevocationMaxStaleness = 30 * time.Second
	}
	if c.RevocationResync <= 0 {
		c.RevocationResync = 5 * time.Second
	}
	if c.DeviceMaxSkew <= 0 {
		c.DeviceMaxSkew = 30 * time.Second
	}
	if c.EnrollmentTTL <= 0 {
		c.EnrollmentTTL = 15 * time.Minute
	}
	if c.APIKeyFreshLogin <= 0 {
		c.APIKeyFreshLogin = 10 * time.Minute
	}
	if c.AdminGroup == "" {
		c.AdminGroup = DefaultAdminGroup
	}
	if c.StepUpWindow <= 0 {
		c.StepUpWindow = DefaultStepUpWindow
	}
}

// Deps are the long-lived parts a Gateway uses; the caller owns them.
type Deps struct {
	Store store.Store
	// Keys sign (Keys[0]) and verify tokens.
	Keys   []token.Key
	Events event.Sink
	Logger *zap.Logger
	// PreLogin, if set, is asked before any push goes out.
	PreLogin flow.PreLoginFunc
	// Locate, if set, names the coarse location of an IP address ("Lyon,
	// France"), or "" when it knows none; the phone's request card shows
	// it. See package geoip.
	Locate func(ip string) string
	// Directory, if set, is asked about every email at login start; its
	// groups join those of Config.Groups in the token.
	Directory directory.Directory
	// Audit, if set, receives the console's admin actions and serves the
	// console's audit page (the adapter also passes it as an event sink).
	Audit AuditLog
	// Webhooks, if set, is what the console's webhook pages act on.
	Webhooks WebhookAdmin
	// Push, if set, wakes the user's phones when a login starts and
	// checks the subscriptions they register.
	Push *push.Notifier
	// Expiries, if set, is the watch of pending logins to share with the
	// Gateway this one replaces, so the logins it started still end with
	// login_failed (expired) after a reload. Nil: a watch of its own.
	Expiries *flow.ExpiryWatch
}

// Gateway holds what every protected site shares: the login flow, tokens,
// the revocation set and the pages. Routes (one per protected site) point
// to it. Run must be running for revocations to reach this instance.
type Gateway struct {
	cfg         Config
	store       store.Store
	flow        *flow.Service
	tokens      *token.Manager
	keys        []token.Key
	revocations *token.Revocations
	verifier    *device.Verifier
	enroller    *device.Enroller
	codes       *otp.Codes
	events      event.Sink
	log         *zap.Logger
	pages       *web.Pages
	groups      *policy.Groups
	directory   directory.Directory
	brand       *brand.Brand
	locate      func(string) string
	apikeys     *apikey.Service
	push        *push.Notifier
	mux         *http.ServeMux
	console     *http.ServeMux
	audit       AuditLog
	webhooks    WebhookAdmin
	// live wakes the event streams waiting on this instance (sse_wait.go).
	live *live.Hub
	// streams counts each login's and device's open event streams.
	streams streamLimit
	// storeFails logs why requests get 503 from the store.
	storeFails storeFailLog
}

// New builds a Gateway. It starts nothing: call Run.
func New(cfg Config, deps Deps) (*Gateway, error) {
	if cfg.Prefix != "" {
		if err := CheckPrefix(cfg.Prefix); err != nil {
			return nil, fmt.Errorf("gateway: %w", err)
		}
	}
	cfg.defaults()
	if deps.Store == nil {
		return nil, fmt.Errorf("gateway: no store")
	}
	if deps.Events == nil {
		deps.Events = event.Discard{}
	}
	deps.Store = deadline.Wrap(deps.Store, cfg.StoreTimeout)
	if deps.Logger == nil {
		deps.Logger = zap.NewNop()
	}
	tokens, err := token.NewManager(token.Config{
		Issuer: cfg.Issuer, Audience: cfg.Audience, Keys: deps.Keys,
	})
	if err != nil {
		return nil, fmt.Errorf("gateway: setting up tokens: %w", err)
	}
	groups, err := policy.NewGroups(cfg.Groups)
	if err != nil {
		return nil, fmt.Errorf("gateway: %w", err)
	}
	globalBrand, err := brand.Load(cfg.Brand)
	if err != nil {
		return nil, fmt.Errorf("gateway: brand: %w", err)
	}
	pages, err := web.New(cfg.Prefix)
	if err != nil {
		return nil, fmt.Errorf("gateway: loading pages: %w", err)
	}
	codes, err := newCodes(deps.Store, deps.Keys)
	if err != nil {
		return nil, fmt.Errorf("gateway: %w", err)
	}
	opts := []flow.Option{flow.WithLogger(deps.Logger), flow.WithCodes(codes), flow.WithExpiryWatch(deps.Expiries)}
	if deps.PreLogin != nil {
		opts = append(opts, flow.WithPreLogin(deps.PreLogin))
	}
	if deps.Directory != nil {
		opts = append(opts, flow.WithDirectory(deps.Directory))
	}
	if deps.Push != nil {
		opts = append(opts, flow.WithStartNotifier(deps.Push))
	}
	g := &Gateway{
		cfg:    cfg,
		store:  deps.Store,
		flow:   flow.New(cfg.Flow, deps.Store, deps.Events, opts...),
		tokens: tokens,
		keys:   deps.Keys,
		revocations: token.NewRevocations(deps.Store, token.RevocationOptions{
			ResyncEvery: cfg.RevocationResync, MaxStaleness: cfg.RevocationMaxStaleness, Logger: deps.Logger,
		}),
		verifier:  &device.Verifier{Devices: deps.Store, MaxSkew: cfg.DeviceMaxSkew},
		enroller:  &device.Enroller{Devices: deps.Store, TTL: cfg.EnrollmentTTL},
		codes:     codes,
		events:    deps.Events,
		log:       deps.Logger,
		pages:     pages,
		groups:    groups,
		directory: deps.Directory,
		audit:     deps.Audit,
		webhooks:  deps.Webhooks,
		push:      deps.Push,
		brand:     globalBrand,
		locate:    deps.Locate,
		live:      live.New(deps.Store, deps.Logger),
	}
	if g.apikeys, err = newAPIKeys(cfg, deps, g.revocations, groups); err != nil {
		return nil, fmt.Errorf("gateway: %w", err)
	}
	g.mux = g.routes()
	g.console = g.consoleRoutes()
	return g, nil
}

// Run keeps this instance's revocation set current, records API key use,
// holds the login change subscription that wakes event streams and
// expires the logins this instance started that nobody read again, until
// ctx is done, then returns once all have stopped.
func (g *Gateway) Run(ctx context.Context) {
	var done sync.WaitGroup
	for _, run := range []func(context.Context){g.apikeys.Run, g.live.Run, g.flow.WatchExpiries} {
		done.Add(1)
		go func() {
			defer done.Done()
			run(ctx)
		}()
	}
	g.revocations.Run(ctx)
	done.Wait()
}

// Synced is closed once the revocation set has loaded; until then
// protected requests are answered 503 rather than risk a revoked token.
func (g *Gateway) Synced() <-chan struct{} { return g.revocations.Synced() }

// Prefix returns the gate path.
func (g *Gateway) Prefix() string { return g.cfg.Prefix }

// allowedReturnHost reports whether a return URL may name host: hosts
// under the cookie domain, for single sign-on.
func (g *Gateway) allowedReturnHost(host string) bool { return g.underCookieDomain(host) }

// underCookieDomain reports whether host, in any case, is the cookie
// domain or a name below it (never when none is configured).
func (g *Gateway) underCookieDomain(host string) bool {
	d := g.cfg.CookieDomain
	if d == "" {
		return false
	}
	return strings.EqualFold(host, d) ||
		len(host) > len(d) && host[len(host)-len(d)-1] == '.' && strings.EqualFold(host[len(host)-len(d):], d)
}
