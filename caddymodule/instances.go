package caddymodule

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"

	"github.com/authgate/authgate/gate/token"
)

// Instances sharing a Redis store must agree on the settings below: a
// session made on one with another signing key is refused on the next, a
// receiver's deliveries are signed with whichever instance's secret
// claimed them, a lockout counts by the settings of whichever instance
// heard the phone. Nothing in a request shows the difference, so every
// instance says in the store what it runs with and compares it with what
// the others say.
const (
	// agreementEvery is how often an instance says what it runs with.
	agreementEvery = 15 * time.Second
	// agreementFresh is how long an instance's word counts: a few rounds,
	// so one that stopped without saying so is forgotten.
	agreementFresh = 3 * agreementEvery
)

// instanceSettings is what one instance runs with, as compared. It holds
// no secret: keys are named by their key ids (which every token carries),
// receivers' secrets only inside a digest.
type instanceSettings struct {
	At         int64    `json:"at"` // Unix ms of the word
	SigningKey string   `json:"signing_key"`
	Verifies   []string `json:"verifies"`
	Webhooks   string   `json:"webhooks"`
	Flow       string   `json:"flow"` // login_timeout, limits, lockout, report_block, session_lifetime
}

// differences names the settings in which other differs from s, as an
// operator would fix them. Another signing key is a difference only when
// s cannot verify it (a rotation in progress, with the new key listed as
// previous_key here, is not).
func (s instanceSettings) differences(other instanceSettings) []string {
	var out []string
	if !slices.Contains(s.Verifies, other.SigningKey) {
		out = append(out, "signing_key (key id "+other.SigningKey+", which this instance cannot verify)")
	}
	if other.Webhooks != s.Webhooks {
		out = append(out, "webhook receivers in the config")
	}
	if other.Flow != s.Flow {
		out = append(out, "login settings (login_timeout, session_lifetime, pushes_per_email, pushes_per_ip, report_block, lockout)")
	}
	return out
}

// settingsOf describes what a carries for comparison.
func (a *App) settingsOf(keys []token.Key) instanceSettings {
	s := instanceSettings{SigningKey: keys[0].ID}
	for _, k := range keys {
		s.Verifies = append(s.Verifies, k.ID)
	}
	var hooks []string
	for _, w := range a.Webhooks {
		secret := sha256.Sum256([]byte(w.Secret + "\x00" + w.PreviousSecret))
		hooks = append(hooks, strings.Join([]string{w.URL, hex.EncodeToString(secret[:]), strings.Join(w.Events, ","),
			w.Format, w.AppID, w.SignatureHeader, w.SignaturePrefix, fmt.Sprint(w.Blocking, w.AllowOnError)}, "\x00"))
	}
	slices.Sort(hooks)
	sum := sha256.Sum256([]byte(strings.Join(hooks, "\x01")))
	s.Webhooks = hex.EncodeToString(sum[:8])
	s.Flow = fmt.Sprint(a.LoginTimeout, a.SessionLifetime, a.PushesPerEmail, a.PushesPerIP, a.ReportBlock,
		a.LockoutAttempts, a.LockoutDuration)
	return s
}

// agreement publishes this instance's settings in a Redis hash shared by
// every instance of the store and logs, at error level, the settings in
// which another instance differs, each time that set changes.
type agreement struct {
	rdb  redis.UniversalClient
	key  string
	id   string
	own  instanceSettings
	log  *zap.Logger
	mu   sync.Mutex
	diff []string
}

// newAgreement returns the agreement of instance id, which stays the
// same across the configs of one process (the pooled store's), so a
// reload replaces its word rather than adding a second one.
func newAgreement(rdb redis.UniversalClient, prefix, id string, own instanceSettings, log *zap.Logger) *agreement {
	return &agreement{rdb: rdb, key: prefix + ":{instances}", id: id, own: own, log: log}
}

// newInstanceID names one process among the instances of a store.
func newInstanceID() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// run says and compares every agreementEvery until ctx ends (at once
// for a nil agreement: the memory store has one instance). The word of
// an instance that stopped is forgotten once it is agreementFresh old.
func (g *agreement) run(ctx context.Context) {
	if g == nil {
		return
	}
	t := time.NewTicker(agreementEvery)
	defer t.Stop()
	for {
		g.round(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// round publishes this instance's settings and compares the others'.
func (g *agreement) round(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	now := time.Now()
	own := g.own
	own.At = now.UnixMilli()
	raw, _ := json.Marshal(own)
	var all *redis.MapStringStringCmd
	_, err := g.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.HSet(ctx, g.key, g.id, raw)
		p.PExpire(ctx, g.key, time.Hour)
		all = p.HGetAll(ctx, g.key)
		return nil
	})
	if err != nil {
		return // the store's own health reports an outage
	}
	var diff, stale []string
	for id, v := range all.Val() {
		var s instanceSettings
		if id == g.id || json.Unmarshal([]byte(v), &s) != nil {
			continue
		}
		if now.Sub(time.UnixMilli(s.At)) > agreementFresh {
			stale = append(stale, id)
			continue
		}
		for _, d := range g.own.differences(s) {
			if !slices.Contains(diff, d) {
				diff = append(diff, d)
			}
		}
	}
	if len(stale) > 0 {
		g.rdb.HDel(ctx, g.key, stale...)
	}
	slices.Sort(diff)
	g.mu.Lock()
	changed := !slices.Equal(diff, g.diff)
	g.diff = diff
	g.mu.Unlock()
	if changed && len(diff) > 0 {
		g.log.Error("another instance on this store runs with other settings: give every instance the same; until then sessions, API keys, codes, webhook signatures or limits differ from one instance to the next",
			zap.Strings("differ", diff), zap.String("signing_key_id", g.own.SigningKey))
	} else if changed {
		g.log.Info("every instance on this store runs with the same settings")
	}
}

// differences returns the settings other instances differ in, as last
// compared.
func (g *agreement) differences() []string {
	if g == nil {
		return nil
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	return slices.Clone(g.diff)
}
