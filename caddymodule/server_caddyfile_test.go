package caddymodule

import (
	"strings"
	"testing"

	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
	"github.com/caddyserver/caddy/v2/caddyconfig/httpcaddyfile"
)

func parseServerText(text string) (*Server, error) {
	h, err := parseServer(httpcaddyfile.Helper{Dispenser: caddyfile.NewTestDispenser(text)})
	if err != nil {
		return nil, err
	}
	return h.(*Server), nil
}

func TestParseServer(t *testing.T) {
	t.Setenv("AUTHGATE_ADMIN_KEY", "admin-key-admin-key-admin-key") // the parser checks they are set
	t.Setenv("OPS_SECRET", "ops-secret-ops-secret-ops-secret")
	s, err := parseServerText(`authgate_server {
		admin_key {env.AUTHGATE_ADMIN_KEY}
		allow_private_webhooks
		app ops-centre {
			origins https://ops.example.com http://localhost:3000
			secret {env.OPS_SECRET}
		}
		app cli
	}`)
	if err != nil {
		t.Fatal(err)
	}
	if s.AdminKey != "{env.AUTHGATE_ADMIN_KEY}" || !s.AllowPrivateWebhooks || len(s.Apps) != 2 {
		t.Fatalf("parsed %+v", s)
	}
	if a := s.Apps[0]; a.ID != "ops-centre" || strings.Join(a.Origins, " ") != "https://ops.example.com http://localhost:3000" || a.Secret != "{env.OPS_SECRET}" {
		t.Fatalf("app %+v", a)
	}
	if s.Apps[1].ID != "cli" || len(s.Apps[1].Origins) != 0 {
		t.Fatalf("app %+v", s.Apps[1])
	}
}

func TestParseServerErrorsNameTheProblem(t *testing.T) {
	for _, c := range []struct{ text, want string }{
		{"authgate_server {\n app a {\n origins *\n }\n }", "wildcard"},
		{"authgate_server {\n app a {\n origins https://a.example.com/path\n }\n }", "scheme://host"},
		{"authgate_server {\n app a {\n colour blue\n }\n }", "unrecognized authgate_server app option"},
		{"authgate_server {\n app a\n app a\n }", "twice"},
		{"authgate_server {\n listen 80\n }", "unrecognized authgate_server option"},
		{"authgate_server {\n app\n }", "wrong argument count"},
	} {
		_, err := parseServerText(c.text)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want %q", c.text, err, c.want)
		}
	}
}

func TestParseWebhookFormatAndApp(t *testing.T) {
	app, err := parseGlobalText(t, `authgate {
		webhook https://hooks.example.com/a {
			secret s3cret
			format webgate
			app ops-centre
		}
	}`)
	if err != nil {
		t.Fatal(err)
	}
	if w := app.Webhooks[0]; w.Format != "webgate" || w.AppID != "ops-centre" || w.endpoint().AppID != "ops-centre" {
		t.Fatalf("webhook %+v", w)
	}
	_, err = parseGlobalText(t, `authgate {
		webhook https://hooks.example.com/a {
			secret s3cret
			format xml
		}
	}`)
	if err == nil || !strings.Contains(err.Error(), "format") || !strings.Contains(err.Error(), "Testfile:4") {
		t.Fatalf("an unknown format: %v", err)
	}
}
