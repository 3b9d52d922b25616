package caddymodule

import (
	"slices"
	"sync"

	"go.uber.org/zap"

	"github.com/authgate/authgate/gate/token"
)

// signingKeyMemory remembers which key the configs of one pooled store
// sign with, so a reload that drops the key every session carries can
// say so.
type signingKeyMemory struct {
	mu sync.Mutex
	id string
}

// replace records id as the key now signing and returns the one the
// config before signed with, "" for the first.
func (m *signingKeyMemory) replace(id string) string {
	m.mu.Lock()
	defer m.mu.Unlock()
	before := m.id
	m.id = id
	return before
}

// warnOfADroppedSigningKey logs, at error level, a config that no longer
// verifies the key the config before it signed with: every session and
// API key made under that one is refused from now on. A rotation lists
// the old key as previous_key and says nothing.
func (a *App) warnOfADroppedSigningKey(st *sharedStore, keys []token.Key) {
	if st.signing == nil || len(keys) == 0 {
		return
	}
	before := st.signing.replace(keys[0].ID)
	if before == "" || before == keys[0].ID {
		return
	}
	if slices.ContainsFunc(keys, func(k token.Key) bool { return k.ID == before }) {
		return
	}
	a.log.Error("signing_key changed without the old key as previous_key: every session and API key signed with it is refused from now on; to rotate without signing everyone out, keep the old key as previous_key for one session_lifetime",
		zap.String("old_key_id", before), zap.String("new_key_id", keys[0].ID))
}
