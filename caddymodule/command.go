package caddymodule

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"text/tabwriter"

	caddycmd "github.com/caddyserver/caddy/v2/cmd"
	"github.com/spf13/cobra"

	"github.com/authgate/authgate/gate/web"
)

func init() {
	caddycmd.RegisterCommand(caddycmd.Command{
		Name:  "authgate",
		Usage: "enroll|status|users|devices|sessions|revoke|unblock|pass|keys|webhooks|audit … [--json] [--config <path> [--adapter <name>]] [--address <admin>]",
		Short: "Manages authgate devices, sessions, API keys, webhooks and the audit trail through the running Caddy's admin API",
		Long: `
Talks to a running Caddy that has authgate configured, through its admin
endpoint. Like caddy reload, it finds the endpoint at --address if given;
else at the admin address of the config file named by --config (with
--adapter), or of ./Caddyfile when there is one; else at the default
(CADDY_ADMIN, or localhost:2019).

  caddy authgate enroll alice@example.com --base https://app.example.com

prints a one-time enrolment link for alice, and the same link as a QR
code. Open the link on her phone, or scan the code with its camera: the
approver app makes a key pair and registers it. The link works once and
expires in 15 minutes. --base is the site's external URL; it may be left
out when the authgate options set public_url.

  caddy authgate devices alice@example.com
  caddy authgate sessions alice@example.com

list alice's approver phones and her signed-in browsers, with their ids.

  caddy authgate users
  caddy authgate status

list every user with a phone, a session or an API key (phones,
sessions, keys, state: one left without a phone is listed while a key or
session of theirs lives), and say whether
the store (and the directory, if any) answers, revocations are fresh,
how many webhook deliveries wait, and how each receiver fares. status
exits 1 when unhealthy.

Every list command prints a table with local times; --json prints the
admin API's JSON instead, for scripts.

  caddy authgate revoke device dev_…
  caddy authgate revoke session <id>

remove a phone (it can approve nothing more), or end a session on every
Caddy instance that shares the store (a session whose record is gone is
revoked all the same). An id that starts with "-" goes after "--":
caddy authgate revoke session -- -x3Yk….

  caddy authgate unblock alice@example.com
  caddy authgate pass alice@example.com --ttl 1h

let alice sign in again after a "deny and report" or a lockout, or give
her a one-time access pass after she lost her phone (it signs her in once
and opens the enrolment of a new phone).

  caddy authgate keys list alice@example.com
  caddy authgate keys revoke <id>

list alice's API keys, or revoke one everywhere.

  caddy authgate webhooks --help

manages webhook receivers.

  caddy authgate audit --email alice@example.com

lists the audit trail, newest first (--help for its filters).`,
		CobraFunc: func(cmd *cobra.Command) {
			addAdminFlags(cmd)
			cmd.PersistentFlags().Bool("json", false, "print JSON (for scripts) instead of tables")
			enroll := &cobra.Command{
				Use:   "enroll <email>",
				Short: "Prints a one-time enrolment link and its QR code",
				Args:  cobra.ExactArgs(1),
				RunE: func(cmd *cobra.Command, args []string) error {
					base, _ := cmd.Flags().GetString("base")
					noQR, _ := cmd.Flags().GetBool("no-qr")
					return runEnroll(cmd.OutOrStdout(), cmd.ErrOrStderr(), adminEndpoint(cmd), args[0], base, !noQR, jsonFlag(cmd))
				},
			}
			enroll.Flags().String("base", "", "the protected site's external URL, e.g. https://app.example.com")
			enroll.Flags().Bool("no-qr", false, "print only the link")
			devices := &cobra.Command{
				Use:   "devices <email>",
				Short: "Lists a user's approver devices",
				Args:  cobra.ExactArgs(1),
				RunE: func(cmd *cobra.Command, args []string) error {
					return runDevices(cmd.OutOrStdout(), adminEndpoint(cmd), args[0], jsonFlag(cmd))
				},
			}
			sessions := &cobra.Command{
				Use:   "sessions <email>",
				Short: "Lists a user's signed-in sessions",
				Args:  cobra.ExactArgs(1),
				RunE: func(cmd *cobra.Command, args []string) error {
					return runSessions(cmd.OutOrStdout(), adminEndpoint(cmd), args[0], jsonFlag(cmd))
				},
			}
			revoke := &cobra.Command{
				Use:       "revoke (device|session|key) <id>",
				Short:     "Removes a device, or ends a session or an API key everywhere",
				Args:      cobra.ExactArgs(2),
				ValidArgs: []string{"device", "session", "key"},
				RunE: func(cmd *cobra.Command, args []string) error {
					return runRevoke(cmd.OutOrStdout(), adminEndpoint(cmd), args[0], args[1])
				},
			}
			cmd.AddCommand(enroll, devices, sessions, revoke, statusCommand(), usersCommand(), keysCommand(), webhooksCommand(), auditCommand())
			cmd.AddCommand(fallbackCommands()...)
			refuseUnknownSubcommand(cmd)
		},
	})
}

// runEnroll asks the admin API for an enrolment link and prints it
// unindented (so it copies cleanly), with its QR code when qr is set;
// warnings about the link go to warn. The QR code is drawn black on white
// with ANSI colours on a terminal, plain otherwise.
func runEnroll(out, warn io.Writer, admin *adminTarget, email, base string, qr, asJSON bool) error {
	base, warnings := checkBase(base)
	var er enrollResponse
	if err := adminCall(admin, http.MethodPost, "/authgate/enroll", enrollRequest{Email: email, BaseURL: base}, &er); err != nil {
		return explained("asking for an enrolment link", err)
	}
	warnings = append(warnings, linkWarnings(er.Link)...)
	if hosts, err := servedHosts(admin); err == nil {
		warnings = append(warnings, hostWarnings(er.Link, hosts)...)
	}
	for _, w := range warnings {
		fmt.Fprintln(warn, "Warning: "+w)
	}
	if asJSON {
		return printJSON(out, er)
	}
	if _, err := fmt.Fprintf(out, "Enrolment link for %s (works once, until %s):\n\n%s\n",
		er.Email, er.ExpiresAt.Local().Format("15:04:05 MST"), er.Link); err != nil {
		return err
	}
	if !qr {
		return nil
	}
	code, err := web.QRTerminal(er.Link, isTerminal(out))
	if err != nil {
		return fmt.Errorf("drawing the QR code: %w", err)
	}
	_, err = fmt.Fprintf(out, "\nOr scan this with the phone's camera:\n\n%s", code)
	return err
}

// isTerminal reports whether w is a character device (a terminal).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// runDevices prints a user's devices as a table, or as JSON.
func runDevices(out io.Writer, admin *adminTarget, email string, asJSON bool) error {
	var dr devicesResponse
	if err := adminCall(admin, http.MethodGet, "/authgate/devices?email="+url.QueryEscape(email), nil, &dr); err != nil {
		return explained("listing devices", err)
	}
	if asJSON {
		return printJSON(out, dr)
	}
	if len(dr.Devices) == 0 {
		_, err := fmt.Fprintf(out, "%s has no enrolled device.\n", dr.Email)
		return err
	}
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tNAME\tENROLLED\tLAST USED\tNOTIFICATIONS")
	for _, d := range dr.Devices {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", cell(d.ID), cell(d.Name), when(d.CreatedAt), when(d.LastUsed), onOff(d.Notifications))
	}
	return tw.Flush()
}

// onOff names a switch's state.
func onOff(on bool) string {
	if on {
		return "on"
	}
	return "off"
}

// runSessions prints a user's sessions as a table, or as JSON.
func runSessions(out io.Writer, admin *adminTarget, email string, asJSON bool) error {
	var sr sessionsResponse
	if err := adminCall(admin, http.MethodGet, "/authgate/sessions?email="+url.QueryEscape(email), nil, &sr); err != nil {
		return explained("listing sessions", err)
	}
	if asJSON {
		return printJSON(out, sr)
	}
	if len(sr.Sessions) == 0 {
		_, err := fmt.Fprintf(out, "%s has no live session.\n", sr.Email)
		return err
	}
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tBROWSER\tIP\tAPP\tSINCE\tEXPIRES")
	for _, s := range sr.Sessions {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", cell(s.ID), cell(s.Browser), cell(s.ClientIP), cell(orDashS(s.AppID)), when(s.CreatedAt), when(s.ExpiresAt))
	}
	return tw.Flush()
}

// runRevoke removes a device or ends a session.
func runRevoke(out io.Writer, admin *adminTarget, kind, id string) error {
	var path string
	switch kind {
	case "device":
		path = "/authgate/devices/" + url.PathEscape(id)
	case "session":
		path = "/authgate/sessions/" + url.PathEscape(id)
	case "key":
		path = "/authgate/keys/" + url.PathEscape(id)
	default:
		return fmt.Errorf("revoke: want 'device', 'session' or 'key', not %q", kind)
	}
	var rr revokeResponse
	if err := adminCall(admin, http.MethodDelete, path, nil, &rr); err != nil {
		if isAdminStatus(err, http.StatusNotFound) {
			return err // "no such device dev_…" says it all
		}
		return fmt.Errorf("revoking %s %s: %w", kind, id, err)
	}
	if _, err := fmt.Fprintf(out, "Revoked %s %s.\n", rr.Revoked, rr.ID); err != nil {
		return err
	}
	if rr.Note != "" {
		if _, err := fmt.Fprintf(out, "Note: %s (until %s).\n", rr.Note, when(rr.Until)); err != nil {
			return err
		}
	}
	return nil
}
