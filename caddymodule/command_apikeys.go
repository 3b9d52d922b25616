package caddymodule

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"text/tabwriter"

	"github.com/spf13/cobra"
)

// keysCommand is `caddy authgate keys …`.
func keysCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "keys",
		Short: "Lists and revokes users' API keys",
		Long: `Manages users' API keys through the running Caddy's admin API. Users
create keys themselves on their account page; an operator can list and
revoke them.

  caddy authgate keys list alice@example.com

lists alice's keys: id, name, created, last used and expiry (never the
key itself, which the gateway does not keep).

  caddy authgate keys revoke <id>

revokes a key on every Caddy instance that shares the store, within a
second.`,
	}
	list := &cobra.Command{
		Use:   "list <email>",
		Short: "Lists a user's API keys",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runKeysList(cmd.OutOrStdout(), adminEndpoint(cmd), args[0], jsonFlag(cmd))
		},
	}
	revoke := &cobra.Command{
		Use:   "revoke <id>",
		Short: "Revokes an API key everywhere",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runRevoke(cmd.OutOrStdout(), adminEndpoint(cmd), "key", args[0])
		},
	}
	cmd.AddCommand(list, revoke)
	return refuseUnknownSubcommand(cmd)
}

// runKeysList prints a user's API keys as a table, or as JSON.
func runKeysList(out io.Writer, admin *adminTarget, email string, asJSON bool) error {
	var kr apiKeysResponse
	if err := adminCall(admin, http.MethodGet, "/authgate/keys?email="+url.QueryEscape(email), nil, &kr); err != nil {
		return explained("listing API keys", err)
	}
	if asJSON {
		return printJSON(out, kr)
	}
	if len(kr.Keys) == 0 {
		_, err := fmt.Fprintf(out, "%s has no API key.\n", kr.Email)
		return err
	}
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tNAME\tCREATED\tLAST USED\tEXPIRES")
	for _, k := range kr.Keys {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", cell(k.ID), cell(k.Name), when(k.CreatedAt), when(k.LastUsed), when(k.ExpiresAt))
	}
	return tw.Flush()
}
