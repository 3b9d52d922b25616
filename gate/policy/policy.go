// Package policy decides which logged-in users may reach which app.
package policy

import (
	"fmt"
	"strings"
)

// Policy lists who may reach one app. A user is allowed when any rule
// matches: their email, their email's domain, or one of their groups. A
// Policy with no rules allows every logged-in user (enrolment is already
// the operator's gate).
type Policy struct {
	emails  map[string]struct{}
	domains map[string]struct{}
	groups  map[string]struct{}
}

// Rules is the configuration form of a Policy.
type Rules struct {
	Emails  []string `json:"emails,omitempty"`
	Domains []string `json:"domains,omitempty"`
	Groups  []string `json:"groups,omitempty"`
}

// New compiles rules into a Policy. Emails and domains are compared
// case-insensitively; a domain may be written with or without a leading
// "@". It returns an error naming the first malformed rule.
func New(r Rules) (*Policy, error) {
	p := &Policy{}
	for _, e := range r.Emails {
		e = CanonicalEmail(e)
		if !ValidEmail(e) {
			return nil, fmt.Errorf("allow email %q: not an email address", e)
		}
		p.emails = add(p.emails, e)
	}
	for _, d := range r.Domains {
		cd, ok := CanonicalDomain(d)
		if !ok {
			return nil, fmt.Errorf("allow domain %q: not a domain name", d)
		}
		p.domains = add(p.domains, cd)
	}
	for _, g := range r.Groups {
		g = strings.TrimSpace(g)
		if g == "" {
			return nil, fmt.Errorf("allow group: empty name")
		}
		p.groups = add(p.groups, g)
	}
	return p, nil
}

func add(m map[string]struct{}, k string) map[string]struct{} {
	if m == nil {
		m = make(map[string]struct{})
	}
	m[k] = struct{}{}
	return m
}

// Open reports whether the policy has no rules and so allows everyone
// logged in.
func (p *Policy) Open() bool {
	return len(p.emails) == 0 && len(p.domains) == 0 && len(p.groups) == 0
}

// Allows reports whether the user with canonical email and groups may reach
// the app. It does not allocate.
func (p *Policy) Allows(email string, groups []string) bool {
	if p.Open() {
		return true
	}
	if _, ok := p.emails[email]; ok {
		return true
	}
	if at := strings.LastIndexByte(email, '@'); at >= 0 {
		if _, ok := p.domains[email[at+1:]]; ok {
			return true
		}
	}
	for _, g := range groups {
		if _, ok := p.groups[g]; ok {
			return true
		}
	}
	return false
}
