package caddymodule

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/authgate/authgate/gate/audit"
	"github.com/authgate/authgate/gate/web"
)

// auditCommand is `caddy authgate audit`.
func auditCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "audit",
		Short: "Lists the audit trail, newest first",
		Long: `Lists the audit trail of a running Caddy through its admin API: logins,
failures with their reason, sign-outs, revocations, devices and admin
actions, newest first, with who did each.

  caddy authgate audit --email alice@example.com --since 2026-01-02
  caddy authgate audit --type admin.* --limit 20
  caddy authgate audit --json > audit.jsonl

--since and --until take RFC 3339 times, 2006-01-02T15:04 (UTC) or a date.
--json prints JSON lines, one entry per line, for export.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			f := cmd.Flags()
			q := url.Values{}
			for _, name := range []string{"email", "type", "since", "until", "before"} {
				if v, _ := f.GetString(name); v != "" {
					q.Set(name, v)
				}
			}
			if f.Changed("limit") { // the admin API refuses a limit that is not positive
				n, _ := f.GetInt("limit")
				q.Set("limit", strconv.Itoa(n))
			}
			asJSON, _ := f.GetBool("json")
			return runAudit(cmd.OutOrStdout(), adminEndpoint(cmd), q, asJSON)
		},
	}
	f := cmd.Flags()
	f.String("email", "", "only entries about or by this user")
	f.String("type", "", "only entries of this type (a trailing * matches a prefix)")
	f.String("since", "", "only entries at or after this time")
	f.String("until", "", "only entries at or before this time")
	f.String("before", "", "continue a listing: entries older than this id")
	f.Int("limit", 0, "at most this many entries (default 100, at most 1000)")
	f.Bool("json", false, "print JSON lines")
	return cmd
}

// runAudit prints one page of the trail as a table or JSON lines.
func runAudit(out io.Writer, admin *adminTarget, q url.Values, asJSON bool) error {
	var page audit.Page
	if err := adminCall(admin, http.MethodGet, "/authgate/audit?"+q.Encode(), nil, &page); err != nil {
		return fmt.Errorf("reading the audit trail: %w", err)
	}
	if asJSON {
		return audit.WriteJSONLines(out, page.Entries)
	}
	if len(page.Entries) == 0 {
		_, err := fmt.Fprintln(out, "No audit entry matches.")
		return err
	}
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "TIME\tTYPE\tACTOR\tUSER\tDETAILS")
	for _, e := range page.Entries {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", e.Time.Local().Format("2006-01-02 15:04:05"), cell(e.Type), cell(dash(e.Actor)), cell(dash(e.Email)), cell(web.AuditDetail(e.Data)))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if page.Next != "" {
		_, err := fmt.Fprintf(out, "\nOlder entries: add --before %s\n", page.Next)
		return err
	}
	return nil
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
