package caddymodule

import (
	"errors"
	"net/http"
	"strings"

	"github.com/caddyserver/caddy/v2"

	"github.com/authgate/authgate/gate/gateway"
	"github.com/authgate/authgate/gate/webhook"
)

// webhookRoutes are the admin API's webhook routes: list, add, remove,
// ping, enable, deliveries and replay.
func (a *adminAPI) webhookRoutes() []caddy.AdminRoute {
	return []caddy.AdminRoute{
		{Pattern: "/authgate/webhooks", Handler: caddy.AdminHandlerFunc(a.handleWebhooks)},
		{Pattern: "/authgate/webhooks/", Handler: caddy.AdminHandlerFunc(a.handleWebhook)},
		{Pattern: "/authgate/events/", Handler: caddy.AdminHandlerFunc(a.handleEvent)},
	}
}

// addWebhookRequest is the body of POST /authgate/webhooks, in the shape
// of the AuthGate integration guide.
type addWebhookRequest struct {
	AppID  string   `json:"app_id"`
	URL    string   `json:"url"`
	Events []string `json:"events,omitempty"`
	Format string   `json:"format,omitempty"`
}

// addWebhookResponse carries the generated secret: shown once.
type addWebhookResponse struct {
	ID     string   `json:"id"`
	AppID  string   `json:"app_id,omitempty"`
	URL    string   `json:"url"`
	Secret string   `json:"secret"`
	Events []string `json:"events,omitempty"`
	Format string   `json:"format,omitempty"`
}

func (a *adminAPI) handleWebhooks(w http.ResponseWriter, r *http.Request) error {
	app, err := a.app()
	if err != nil {
		return err
	}
	switch r.Method {
	case http.MethodGet:
		return writeAdminJSON(w, app.webhooks.dispatcher.EndpointsContext(r.Context()))
	case http.MethodPost:
		var req addWebhookRequest
		if err := decodeAdminJSON(r, &req); err != nil {
			return err
		}
		s, err := app.webhooks.add(r.Context(), storedWebhook{AppID: req.AppID, URL: req.URL, Events: req.Events, Format: req.Format}, 0)
		if err != nil && errors.Is(err, gateway.ErrInvalidWebhook) {
			return caddy.APIError{HTTPStatus: http.StatusBadRequest, Err: err}
		}
		if err != nil {
			return caddy.APIError{HTTPStatus: http.StatusServiceUnavailable, Err: err,
				Message: "the webhook could not be kept: the store cannot be reached; try again"}
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusCreated)
		return writeAdminJSON(w, addWebhookResponse{ID: s.ID, AppID: s.AppID, URL: s.URL, Secret: s.Secret, Events: s.Events, Format: s.Format})
	default:
		return caddy.APIError{HTTPStatus: http.StatusMethodNotAllowed, Err: errors.New("use GET or POST")}
	}
}

// handleOne serves /authgate/webhooks/{id}[/deliveries|/ping|/enable].
func (a *adminAPI) handleWebhook(w http.ResponseWriter, r *http.Request) error {
	app, err := a.app()
	if err != nil {
		return err
	}
	d := app.webhooks.dispatcher
	id, action, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/authgate/webhooks/"), "/")
	switch {
	case action == "" && r.Method == http.MethodDelete:
		if err := app.webhooks.remove(r.Context(), id); err != nil {
			return notFoundOr(err)
		}
		w.WriteHeader(http.StatusNoContent)
		return nil
	case action == "deliveries" && r.Method == http.MethodGet:
		recs, err := d.DeliveriesContext(r.Context(), id)
		if errors.Is(err, webhook.ErrUnknownEndpoint) {
			return notFoundOr(err)
		}
		if err != nil {
			return caddy.APIError{HTTPStatus: http.StatusServiceUnavailable, Err: err}
		}
		if recs == nil {
			recs = []webhook.EventRecord{} // none is an empty list, not null
		}
		return writeAdminJSON(w, recs)
	case action == "ping" && r.Method == http.MethodPost:
		eventID, err := d.Ping(r.Context(), id)
		if err != nil {
			return notFoundOr(err)
		}
		return writeAdminJSON(w, map[string]string{"event_id": eventID})
	case action == "enable" && r.Method == http.MethodPost:
		if err := d.Enable(id); err != nil {
			return notFoundOr(err)
		}
		return writeAdminJSON(w, map[string]string{"status": "enabled"})
	}
	return caddy.APIError{HTTPStatus: http.StatusNotFound, Err: errors.New("no such webhook route")}
}

// handleEvent serves GET /authgate/events/{id} (its deliveries) and POST
// /authgate/events/{id}/replay.
func (a *adminAPI) handleEvent(w http.ResponseWriter, r *http.Request) error {
	app, err := a.app()
	if err != nil {
		return err
	}
	d := app.webhooks.dispatcher
	id, action, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/authgate/events/"), "/")
	switch {
	case action == "" && r.Method == http.MethodGet:
		recs, err := d.EventContext(r.Context(), id)
		if err != nil {
			return caddy.APIError{HTTPStatus: http.StatusServiceUnavailable, Err: err}
		}
		if len(recs) == 0 {
			return caddy.APIError{HTTPStatus: http.StatusNotFound, Err: webhook.ErrUnknownEvent}
		}
		return writeAdminJSON(w, recs)
	case action == "replay" && r.Method == http.MethodPost:
		n, err := d.Replay(r.Context(), id)
		if err != nil {
			return notFoundOr(err)
		}
		return writeAdminJSON(w, map[string]int{"enqueued": n})
	}
	return caddy.APIError{HTTPStatus: http.StatusNotFound, Err: errors.New("no such event route")}
}

func notFoundOr(err error) error {
	if errors.Is(err, webhook.ErrUnknownEndpoint) || errors.Is(err, webhook.ErrUnknownEvent) {
		return caddy.APIError{HTTPStatus: http.StatusNotFound, Err: err}
	}
	return caddy.APIError{HTTPStatus: http.StatusInternalServerError, Err: err}
}
