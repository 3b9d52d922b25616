package device

import (
	"crypto/ecdsa"
	"sync"
	"time"
)

// keyCacheSize bounds how many devices' keys one verifier remembers.
const keyCacheSize = 10_000

// keyCache remembers the public keys of devices whose requests verified.
// A device's key never changes (an id names one key for the device's
// life), so a remembered key checks the device's next signature without
// reading the device first; whether the device still exists is asked in
// the same store step that takes the replay marker, so a removed device
// is refused as at once as before. The zero value is ready.
type keyCache struct {
	mu   sync.Mutex
	keys map[string]cachedKey
}

// cachedKey is one device's key, its user (which never changes either)
// and its LastUsed as last seen.
type cachedKey struct {
	der      []byte
	pub      *ecdsa.PublicKey
	lastUsed time.Time
	email    string
}

func (c *keyCache) get(id string) (cachedKey, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	k, ok := c.keys[id]
	return k, ok
}

// put remembers k for id, forgetting some other device when full.
func (c *keyCache) put(id string, k cachedKey) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.keys == nil {
		c.keys = make(map[string]cachedKey)
	}
	if _, ok := c.keys[id]; !ok && len(c.keys) >= keyCacheSize {
		for other := range c.keys {
			delete(c.keys, other)
			break
		}
	}
	c.keys[id] = k
}

func (c *keyCache) drop(id string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.keys, id)
}
