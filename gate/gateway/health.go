package gateway

import (
	"context"
	"net/http"
	"strconv"
	"time"
)

// healthResponse is the body of GET /healthz.
type healthResponse struct {
	Status      string `json:"status"`
	Store       string `json:"store"`
	Revocations string `json:"revocations"`
	LastSync    string `json:"revocations_synced_at,omitempty"`
	// Epoch is the store's epoch that tokens are minted in, as a decimal
	// string; it changes when the store loses its data.
	// Not a secret: every session token carries it.
	Epoch string `json:"store_epoch,omitempty"`
}

// handleHealth reports whether the store answers and the revocation set
// is fresh: 200 when both hold, 503 otherwise.
func (g *Gateway) handleHealth(w http.ResponseWriter, r *http.Request) {
	resp := healthResponse{Status: "ok", Store: "ok", Revocations: "fresh"}
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := g.store.Ping(ctx); err != nil {
		resp.Status, resp.Store = "degraded", "unreachable"
	}
	if !g.revocations.Fresh(time.Now()) {
		resp.Status, resp.Revocations = "degraded", "stale"
	}
	if e := g.revocations.Epoch(); e != 0 {
		resp.Epoch = strconv.FormatInt(e, 10)
	}
	if t := g.revocations.LastSync(); !t.IsZero() {
		resp.LastSync = t.UTC().Format(time.RFC3339)
	}
	status := http.StatusOK
	if resp.Status != "ok" {
		status = http.StatusServiceUnavailable
	}
	writeJSON(w, status, resp)
}

// handleJWKS publishes the public keys of EdDSA signing keys (an empty
// set for HS256), so other services can verify session tokens.
func (g *Gateway) handleJWKS(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/jwk-set+json")
	w.Header().Set("Cache-Control", "public, max-age=300")
	_, _ = w.Write(g.tokens.JWKS())
}
