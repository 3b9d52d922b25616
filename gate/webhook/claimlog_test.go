package webhook

import (
	"context"
	"errors"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/authgate/authgate/gate/webhook/outbox"
)

// unreachableOutbox is an outbox whose claims fail, as Redis's do while
// it is down.
type unreachableOutbox struct{ outbox.Outbox }

func (unreachableOutbox) Claim(ctx context.Context, _ string) (outbox.Claim, error) {
	return outbox.Claim{}, errors.New("reading the stream: dial tcp 127.0.0.1:6379: connect: connection refused")
}

// TestAnUnreachableOutboxIsLoggedOnceNotByEveryWorkerEverySecond: while
// the outbox does not answer, every worker retries every second; the log
// says so once (with how many claims failed), not eight lines a second.
func TestAnUnreachableOutboxIsLoggedOnceNotByEveryWorkerEverySecond(t *testing.T) {
	core, logs := observer.New(zap.DebugLevel)
	d := newDispatcher(t, Config{Logger: zap.New(core), Workers: 8,
		Outbox: unreachableOutbox{outbox.NewMemory(16, zap.NewNop())}})
	stop := run(t, d)
	time.Sleep(2500 * time.Millisecond) // every worker fails three times
	stop()
	lines := logs.FilterMessageSnippet("outbox claim failed").All()
	if len(lines) != 1 {
		t.Fatalf("%d log lines about failed claims in 2.5 s, want 1", len(lines))
	}
	if lines[0].Level != zap.WarnLevel || lines[0].ContextMap()["error"] == nil {
		t.Errorf("the line: %v %v", lines[0].Level, lines[0].ContextMap())
	}
}
