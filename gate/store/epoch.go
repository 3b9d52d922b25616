package store

import (
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// epochBits is the size of an epoch ID: below 2^53, so that it survives
// JSON tools that read numbers as doubles (a token's ep claim).
const epochBits = 52

// NewEpoch returns a fresh epoch created at now, with a random non-zero
// positive ID of epochBits bits.
func NewEpoch(now time.Time) Epoch {
	for {
		var b [8]byte
		_, _ = rand.Read(b[:]) // crypto/rand.Read never fails
		if id := int64(binary.BigEndian.Uint64(b[:]) >> (64 - epochBits)); id != 0 {
			return Epoch{ID: id, CreatedAt: now}
		}
	}
}

// String is the marker's stored form: "<id> <created, unix ms>".
func (e Epoch) String() string {
	return strconv.FormatInt(e.ID, 10) + " " + strconv.FormatInt(e.CreatedAt.UnixMilli(), 10)
}

// ParseEpoch reads the form String writes.
func ParseEpoch(s string) (Epoch, error) {
	idText, created, ok := strings.Cut(s, " ")
	id, err1 := strconv.ParseInt(idText, 10, 64)
	ms, err2 := strconv.ParseInt(created, 10, 64)
	if !ok || err1 != nil || err2 != nil || id <= 0 {
		return Epoch{}, fmt.Errorf("store: malformed epoch marker %q", s)
	}
	return Epoch{ID: id, CreatedAt: time.UnixMilli(ms)}, nil
}
