package gateway

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/authgate/authgate/gate/store"
)

// TestTheWaitingPageOfALoginReplacedInAnotherTab: two tabs of one
// browser sign in; the second start replaces the first login and the
// browser's binding cookie. The first tab's waiting page, reloaded when
// its login ends, must not claim the sign-in "was started in another
// browser": only the browser that started a login can replace it. Once
// the newer login is collected, the page offers to continue.
func TestTheWaitingPageOfALoginReplacedInAnotherTab(t *testing.T) {
	forEachTestStore(t, func(t *testing.T, st store.Store) {
		lg := startLiveGate(t, st)
		dev := lg.enroll(t, "alice@example.com")
		b := lg.browser(t)
		first, _ := b.start("alice@example.com")
		second, code := b.start("alice@example.com")

		status, _, page := b.page("/.authgate/wait/" + first)
		if status != http.StatusOK || strings.Contains(page, "another browser") || !strings.Contains(page, "A newer sign-in") ||
			!strings.Contains(page, `href="/.authgate/login?rd=%2Fafter"`) {
			t.Fatalf("first tab before the approval: %d %s", status, page)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if _, err := dev.Decide(ctx, second, "approve", code); err != nil {
			t.Fatal(err)
		}
		var chk checkResponse
		if s := getJSON(t, b, "/.authgate/auth/check/"+second, &chk); s != http.StatusOK || chk.Redirect != "/after" {
			t.Fatalf("second tab's check: %d %+v", s, chk)
		}
		status, _, page = b.page("/.authgate/wait/" + first)
		if status != http.StatusOK || !strings.Contains(page, "You are signed in") || !strings.Contains(page, `href="/after"`) {
			t.Fatalf("first tab after the second signed in: %d %s", status, page)
		}
		// Another browser is still told the login is not its own.
		if status, _, page := lg.browser(t).page("/.authgate/wait/" + second); status != http.StatusForbidden || !strings.Contains(page, "another browser") {
			t.Fatalf("a stranger's look at the collected login: %d %s", status, page)
		}
	})
}
