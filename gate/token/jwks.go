package token

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
)

// jwk is one public key in a JSON Web Key Set (RFC 7517, RFC 8037 for OKP).
type jwk struct {
	Kty string `json:"kty"`
	Crv string `json:"crv"`
	X   string `json:"x"`
	Kid string `json:"kid"`
	Alg string `json:"alg"`
	Use string `json:"use"`
}

// JWKS returns the JSON Web Key Set of the configured EdDSA public keys, in
// configuration order, for upstreams that verify tokens themselves. HS256
// secrets are never published: with only HS256 keys the set is empty
// ({"keys":[]}). The returned slice is the caller's own copy.
func (m *Manager) JWKS() []byte {
	return append([]byte(nil), m.jwks...)
}

// buildJWKS encodes the public halves of the EdDSA keys.
func buildJWKS(keys []Key) ([]byte, error) {
	set := struct {
		Keys []jwk `json:"keys"`
	}{Keys: []jwk{}}
	for _, k := range keys {
		if k.Alg != AlgEdDSA {
			continue
		}
		set.Keys = append(set.Keys, jwk{
			Kty: "OKP", Crv: "Ed25519", X: base64.RawURLEncoding.EncodeToString(k.Public),
			Kid: k.ID, Alg: AlgEdDSA, Use: "sig",
		})
	}
	b, err := json.Marshal(set)
	if err != nil {
		return nil, fmt.Errorf("encoding JWKS: %w", err)
	}
	return b, nil
}
