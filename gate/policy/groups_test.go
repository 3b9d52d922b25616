package policy

import (
	"slices"
	"testing"
)

func TestGroupsOf(t *testing.T) {
	g, err := NewGroups(map[string][]string{
		"ops":   {"Alice@Example.com", "@corp.example"},
		"admin": {"alice@example.com"},
		"all":   {"@example.com", "alice@example.com"},
	})
	if err != nil {
		t.Fatal(err)
	}
	tests := map[string][]string{
		"alice@example.com":  {"admin", "all", "ops"},
		"bob@example.com":    {"all"},
		"carol@corp.example": {"ops"},
		"dave@other.example": nil,
	}
	for email, want := range tests {
		if got := g.Of(email); !slices.Equal(got, want) {
			t.Errorf("Of(%q) = %v, want %v", email, got, want)
		}
	}
	var none *Groups
	if got := none.Of("alice@example.com"); got != nil {
		t.Errorf("nil Groups gave %v", got)
	}
}

func TestNewGroupsRejectsMalformedRules(t *testing.T) {
	for _, rules := range []map[string][]string{
		{"ops": {"not-an-email"}},
		{"ops": {"@"}},
		{"ops team": {"a@example.com"}},
		{"a,b": {"a@example.com"}},
		{"": {"a@example.com"}},
	} {
		if _, err := NewGroups(rules); err == nil {
			t.Errorf("NewGroups(%v) accepted", rules)
		}
	}
}

func TestMergeGroups(t *testing.T) {
	got := MergeGroups([]string{"staff", "ops"}, []string{"devs", "ops"})
	if !slices.Equal(got, []string{"devs", "ops", "staff"}) {
		t.Fatalf("MergeGroups = %v", got)
	}
	if got := MergeGroups(nil, nil); len(got) != 0 {
		t.Fatalf("MergeGroups of nothing = %v", got)
	}
}

func TestValidGroupName(t *testing.T) {
	for name, ok := range map[string]bool{"devs": true, "team-a": true, "": false, "a b": false, "a,b": false, "a\tb": false, "a\nb": false} {
		if ValidGroupName(name) != ok {
			t.Errorf("ValidGroupName(%q) = %v", name, !ok)
		}
	}
}
