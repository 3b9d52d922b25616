package policy

import (
	"fmt"
	"slices"
	"strings"
)

// Groups assigns users to named groups, by email or by "@domain". The
// groups of a user go into their session token and the Remote-Groups
// header, and "allow group" rules match them.
type Groups struct {
	byEmail  map[string][]string
	byDomain map[string][]string
}

// NewGroups compiles membership rules: group name → members, each an
// email address or "@domain". It returns an error naming the first
// malformed member.
func NewGroups(rules map[string][]string) (*Groups, error) {
	g := &Groups{byEmail: map[string][]string{}, byDomain: map[string][]string{}}
	for name, members := range rules {
		if !ValidGroupName(name) {
			return nil, fmt.Errorf("group %q: a name has no spaces or commas", name)
		}
		for _, m := range members {
			m = CanonicalEmail(m)
			switch {
			case strings.HasPrefix(m, "@") && len(m) > 1 && !strings.ContainsAny(m[1:], "@ /"):
				g.byDomain[m[1:]] = append(g.byDomain[m[1:]], name)
			case ValidEmail(m):
				g.byEmail[m] = append(g.byEmail[m], name)
			default:
				return nil, fmt.Errorf("group %s: member %q is neither an email address nor @domain", name, m)
			}
		}
	}
	return g, nil
}

// Of returns the groups of a canonical email, sorted, without repeats.
func (g *Groups) Of(email string) []string {
	if g == nil {
		return nil
	}
	out := slices.Clone(g.byEmail[email])
	if at := strings.LastIndexByte(email, '@'); at >= 0 {
		out = append(out, g.byDomain[email[at+1:]]...)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// ValidGroupName reports whether name can name a group: not empty, no
// spaces or commas (the Remote-Groups header is a comma-separated list).
func ValidGroupName(name string) bool {
	return name != "" && !strings.ContainsAny(name, ", \t\r\n")
}

// MergeGroups returns the groups in a or b, sorted, without repeats.
func MergeGroups(a, b []string) []string {
	out := append(slices.Clone(a), b...)
	slices.Sort(out)
	return slices.Compact(out)
}
