package web

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// when formats a time for the console, "never" for none.
func when(t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	return t.UTC().Format("2 Jan 2006 15:04:05 UTC")
}

// ago says how long a duration is in rough words ("12 min").
func ago(d time.Duration) string {
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%d s", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%d min", int(d.Minutes()))
	}
	return fmt.Sprintf("%.1f h", d.Hours())
}

// AuditDetail renders an audit entry's data as "key=value" pairs in key
// order (without email and by, which have their own columns), for a
// table cell; a template escapes it.
func AuditDetail(data map[string]any) string {
	keys := make([]string, 0, len(data))
	for k := range data {
		if k == "email" || k == "by" {
			continue
		}
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var b strings.Builder
	for i, k := range keys {
		if i > 0 {
			b.WriteString(" · ")
		}
		fmt.Fprintf(&b, "%s=%v", k, data[k])
	}
	return b.String()
}
