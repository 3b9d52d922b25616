package device

import (
	"errors"
	"testing"
	"time"
)

func TestDecisionMessageIsTheProtocolString(t *testing.T) {
	got := string(DecisionMessage("s1", DecisionApprove, 42, 1700000000123))
	if want := "authgate-decision-v1|s1|approve|42|1700000000123"; got != want {
		t.Fatalf("DecisionMessage = %q, want %q", got, want)
	}
}

func TestVerifyDecision(t *testing.T) {
	key, _ := newKey(t)
	other, _ := newKey(t)
	now := time.UnixMilli(1_700_000_000_000)
	ts := now.UnixMilli()
	sign := func(sid, decision string, number int, ts int64) []byte {
		return signRaw(t, key, DecisionMessage(sid, decision, number, ts))
	}
	good := sign("sess", DecisionApprove, 42, ts)

	cases := []struct {
		name     string
		sid      string
		decision string
		number   int
		ts       int64
		sig      []byte
		want     error
	}{
		{"approve, raw", "sess", DecisionApprove, 42, ts, good, nil},
		{"approve, DER", "sess", DecisionApprove, 42, ts, derOf(t, good), nil},
		{"deny", "sess", DecisionDeny, 0, ts, sign("sess", DecisionDeny, 0, ts), nil},
		{"report", "sess", DecisionReport, 0, ts, sign("sess", DecisionReport, 0, ts), nil},
		{"29 s early", "sess", DecisionDeny, 0, ts - 29_000, sign("sess", DecisionDeny, 0, ts-29_000), nil},
		{"another number than signed", "sess", DecisionApprove, 43, ts, good, ErrBadSignature},
		{"another session than signed", "sess2", DecisionApprove, 42, ts, good, ErrBadSignature},
		{"approve signed, deny claimed", "sess", DecisionDeny, 0, ts, sign("sess", DecisionApprove, 0, ts), ErrBadSignature},
		{"another key", "sess", DecisionApprove, 42, ts, signRaw(t, other, DecisionMessage("sess", DecisionApprove, 42, ts)), ErrBadSignature},
		{"31 s old", "sess", DecisionDeny, 0, ts - 31_000, sign("sess", DecisionDeny, 0, ts-31_000), ErrStale},
		{"31 s ahead", "sess", DecisionDeny, 0, ts + 31_000, sign("sess", DecisionDeny, 0, ts+31_000), ErrStale},
		{"zero ts", "sess", DecisionDeny, 0, 0, sign("sess", DecisionDeny, 0, 0), ErrStale},
		{"unknown decision", "sess", "maybe", 0, ts, sign("sess", "maybe", 0, ts), ErrInvalidDecision},
		{"deny with a number", "sess", DecisionDeny, 42, ts, sign("sess", DecisionDeny, 42, ts), ErrInvalidDecision},
		{"number out of range", "sess", DecisionApprove, 100, ts, sign("sess", DecisionApprove, 100, ts), ErrInvalidDecision},
		{"negative number", "sess", DecisionApprove, -1, ts, sign("sess", DecisionApprove, -1, ts), ErrInvalidDecision},
		{"session id with a separator", "a|b", DecisionDeny, 0, ts, sign("a|b", DecisionDeny, 0, ts), ErrInvalidDecision},
		{"empty session id", "", DecisionDeny, 0, ts, sign("", DecisionDeny, 0, ts), ErrInvalidDecision},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := VerifyDecision(&key.PublicKey, c.sid, c.decision, c.number, c.ts, c.sig, now, 0)
			if c.want == nil && err != nil {
				t.Fatalf("VerifyDecision = %v, want nil", err)
			}
			if c.want != nil && !errors.Is(err, c.want) {
				t.Fatalf("VerifyDecision = %v, want %v", err, c.want)
			}
		})
	}
}
