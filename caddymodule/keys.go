package caddymodule

import (
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"

	"github.com/caddyserver/caddy/v2"

	"github.com/authgate/authgate/gate/token"
)

// generatedKeyPath is where a generated signing secret is kept in Caddy's
// storage.
const generatedKeyPath = "authgate/signing_key"

// loadKeys returns the signing key first, then the previous keys. With no
// configured key it loads the one generated earlier from Caddy's storage,
// or generates and stores one.
func (a *App) loadKeys(ctx caddy.Context) ([]token.Key, error) {
	var keys []token.Key
	if a.SigningKey != "" {
		k, err := token.ParseKey("", a.SigningKey)
		if err != nil {
			return nil, fmt.Errorf("signing_key: %w", err)
		}
		keys = append(keys, k)
	} else {
		k, err := storedKey(ctx)
		if err != nil {
			return nil, err
		}
		keys = append(keys, k)
	}
	for i, spec := range a.PreviousKeys {
		k, err := token.ParseKey("", spec)
		if err != nil {
			return nil, fmt.Errorf("previous_key %d: %w", i+1, err)
		}
		keys = append(keys, k)
	}
	return keys, nil
}

func storedKey(ctx caddy.Context) (token.Key, error) {
	st := ctx.Storage()
	raw, err := st.Load(ctx, generatedKeyPath)
	if err == nil {
		return token.ParseKey("", "base64:"+string(raw))
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return token.Key{}, fmt.Errorf("loading generated signing key: %w", err)
	}
	k, err := token.GenerateHS256Key()
	if err != nil {
		return token.Key{}, fmt.Errorf("generating signing key: %w", err)
	}
	if err := st.Store(ctx, generatedKeyPath, []byte(base64.StdEncoding.EncodeToString(k.Secret))); err != nil {
		return token.Key{}, fmt.Errorf("keeping generated signing key: %w", err)
	}
	// Another instance sharing the storage may have written first: use
	// whatever is stored now.
	raw, err = st.Load(ctx, generatedKeyPath)
	if err != nil {
		return token.Key{}, fmt.Errorf("reloading generated signing key: %w", err)
	}
	return token.ParseKey("", "base64:"+string(raw))
}
