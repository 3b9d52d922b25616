package caddymodule

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/caddyserver/caddy/v2"

	"github.com/authgate/authgate/gate/gateway"
)

// decodeStatus runs decodeAdminJSON on body and returns the status it
// refuses it with (200 when it accepts it) and the error's words.
func decodeStatus(t *testing.T, body string, v any) (int, string) {
	t.Helper()
	r := httptest.NewRequest(http.MethodPost, "/authgate/unblock", strings.NewReader(body))
	err := decodeAdminJSON(r, v)
	if err == nil {
		return http.StatusOK, ""
	}
	var apiErr caddy.APIError
	if !errors.As(err, &apiErr) {
		t.Fatalf("%.40q: %v is no caddy.APIError", body, err)
	}
	return apiErr.HTTPStatus, apiErr.Err.Error()
}

func TestAdminJSONRefusesDataAfterTheValue(t *testing.T) {
	for _, body := range []string{
		`{"email":"a@example.com"}{"email":"b@example.com"}`,
		`{"email":"x","ttl":"1h"} xyz`,
		`{"email":"a@example.com"}}`,
		`{"email":"a@example.com"}]`,
		`{"email":"a@example.com"} 1`,
	} {
		var req passRequest
		if status, msg := decodeStatus(t, body, &req); status != http.StatusBadRequest || msg != "malformed JSON body: data after the object" {
			t.Errorf("%q: %d %q, want 400 naming the data after the object", body, status, msg)
		}
	}
	for _, body := range []string{`{"email":"a@example.com"}`, "{\"email\":\"a@example.com\"} \r\n\t", ` {"email":"a@example.com","ttl":"1h"}` + "\n"} {
		var req passRequest
		if status, msg := decodeStatus(t, body, &req); status != http.StatusOK || req.Email != "a@example.com" {
			t.Errorf("%q: %d %q %+v, want it accepted", body, status, msg, req)
		}
	}
	var req passRequest
	if status, msg := decodeStatus(t, `{"email":"a@example.com","nope":1}`, &req); status != http.StatusBadRequest || !strings.Contains(msg, `unknown field "nope"`) {
		t.Errorf("unknown field: %d %q", status, msg)
	}
}

func TestAdminJSONRefusesBodiesOver64KiBWhateverTheyHold(t *testing.T) {
	value := `{"email":"a@example.com"}`
	for name, body := range map[string]string{
		"spaces after the value": value + strings.Repeat(" ", 70_000-len(value)),
		"spaces inside it":       `{"email":` + strings.Repeat(" ", 70_000) + `"a@example.com"}`,
		"a long value":           `{"email":"` + strings.Repeat("a", 70_000) + `@example.com"}`,
		"one byte over":          value + strings.Repeat(" ", gateway.MaxBodyBytes+1-len(value)),
	} {
		var req passRequest
		if status, msg := decodeStatus(t, body, &req); status != http.StatusRequestEntityTooLarge || msg != gateway.ErrBodyTooLarge.Error() {
			t.Errorf("%s (%d bytes): %d %q, want 413", name, len(body), status, msg)
		}
	}
	var req passRequest
	if status, msg := decodeStatus(t, value+strings.Repeat(" ", gateway.MaxBodyBytes-len(value)), &req); status != http.StatusOK {
		t.Errorf("exactly 64 KiB: %d %q, want it accepted", status, msg)
	}
}
