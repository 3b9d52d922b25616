package caddymodule

import (
	"fmt"
	"io"
	"net/http"

	"github.com/spf13/cobra"
)

// fallbackCommands are `caddy authgate unblock` and `caddy authgate pass`.
func fallbackCommands() []*cobra.Command {
	unblock := &cobra.Command{
		Use:   "unblock <email>",
		Short: "Lets a paused or locked-out user sign in again at once",
		Long: `Clears a "deny and report" pause and a lockout after refused sign-ins
for the user, on every Caddy instance that shares the store.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runUnblock(cmd.OutOrStdout(), adminEndpoint(cmd), args[0])
		},
	}
	pass := &cobra.Command{
		Use:   "pass <email> [--ttl 1h]",
		Short: "Prints a one-time access pass for a user who lost their phone",
		Long: `Makes a one-time access pass. The user types it at the gate ("Enter a
code from your phone instead") with their email: it signs them in once and
opens the enrolment of a new phone. It works once, until --ttl runs out.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ttl, _ := cmd.Flags().GetString("ttl")
			return runPass(cmd.OutOrStdout(), adminEndpoint(cmd), args[0], ttl)
		},
	}
	pass.Flags().String("ttl", "1h", "how long the pass works (at most 168h)")
	return []*cobra.Command{unblock, pass}
}

func runUnblock(out io.Writer, admin *adminTarget, email string) error {
	var ur unblockResponse
	if err := adminCall(admin, http.MethodPost, "/authgate/unblock", emailRequest{Email: email}, &ur); err != nil {
		return explained("unblocking "+email, err)
	}
	what := "was not paused"
	switch {
	case ur.Reported && ur.Locked:
		what = "was paused by a report and locked out; both cleared"
	case ur.Reported:
		what = "was paused by a report; cleared"
	case ur.Locked:
		what = "was locked out after refused sign-ins; cleared"
	}
	switch {
	case ur.CodesPaused && what == "was not paused":
		what = "had codes paused after wrong codes; cleared"
	case ur.CodesPaused:
		what += "; codes paused after wrong codes cleared too"
	}
	_, err := fmt.Fprintf(out, "%s %s. They can sign in again now.\n", ur.Email, what)
	return err
}

func runPass(out io.Writer, admin *adminTarget, email, ttl string) error {
	var pr passResponse
	if err := adminCall(admin, http.MethodPost, "/authgate/pass", passRequest{Email: email, TTL: ttl}, &pr); err != nil {
		return explained("making an access pass for "+email, err)
	}
	_, err := fmt.Fprintf(out, "Access pass for %s (works once, until %s):\n\n  %s\n\n"+
		"At the sign-in page: \"Enter a code from your phone instead\", the email, then this pass.\n",
		pr.Email, pr.ExpiresAt.Local().Format("2006-01-02 15:04"), pr.Pass)
	return err
}
