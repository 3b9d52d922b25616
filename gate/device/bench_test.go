package device

import (
	"context"
	"net/http"
	"testing"
)

func BenchmarkVerifySignature(b *testing.B) {
	key, _ := newKey(b)
	msg := RequestMessage("GET", "/.authgate/device/pending", 1_700_000_000_000, nil)
	raw := signRaw(b, key, msg)
	for b.Loop() {
		if !VerifySignature(&key.PublicKey, msg, raw) {
			b.Fatal("does not verify")
		}
	}
}

// BenchmarkVerifyRequest measures a whole accepted request on the memory
// store: lookup, key parse, signature, replay marker.
func BenchmarkVerifyRequest(b *testing.B) {
	f := newFixture(b)
	ctx := context.Background()
	reqs := make([]*http.Request, b.N)
	for i := range reqs {
		s := signed{method: "GET", target: "/.authgate/device/pending", deviceID: f.alice.ID, key: f.aliceKey, ts: f.now.UnixMilli()}
		reqs[i], _ = s.build(b)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := f.verifier.VerifyRequest(ctx, reqs[i], nil); err != nil {
			b.Fatal(err)
		}
	}
}
