package gateway

import (
	"context"
	"strings"
	"testing"

	"github.com/authgate/authgate/gate/store/redisstore"
	"github.com/authgate/authgate/gate/token"
	"github.com/authgate/authgate/internal/testenv"
)

// TestHealthSaysWhyTheStoreFails: a Redis that refuses the gate's
// password answers, so the operator's status must say it refused, not
// only that the store does not work, and never with the password.
func TestHealthSaysWhyTheStoreFails(t *testing.T) {
	r := testenv.StartRedisWith(t, "--requirepass", "the-right-one")
	st, err := redisstore.Open("redis://:not-the-right-one@"+r.Addr+"/0", redisstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	key, err := token.NewHS256Key("k1", []byte("0123456789abcdef0123456789abcdef"))
	if err != nil {
		t.Fatal(err)
	}
	g, err := New(Config{}, Deps{Store: st, Keys: []token.Key{key}, Events: &recordingSink{}})
	if err != nil {
		t.Fatal(err)
	}
	h := g.Health(context.Background())
	if !strings.Contains(h.StoreError, "WRONGPASS") {
		t.Fatalf("StoreError %q does not say the password was refused", h.StoreError)
	}
	if strings.Contains(h.StoreError, "not-the-right-one") {
		t.Fatalf("StoreError %q holds the password", h.StoreError)
	}
}
