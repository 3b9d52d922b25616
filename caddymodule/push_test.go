package caddymodule

import (
	"strings"
	"testing"

	"github.com/authgate/authgate/gate/push"
)

func TestParsePushOptions(t *testing.T) {
	k, err := push.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("PUSH_SERVICE", "ntfy.example.net") // the parser checks it is set
	app, err := parseGlobalText(t, `authgate {
		push_key `+k.Encode()+`
		push_contact mailto:ops@example.com
		push_services fcm.googleapis.com *.push.apple.com
		push_services http://ntfy.lan:8080 {env.PUSH_SERVICE}
	}`)
	if err != nil {
		t.Fatal(err)
	}
	if app.PushKey != k.Encode() || app.PushContact != "mailto:ops@example.com" ||
		strings.Join(app.PushServices, " ") != "fcm.googleapis.com *.push.apple.com http://ntfy.lan:8080 {env.PUSH_SERVICE}" {
		t.Fatalf("parsed %q %q %q", app.PushKey, app.PushContact, app.PushServices)
	}
}

func TestParsePushOptionErrorsNameTheLine(t *testing.T) {
	for _, tt := range []struct{ text, want string }{
		{"authgate {\n\tpush_key nope\n}", "push_key: push: VAPID key"},
		{"authgate {\n\tpush_contact ops@example.com\n}", "push_contact"},
		{"authgate {\n\tpush_contact http://example.com\n}", "Testfile:2"},
		{"authgate {\n\tpush_services\n}", "Testfile:2"},
		{"authgate {\n\tpush_services ftp://x.example\n}", "push_services"},
		{"authgate {\n\tpush_services *.com\n}", "Testfile:2"},
	} {
		_, err := parseGlobalText(t, tt.text)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("parsing %q: error %v, want one containing %q", tt.text, err, tt.want)
		}
	}
}

func TestPushOptionsExpandPlaceholders(t *testing.T) {
	k, err := push.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("AG_PUSH_KEY", k.Encode())
	t.Setenv("AG_PUSH_CONTACT", "https://ops.example.com/contact")
	t.Setenv("AG_PUSH_SERVICE", "ntfy.example.net")
	a := &App{PushKey: "{env.AG_PUSH_KEY}", PushContact: "{env.AG_PUSH_CONTACT}", PushServices: []string{"{env.AG_PUSH_SERVICE}"}}
	if err := a.expandPlaceholders(); err != nil {
		t.Fatal(err)
	}
	if a.PushKey != k.Encode() || a.PushContact != "https://ops.example.com/contact" || a.PushServices[0] != "ntfy.example.net" {
		t.Fatalf("expanded %q %q %q", a.PushKey, a.PushContact, a.PushServices)
	}
	bad := &App{PushServices: []string{"{env.AG_UNSET_PUSH_SERVICE}"}}
	if err := bad.expandPlaceholders(); err == nil || !strings.Contains(err.Error(), "push_services") {
		t.Fatalf("unset placeholder: %v", err)
	}
	badContact := &App{PushContact: "{env.AG_PUSH_SERVICE}"}
	if err := badContact.expandPlaceholders(); err == nil || !strings.Contains(err.Error(), "push_contact") {
		t.Fatalf("contact expanding to a host name: %v", err)
	}
}
