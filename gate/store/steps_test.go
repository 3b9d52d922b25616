package store

import "testing"

func TestLoginIDsCarryTheGroupOfTheirEmail(t *testing.T) {
	for _, email := range []string{"alice@example.com", "bob@example.com", "", "{x}"} {
		g := GroupOf(email)
		if len(g) != groupLen || LoginGroup(g) != "" {
			t.Fatalf("GroupOf(%q) = %q", email, g)
		}
		id := NewLoginID(email, "Zq9_-random")
		if LoginGroup(id) != g {
			t.Errorf("LoginGroup(%q) = %q, want %q", id, LoginGroup(id), g)
		}
	}
	for _, id := range []string{"", "ab", "abc", "xyzrandom", "ABCrandom", "ab{random"} {
		if g := LoginGroup(id); g != "" {
			t.Errorf("LoginGroup(%q) = %q, want none", id, g)
		}
	}
}

func TestUserKeysParseBackAndNoOtherKeyDoes(t *testing.T) {
	for _, tc := range [][2]string{{"alice@example.com", "lock"}, {"", "fail"}, {"a:b@x", "rl"}} {
		email, name, ok := ParseUserKey(UserKey(tc[0], tc[1]))
		if !ok || email != tc[0] || name != tc[1] {
			t.Errorf("ParseUserKey(UserKey(%q, %q)) = %q, %q, %v", tc[0], tc[1], email, name, ok)
		}
	}
	for _, k := range []string{"lock:alice@example.com", "rl:ip:203.0.113.9", "u", "u\x00", "u\x00\x00a", "devsig:abc"} {
		if _, _, ok := ParseUserKey(k); ok {
			t.Errorf("ParseUserKey(%q) is ok", k)
		}
	}
}

func TestDeviceIDsCarryTheGroupOfTheirEmailAndOldOnesNone(t *testing.T) {
	for _, email := range []string{"alice@example.com", "bob@example.com", ""} {
		id := NewDeviceID(email, "Zq9_-random")
		if g := DeviceGroup(id); g != GroupOf(email) {
			t.Errorf("DeviceGroup(%q) = %q, want %q", id, g, GroupOf(email))
		}
	}
	for _, id := range []string{"", "dev", "dev_", "dev_abc_random", "dev_Zq9-random", "devabc_", "devabcrandom", "devxyz_random", "abc_random", "dev-abc_random"} {
		if g := DeviceGroup(id); g != "" {
			t.Errorf("DeviceGroup(%q) = %q, want none", id, g)
		}
	}
}
