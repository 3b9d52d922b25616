package caddymodule

import (
	"strings"
	"testing"
	"time"
)

func TestParseConsoleAndAuditOptions(t *testing.T) {
	app, err := parseGlobalText(t, `authgate {
		admin_group ops
		admin_step_up 2m
		audit {
			retention 7d
			max_entries 5000
			buffer 100
		}
	}`)
	if err != nil {
		t.Fatal(err)
	}
	if app.AdminGroup != "ops" || time.Duration(app.AdminStepUp) != 2*time.Minute {
		t.Errorf("admin_group %q, admin_step_up %v", app.AdminGroup, app.AdminStepUp)
	}
	if a := app.Audit; a == nil || time.Duration(a.Retention) != 7*24*time.Hour || a.MaxEntries != 5000 || a.Buffer != 100 {
		t.Errorf("audit %+v", app.Audit)
	}
}

func TestParseConsoleAndAuditOptionsRefusesBadValues(t *testing.T) {
	for name, tc := range map[string]struct{ text, want string }{
		"group without name":  {"admin_group", "wrong argument count"},
		"two groups":          {"admin_group a b", "wrong argument count"},
		"step-up not a time":  {"admin_step_up soon", "not a positive duration"},
		"negative retention":  {"audit {\n retention -1h\n}", "not a positive duration"},
		"zero entries":        {"audit {\n max_entries 0\n}", "not a positive whole number"},
		"unknown audit field": {"audit {\n retension 1h\n}", "did you mean 'retention'"},
		"audit argument":      {"audit 30d", "wrong argument count"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := parseGlobalText(t, "authgate {\n"+tc.text+"\n}")
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "Testfile:") {
				t.Fatalf("error %v, want one naming the line and saying %q", err, tc.want)
			}
		})
	}
}
