package redisstore

import (
	"strings"
	"testing"

	"github.com/authgate/authgate/gate/store"
)

// hashTag returns the part of key that Redis Cluster hashes: the text
// between the first '{' and the first '}' after it, if not empty; else the
// whole key.
func hashTag(key string) string {
	open := strings.IndexByte(key, '{')
	if open < 0 {
		return key
	}
	closing := strings.IndexByte(key[open+1:], '}')
	if closing <= 0 {
		return key
	}
	return key[open+1 : open+1+closing]
}

// keysOf returns every key the store builds from one hostile input, keyed
// by what it is, plus the groups that one operation touches together.
func keysOf(s *Store, v string) (all map[string]string, together [][]string) {
	all = map[string]string{
		"login": s.loginKey(v), "enroll": s.enrollKey(v), "device": s.deviceKey(v),
		"session": s.sessionKey(v), "pending": s.pendingKey(v), "devices": s.devicesKey(v),
		"sessions": s.sessionsKey(v), "revoked": s.revokedKey(), "generations": s.generationsKey(),
		"hit": s.hitKey(v), "mark": s.markKey(v),
		"apikey": s.apiKeyKey(v), "apikeys": s.apiKeysKey(v),
		"grouped login": s.loginKey(store.NewLoginID(v, "r4nd0m")), "grouped login of the input": s.loginKey("abc" + v),
		"user hit": s.hitKey(store.UserKey(v, "rl")), "user mark": s.markKey(store.UserKey(v, "lock")),
		"device mark": s.deviceMarkKey(v, v),
	}
	together = [][]string{
		// What StartLogin, PendingLogin, CollectLogin and a transition
		// that releases the claim touch.
		{s.pendingKey(v), s.loginKey(store.NewLoginID(v, "r4nd0m")), s.hitKey(store.UserKey(v, "rl")),
			s.markKey(store.UserKey(v, "lock")), s.markKey(store.UserKey(v, "recent"))},
		{s.devicesKey(v), s.sessionsKey(v), s.apiKeysKey(v)},
		{s.deviceKey(v), s.deviceMarkKey(v, "s0123")},
		{s.revokedKey(), s.generationsKey()},
	}
	return all, together
}

func TestEveryKeyHasOneHashTagThatInputCannotBreak(t *testing.T) {
	s := New(nil, Options{Prefix: "p{x}"})
	inputs := []string{
		"alice@example.com", "", "{", "}", "}{", "{a}", "a}b{c", "{{}}",
		"evil}@example.com", "x{u:alice@example.com}", "line\nbreak", "sp ace",
		"~notahash", strings.Repeat("a", 500), "ünïcödé@example.com",
	}
	for _, in := range inputs {
		all, together := keysOf(s, in)
		for what, key := range all {
			if strings.Count(key, "{") != 1 || strings.Count(key, "}") != 1 {
				t.Errorf("%s key for %q = %q, want exactly one pair of braces", what, in, key)
			}
			if tag := hashTag(key); tag == key || tag == "" {
				t.Errorf("%s key for %q = %q has no hash tag", what, in, key)
			}
			if len(key) > 200 {
				t.Errorf("%s key for a %d-byte input is %d bytes long", what, len(in), len(key))
			}
		}
		for _, group := range together {
			for _, key := range group[1:] {
				if hashTag(key) != hashTag(group[0]) {
					t.Errorf("for %q, %q and %q land in different slots", in, group[0], key)
				}
			}
		}
	}
	if a, b := s.sessionsKey("alice@example.com"), s.sessionsKey("bob@example.com"); hashTag(a) == hashTag(b) {
		t.Errorf("two users share a hash tag: %q, %q", a, b)
	}
}

func TestTag(t *testing.T) {
	tests := []struct {
		in   string
		kept bool
	}{
		{"alice@example.com", true},
		{"a.b+c=d-e_f:g/h", true},
		{"AbC123", true},
		{"", false},
		{"a{b", false},
		{"a}b", false},
		{"a b", false},
		{"a\x00b", false},
		{"~x", false},
		{"é", false},
		{strings.Repeat("a", maxRawTag), true},
		{strings.Repeat("a", maxRawTag+1), false},
	}
	for _, tt := range tests {
		got := tag(tt.in)
		if kept := got == tt.in; kept != tt.kept {
			t.Errorf("tag(%q) = %q, kept %v, want kept %v", tt.in, got, kept, tt.kept)
		}
		if !tt.kept && (!strings.HasPrefix(got, "~") || !rawTagSafe(got[1:])) {
			t.Errorf("tag(%q) = %q, want ~ and a key-safe digest", tt.in, got)
		}
	}
}

// FuzzTag checks that tag never lets an unsafe byte into a key and never
// maps two strings to one tag.
func FuzzTag(f *testing.F) {
	for _, seed := range [][2]string{
		{"alice@example.com", "bob@example.com"},
		{"{", "}"},
		{"a{b}c", "abc"},
		{"", "~"},
		{"x", "~" + "x"},
	} {
		f.Add(seed[0], seed[1])
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		ta, tb := tag(a), tag(b)
		for _, tg := range []string{ta, tb} {
			if strings.ContainsAny(tg, "{} \t\r\n") || tg == "" || len(tg) > maxRawTag+1 {
				t.Fatalf("unsafe tag %q", tg)
			}
		}
		if a != b && ta == tb {
			t.Fatalf("tag(%q) == tag(%q) == %q", a, b, ta)
		}
		if a == b && ta != tb {
			t.Fatalf("tag is not deterministic for %q", a)
		}
	})
}
