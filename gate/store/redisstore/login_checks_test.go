package redisstore

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/authgate/authgate/gate/store"
	"github.com/authgate/authgate/internal/testenv"
)

// A login's checks field holds what the scripts test, and its JSON then
// leaves those values out; a login without the field (written before
// it, or with a binding hash the field cannot hold) is decided and
// collected from its JSON, by the same scripts.
func TestLoginChecksFieldAndLoginsWithout(t *testing.T) {
	r := testenv.StartRedis(t)
	s, err := Open(r.URL(0), Options{Prefix: "checks"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	ctx := context.Background()
	at := time.Now().Truncate(time.Millisecond).UTC()
	email := "alice@example.com"
	newLogin := func(random, binding string) *store.Login {
		return &store.Login{ID: store.NewLoginID(email, random), Email: email, AppID: "app", Code: 42, Choices: []int{1, 42, 3},
			BindingHash: binding, ReturnURL: "/", CreatedAt: at, ExpiresAt: at.Add(time.Minute), Status: store.LoginPending, API: true}
	}
	decideAndCollect := func(t *testing.T, l *store.Login) {
		t.Helper()
		if _, _, err := s.Hit(ctx, store.UserKey(email, "fail"), time.Minute); err != nil {
			t.Fatal(err)
		}
		d := store.Decision{Email: email, DeviceID: "dev", At: time.Now(), To: store.LoginApproved,
			CheckNumber: true, Number: 42, WrongTo: store.LoginDenied, WrongReason: "w"}
		if _, _, err := s.DecideLogin(ctx, l.ID, store.Decision{Email: "mallory@example.com", At: time.Now(), To: store.LoginApproved}); err == nil {
			t.Fatal("DecideLogin by another email succeeded")
		}
		got, outcome, err := s.DecideLogin(ctx, l.ID, d)
		if err != nil || outcome != store.Decided || got.Status != store.LoginApproved || got.Code != 42 || got.Email != email || got.BindingHash != l.BindingHash || !got.API {
			t.Fatalf("DecideLogin: %v %+v %v", outcome, got, err)
		}
		if _, ok, err := s.CollectLogin(ctx, l.ID, store.Collection{BindingHash: l.BindingHash, SessionID: "sid"}); err != nil || ok {
			t.Fatalf("CollectLogin without the API mark: %v %v", ok, err)
		}
		c, ok, err := s.CollectLogin(ctx, l.ID, store.Collection{BindingHash: l.BindingHash, API: true, SessionID: "sid", ResetCounters: []string{"fail"}})
		if err != nil || !ok || c.Status != store.LoginCollected || c.SessionID != "sid" {
			t.Fatalf("CollectLogin: %v %+v %v", ok, c, err)
		}
		if n, _, err := s.Hit(ctx, store.UserKey(email, "fail"), time.Minute); err != nil || n != 1 {
			t.Fatalf("the counter was not cleared with the collection: %d %v", n, err)
		}
	}

	t.Run("a login made now", func(t *testing.T) {
		l := newLogin("now", "bh")
		if err := s.CreateLogin(ctx, l, time.Minute); err != nil {
			t.Fatal(err)
		}
		f := s.client.HGetAll(ctx, s.loginKey(l.ID)).Val()
		if f[fieldChecks] != "42 01 bh "+email || strings.Contains(f[fieldData], email) || strings.Contains(f[fieldData], `"code"`) {
			t.Fatalf("fields: %v", f)
		}
		decideAndCollect(t, l)
	})
	t.Run("a binding hash with a space", func(t *testing.T) {
		l := newLogin("space", "b h")
		if err := s.CreateLogin(ctx, l, time.Minute); err != nil {
			t.Fatal(err)
		}
		if f := s.client.HGetAll(ctx, s.loginKey(l.ID)).Val(); f[fieldChecks] != "" || !strings.Contains(f[fieldData], email) {
			t.Fatalf("fields: %v", f)
		}
		decideAndCollect(t, l)
	})
	t.Run("a login written before the field", func(t *testing.T) {
		l := newLogin("before", "bh")
		data, err := encodeLogin(l, false)
		if err != nil {
			t.Fatal(err)
		}
		key := s.loginKey(l.ID)
		if err := s.client.HSet(ctx, key, fieldData, data, fieldStatus, "pending", fieldExpiresMS, l.ExpiresAt.UnixMilli()).Err(); err != nil {
			t.Fatal(err)
		}
		s.client.Expire(ctx, key, time.Minute)
		decideAndCollect(t, l)
	})
	t.Run("a wrong number and a withheld login", func(t *testing.T) {
		l := newLogin("wrong", "bh")
		if err := s.CreateLogin(ctx, l, time.Minute); err != nil {
			t.Fatal(err)
		}
		got, _, err := s.DecideLogin(ctx, l.ID, store.Decision{Email: email, At: time.Now(), To: store.LoginApproved,
			CheckNumber: true, Number: 41, WrongTo: store.LoginDenied, WrongReason: "w"})
		if err != nil || got.Status != store.LoginDenied {
			t.Fatalf("DecideLogin with a wrong number: %+v %v", got, err)
		}
		w := newLogin("withheld", "bh")
		w.Withheld = true
		if err := s.CreateLogin(ctx, w, time.Minute); err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.DecideLogin(ctx, w.ID, store.Decision{Email: email, At: time.Now(), To: store.LoginApproved}); err == nil {
			t.Fatal("a withheld login was decided")
		}
	})
}
