package push

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/authgate/authgate/gate/store"
)

// browser is the receiving side of a subscription: its key pair and
// auth secret, and a decrypter of what it is sent.
type browser struct {
	priv *ecdh.PrivateKey
	auth []byte
}

func newBrowser(t *testing.T) *browser {
	t.Helper()
	priv, err := ecdh.P256().GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	auth := make([]byte, 16)
	_, _ = rand.Read(auth)
	return &browser{priv: priv, auth: auth}
}

func (b *browser) subscription(endpoint string) *store.PushSubscription {
	return &store.PushSubscription{Endpoint: endpoint, P256dh: b.priv.PublicKey().Bytes(), Auth: b.auth}
}

// decrypt reverses RFC 8291 as a browser does: from the header's salt
// and sender key to the plaintext before its delimiter.
func (b *browser) decrypt(body []byte) ([]byte, error) {
	if len(body) < 21 {
		return nil, errors.New("short body")
	}
	salt, rs, idlen := body[:16], binary.BigEndian.Uint32(body[16:20]), int(body[20])
	if rs != recordSize || len(body) < 21+idlen {
		return nil, errors.New("bad header")
	}
	asPub, err := ecdh.P256().NewPublicKey(body[21 : 21+idlen])
	if err != nil {
		return nil, err
	}
	shared, err := b.priv.ECDH(asPub)
	if err != nil {
		return nil, err
	}
	info := append(append([]byte("WebPush: info\x00"), b.priv.PublicKey().Bytes()...), asPub.Bytes()...)
	ikm, _ := hkdf.Key(sha256.New, shared, b.auth, string(info), 32)
	prk, _ := hkdf.Extract(sha256.New, ikm, salt)
	cek, _ := hkdf.Expand(sha256.New, prk, "Content-Encoding: aes128gcm\x00", 16)
	nonce, _ := hkdf.Expand(sha256.New, prk, "Content-Encoding: nonce\x00", 12)
	block, _ := aes.NewCipher(cek)
	gcm, _ := cipher.NewGCM(block)
	plain, err := gcm.Open(nil, nonce, body[21+idlen:], nil)
	if err != nil {
		return nil, err
	}
	for i := len(plain) - 1; i >= 0; i-- {
		switch plain[i] {
		case 0:
			continue
		case 2:
			return plain[:i], nil
		}
		break
	}
	return nil, errors.New("no delimiter")
}

// received is one request a fake push service got.
type received struct {
	header http.Header
	body   []byte
}

// pushService is a fake push service on loopback answering status.
type pushService struct {
	*httptest.Server
	mu     sync.Mutex
	got    []received
	status int
	notify chan struct{}
}

func newPushService(t *testing.T, status int) *pushService {
	t.Helper()
	p := &pushService{status: status, notify: make(chan struct{}, 100)}
	p.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		p.mu.Lock()
		p.got = append(p.got, received{header: r.Header.Clone(), body: body})
		st := p.status
		p.mu.Unlock()
		w.WriteHeader(st)
		p.notify <- struct{}{}
	}))
	t.Cleanup(p.Close)
	return p
}

func (p *pushService) requests() []received {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]received(nil), p.got...)
}

func (p *pushService) setStatus(s int) {
	p.mu.Lock()
	p.status = s
	p.mu.Unlock()
}

// parsePublicPoint returns the ECDSA public key of an uncompressed point.
func parsePublicPoint(b []byte) (*ecdsa.PublicKey, error) {
	pub, err := ecdsa.ParseUncompressedPublicKey(elliptic.P256(), b)
	if err != nil {
		return nil, fmt.Errorf("push: public key: %w", err)
	}
	return pub, nil
}
