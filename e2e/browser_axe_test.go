package e2e

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/chromedp/chromedp"

	"github.com/authgate/authgate/internal/testenv"
)

// The accessibility check: axe-core (installed from npm into e2e/axe by
// scripts/test, from the committed lockfile) runs in the page as it is,
// and any serious or critical violation fails the test.

// axePath is where `npm ci` in e2e/axe puts axe-core.
var axePath = filepath.Join("axe", "node_modules", "axe-core", "axe.min.js")

var axeSource = sync.OnceValues(func() (string, error) {
	b, err := os.ReadFile(axePath)
	return string(b), err
})

// axeViolation is one rule axe found broken, with where.
type axeViolation struct {
	ID      string   `json:"id"`
	Impact  string   `json:"impact"`
	Help    string   `json:"help"`
	Targets []string `json:"targets"`
}

// checkAccessibility runs axe-core on the page the tab shows and fails on
// serious or critical violations. Without axe-core installed it fails
// under CI=true and logs a note otherwise.
func (tb *tab) checkAccessibility(page string) {
	tb.t.Helper()
	src, err := axeSource()
	if err != nil {
		if testenv.InCI() {
			tb.t.Fatalf("axe-core is not installed (run npm ci in e2e/axe): %v", err)
		}
		tb.t.Logf("accessibility check of %s skipped: axe-core is not installed (cd e2e/axe && npm ci)", page)
		return
	}
	// Runtime.evaluate is not subject to the page's CSP, so the check
	// needs no change to the gate's policy.
	eval[bool](tb, `(function(){ if (!window.axe) { `+src+`
	} return true; })()`)
	ctx, cancel := context.WithTimeout(tb.ctx, stepTimeout)
	defer cancel()
	raw, err := chromedp.Run(ctx, chromedp.Evaluate[string](`axe.run(document, {resultTypes: ["violations"]}).then(r => JSON.stringify(r.violations.map(v => ({
		id: v.id, impact: v.impact, help: v.help, targets: v.nodes.map(n => n.target.join(" ")).slice(0, 5)
	}))))`, chromedp.EvalAwaitPromise))
	if err != nil {
		tb.t.Fatalf("%s: running axe on %s: %v", tb.name, page, err)
	}
	var vs []axeViolation
	if err := json.Unmarshal([]byte(raw), &vs); err != nil {
		tb.t.Fatalf("%s: axe's answer on %s: %v", tb.name, page, err)
	}
	var bad []string
	for _, v := range vs {
		if v.Impact == "serious" || v.Impact == "critical" {
			bad = append(bad, v.Impact+" "+v.ID+" ("+v.Help+") at "+strings.Join(v.Targets, ", "))
		}
	}
	if len(bad) > 0 {
		tb.t.Errorf("%s: accessibility violations on %s:\n  %s", tb.name, page, strings.Join(bad, "\n  "))
	}
	tb.t.Logf("axe on %s (%s): %d violations, %d serious or critical", page, tb.name, len(vs), len(bad))
}

// checkAccessibilityBothSchemes runs checkAccessibility on the page in
// the light and then the dark colour scheme, then gives the browser's
// own scheme back: contrast is a property of each scheme.
func (tb *tab) checkAccessibilityBothSchemes(page string) {
	tb.t.Helper()
	for _, scheme := range []string{"light", "dark"} {
		tb.colourScheme(scheme)
		tb.checkAccessibility(page + ", " + scheme)
	}
	tb.colourScheme("")
}
