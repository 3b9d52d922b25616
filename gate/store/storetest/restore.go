package storetest

import (
	"testing"
	"time"

	"github.com/authgate/authgate/gate/store"
)

func runRestore(t *testing.T, open Opener) {
	t.Run("Revocations carries one epoch, the same on every call and every store of the backend", func(t *testing.T) {
		t.Parallel()
		a, b, ctx := open(t), open(t), ctxFor(t)
		first, err := a.Revocations(ctx)
		noErr(t, "Revocations", err)
		if first.Epoch.ID == 0 || first.Epoch.CreatedAt.IsZero() {
			t.Fatalf("epoch = %+v, want a non-zero id and a creation time", first.Epoch)
		}
		noErr(t, "RevokeSession", a.RevokeSession(ctx, uniq("sid"), now().Add(time.Hour)))
		again, err := a.Revocations(ctx)
		noErr(t, "Revocations again", err)
		other, err := b.Revocations(ctx)
		noErr(t, "Revocations on another store", err)
		if again.Epoch.ID != first.Epoch.ID || other.Epoch.ID != first.Epoch.ID {
			t.Fatalf("epochs %d, %d, %d: want one epoch while the backend keeps its data",
				first.Epoch.ID, again.Epoch.ID, other.Epoch.ID)
		}
	})

	t.Run("RestoreRevocations writes back what is missing and keeps the later until", func(t *testing.T) {
		t.Parallel()
		s, ctx := open(t), ctxFor(t)
		missing, shorter, longer, past := uniq("sid"), uniq("sid"), uniq("sid"), uniq("sid")
		stored := now().Add(time.Hour)
		noErr(t, "RevokeSession shorter", s.RevokeSession(ctx, shorter, stored))
		noErr(t, "RevokeSession longer", s.RevokeSession(ctx, longer, stored))
		lower, higher, absent := uniqEmail(), uniqEmail(), uniqEmail()
		for range 3 {
			_, err := s.BumpGeneration(ctx, lower)
			noErr(t, "BumpGeneration lower", err)
		}
		_, err := s.BumpGeneration(ctx, higher)
		noErr(t, "BumpGeneration higher", err)

		noErr(t, "RestoreRevocations", s.RestoreRevocations(ctx, &store.RevocationSnapshot{
			Sessions: map[string]time.Time{
				missing: stored, shorter: stored.Add(time.Hour), longer: stored.Add(-30 * time.Minute),
				past: now().Add(-time.Minute),
			},
			Generations: map[string]int64{lower: 1, higher: 5, absent: 2},
		}))
		snap, err := s.Revocations(ctx)
		noErr(t, "Revocations", err)
		for sid, want := range map[string]time.Time{missing: stored, shorter: stored.Add(time.Hour), longer: stored} {
			if got, ok := snap.Sessions[sid]; !ok || !ms(got).Equal(ms(want)) {
				t.Errorf("session revoked until %v (present %v), want %v", got, ok, want)
			}
		}
		if _, ok := snap.Sessions[past]; ok {
			t.Error("a revocation whose until had passed was restored")
		}
		for email, want := range map[string]int64{lower: 3, higher: 5, absent: 2} {
			if got := snap.Generations[email]; got != want {
				t.Errorf("generation %d, want %d (a generation only rises)", got, want)
			}
			if got, err := s.Generation(ctx, email); err != nil || got != want {
				t.Errorf("Generation = %d, %v; want %d", got, err, want)
			}
		}
	})

	t.Run("RestoreRevocations publishes what it changed and nothing else", func(t *testing.T) {
		t.Parallel()
		s, ctx := open(t), ctxFor(t)
		kept, restored, email := uniq("sid"), uniq("sid"), uniqEmail()
		until := now().Add(time.Hour)
		noErr(t, "RevokeSession", s.RevokeSession(ctx, kept, until))
		sub := subscribe(t, open(t))
		noErr(t, "RestoreRevocations", s.RestoreRevocations(ctx, &store.RevocationSnapshot{
			Sessions:    map[string]time.Time{kept: until, restored: until},
			Generations: map[string]int64{email: 2},
		}))
		got := map[string]store.RevocationEvent{}
		for range 2 {
			ev := sub.next(t)
			got[ev.SessionID+ev.Email] = ev
		}
		if ev, ok := got[restored]; !ok || !ms(ev.Until).Equal(ms(until)) {
			t.Fatalf("events %+v: want the restored session until %v", got, until)
		}
		if ev, ok := got[email]; !ok || ev.Generation != 2 {
			t.Fatalf("events %+v: want the restored generation 2", got)
		}
		noErr(t, "RevokeSession after", s.RevokeSession(ctx, uniq("sid"), until))
		if ev := sub.next(t); ev.SessionID == kept {
			t.Fatal("a revocation the store already had was published again")
		}
	})

	t.Run("RestoreRevocations of many entries restores them all", func(t *testing.T) {
		t.Parallel()
		s, ctx := open(t), ctxFor(t)
		snap := &store.RevocationSnapshot{Sessions: map[string]time.Time{}, Generations: map[string]int64{}}
		until := now().Add(time.Hour)
		for range 1200 {
			snap.Sessions[uniq("sid")] = until
		}
		for range 700 {
			snap.Generations[uniqEmail()] = 4
		}
		noErr(t, "RestoreRevocations", s.RestoreRevocations(ctx, snap))
		got, err := s.Revocations(ctx)
		noErr(t, "Revocations", err)
		for sid := range snap.Sessions {
			if _, ok := got.Sessions[sid]; !ok {
				t.Fatalf("a restored revocation is missing (%d of %d present)", len(got.Sessions), len(snap.Sessions))
			}
		}
		for email := range snap.Generations {
			if got.Generations[email] != 4 {
				t.Fatalf("a restored generation is %d, want 4", got.Generations[email])
			}
		}
	})
}
