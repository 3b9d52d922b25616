package e2e

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
)

// adminCall sends a request with a JSON body to the admin API and
// returns the status and body.
func (g *gate) adminCall(method, path, body string) (int, string) {
	g.t.Helper()
	req, _ := http.NewRequest(method, g.caddy.Admin+path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		g.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestAdminAPIAnswersBadInputClearly: an enrolment base that is no http
// or https URL is refused (a link such as "javascript:…/app#enroll=…" is
// no link), the deliveries of a receiver that does not exist are a 404
// (not an empty 200), a receiver without deliveries lists none, and an
// unknown API key is named in the words of the other records.
func TestAdminAPIAnswersBadInputClearly(t *testing.T) {
	g := startGate(t, storeLine(""), newUpstream(t), "")
	for _, base := range []string{"javascript:alert(1)", "ftp://gate.example.com", "gate.example.com", "https://", "https://u:p@gate.example.com", "https://gate.example.com/?x=1", "https://gate.example.com/#x"} {
		status, body := g.adminCall(http.MethodPost, "/authgate/enroll", `{"email":"ann@example.com","base_url":"`+base+`"}`)
		if status != http.StatusBadRequest || !strings.Contains(body, "base_url") || strings.Contains(body, "enroll=") {
			t.Errorf("enrol with base_url %q: %d %.200s", base, status, body)
		}
	}
	if status, body := g.adminCall(http.MethodPost, "/authgate/enroll", `{"email":"ann@example.com","base_url":"https://gate.example.com/"}`); status != http.StatusOK ||
		!strings.Contains(body, `"link":"https://gate.example.com/.authgate/app#enroll=`) {
		t.Errorf("enrol with a good base_url: %d %.200s", status, body)
	}

	if status, body := g.adminCall(http.MethodGet, "/authgate/webhooks/wh_nope/deliveries", ""); status != http.StatusNotFound || !strings.Contains(body, "unknown endpoint") {
		t.Errorf("deliveries of an unknown receiver: %d %s", status, body)
	}
	status, body := g.adminCall(http.MethodPost, "/authgate/webhooks", `{"url":"https://hooks.example.com/x"}`)
	var added struct{ ID string }
	if status != http.StatusCreated || json.Unmarshal([]byte(body), &added) != nil || added.ID == "" {
		t.Fatalf("adding a receiver: %d %s", status, body)
	}
	if status, body := g.adminCall(http.MethodGet, "/authgate/webhooks/"+added.ID+"/deliveries", ""); status != http.StatusOK || strings.TrimSpace(body) != "[]" {
		t.Errorf("deliveries of a receiver without any: %d %s", status, body)
	}

	if status, body := g.adminCall(http.MethodDelete, "/authgate/keys/nope", ""); status != http.StatusNotFound || !strings.Contains(body, "no such API key nope") || strings.Contains(body, "store:") {
		t.Errorf("revoking an unknown API key: %d %s", status, body)
	}
	if status, body := g.adminCall(http.MethodGet, "/authgate/nope", ""); status != http.StatusNotFound || !strings.Contains(body, `"error":"no such authgate admin endpoint"`) {
		t.Errorf("an unknown admin path: %d %s", status, body)
	}
	// Each refused audit query names the parameter at fault.
	for query, want := range map[string]string{
		"before=zzz":  "before is not an entry id",
		"limit=5000":  "is not a whole number from 1 to 1000",
		"limit=0":     "limit:",
		"format=xml":  "want json or jsonl",
		"since=later": "since:",
	} {
		if status, body := g.adminCall(http.MethodGet, "/authgate/audit?"+query, ""); status != http.StatusBadRequest || !strings.Contains(body, want) {
			t.Errorf("audit?%s: %d %s, want 400 naming %q", query, status, body, want)
		}
	}
}

// TestAdminAPIRefusesBodiesOver64KiB: a JSON body over 64 KiB is a 413 in
// the gate's own words, not a "malformed JSON" 400, whether the value
// itself is long or white space follows a short one.
func TestAdminAPIRefusesBodiesOver64KiB(t *testing.T) {
	g := startGate(t, storeLine(""), newUpstream(t), "")
	long := strings.Repeat("a", 70<<10)
	padded := func(value string) string { return value + strings.Repeat(" ", 70_000-len(value)) }
	for _, c := range []struct{ path, body string }{
		{"/authgate/enroll", `{"email":"` + long + `@example.com"}`},
		{"/authgate/unblock", `{"email":"` + long + `@example.com"}`},
		{"/authgate/pass", `{"email":"` + long + `@example.com"}`},
		{"/authgate/webhooks", `{"url":"https://hooks.example.com/` + long + `"}`},
		{"/authgate/unblock", padded(`{"email":"ann@example.com"}`)},
		{"/authgate/pass", padded(`{"email":"ann@example.com"}`)},
		{"/authgate/webhooks", padded(`{"url":"https://hooks.example.com/x"}`)},
	} {
		if status, got := g.adminCall(http.MethodPost, c.path, c.body); status != http.StatusRequestEntityTooLarge || !strings.Contains(got, "request body over 64 KiB") {
			t.Errorf("POST %s with %d bytes: %d %.200s", c.path, len(c.body), status, got)
		}
	}
	assertNothingDone(t, g)
}

// TestAdminAPIRefusesDataAfterTheJSON: a body holding more than one JSON
// value, or anything after it, is a 400 that says so, and nothing is done
// with the value that came first.
func TestAdminAPIRefusesDataAfterTheJSON(t *testing.T) {
	g := startGate(t, storeLine(""), newUpstream(t), "")
	for _, c := range []struct{ path, body string }{
		{"/authgate/unblock", `{"email":"ann@example.com"}{"email":"bob@example.com"}`},
		{"/authgate/pass", `{"email":"ann@example.com","ttl":"1h"} xyz`},
		{"/authgate/pass", `{"email":"ann@example.com"}}`},
		{"/authgate/enroll", `{"email":"ann@example.com"} []`},
		{"/authgate/webhooks", `{"url":"https://hooks.example.com/x"},`},
	} {
		if status, got := g.adminCall(http.MethodPost, c.path, c.body); status != http.StatusBadRequest || !strings.Contains(got, `"error":"malformed JSON body: data after the object"`) {
			t.Errorf("POST %s %s: %d %.200s", c.path, c.body, status, got)
		}
	}
	assertNothingDone(t, g)
	// The same values, alone (white space after them is fine), are taken.
	if status, got := g.adminCall(http.MethodPost, "/authgate/pass", "{\"email\":\"ann@example.com\",\"ttl\":\"1h\"}\r\n"); status != http.StatusOK || !strings.Contains(got, `"pass":`) {
		t.Errorf("a pass alone: %d %.200s", status, got)
	}
}

// assertNothingDone checks that the refused requests of a test issued
// no pass, unblocked nobody and added no receiver.
func assertNothingDone(t *testing.T, g *gate) {
	t.Helper()
	for _, line := range []string{"access pass issued", "user unblocked"} {
		if strings.Contains(g.caddy.Log(), line) {
			t.Errorf("a refused request was acted on: the log says %q", line)
		}
	}
	if status, body := g.adminCall(http.MethodGet, "/authgate/webhooks", ""); status != http.StatusOK || strings.Contains(body, "hooks.example.com") {
		t.Errorf("a refused request added a receiver: %d %.300s", status, body)
	}
}
