package caddymodule

import (
	"fmt"
	"net/http"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/authgate/authgate/gate/webhook"
)

// webhooksCommand is `caddy authgate webhooks …`.
func webhooksCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "webhooks",
		Short: "Lists, adds, removes, pings, enables and replays webhooks",
		Long: `Manages webhook receivers of a running Caddy through its admin API.

  caddy authgate webhooks list
  caddy authgate webhooks add https://app.example.com/hooks --app-id ops-centre
  caddy authgate webhooks ping <id>
  caddy authgate webhooks enable <id>
  caddy authgate webhooks deliveries <id>
  caddy authgate webhooks replay <event-id>
  caddy authgate webhooks remove <id>

Receivers added here get a generated secret (printed once) and are kept in
Caddy's storage, or in Redis with the Redis store (every instance then
knows them within 2 s); those in the Caddyfile are listed but changed
there.
A receiver that answers 410 Gone is disabled (on every instance) until
"enable" turns it back on; its dead-lettered deliveries can then be sent
again with "replay".`,
	}
	cmd.AddCommand(&cobra.Command{
		Use: "list", Short: "Lists webhooks and their delivery health", Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			var list []webhook.EndpointStatus
			if err := adminCall(adminEndpoint(c), http.MethodGet, "/authgate/webhooks", nil, &list); err != nil {
				return err
			}
			if jsonFlag(c) {
				return printJSON(c.OutOrStdout(), list)
			}
			if len(list) == 0 {
				_, err := fmt.Fprintln(c.OutOrStdout(), "No webhook receiver is configured.")
				return err
			}
			tw := tabwriter.NewWriter(c.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tURL\tEVENTS\tDELIVERED\tFAILED\tDEAD\tLAST STATUS\tLAST ERROR")
			for _, s := range list {
				events := strings.Join(s.Events, ",")
				if events == "" {
					events = "all but access" // the default
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%d\t%d\t%s\t%s\n", cell(s.ID), cell(s.URL), cell(events),
					s.Delivered, s.Failed, s.Dead, orDash(s.LastStatus), cell(orDashS(s.LastError)))
			}
			return tw.Flush()
		},
	})
	var appID, events, format string
	add := &cobra.Command{
		Use: "add <url>", Short: "Adds a receiver and prints its generated secret", Args: cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			req := addWebhookRequest{AppID: appID, URL: args[0], Format: format}
			if events != "" {
				req.Events = strings.Split(events, ",")
			}
			var out addWebhookResponse
			if err := adminCall(adminEndpoint(c), http.MethodPost, "/authgate/webhooks", req, &out); err != nil {
				return err
			}
			_, err := fmt.Fprintf(c.OutOrStdout(), "id:     %s\nurl:    %s\nsecret: %s\n(the secret is shown once: keep it in the receiver's configuration)\n", out.ID, out.URL, out.Secret)
			return err
		},
	}
	add.Flags().StringVar(&appID, "app-id", "", "the app this receiver belongs to (it then gets only that app's events)")
	add.Flags().StringVar(&format, "format", "", "payload format: envelope (default), authgate or webgate")
	add.Flags().StringVar(&events, "events", "", "comma-separated event names (default: all but access)")
	cmd.AddCommand(add)
	cmd.AddCommand(&cobra.Command{
		Use: "remove <id>", Short: "Removes a receiver added through the admin API", Args: cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			return adminCall(adminEndpoint(c), http.MethodDelete, "/authgate/webhooks/"+args[0], nil, nil)
		},
	})
	cmd.AddCommand(&cobra.Command{
		Use: "ping <id>", Short: "Sends a ping event to one receiver", Args: cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			var out map[string]string
			if err := adminCall(adminEndpoint(c), http.MethodPost, "/authgate/webhooks/"+args[0]+"/ping", nil, &out); err != nil {
				return err
			}
			_, err := fmt.Fprintf(c.OutOrStdout(), "ping queued as event %s\n", out["event_id"])
			return err
		},
	})
	cmd.AddCommand(&cobra.Command{
		Use: "enable <id>", Short: "Turns a receiver disabled by a 410 Gone answer back on", Args: cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			if err := adminCall(adminEndpoint(c), http.MethodPost, "/authgate/webhooks/"+args[0]+"/enable", nil, nil); err != nil {
				return err
			}
			_, err := fmt.Fprintf(c.OutOrStdout(), "receiver %s enabled: new events are delivered to it again\n", args[0])
			return err
		},
	})
	cmd.AddCommand(&cobra.Command{
		Use: "deliveries <id>", Short: "Lists recent deliveries to one receiver, with their attempts", Args: cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			var recs []webhook.EventRecord
			if err := adminCall(adminEndpoint(c), http.MethodGet, "/authgate/webhooks/"+args[0]+"/deliveries", nil, &recs); err != nil {
				return err
			}
			if jsonFlag(c) {
				return printJSON(c.OutOrStdout(), recs)
			}
			if len(recs) == 0 {
				_, err := fmt.Fprintln(c.OutOrStdout(), "No recent delivery to this receiver.")
				return err
			}
			tw := tabwriter.NewWriter(c.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "EVENT ID\tEVENT\tSTATE\tATTEMPTS\tUPDATED")
			for _, r := range recs {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\n", cell(r.EventID), cell(r.EventType), cell(r.State), len(r.Attempts), when(r.UpdatedAt))
			}
			return tw.Flush()
		},
	})
	cmd.AddCommand(&cobra.Command{
		Use: "replay <event-id>", Short: "Delivers an event again to every receiver it went to", Args: cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			var out map[string]int
			if err := adminCall(adminEndpoint(c), http.MethodPost, "/authgate/events/"+args[0]+"/replay", nil, &out); err != nil {
				return err
			}
			_, err := fmt.Fprintf(c.OutOrStdout(), "replayed to %d receiver(s)\n", out["enqueued"])
			return err
		},
	})
	return refuseUnknownSubcommand(cmd)
}
