package redisstore_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/authgate/authgate/gate/store"
	"github.com/authgate/authgate/gate/store/redisstore"
	"github.com/authgate/authgate/internal/testenv"
)

// Devices enrolled before the users set existed are listed all the same:
// the first listing of a deployment finds them in the device records, on
// a single server and on every primary of a Cluster.
func TestUsersEnrolledBeforeTheUsersSetAreListed(t *testing.T) {
	t.Run("server", func(t *testing.T) {
		r := testenv.StartRedis(t)
		testUsersBeforeTheSet(t, r.URL(0))
	})
	t.Run("cluster", func(t *testing.T) {
		testUsersBeforeTheSet(t, testenv.StartRedisCluster(t).URL())
	})
}

func testUsersBeforeTheSet(t *testing.T, url string) {
	ctx := context.Background()
	old, err := redisstore.Open(url, redisstore.Options{Prefix: "up"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = old.Close() })
	var want []string
	for i := range 40 {
		email := fmt.Sprintf("user%02d@example.com", i)
		want = append(want, email)
		d := &store.Device{ID: fmt.Sprintf("dev_%02d", i), Email: email, Name: "phone", PublicKey: []byte{1, 2, 3},
			CreatedAt: time.Now()}
		if err := old.CreateDevice(ctx, d); err != nil {
			t.Fatal(err)
		}
	}
	// As an earlier version left it: the devices, no users set.
	if err := old.Client().Del(ctx, "up:{users}").Err(); err != nil {
		t.Fatal(err)
	}
	if err := old.Client().Del(ctx, "up:{users}:complete").Err(); err != nil {
		t.Fatal(err)
	}
	st, err := redisstore.Open(url, redisstore.Options{Prefix: "up"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	got, err := st.ListUsers(ctx)
	if err != nil || !slices.Equal(got, want) {
		t.Fatalf("ListUsers = %v, %v; want the %d users", got, err, len(want))
	}
	// Done once: a device record added behind the store's back now is
	// not scanned for, and a removed user's last device drops them.
	if err := st.DeleteDevice(ctx, "dev_00"); err != nil {
		t.Fatal(err)
	}
	if got, err := st.ListUsers(ctx); err != nil || len(got) != len(want)-1 || got[0] != want[1] {
		t.Fatalf("after removing a device: %v, %v", got, err)
	}
}
