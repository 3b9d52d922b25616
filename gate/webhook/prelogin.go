package webhook

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	"go.uber.org/zap"

	"github.com/authgate/authgate/gate/event"
	"github.com/authgate/authgate/gate/store"
)

// PreLogin is the event type of blocking pre-login calls. It is not in
// the catalogue of delivered events: it goes only to blocking hooks.
const PreLogin = "pre_login"

// DefaultPreLoginTimeout bounds a blocking hook's answer.
const DefaultPreLoginTimeout = 3 * time.Second

// PreLoginHook asks a receiver, before any push goes out, whether a
// login may go ahead (as Authgear's blocking hooks): it POSTs a signed
// pre_login event, in the body and headers of the endpoint's format, and
// reads {"is_allowed": bool, "reason": "…"} whatever that format.
type PreLoginHook struct {
	ep           Endpoint
	signer       *signer
	allowOnError bool
	client       *http.Client
	log          *zap.Logger
}

// NewPreLoginHook prepares a hook. Its timeout is the endpoint's, or
// DefaultPreLoginTimeout. allowOnError says what an error, a timeout or a
// malformed answer means: deny when false (the default a careful
// operator wants).
func NewPreLoginHook(ep Endpoint, allowOnError bool, log *zap.Logger) (*PreLoginHook, error) {
	if ep.Timeout <= 0 {
		ep.Timeout = DefaultPreLoginTimeout
	}
	st, err := newEndpointState(ep)
	if err != nil {
		return nil, fmt.Errorf("pre_login hook: %w", err)
	}
	if log == nil {
		log = zap.NewNop()
	}
	return &PreLoginHook{ep: st.ep, signer: st.signer, allowOnError: allowOnError, client: newClient(4), log: log}, nil
}

// preLoginAnswer is what a hook returns.
type preLoginAnswer struct {
	IsAllowed *bool  `json:"is_allowed"`
	Reason    string `json:"reason"`
}

// Check asks the hook about l. A refusal's reason is cleaned for display.
func (h *PreLoginHook) Check(ctx context.Context, l *store.Login) (bool, string) {
	e := event.New(PreLogin, map[string]any{
		"session_id": l.ID, "app_id": l.AppID, "email": l.Email, "ip": l.ClientIP, "user_agent": l.UserAgent,
	})
	allowed, reason, err := h.ask(ctx, e)
	if err != nil {
		h.log.Warn("pre_login hook failed", zap.String("endpoint", h.ep.ID), zap.Bool("allowed_on_error", h.allowOnError), zap.Error(err))
		if h.allowOnError {
			return true, ""
		}
		return false, "the sign-in check is unavailable; please try again later"
	}
	return allowed, reason
}

func (h *PreLoginHook) ask(ctx context.Context, e event.Event) (bool, string, error) {
	body, err := encodeAs(h.ep.Format, e)
	if err != nil {
		return false, "", fmt.Errorf("encoding pre_login event: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, h.ep.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, h.ep.URL, bytes.NewReader(body))
	if err != nil {
		return false, "", fmt.Errorf("building pre_login request: %w", err)
	}
	h.signer.sign(req.Header, e.ID, e.Type, body, time.Now())
	resp, err := h.client.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) { // the URL may carry a token: keep it out of logs
			err = ue.Err
		}
		return false, "", fmt.Errorf("calling pre_login hook: %w", err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBody))
	if err != nil {
		return false, "", fmt.Errorf("reading pre_login answer: %w", err)
	}
	if resp.StatusCode/100 != 2 {
		return false, "", fmt.Errorf("pre_login hook answered status %d", resp.StatusCode)
	}
	var ans preLoginAnswer
	if err := json.Unmarshal(data, &ans); err != nil || ans.IsAllowed == nil {
		return false, "", fmt.Errorf("pre_login answer is not {\"is_allowed\": bool, ...}")
	}
	if *ans.IsAllowed {
		return true, "", nil
	}
	reason := Sanitize(ans.Reason, 200)
	if reason == "" {
		reason = "refused by policy"
	}
	return false, reason, nil
}
