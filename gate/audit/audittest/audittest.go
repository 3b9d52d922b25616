// Package audittest is the contract every audit.Trail passes.
package audittest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/authgate/authgate/gate/audit"
)

// Run checks a trail made by open with the given limits.
func Run(t *testing.T, open func(t *testing.T, limits audit.Limits) audit.Trail) {
	ctx := context.Background()
	t.Run("ListsNewestFirstWithFiltersAndPages", func(t *testing.T) {
		tr := open(t, audit.Limits{})
		now := time.Now().UTC().Truncate(time.Millisecond)
		var in []audit.Entry
		for i := 0; i < 10; i++ {
			email := "a@example.com"
			if i%2 == 1 {
				email = "b@example.com"
			}
			typ := "login"
			if i%3 == 0 {
				typ = "login_failed"
			}
			in = append(in, audit.Entry{Time: now.Add(time.Duration(i-10) * time.Second), Type: typ, Actor: email, Email: email,
				Data: map[string]any{"n": fmt.Sprint(i)}})
		}
		if err := tr.Append(ctx, in[:4]...); err != nil {
			t.Fatal(err)
		}
		if err := tr.Append(ctx, in[4:]...); err != nil {
			t.Fatal(err)
		}
		all, err := tr.List(ctx, audit.Query{})
		if err != nil {
			t.Fatal(err)
		}
		if len(all.Entries) != 10 || all.Next != "" {
			t.Fatalf("listed %d entries (next %q), want 10", len(all.Entries), all.Next)
		}
		for i, e := range all.Entries {
			if want := fmt.Sprint(9 - i); e.Data["n"] != want || e.ID == "" {
				t.Fatalf("entry %d is n=%v id=%q, want n=%s", i, e.Data["n"], e.ID, want)
			}
		}
		b, _ := tr.List(ctx, audit.Query{Email: "b@example.com"})
		if len(b.Entries) != 5 || b.Entries[0].Data["n"] != "9" {
			t.Fatalf("email filter: %+v", b.Entries)
		}
		f, _ := tr.List(ctx, audit.Query{Type: "login_failed"})
		if len(f.Entries) != 4 || f.Entries[0].Data["n"] != "9" || f.Entries[3].Data["n"] != "0" {
			t.Fatalf("type filter: %+v", f.Entries)
		}
		r, _ := tr.List(ctx, audit.Query{Since: in[2].Time, Until: in[5].Time})
		if len(r.Entries) != 4 || r.Entries[0].Data["n"] != "5" || r.Entries[3].Data["n"] != "2" {
			t.Fatalf("time filter: %+v", r.Entries)
		}
		var got []string
		q := audit.Query{Limit: 3}
		for pages := 0; ; pages++ {
			p, err := tr.List(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range p.Entries {
				got = append(got, e.Data["n"].(string))
			}
			if p.Next == "" {
				break
			}
			if pages > 5 {
				t.Fatal("paging does not end")
			}
			q.Before = p.Next
		}
		if fmt.Sprint(got) != "[9 8 7 6 5 4 3 2 1 0]" {
			t.Fatalf("pages gave %v", got)
		}
		if _, err := tr.List(ctx, audit.Query{Limit: -1}); err == nil {
			t.Fatal("a negative limit was accepted")
		}
		if _, err := tr.List(ctx, audit.Query{Before: "not-an-id"}); err == nil {
			t.Fatal("a malformed cursor was accepted")
		}
	})
	t.Run("CapsTheSize", func(t *testing.T) {
		tr := open(t, audit.Limits{MaxEntries: 50})
		for i := 0; i < 400; i++ {
			if err := tr.Append(ctx, audit.Entry{Time: time.Now(), Type: "login", Data: map[string]any{"n": fmt.Sprint(i)}}); err != nil {
				t.Fatal(err)
			}
		}
		p, err := tr.List(ctx, audit.Query{Limit: audit.MaxLimit})
		if err != nil {
			t.Fatal(err)
		}
		// The Redis cap is approximate (whole stream nodes); it must keep
		// at least the cap and far fewer than everything.
		if len(p.Entries) < 50 || len(p.Entries) > 250 || p.Entries[0].Data["n"] != "399" {
			t.Fatalf("after 400 appends with a cap of 50, %d entries remain (newest %v)", len(p.Entries), p.Entries[0].Data["n"])
		}
	})
	t.Run("RetentionTrimsOldEntries", func(t *testing.T) {
		tr := open(t, audit.Limits{Retention: time.Second})
		if err := tr.Append(ctx, audit.Entry{Time: time.Now(), Type: "login", Email: "old@example.com"}); err != nil {
			t.Fatal(err)
		}
		time.Sleep(1200 * time.Millisecond)
		if err := tr.Append(ctx, audit.Entry{Time: time.Now(), Type: "login", Email: "new@example.com"}); err != nil {
			t.Fatal(err)
		}
		p, err := tr.List(ctx, audit.Query{})
		if err != nil {
			t.Fatal(err)
		}
		if len(p.Entries) != 1 || p.Entries[0].Email != "new@example.com" {
			t.Fatalf("after the retention, the trail holds %+v", p.Entries)
		}
	})
}
