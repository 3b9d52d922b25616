package caddymodule

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/spf13/cobra"
)

// How the `caddy authgate` commands speak: tables and local times with
// their zone for people, --json for scripts, and errors that name the
// thing rather than the store's internals.

// jsonFlag reports whether --json was given.
func jsonFlag(cmd *cobra.Command) bool {
	v, _ := cmd.Flags().GetBool("json")
	return v
}

// printJSON writes v as indented JSON.
func printJSON(out io.Writer, v any) error {
	enc := json.NewEncoder(out)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// when formats a time for the tables, in local time with its zone; "-"
// for none.
func when(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.Local().Format("2006-01-02 15:04 MST")
}

// adminStatusError is Caddy's "caddy responded with error: HTTP 404:
// {"error":"…"}".
var adminStatusError = regexp.MustCompile(`(?s)HTTP (\d{3}): (.*)$`)

// AdminError is an error answer of the admin API, in words.
type AdminError struct {
	Status  int
	Message string
}

func (e *AdminError) Error() string { return e.Message }

// explainAdminError rewrites an error of caddycmd.AdminAPIRequest for
// people: the admin API's own message, or why Caddy could not be reached.
func explainAdminError(addr string, err error) error {
	s := err.Error()
	if m := adminStatusError.FindStringSubmatch(s); m != nil {
		status, _ := strconv.Atoi(m[1])
		var body struct {
			Error string `json:"error"`
		}
		msg := strings.TrimSpace(m[2])
		if json.Unmarshal([]byte(msg), &body) == nil && body.Error != "" {
			msg = body.Error
		}
		if status == http.StatusNotFound && strings.HasPrefix(msg, "unknown route") {
			msg = "this Caddy has no authgate admin routes: is the authgate module built in and configured?"
		}
		return &AdminError{Status: status, Message: msg}
	}
	if strings.Contains(s, "connection refused") || strings.Contains(s, "no such file or directory") {
		return fmt.Errorf("cannot reach Caddy's admin endpoint %s: is Caddy running? (--address or --config names another endpoint)", addr)
	}
	return err
}

// isAdminStatus reports whether err is an admin API answer with status.
func isAdminStatus(err error, status int) bool {
	var ae *AdminError
	return errors.As(err, &ae) && ae.Status == status
}

// orDash prints a number, "-" for 0.
func orDash(n int) string {
	if n == 0 {
		return "-"
	}
	return strconv.Itoa(n)
}

// orDashS prints a string, "-" for "".
func orDashS(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// explained returns an admin API answer as it is (it names the thing
// already), and any other error with what was being done.
func explained(doing string, err error) error {
	var ae *AdminError
	if errors.As(err, &ae) {
		return err
	}
	return fmt.Errorf("%s: %w", doing, err)
}

// refuseUnknownSubcommand makes cmd, which only groups subcommands,
// answer a mistyped one with an error that names it (and the closest
// subcommand) and exits 1, instead of printing its help and succeeding.
func refuseUnknownSubcommand(cmd *cobra.Command) *cobra.Command {
	cmd.Args = cobra.ArbitraryArgs
	if cmd.SuggestionsMinimumDistance <= 0 {
		cmd.SuggestionsMinimumDistance = 2 // cobra's own default, set only for the root command
	}
	cmd.RunE = func(c *cobra.Command, args []string) error {
		if len(args) == 0 {
			return c.Help()
		}
		msg := fmt.Sprintf("unknown command %q for %q", args[0], c.CommandPath())
		if s := c.SuggestionsFor(args[0]); len(s) > 0 {
			msg += "; did you mean " + strings.Join(s, " or ") + "?"
		}
		return errors.New(msg)
	}
	return cmd
}

// cell returns s fit for one cell of a table printed to a terminal: every
// rune that is not printable (an escape sequence's ESC, a tab or line
// break that would forge a column or a row, a bidi override) is written
// as its Go escape (\x1b, \n, \u202e), so text that clients chose (a
// requested path, a receiver's error) shows as text and never acts on
// the terminal.
func cell(s string) string {
	if !strings.ContainsFunc(s, func(r rune) bool { return !unicode.IsPrint(r) }) && utf8.ValidString(s) {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if unicode.IsPrint(r) && r != utf8.RuneError {
			b.WriteRune(r)
			continue
		}
		q := strconv.QuoteRuneToASCII(r)
		b.WriteString(q[1 : len(q)-1])
	}
	return b.String()
}
