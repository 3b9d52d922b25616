package caddymodule

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"

	caddycmd "github.com/caddyserver/caddy/v2/cmd"
	"github.com/spf13/cobra"
)

func init() {
	caddycmd.RegisterCommand(caddycmd.Command{
		Name:  "authgate",
		Usage: "enroll <email> [--base <url>] [--address <admin>]",
		Short: "Manages authgate devices through the running Caddy's admin API",
		Long: `
Talks to a running Caddy (its admin endpoint, localhost:2019 by default)
that has authgate configured.

  caddy authgate enroll alice@example.com --base https://app.example.com

prints a one-time enrolment link for alice. Open it on her phone: the
approver app makes a key pair and registers it. The link works once and
expires in 15 minutes. --base is the site's external URL; it may be left
out when the authgate options set public_url.`,
		CobraFunc: func(cmd *cobra.Command) {
			enroll := &cobra.Command{
				Use:   "enroll <email>",
				Short: "Prints a one-time enrolment link for an email",
				Args:  cobra.ExactArgs(1),
				RunE: func(cmd *cobra.Command, args []string) error {
					base, _ := cmd.Flags().GetString("base")
					addr, _ := cmd.Flags().GetString("address")
					return runEnroll(cmd.OutOrStdout(), addr, args[0], base)
				},
			}
			enroll.Flags().String("base", "", "the protected site's external URL, e.g. https://app.example.com")
			enroll.Flags().String("address", "", "the admin endpoint (default: as Caddy determines it)")
			cmd.AddCommand(enroll)
		},
	})
}

// runEnroll asks the admin API for an enrolment link and prints it.
func runEnroll(out io.Writer, adminAddr, email, base string) error {
	addr, err := caddycmd.DetermineAdminAPIAddress(adminAddr, nil, "", "")
	if err != nil {
		return fmt.Errorf("finding the admin endpoint: %w", err)
	}
	body, _ := json.Marshal(enrollRequest{Email: email, BaseURL: base})
	resp, err := caddycmd.AdminAPIRequest(addr, http.MethodPost, "/authgate/enroll",
		http.Header{"Content-Type": {"application/json"}}, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("asking for an enrolment link: %w", err)
	}
	defer resp.Body.Close()
	var er enrollResponse
	if err := json.NewDecoder(resp.Body).Decode(&er); err != nil {
		return fmt.Errorf("reading the enrolment link: %w", err)
	}
	_, err = fmt.Fprintf(out, "Enrolment link for %s (works once, until %s):\n\n  %s\n",
		er.Email, er.ExpiresAt.Local().Format("15:04:05"), er.Link)
	return err
}
