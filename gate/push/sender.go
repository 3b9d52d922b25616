package push

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/authgate/authgate/gate/store"
)

// ErrGone is wrapped by Send's error when the push service answers 404 or
// 410: the subscription has expired or was withdrawn, and must be
// removed.
var ErrGone = errors.New("push: subscription gone")

// StatusError is a push service's answer other than 2xx, 404 and 410.
type StatusError struct {
	Status int
	// RetryAfter is the push service's Retry-After, if it gave one.
	RetryAfter time.Duration
}

// Error names the status.
func (e *StatusError) Error() string { return fmt.Sprintf("push: push service answered %d", e.Status) }

// Message holds the RFC 8030 headers of one push.
type Message struct {
	// TTL is how long the push service keeps the message for an offline
	// browser; rounded up to whole seconds, at least one.
	TTL time.Duration
	// Urgency is very-low, low, normal or high.
	Urgency string
	// Topic, if set, replaces a message with the same topic still queued
	// (at most 32 characters of the base64url alphabet).
	Topic string
}

// Sender sends encrypted, VAPID-signed messages to allowed push services.
type Sender struct {
	allow  *AllowList
	vapid  *vapidSigner
	client *http.Client
}

// SenderConfig configures a Sender.
type SenderConfig struct {
	Key *Key
	// Contact is the VAPID sub claim: a mailto: or https: URL the push
	// service can reach the operator at.
	Contact string
	Allow   *AllowList
	// Lookup resolves host names (default: the system resolver).
	Lookup LookupFunc
	// Conns sizes the idle connection pool per push service.
	Conns int
	// Now replaces time.Now (tests).
	Now func() time.Time
}

// NewSender returns a Sender.
func NewSender(cfg SenderConfig) (*Sender, error) {
	if cfg.Key == nil || cfg.Allow == nil {
		return nil, errors.New("push: sender needs a key and an allow-list")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Sender{
		allow:  cfg.Allow,
		vapid:  newVAPIDSigner(cfg.Key, cfg.Contact, cfg.Now),
		client: newClient(cfg.Allow, cfg.Lookup, cfg.Conns),
	}, nil
}

// Send encrypts payload for sub and posts it to sub's endpoint. It
// returns nil for a 2xx answer, an error wrapping ErrGone for 404 and
// 410, a *StatusError for other answers, ErrNotAllowed for an endpoint
// or address the allow-list refuses (never dialled), or the transport's
// error.
func (s *Sender) Send(ctx context.Context, sub *store.PushSubscription, payload []byte, m Message) error {
	u, err := s.allow.CheckEndpoint(sub.Endpoint)
	if err != nil {
		return err
	}
	body, err := encrypt(sub.P256dh, sub.Auth, payload)
	if err != nil {
		return err
	}
	auth, err := s.vapid.header(u)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("push: building request: %w", err)
	}
	ttl := int64((m.TTL + time.Second - 1) / time.Second)
	h := req.Header
	h.Set("TTL", strconv.FormatInt(max(ttl, 1), 10))
	if m.Urgency != "" {
		h.Set("Urgency", m.Urgency)
	}
	if m.Topic != "" {
		h.Set("Topic", m.Topic)
	}
	h.Set("Content-Encoding", "aes128gcm")
	h.Set("Content-Type", "application/octet-stream")
	h.Set("Authorization", auth)
	h.Set("User-Agent", "authgate-push/1.0")
	resp, err := s.client.Do(req)
	if err != nil {
		// A *url.Error would name the whole endpoint, whose path
		// addresses one browser: keep only the host.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return fmt.Errorf("push: posting to %s: %w", u.Host, err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4<<10))
	switch {
	case resp.StatusCode >= 200 && resp.StatusCode < 300:
		return nil
	case resp.StatusCode == http.StatusNotFound || resp.StatusCode == http.StatusGone:
		return fmt.Errorf("push: %s answered %d: %w", u.Host, resp.StatusCode, ErrGone)
	}
	se := &StatusError{Status: resp.StatusCode}
	if n, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil && n > 0 {
		se.RetryAfter = time.Duration(n) * time.Second
	}
	return se
}

// CloseIdle closes idle connections to push services.
func (s *Sender) CloseIdle() { s.client.CloseIdleConnections() }
