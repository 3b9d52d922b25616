package storetest

import (
	"testing"
	"time"

	"github.com/authgate/authgate/gate/store"
)

// Bench runs the same benchmarks against any Store: reading a login and
// moving it between two states, the two operations every login makes.
func Bench(b *testing.B, s store.Store) {
	b.Run("GetLogin", func(b *testing.B) {
		l := benchLogin(b, s, "bench-get")
		for b.Loop() {
			if _, err := s.GetLogin(b.Context(), l.ID); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("TransitionLogin", func(b *testing.B) {
		l := benchLogin(b, s, "bench-transition")
		from, to := store.LoginPending, store.LoginApproved
		for b.Loop() {
			if _, err := s.TransitionLogin(b.Context(), l.ID, store.Transition{From: from, To: to, At: time.Now()}); err != nil {
				b.Fatal(err)
			}
			from, to = to, from
		}
	})
}

func benchLogin(b *testing.B, s store.Store, id string) *store.Login {
	l := &store.Login{ID: id, Email: "alice@example.com", Choices: []int{1, 2, 3}, Status: store.LoginPending}
	if err := s.CreateLogin(b.Context(), l, time.Hour); err != nil {
		b.Fatal(err)
	}
	return l
}
