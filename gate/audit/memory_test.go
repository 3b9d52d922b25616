package audit_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/authgate/authgate/gate/audit"
	"github.com/authgate/authgate/gate/audit/audittest"
)

func TestRingPassesTheContract(t *testing.T) {
	audittest.Run(t, func(t *testing.T, limits audit.Limits) audit.Trail { return audit.NewRing(limits) })
}

func TestRingSetLimitsKeepsTheNewest(t *testing.T) {
	r := audit.NewRing(audit.Limits{MaxEntries: 10})
	ctx := context.Background()
	for i := 0; i < 25; i++ {
		_ = r.Append(ctx, audit.Entry{Time: time.Now(), Type: "login", Data: map[string]any{"n": fmt.Sprint(i)}})
	}
	r.SetLimits(audit.Limits{MaxEntries: 3})
	p, _ := r.List(ctx, audit.Query{})
	if len(p.Entries) != 3 || p.Entries[0].Data["n"] != "24" || p.Entries[2].Data["n"] != "22" {
		t.Fatalf("after shrinking to 3: %+v", p.Entries)
	}
	r.SetLimits(audit.Limits{MaxEntries: 5})
	for i := 25; i < 30; i++ {
		_ = r.Append(ctx, audit.Entry{Time: time.Now(), Type: "login", Data: map[string]any{"n": fmt.Sprint(i)}})
	}
	p, _ = r.List(ctx, audit.Query{})
	if len(p.Entries) != 5 || p.Entries[0].Data["n"] != "29" || p.Entries[4].Data["n"] != "25" {
		t.Fatalf("after growing to 5: %+v", p.Entries)
	}
}
