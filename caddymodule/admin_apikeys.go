package caddymodule

import (
	"net/http"
	"time"

	"github.com/caddyserver/caddy/v2"

	"github.com/authgate/authgate/gate/store"
)

// The API key routes of the admin API:
//
//	GET    /authgate/keys?email=E    the user's API keys (never the keys themselves)
//	DELETE /authgate/keys/{id}       revoke a key on every instance

// apiKeyRoutes lists the API key endpoints.
func (a *adminAPI) apiKeyRoutes() []caddy.AdminRoute {
	return []caddy.AdminRoute{
		{Pattern: "/authgate/keys", Handler: caddy.AdminHandlerFunc(a.handleAPIKeys)},
		{Pattern: "/authgate/keys/", Handler: caddy.AdminHandlerFunc(a.handleAPIKey)},
	}
}

// apiKeyView is an API key as the admin API shows it: no hash, no key.
type apiKeyView struct {
	ID        string    `json:"id"`
	Email     string    `json:"email"`
	Name      string    `json:"name"`
	CreatedAt time.Time `json:"created_at"`
	LastUsed  time.Time `json:"last_used,omitzero"`
	ExpiresAt time.Time `json:"expires_at,omitzero"`
}

func viewAPIKey(k *store.APIKey) apiKeyView {
	return apiKeyView{ID: k.ID, Email: k.Email, Name: k.Name, CreatedAt: k.CreatedAt, LastUsed: k.LastUsed, ExpiresAt: k.ExpiresAt}
}

// apiKeysResponse is the answer of GET /authgate/keys.
type apiKeysResponse struct {
	Email string       `json:"email"`
	Keys  []apiKeyView `json:"keys"`
}

// handleAPIKeys lists a user's API keys.
func (a *adminAPI) handleAPIKeys(w http.ResponseWriter, r *http.Request) error {
	app, email, err := a.userQuery(r)
	if err != nil {
		return err
	}
	keys, err := app.gw.ListAPIKeys(r.Context(), email)
	if err != nil {
		return adminError(err)
	}
	resp := apiKeysResponse{Email: email, Keys: make([]apiKeyView, 0, len(keys))}
	for _, k := range keys {
		resp.Keys = append(resp.Keys, viewAPIKey(k))
	}
	return writeAdminJSON(w, resp)
}

// handleAPIKey revokes one key: DELETE /authgate/keys/{id}.
func (a *adminAPI) handleAPIKey(w http.ResponseWriter, r *http.Request) error {
	return a.revoke(w, r, "/authgate/keys/", "key", func(app *App, id string) error {
		_, err := app.gw.RevokeAPIKey(r.Context(), id)
		return namedError("API key", id, err)
	})
}
