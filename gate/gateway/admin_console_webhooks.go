package gateway

import (
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/authgate/authgate/gate/audit"
	"github.com/authgate/authgate/gate/webhook"
)

// webhooksPage is the data of the console's webhook page.
type webhooksPage struct {
	consoleBase
	Configured bool
	Endpoints  []WebhookEndpoint
	// Added is set right after a receiver was added: its secret, shown
	// once.
	AddedID, AddedSecret string
}

// webhookPage is the data of one receiver's deliveries.
type webhookPage struct {
	consoleBase
	Endpoint   WebhookEndpoint
	Deliveries []webhook.EventRecord
}

func (g *Gateway) consoleWebhooks(w http.ResponseWriter, r *http.Request) {
	data := webhooksPage{consoleBase: g.consoleBase(r, "webhooks"), Configured: g.webhooks != nil}
	if g.webhooks != nil {
		data.Endpoints = g.webhooks.Endpoints(r.Context())
	}
	g.render(w, r, http.StatusOK, "console_webhooks", "Webhooks", "", data)
}

func (g *Gateway) consoleWebhook(w http.ResponseWriter, r *http.Request) {
	if g.webhooks == nil {
		g.consoleMessage(w, r, http.StatusNotFound, "Not found", "No webhooks are configured.")
		return
	}
	id := r.PathValue("id")
	for _, ep := range g.webhooks.Endpoints(r.Context()) {
		if ep.ID == id {
			g.render(w, r, http.StatusOK, "console_webhook", "Webhook deliveries", "", webhookPage{
				consoleBase: g.consoleBase(r, "webhooks"), Endpoint: ep, Deliveries: g.webhooks.Deliveries(id),
			})
			return
		}
	}
	g.consoleMessage(w, r, http.StatusNotFound, "Not found", "There is no such webhook.")
}

// webhookFailure answers a failed webhook action: 404 for an unknown
// receiver or event, 400 for a bad request.
func (g *Gateway) webhookFailure(w http.ResponseWriter, r *http.Request, err error) {
	status := http.StatusBadRequest
	if errors.Is(err, webhook.ErrUnknownEndpoint) || errors.Is(err, webhook.ErrUnknownEvent) {
		status = http.StatusNotFound
	}
	g.consoleMessage(w, r, status, "Not changed", err.Error())
}

// withWebhooks runs act if webhooks are configured.
func (g *Gateway) withWebhooks(w http.ResponseWriter, r *http.Request) bool {
	if g.webhooks == nil {
		g.consoleMessage(w, r, http.StatusNotFound, "Not found", "No webhooks are configured.")
		return false
	}
	return true
}

func (g *Gateway) backToWebhooks(w http.ResponseWriter, r *http.Request, path, done string) {
	http.Redirect(w, r, g.cfg.Prefix+"/admin/webhooks"+path+"?done="+url.QueryEscape(done), http.StatusSeeOther)
}

func (g *Gateway) actPingWebhook(w http.ResponseWriter, r *http.Request, admin string) {
	if !g.withWebhooks(w, r) {
		return
	}
	id := r.PathValue("id")
	eventID, err := g.webhooks.Ping(r.Context(), id)
	if err != nil {
		g.webhookFailure(w, r, err)
		return
	}
	g.record(audit.Action(admin, "webhook_ping", "", map[string]any{"endpoint_id": id, "event_id": eventID}))
	g.backToWebhooks(w, r, "/"+url.PathEscape(id), "ping")
}

func (g *Gateway) actEnableWebhook(w http.ResponseWriter, r *http.Request, admin string) {
	if !g.withWebhooks(w, r) {
		return
	}
	id := r.PathValue("id")
	if err := g.webhooks.Enable(id); err != nil {
		g.webhookFailure(w, r, err)
		return
	}
	g.record(audit.Action(admin, "webhook_enable", "", map[string]any{"endpoint_id": id}))
	g.backToWebhooks(w, r, "", "enable")
}

func (g *Gateway) actRemoveWebhook(w http.ResponseWriter, r *http.Request, admin string) {
	if !g.withWebhooks(w, r) {
		return
	}
	id := r.PathValue("id")
	if err := g.webhooks.Remove(r.Context(), id); err != nil {
		g.webhookFailure(w, r, err)
		return
	}
	g.record(audit.Action(admin, "webhook_remove", "", map[string]any{"endpoint_id": id}))
	g.backToWebhooks(w, r, "", "removed")
}

func (g *Gateway) actAddWebhook(w http.ResponseWriter, r *http.Request, admin string) {
	if !g.withWebhooks(w, r) {
		return
	}
	target := strings.TrimSpace(r.PostFormValue("url"))
	events := strings.Fields(strings.ReplaceAll(r.PostFormValue("events"), ",", " "))
	id, secret, err := g.webhooks.Add(r.Context(), target, events)
	if err != nil {
		g.webhookFailure(w, r, err)
		return
	}
	g.record(audit.Action(admin, "webhook_add", "", map[string]any{"endpoint_id": id, "url": target}))
	data := webhooksPage{consoleBase: g.consoleBase(r, "webhooks"), Configured: true,
		Endpoints: g.webhooks.Endpoints(r.Context()), AddedID: id, AddedSecret: secret}
	data.Back = g.cfg.Prefix + "/admin/webhooks"
	g.render(w, r, http.StatusOK, "console_webhooks", "Webhooks", "", data)
}

func (g *Gateway) actReplay(w http.ResponseWriter, r *http.Request, admin string) {
	if !g.withWebhooks(w, r) {
		return
	}
	id := r.PathValue("id")
	n, err := g.webhooks.Replay(r.Context(), id)
	if err != nil {
		g.webhookFailure(w, r, err)
		return
	}
	g.record(audit.Action(admin, "event_replay", "", map[string]any{"event_id": id, "enqueued": n}))
	back := g.consoleReturnPath(r.PostFormValue("back"))
	if u, err := url.Parse(back); err == nil {
		q := u.Query()
		q.Set("done", "replay")
		u.RawQuery = q.Encode()
		back = u.RequestURI()
	}
	http.Redirect(w, r, back, http.StatusSeeOther)
}
