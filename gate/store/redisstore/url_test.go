package redisstore

import (
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"
)

func TestNewClient(t *testing.T) {
	tests := []struct {
		url  string
		want string // "single", "cluster", "sentinel", or "" for an error
	}{
		{"redis://127.0.0.1:6379/0", "single"},
		{"redis://user:pass@127.0.0.1/2?dial_timeout=1s", "single"},
		{"rediss://cache.example.com:6380", "single"},
		{"unix:///run/redis.sock?db=1", "single"},
		{"redis://10.0.0.1:7000?addr=10.0.0.2:7000&addr=10.0.0.3:7000", "cluster"},
		{"redis+cluster://10.0.0.1:7000", "cluster"},
		{"rediss+cluster://10.0.0.1:7000?addr=10.0.0.2:7000", "cluster"},
		{"redis+sentinel://10.0.0.1:26379/0?master_name=main&addr=10.0.0.2:26379", "sentinel"},
		{"redis+sentinel://10.0.0.1:26379", ""},    // no master_name
		{"unix+cluster:///run/redis.sock", ""},     // a socket is one server
		{"http://127.0.0.1:6379", ""},              // not Redis
		{"redis+mesh://127.0.0.1:6379", ""},        // unknown mode
		{"redis://127.0.0.1:6379/0?no_such=1", ""}, // unknown option
		{"redis://127.0.0.1:6379/zero", ""},        // bad database
		{"redis://user:s3cret@[::1:6379/0", ""},    // malformed
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			client, err := NewClient(tt.url)
			if tt.want == "" {
				if err == nil {
					client.Close()
					t.Fatal("NewClient succeeded, want an error")
				}
				if strings.Contains(err.Error(), "s3cret") {
					t.Fatalf("the error repeats the password: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("NewClient: %v", err)
			}
			defer client.Close()
			var got string
			switch c := client.(type) {
			case *redis.ClusterClient:
				got = "cluster"
			case *redis.Client:
				got = "single"
				if c.Options().Addr == "FailoverClient" { // go-redis's mark of a Sentinel client
					got = "sentinel"
				}
			default:
				t.Fatalf("unexpected client type %T", client)
			}
			if got != tt.want {
				t.Fatalf("NewClient made a %s client, want %s", got, tt.want)
			}
		})
	}
}
