package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/authgate/authgate/internal/testenv"
)

// auditLine is one entry as the tests compare them.
type auditLine struct{ Type, Actor, Email string }

func (l auditLine) String() string { return l.Type + " by " + l.Actor + " about " + l.Email }

// auditList reads the trail through the admin API, newest first.
func (g *gate) auditList(query string) []auditLine {
	g.t.Helper()
	var page struct {
		Entries []struct {
			Type, Actor, Email string
			Time               time.Time
		}
	}
	if status := g.adminDo(http.MethodGet, "/authgate/audit?"+query, &page); status != http.StatusOK {
		g.t.Fatalf("GET /authgate/audit?%s: %d", query, status)
	}
	out := make([]auditLine, 0, len(page.Entries))
	for _, e := range page.Entries {
		out = append(out, auditLine{e.Type, e.Actor, e.Email})
	}
	return out
}

// waitAudit waits until the trail holds n entries (writes are in the
// background) and returns them.
func (g *gate) waitAudit(n int) []auditLine {
	g.t.Helper()
	deadline := time.Now().Add(stepTimeout)
	for {
		got := g.auditList("limit=1000")
		if len(got) >= n || time.Now().After(deadline) {
			return got
		}
		time.Sleep(20 * time.Millisecond)
	}
}

var (
	consoleCSRF = regexp.MustCompile(`name="csrf" value="([^"]+)"`)
	sessionItem = regexp.MustCompile(`data-session="([^"]+)"`)
	auditRow    = regexp.MustCompile(`<tr data-type="([^"]+)" data-actor="([^"]*)"><td>.*?</td><td>.*?</td><td[^>]*>.*?</td><td[^>]*>(.*?)</td>`)
)

// consolePage fetches a console page as b and returns status and body.
func (b *browser) consolePage(path string) (int, string) {
	b.t.Helper()
	status, _, body := b.do(http.MethodGet, path, http.Header{"Accept": {"text/html"}}, nil)
	return status, string(body)
}

// consolePost submits a console form as b from the gate's own origin.
func (b *browser) consolePost(path string, form url.Values) int {
	b.t.Helper()
	status, _, _ := b.do(http.MethodPost, path, http.Header{
		"Content-Type": {"application/x-www-form-urlencoded"}, "Origin": {b.base}, "Accept": {"text/html"},
	}, []byte(form.Encode()))
	return status
}

// TestAuditTrailListsExactlyWhatHappened runs a scripted mix of logins,
// a reported failure and console actions, and checks that the admin API,
// the CLI and the console list exactly those entries, newest first, with
// the right actors. With Redis, the mix runs on two instances sharing the
// store, and each lists the same trail.
func TestAuditTrailListsExactlyWhatHappened(t *testing.T) {
	t.Run("memory", func(t *testing.T) {
		g := startGate(t, storeLine(""), newUpstream(t), "group admin boss@example.com")
		runAuditScript(t, g, g)
	})
	t.Run("redis", func(t *testing.T) {
		r := testenv.StartRedis(t)
		up := newUpstream(t)
		g1 := startGate(t, storeLine(r.URL(0)), up, "group admin boss@example.com")
		g2 := startGate(t, storeLine(r.URL(0)), up, "group admin boss@example.com")
		runAuditScript(t, g1, g2)
	})
}

// runAuditScript does alice's part on g1 and boss's console work on g2.
func runAuditScript(t *testing.T, g1, g2 *gate) {
	// A first phone also issues recovery codes: two entries each.
	alicePhone := g1.enroll("alice@example.com")
	g1.waitAudit(2)
	bossPhone := g2.enroll("boss@example.com")
	g2.waitAudit(4)
	alice := newBrowser(t, g1.base)
	alice.login(alicePhone, "alice@example.com")
	// A second login that alice reports from her phone.
	other := newBrowser(t, g1.base)
	s := other.start("alice@example.com")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if status, err := alicePhone.Decide(ctx, s.SessionID, "report", 0); err != nil || status != "denied" {
		t.Fatalf("report: %q %v", status, err)
	}
	g1.waitAudit(8)

	boss := newBrowser(t, g2.base)
	boss.login(bossPhone, "boss@example.com")
	status, page := boss.consolePage("/.authgate/admin/users?email=alice@example.com")
	if status != http.StatusOK || !strings.Contains(page, "Reported") {
		t.Fatalf("alice's console page: %d\n%s", status, page)
	}
	csrf := consoleCSRF.FindStringSubmatch(page)
	sid := sessionItem.FindStringSubmatch(page)
	if csrf == nil || sid == nil {
		t.Fatalf("alice's console page lacks a form token or her session:\n%s", page)
	}
	if status := boss.consolePost("/.authgate/admin/users/sessions/"+sid[1]+"/revoke", url.Values{"csrf": {csrf[1]}}); status != http.StatusSeeOther {
		t.Fatalf("revoke: %d", status)
	}
	if status := boss.consolePost("/.authgate/admin/users/unblock", url.Values{"csrf": {csrf[1]}, "email": {"alice@example.com"}}); status != http.StatusSeeOther {
		t.Fatalf("unblock: %d", status)
	}
	// Unblocked: alice may start a login again.
	g2.waitAudit(14)
	newBrowser(t, g1.base).start("alice@example.com")

	want := []auditLine{
		{"login_requested", "alice@example.com", "alice@example.com"},
		{"admin.unblock", "boss@example.com", "alice@example.com"},
		{"user_unblocked", "boss@example.com", "alice@example.com"},
		{"admin.session_revoke", "boss@example.com", "alice@example.com"},
		{"session_revoked", "boss@example.com", "alice@example.com"},
		{"login", "boss@example.com", "boss@example.com"},
		{"login_requested", "boss@example.com", "boss@example.com"},
		{"login_failed", "alice@example.com", "alice@example.com"},
		{"login_requested", "alice@example.com", "alice@example.com"},
		{"login", "alice@example.com", "alice@example.com"},
		{"login_requested", "alice@example.com", "alice@example.com"},
		{"recovery_codes_issued", "enrolment", "boss@example.com"},
		{"device_enrolled", "boss@example.com", "boss@example.com"},
		{"recovery_codes_issued", "enrolment", "alice@example.com"},
		{"device_enrolled", "alice@example.com", "alice@example.com"},
	}
	for _, g := range []*gate{g1, g2} {
		if got := g.waitAudit(len(want)); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("GET /authgate/audit on %s:\n%s\nwant:\n%s", g.base, auditText(got), auditText(want))
		}
	}
	if got := g1.auditList("email=boss@example.com&type=admin.*"); len(got) != 2 || got[0].Type != "admin.unblock" {
		t.Fatalf("filtered by actor and type: %v", got)
	}
	if got := g1.auditList("type=login_failed"); len(got) != 1 {
		t.Fatalf("filtered by type: %v", got)
	}
	future := time.Now().Add(time.Hour).UTC().Format(time.RFC3339)
	if got := g1.auditList("since=" + future); len(got) != 0 {
		t.Fatalf("since an hour from now: %v", got)
	}
	if got := g1.auditList("limit=3"); fmt.Sprint(got) != fmt.Sprint(want[:3]) {
		t.Fatalf("limit=3: %v", got)
	}
	if status := g1.adminDo(http.MethodGet, "/authgate/audit?since=yesterday", nil); status != http.StatusBadRequest {
		t.Fatalf("a bad time: %d, want 400", status)
	}

	// The console of the other instance lists the same rows.
	_, auditPage := boss.consolePage("/.authgate/admin/audit")
	var rows []auditLine
	for _, m := range auditRow.FindAllStringSubmatch(auditPage, -1) {
		rows = append(rows, auditLine{html.UnescapeString(m[1]), html.UnescapeString(m[2]), html.UnescapeString(m[3])})
	}
	if fmt.Sprint(rows) != fmt.Sprint(want) {
		t.Fatalf("the console's audit page:\n%s\nwant:\n%s", auditText(rows), auditText(want))
	}
	// The export is the same list as JSON lines; the CLI prints it too.
	_, export := boss.consolePage("/.authgate/admin/audit.jsonl")
	var exported []auditLine
	for _, line := range strings.Split(strings.TrimSpace(export), "\n") {
		var e auditLine
		if err := json.Unmarshal([]byte(line), &e); err != nil {
			t.Fatalf("export line %q: %v", line, err)
		}
		exported = append(exported, e)
	}
	if fmt.Sprint(exported) != fmt.Sprint(want) {
		t.Fatalf("export:\n%s", auditText(exported))
	}
	out := g1.caddyCLI("audit", "--type", "admin.*")
	if !strings.Contains(out, "admin.unblock") || !strings.Contains(out, "admin.session_revoke") || strings.Contains(out, "login_failed") {
		t.Fatalf("caddy authgate audit --type admin.*:\n%s", out)
	}
	if out := g1.caddyCLI("audit", "--json", "--limit", "1"); strings.Count(out, "\n") != 1 || !strings.Contains(out, `"type":"login_requested"`) {
		t.Fatalf("caddy authgate audit --json --limit 1:\n%s", out)
	}
}

func auditText(l []auditLine) string {
	var b strings.Builder
	for _, x := range l {
		b.WriteString("  " + x.String() + "\n")
	}
	return b.String()
}

// TestAuditRetentionTrimsOldEntries: with a short retention, entries
// older than it leave the listing, and the Redis stream itself.
func TestAuditRetentionTrimsOldEntries(t *testing.T) {
	r := testenv.StartRedis(t)
	g := startGate(t, storeLine(r.URL(0)), newUpstream(t), "audit {\n\t\t\tretention 2s\n\t\t\tmax_entries 1000\n\t\t}")
	g.enroll("old@example.com")
	if got := g.waitAudit(2); len(got) != 2 {
		t.Fatalf("trail after one enrolment (the phone and its recovery codes): %v", got)
	}
	time.Sleep(2200 * time.Millisecond)
	if got := g.auditList(""); len(got) != 0 {
		t.Fatalf("entries older than the retention are still listed: %v", got)
	}
	g.enroll("new@example.com")
	if got := g.waitAudit(2); len(got) != 2 || got[0].Email != "new@example.com" || got[1].Email != "new@example.com" {
		t.Fatalf("trail after the retention: %v", got)
	}
	rdb := redis.NewClient(&redis.Options{Addr: r.Addr})
	defer rdb.Close()
	if n, err := rdb.XLen(context.Background(), "authgate:{audit}:stream").Result(); err != nil || n != 2 {
		t.Fatalf("the audit stream holds %d entries (%v), want only the new enrolment's two", n, err)
	}
}
