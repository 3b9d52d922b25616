package redisstore_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/authgate/authgate/gate/store/redisstore"
	"github.com/authgate/authgate/internal/testenv"
)

// BenchmarkRevokeSessionDurability measures what each durability setting
// costs a logout (RevokeSession) on loopback: no persistence, the two AOF
// fsync policies, and a replica without and with WAIT. The README's
// durability section quotes it:
//
//	go test -run '^$' -bench RevokeSessionDurability -benchtime 2000x ./gate/store/redisstore/
func BenchmarkRevokeSessionDurability(b *testing.B) {
	for _, tc := range []struct {
		name string
		url  func(b *testing.B) string
	}{
		{"single/no-persistence", func(b *testing.B) string { return testenv.StartRedis(b).URL(0) }},
		{"single/appendfsync-everysec", func(b *testing.B) string {
			return testenv.StartRedisWith(b, "--appendonly", "yes", "--appendfsync", "everysec").URL(0)
		}},
		{"single/appendfsync-always", func(b *testing.B) string {
			return testenv.StartRedisWith(b, "--appendonly", "yes", "--appendfsync", "always").URL(0)
		}},
		{"sentinel/no-wait", func(b *testing.B) string {
			return testenv.StartSentinel(b, testenv.SentinelOptions{}).URL(0, "")
		}},
		{"sentinel/wait-1", func(b *testing.B) string {
			return testenv.StartSentinel(b, testenv.SentinelOptions{}).URL(0, "wait_replicas=1")
		}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			s, err := redisstore.Open(tc.url(b), redisstore.Options{})
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			ctx := context.Background()
			until := time.Now().Add(time.Hour)
			if err := s.RevokeSession(ctx, "warm-up", until); err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if err := s.RevokeSession(ctx, "sid-"+strconv.Itoa(i), until); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
