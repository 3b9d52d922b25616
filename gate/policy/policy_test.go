package policy

import "testing"

func TestValidEmail(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{"alice@example.com", true},
		{"a.b+tag@sub.example.co.uk", true},
		{"josé@exämple.com", true},
		{"o'brien@example.com", true},
		{"d'arcy.o'neill@example.ie", true},
		{`"alice"@example.com`, false},
		{"", false},
		{"alice", false},
		{"@example.com", false},
		{"alice@", false},
		{"alice@example", false},
		{"alice@@example.com", false},
		{"a@b@example.com", false},
		{"alice@.example.com", false},
		{"alice@example.com.", false},
		{"alice@exa..mple.com", false},
		{"al ice@example.com", false},
		{"alice\x00@example.com", false},
		{"alice\u2028@example.com", false},
		{"<alice>@example.com", false},
		{"{alice}@example.com", false},
		{"alice@example.com\xff", false},
		{string(make([]byte, 300)) + "@example.com", false},
	}
	for _, tt := range tests {
		if got := ValidEmail(tt.in); got != tt.want {
			t.Errorf("ValidEmail(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestCanonicalEmailLowercasesAndTrims(t *testing.T) {
	if got := CanonicalEmail("  Alice@Example.COM \n"); got != "alice@example.com" {
		t.Fatalf("CanonicalEmail = %q", got)
	}
	composed, decomposed := "jos\u00e9@example.com", "jose\u0301@example.com"
	if CanonicalEmail(decomposed) != composed || CanonicalEmail("JOSE\u0301@example.com") != composed {
		t.Fatalf("CanonicalEmail(%q) = %q, want the composed %q", decomposed, CanonicalEmail(decomposed), composed)
	}
}

func TestPolicyAllows(t *testing.T) {
	p, err := New(Rules{
		Emails:  []string{"Alice@Example.com"},
		Domains: []string{"@corp.example"},
		Groups:  []string{"ops"},
	})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		email  string
		groups []string
		want   bool
	}{
		{"alice@example.com", nil, true},
		{"bob@example.com", nil, false},
		{"bob@corp.example", nil, true},
		{"bob@evilcorp.example", nil, false},
		{"bob@sub.corp.example", nil, false},
		{"carol@other.example", []string{"dev", "ops"}, true},
		{"carol@other.example", []string{"dev"}, false},
	}
	for _, tt := range tests {
		if got := p.Allows(tt.email, tt.groups); got != tt.want {
			t.Errorf("Allows(%q, %v) = %v, want %v", tt.email, tt.groups, got, tt.want)
		}
	}
}

func TestEmptyPolicyAllowsEveryone(t *testing.T) {
	p, err := New(Rules{})
	if err != nil {
		t.Fatal(err)
	}
	if !p.Open() || !p.Allows("anyone@example.com", nil) {
		t.Fatal("a policy without rules must allow every logged-in user")
	}
}

func TestNewRejectsMalformedRules(t *testing.T) {
	for _, r := range []Rules{
		{Emails: []string{"not-an-email"}},
		{Domains: []string{"a@b"}},
		{Domains: []string{" "}},
		{Groups: []string{""}},
	} {
		if _, err := New(r); err == nil {
			t.Errorf("New(%+v) accepted a malformed rule", r)
		}
	}
}

func TestAllowsDoesNotAllocate(t *testing.T) {
	p, _ := New(Rules{Domains: []string{"example.com"}, Groups: []string{"ops"}})
	groups := []string{"dev", "ops"}
	if n := testing.AllocsPerRun(100, func() { p.Allows("zed@other.example", groups) }); n != 0 {
		t.Fatalf("Allows allocated %v times per call", n)
	}
}

func TestCanonicalDomain(t *testing.T) {
	for in, want := range map[string]string{
		"example.com": "example.com", "@Example.COM": "example.com", " sub.example.co.uk ": "sub.example.co.uk",
		"bücher.example": "bücher.example", "xn--bcher-kva.example": "xn--bcher-kva.example", "a-b.example": "a-b.example",
	} {
		if got, ok := CanonicalDomain(in); !ok || got != want {
			t.Errorf("CanonicalDomain(%q) = %q, %v; want %q, true", in, got, ok, want)
		}
	}
	for _, in := range []string{
		"", "@", "localhost", "not_a_domain!.com", "https://example.com", "example.com/", "a@example.com",
		"@@example.com", "-x.example.com", "x-.example.com", "a..example.com", ".example.com", "example.com.", "exa mple.com",
	} {
		if got, ok := CanonicalDomain(in); ok {
			t.Errorf("CanonicalDomain(%q) = %q, true; want refused", in, got)
		}
	}
}
