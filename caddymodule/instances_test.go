package caddymodule

import (
	"context"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/authgate/authgate/internal/testenv"
)

func TestInstancesDifferOnlyInWhatMatters(t *testing.T) {
	own := instanceSettings{SigningKey: "k2", Verifies: []string{"k2", "k1"}, Webhooks: "w", Flow: "f"}
	for name, c := range map[string]struct {
		other instanceSettings
		want  string
	}{
		"the same":                    {instanceSettings{SigningKey: "k2", Verifies: []string{"k2"}, Webhooks: "w", Flow: "f"}, ""},
		"a rotation this one follows": {instanceSettings{SigningKey: "k1", Verifies: []string{"k1"}, Webhooks: "w", Flow: "f"}, ""},
		"a key this one cannot check": {instanceSettings{SigningKey: "k9", Webhooks: "w", Flow: "f"}, "signing_key (key id k9"},
		"other receivers":             {instanceSettings{SigningKey: "k2", Webhooks: "x", Flow: "f"}, "webhook receivers"},
		"other limits":                {instanceSettings{SigningKey: "k2", Webhooks: "w", Flow: "g"}, "login settings"},
	} {
		got := strings.Join(own.differences(c.other), "; ")
		if (c.want == "") != (got == "") || !strings.Contains(got, c.want) {
			t.Errorf("%s: differences %q, want %q", name, got, c.want)
		}
	}
}

// TestInstancesOnOneRedisSayWhereTheyDiffer: two instances with other
// signing keys each log the difference once and report it; once they
// agree, the report is empty again.
func TestInstancesOnOneRedisSayWhereTheyDiffer(t *testing.T) {
	r := testenv.StartRedis(t)
	rdb := redis.NewClient(&redis.Options{Addr: r.Addr})
	defer rdb.Close()
	core, logs := observer.New(zap.InfoLevel)
	a := newAgreement(rdb, "t", "a", instanceSettings{SigningKey: "ka", Verifies: []string{"ka"}}, zap.New(core))
	b := newAgreement(rdb, "t", "b", instanceSettings{SigningKey: "kb", Verifies: []string{"kb"}}, zap.New(core))
	ctx := context.Background()
	a.round(ctx)
	if d := a.differences(); len(d) != 0 {
		t.Fatalf("alone: %v", d)
	}
	b.round(ctx)
	a.round(ctx)
	a.round(ctx)
	if da, db := a.differences(), b.differences(); len(da) != 1 || len(db) != 1 || !strings.Contains(da[0], "kb") || !strings.Contains(db[0], "ka") {
		t.Fatalf("with other keys: a %v, b %v", da, db)
	}
	if n := logs.FilterMessageSnippet("runs with other settings").Len(); n != 2 {
		t.Fatalf("%d error lines, want one per instance: %v", n, logs.All())
	}
	b.own = instanceSettings{SigningKey: "ka", Verifies: []string{"ka"}}
	b.round(ctx)
	a.round(ctx)
	if da, db := a.differences(), b.differences(); len(da) != 0 || len(db) != 0 {
		t.Fatalf("once they agree: a %v, b %v", da, db)
	}
	if n := logs.FilterMessageSnippet("the same settings").Len(); n != 2 {
		t.Fatalf("%d lines saying they agree, want 2: %v", n, logs.All())
	}
}
