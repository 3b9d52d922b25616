package flow

import (
	"context"
	"strings"
	"testing"

	"github.com/authgate/authgate/gate/event"
	"github.com/authgate/authgate/gate/store"
)

func TestAPILoginIsCollectedOnceWithItsHandleOnly(t *testing.T) {
	f := newFixture(t, Config{})
	ctx := context.Background()
	s, err := f.svc.Start(ctx, StartRequest{Email: "alice@example.com", AppID: "app", ClientIP: "192.0.2.1", API: true})
	if err != nil {
		t.Fatal(err)
	}
	h := Handle(s)
	if id, secret, ok := SplitHandle(h); !ok || id != s.Login.ID || secret != s.Binding || strings.Count(h, ".") != 1 {
		t.Fatalf("handle %q splits into %q %q %v", h, id, secret, ok)
	}
	if res, err := f.svc.CheckHandle(ctx, h); err != nil || res.Session != nil || res.Login.Status != store.LoginPending {
		t.Fatalf("check while pending: %+v %v", res, err)
	}
	if _, err := f.svc.Decide(ctx, f.dev, s.Login.ID, DecisionApprove, s.Login.Code); err != nil {
		t.Fatal(err)
	}
	for _, other := range []func() (*CheckResult, error){
		func() (*CheckResult, error) { return f.svc.CheckHandle(ctx, s.Login.ID) },                   // the id alone
		func() (*CheckResult, error) { return f.svc.CheckHandle(ctx, s.Login.ID+".not-the-secret") }, // a guess
		func() (*CheckResult, error) { return f.svc.Check(ctx, s.Login.ID, s.Binding) },              // as a browser cookie
	} {
		if res, err := other(); err != nil || res.Session != nil || res.Login.Status != store.LoginApproved {
			t.Fatalf("a check without the handle: %+v %v", res, err)
		}
	}
	res, err := f.svc.CheckHandle(ctx, h)
	if err != nil || res.Session == nil || res.Session.Email != "alice@example.com" {
		t.Fatalf("check with the handle: %+v %v", res, err)
	}
	if again, err := f.svc.CheckHandle(ctx, h); err != nil || again.Session != nil {
		t.Fatalf("second check with the handle collected again: %+v %v", again, err)
	}
	f.events.mu.Lock()
	defer f.events.mu.Unlock()
	for _, e := range f.events.events {
		for k, v := range e.Data {
			if str, ok := v.(string); ok && strings.Contains(str, s.Binding) {
				t.Fatalf("event %s field %s carries the handle's secret", e.Type, k)
			}
		}
		if e.Type == event.Login && (e.Data["device_name"] != "Phone" || e.Data["new_device"] != true) {
			t.Fatalf("login event data %v", e.Data)
		}
	}
}

func TestBrowserLoginIsNotCollectedByHandle(t *testing.T) {
	f := newFixture(t, Config{})
	ctx := context.Background()
	s := f.start(t, "alice@example.com", "192.0.2.1", "")
	if _, err := f.svc.Decide(ctx, f.dev, s.Login.ID, DecisionApprove, s.Login.Code); err != nil {
		t.Fatal(err)
	}
	if res, err := f.svc.CheckHandle(ctx, Handle(s)); err != nil || res.Session != nil {
		t.Fatalf("a browser login collected by handle: %+v %v", res, err)
	}
}
