package directory

import (
	"fmt"
	"slices"
	"strings"

	"github.com/go-ldap/ldap/v3"

	"github.com/authgate/authgate/gate/policy"
)

// Placeholders of the search filters.
const (
	// EmailPlaceholder in the user filter stands for the email typed at
	// login, canonical and escaped.
	EmailPlaceholder = "{email}"
	// DNPlaceholder in the group filter stands for the DN of the user (or,
	// for nested groups, of a group found already), escaped.
	DNPlaceholder = "{dn}"
)

// Default filters.
const (
	DefaultUserFilter  = "(mail=" + EmailPlaceholder + ")"
	DefaultGroupFilter = "(member=" + DNPlaceholder + ")"
)

// fillFilter puts value into template at every placeholder, escaped as
// RFC 4515 requires of an assertion value: '*', '(', ')', '\' and NUL
// (and every byte past ASCII) become \XX, so a value can never add a
// wildcard or a clause to the filter.
func fillFilter(template, placeholder, value string) string {
	return strings.ReplaceAll(template, placeholder, ldap.EscapeFilter(value))
}

// checkFilter reports whether template holds placeholder and compiles as
// an LDAP filter once it is filled in.
func checkFilter(option, template, placeholder string) error {
	if !strings.Contains(template, placeholder) {
		return fmt.Errorf("%s %q must contain %s", option, template, placeholder)
	}
	if _, err := ldap.CompileFilter(fillFilter(template, placeholder, "x")); err != nil {
		return fmt.Errorf("%s %q is not an LDAP filter: %w", option, template, err)
	}
	return nil
}

// mapper turns the names (cn) of directory groups into authgate groups.
// Directory names compare without regard to case, as LDAP's cn does; a
// directory group that is neither mapped nor an admin group gives nothing.
type mapper struct {
	groups map[string][]string // lower-case cn → authgate groups
	admin  map[string]bool     // lower-case cn
}

// newMapper compiles group_map (directory cn → authgate groups) and
// admin_groups (directory cns whose members get AdminGroup).
func newMapper(groupMap map[string][]string, adminGroups []string) (*mapper, error) {
	m := &mapper{groups: map[string][]string{}, admin: map[string]bool{}}
	for cn, targets := range groupMap {
		if strings.TrimSpace(cn) == "" {
			return nil, fmt.Errorf("group_map: an empty directory group name")
		}
		if len(targets) == 0 {
			return nil, fmt.Errorf("group_map %s: no authgate group named", cn)
		}
		for _, g := range targets {
			if !policy.ValidGroupName(g) {
				return nil, fmt.Errorf("group_map %s: %q is not a group name (no spaces or commas)", cn, g)
			}
		}
		key := strings.ToLower(cn)
		m.groups[key] = append(m.groups[key], targets...)
	}
	for _, cn := range adminGroups {
		if strings.TrimSpace(cn) == "" {
			return nil, fmt.Errorf("admin_groups: an empty directory group name")
		}
		m.admin[strings.ToLower(cn)] = true
	}
	return m, nil
}

// onlyMapped returns a filter that holds just the directory groups the
// mapper gives something for, "(|(cn=…)(cn=…))", each name escaped and in
// a fixed order; "" when no group is mapped. ANDed with the group filter,
// it keeps a member's answer to the groups that matter, however many
// groups the member is in: a server's size limit (500 entries by default
// in OpenLDAP, 1000 in Active Directory) otherwise refuses the whole
// search for a member of more groups than that.
func (m *mapper) onlyMapped() string {
	names := make([]string, 0, len(m.groups)+len(m.admin))
	for cn := range m.groups {
		names = append(names, cn)
	}
	for cn := range m.admin {
		names = append(names, cn)
	}
	slices.Sort(names)
	names = slices.Compact(names)
	if len(names) == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteString("(|")
	for _, cn := range names {
		b.WriteString("(cn=" + ldap.EscapeFilter(cn) + ")")
	}
	b.WriteString(")")
	return b.String()
}

// of returns the authgate groups of a user in the directory groups cns,
// sorted and without repeats.
func (m *mapper) of(cns []string) []string {
	var out []string
	for _, cn := range cns {
		key := strings.ToLower(cn)
		out = append(out, m.groups[key]...)
		if m.admin[key] {
			out = append(out, AdminGroup)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}
