package caddymodule

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
)

// ErrUnhealthy is returned by `caddy authgate status` when logins cannot
// work, so the command exits non-zero.
var ErrUnhealthy = errors.New("authgate is not healthy")

// statusCommand is `caddy authgate status`.
func statusCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "status",
		Short: "Says whether the store, directory, revocations, outbox and webhook receivers are healthy",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runStatus(cmd.OutOrStdout(), adminEndpoint(cmd), jsonFlag(cmd))
		},
	}
}

// usersCommand is `caddy authgate users`.
func usersCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "users",
		Short: "Lists every user with a phone, a session or an API key: phones, sessions, keys and state",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runUsers(cmd.OutOrStdout(), adminEndpoint(cmd), jsonFlag(cmd))
		},
	}
}

// runStatus prints the status; it returns ErrUnhealthy (after printing)
// when the store or the directory does not answer or revocations are
// stale.
func runStatus(out io.Writer, admin *adminTarget, asJSON bool) error {
	var st statusResponse
	if err := adminCall(admin, http.MethodGet, "/authgate/status", nil, &st); err != nil {
		return explained("asking for the status", err)
	}
	if asJSON {
		if err := printJSON(out, st); err != nil {
			return err
		}
	} else if err := printStatus(out, st); err != nil {
		return err
	}
	if !st.Healthy {
		return ErrUnhealthy
	}
	return nil
}

func printStatus(out io.Writer, st statusResponse) error {
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	overall := "healthy"
	if !st.Healthy {
		overall = "UNHEALTHY: new logins fail until this is fixed"
	}
	fmt.Fprintf(tw, "authgate\t%s\n", overall)
	store := st.Store.Type
	if st.Store.Address != "" {
		store += " " + st.Store.Address
	}
	if st.Store.Reachable && st.Store.WriteError != "" {
		fmt.Fprintf(tw, "store\tREFUSES WRITES (%s): %s\n", cell(store), cell(st.Store.WriteError))
	} else if st.Store.Reachable {
		fmt.Fprintf(tw, "store\tok (%s)\n", store)
	} else {
		fmt.Fprintf(tw, "store\tUNREACHABLE (%s): %s\n", cell(store), cell(st.Store.Error))
	}
	rev := "fresh"
	if !st.Revocations.Fresh {
		rev = "STALE: logged-in users get 503 past revocation_max_staleness"
	}
	if !st.Revocations.SyncedAt.IsZero() {
		rev += ", synced " + ago(st.Revocations.SyncedAt)
	}
	fmt.Fprintf(tw, "revocations\t%s\n", rev)
	if d := st.Directory; d != nil && d.Reachable {
		fmt.Fprintf(tw, "directory\tok (%s)\n", d.URL)
	} else if d != nil {
		fmt.Fprintf(tw, "directory\tUNREACHABLE (%s): new logins get 503: %s\n", cell(d.URL), cell(d.Error))
	}
	outbox := strconv.FormatInt(st.Outbox.Depth, 10) + " waiting"
	if st.Outbox.Held > 0 {
		outbox += ", " + strconv.Itoa(st.Outbox.Held) + " held in memory"
	}
	if st.Outbox.Error != "" {
		outbox = "UNREACHABLE: " + st.Outbox.Error
	}
	fmt.Fprintf(tw, "webhook outbox\t%s\n", outbox)
	fmt.Fprintf(tw, "pushes\t%s\n", st.Pushes)
	if len(st.SettingsDiffer) > 0 {
		fmt.Fprintf(tw, "instances\tANOTHER INSTANCE ON THIS STORE RUNS WITH OTHER SETTINGS: %s\n",
			cell(strings.Join(st.SettingsDiffer, "; ")))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(st.Receivers) == 0 {
		_, err := fmt.Fprintln(out, "\nNo webhook receiver is configured.")
		return err
	}
	fmt.Fprintln(out, "\nWebhook receivers:")
	tw = tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tURL\tHEALTH\tLAST DELIVERY\tDELIVERED\tFAILED\tDEAD")
	for _, r := range st.Receivers {
		health := "ok"
		switch {
		case r.Disabled:
			health = "disabled (answered 410)"
		case !r.Healthy && r.LastError != "":
			health = "failing: " + r.LastError
		case !r.Healthy:
			health = "failing: HTTP " + strconv.Itoa(r.LastStatus)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%d\t%d\n", cell(r.ID), cell(r.URL), cell(health), when(r.LastFiredAt), r.Delivered, r.Failed, r.Dead)
	}
	return tw.Flush()
}

// ago says how long ago t was, roughly.
func ago(t time.Time) string {
	d := time.Since(t).Round(time.Second)
	if d < time.Second {
		return "just now"
	}
	return d.String() + " ago"
}

// runUsers prints every user with a phone, a session or an API key as a
// table, or as JSON.
func runUsers(out io.Writer, admin *adminTarget, asJSON bool) error {
	var ur usersResponse
	if err := adminCall(admin, http.MethodGet, "/authgate/users", nil, &ur); err != nil {
		return explained("listing users", err)
	}
	if asJSON {
		return printJSON(out, ur)
	}
	if len(ur.Users) == 0 {
		_, err := fmt.Fprintln(out, "No user has a phone, a session or an API key yet. Enrol one with: caddy authgate enroll <email>")
		return err
	}
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "EMAIL\tSTATE\tPHONES\tSESSIONS\tAPI KEYS\tLAST SIGN-IN")
	for _, u := range ur.Users {
		names := make([]string, 0, len(u.Devices))
		for _, d := range u.Devices {
			names = append(names, d.Name)
		}
		var last time.Time
		for _, s := range u.Sessions {
			if s.CreatedAt.After(last) {
				last = s.CreatedAt
			}
		}
		state := u.State
		if u.BlockedSeconds > 0 {
			state += " (" + (time.Duration(u.BlockedSeconds) * time.Second).String() + " left)"
		}
		phones := strings.Join(names, ", ")
		if len(names) == 0 {
			phones = "none"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%d\t%s\n", cell(u.Email), cell(state), cell(phones), len(u.Sessions), len(u.APIKeys), when(last))
	}
	return tw.Flush()
}
