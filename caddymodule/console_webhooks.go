package caddymodule

import (
	"context"

	"github.com/authgate/authgate/gate/gateway"
	"github.com/authgate/authgate/gate/webhook"
)

// consoleWebhooks is the admin console's view of the app's webhooks: the
// dispatcher, and the runtime receivers kept in Caddy's storage, the same
// functions the admin API uses.
type consoleWebhooks struct{ w *webhooks }

// Endpoints lists every receiver with its health, marking those added at
// runtime.
func (c consoleWebhooks) Endpoints(ctx context.Context) []gateway.WebhookEndpoint {
	runtime := map[string]bool{}
	if stored, err := c.w.load(ctx); err == nil {
		for _, s := range stored {
			runtime[s.ID] = true
		}
	}
	var out []gateway.WebhookEndpoint
	for _, s := range c.w.dispatcher.Endpoints() {
		out = append(out, gateway.WebhookEndpoint{EndpointStatus: s, Runtime: runtime[s.ID]})
	}
	return out
}

// Deliveries returns the receiver's recent deliveries.
func (c consoleWebhooks) Deliveries(id string) []webhook.EventRecord {
	return c.w.dispatcher.Deliveries(id)
}

// Replay queues an event again for every receiver that had it.
func (c consoleWebhooks) Replay(ctx context.Context, eventID string) (int, error) {
	return c.w.dispatcher.Replay(ctx, eventID)
}

// Ping sends a ping event to one receiver.
func (c consoleWebhooks) Ping(ctx context.Context, id string) (string, error) {
	return c.w.dispatcher.Ping(ctx, id)
}

// Enable delivers again to a receiver disabled by a 410.
func (c consoleWebhooks) Enable(id string) error { return c.w.dispatcher.Enable(id) }

// Add registers a runtime receiver for every app.
func (c consoleWebhooks) Add(ctx context.Context, url string, events []string) (string, string, error) {
	s, err := c.w.add(ctx, storedWebhook{URL: url, Events: events}, 0)
	return s.ID, s.Secret, err
}

// Remove forgets a runtime receiver.
func (c consoleWebhooks) Remove(ctx context.Context, id string) error { return c.w.remove(ctx, id) }

var _ gateway.WebhookAdmin = consoleWebhooks{}
