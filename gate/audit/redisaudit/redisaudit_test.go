package redisaudit_test

import (
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/authgate/authgate/gate/audit"
	"github.com/authgate/authgate/gate/audit/audittest"
	"github.com/authgate/authgate/gate/audit/redisaudit"
	"github.com/authgate/authgate/internal/testenv"
)

var prefixes atomic.Int64

func TestRedisTrailPassesTheContract(t *testing.T) {
	srv := testenv.StartRedis(t)
	audittest.Run(t, func(t *testing.T, limits audit.Limits) audit.Trail {
		rdb := redis.NewClient(&redis.Options{Addr: srv.Addr})
		t.Cleanup(func() { rdb.Close() })
		return redisaudit.New(rdb, fmt.Sprintf("test%d", prefixes.Add(1)), limits)
	})
}
