package push

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/ecdh"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
)

// The sizes RFC 8291 fixes.
const (
	authSecretLen = 16
	saltLen       = 16
	// recordSize is the rs of the aes128gcm header: one record holds the
	// whole message (push services accept 4096-byte bodies).
	recordSize = 4096
	// maxPlaintext leaves room for the header (86 bytes), the delimiter
	// and the AEAD tag within recordSize.
	maxPlaintext = recordSize - 86 - 1 - 16
	// padTo rounds the padded plaintext up to a multiple of this, so the
	// length of a message says little about the names in it.
	padTo = 128
)

// ErrPayloadTooLarge is returned for a message that does not fit in one
// record.
var ErrPayloadTooLarge = errors.New("push: payload too large")

// encrypt returns the aes128gcm body (RFC 8188 with RFC 8291's keys) of
// plaintext for a browser with public key uaPublic (65-byte point) and
// authentication secret auth.
func encrypt(uaPublic, auth, plaintext []byte) ([]byte, error) {
	eph, err := ecdh.P256().GenerateKey(rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("push: ephemeral key: %w", err)
	}
	salt := make([]byte, saltLen)
	if _, err := rand.Read(salt); err != nil {
		return nil, fmt.Errorf("push: salt: %w", err)
	}
	pad := (padTo - (len(plaintext)+1)%padTo) % padTo
	return encryptWith(eph, salt, uaPublic, auth, plaintext, pad)
}

// encryptWith is encrypt with the ephemeral key, salt and padding given
// (RFC 8291 Appendix A's vector fixes all three).
func encryptWith(eph *ecdh.PrivateKey, salt, uaPublic, auth, plaintext []byte, pad int) ([]byte, error) {
	if len(plaintext)+pad > maxPlaintext {
		return nil, ErrPayloadTooLarge
	}
	if len(auth) != authSecretLen {
		return nil, fmt.Errorf("push: auth secret must be %d bytes, not %d", authSecretLen, len(auth))
	}
	ua, err := ecdh.P256().NewPublicKey(uaPublic)
	if err != nil {
		return nil, fmt.Errorf("push: browser key: %w", err)
	}
	shared, err := eph.ECDH(ua)
	if err != nil {
		return nil, fmt.Errorf("push: key agreement: %w", err)
	}
	asPublic := eph.PublicKey().Bytes()
	// RFC 8291 section 3.4: IKM from the shared secret, keyed by auth.
	info := make([]byte, 0, 14+65+65)
	info = append(info, "WebPush: info\x00"...)
	info = append(info, uaPublic...)
	info = append(info, asPublic...)
	ikm, err := hkdf.Key(sha256.New, shared, auth, string(info), 32)
	if err != nil {
		return nil, fmt.Errorf("push: deriving input key: %w", err)
	}
	// RFC 8188 section 2.2 and 2.3: content key and nonce from the salt.
	prk, err := hkdf.Extract(sha256.New, ikm, salt)
	if err != nil {
		return nil, fmt.Errorf("push: deriving content key: %w", err)
	}
	cek, err := hkdf.Expand(sha256.New, prk, "Content-Encoding: aes128gcm\x00", 16)
	if err != nil {
		return nil, fmt.Errorf("push: deriving content key: %w", err)
	}
	nonce, err := hkdf.Expand(sha256.New, prk, "Content-Encoding: nonce\x00", 12)
	if err != nil {
		return nil, fmt.Errorf("push: deriving nonce: %w", err)
	}
	block, err := aes.NewCipher(cek)
	if err != nil {
		return nil, fmt.Errorf("push: cipher: %w", err)
	}
	gcm, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("push: cipher: %w", err)
	}
	// The last (only) record: plaintext, the 0x02 delimiter, zero padding.
	record := make([]byte, 0, len(plaintext)+1+pad+gcm.Overhead())
	record = append(record, plaintext...)
	record = append(record, 2)
	record = append(record, make([]byte, pad)...)

	body := make([]byte, 0, saltLen+4+1+len(asPublic)+len(record)+gcm.Overhead())
	body = append(body, salt...)
	body = binary.BigEndian.AppendUint32(body, recordSize)
	body = append(body, byte(len(asPublic)))
	body = append(body, asPublic...)
	return gcm.Seal(body, nonce, record, nil), nil
}
