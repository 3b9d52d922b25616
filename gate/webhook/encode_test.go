package webhook

import (
	"encoding/json"
	"errors"
	"math"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/authgate/authgate/gate/event"
)

func TestSanitize(t *testing.T) {
	cases := []struct {
		name string
		in   string
		max  int
		want string
	}{
		{"plain", "alice@example.com", 64, "alice@example.com"},
		{"terminal escape", "bob\x1b[31m@x", 64, "bob[31m@x"},
		{"newlines and tabs", "a\r\nb\tc", 0, "abc"},
		{"nul and del", "a\x00b\x7fc", 0, "abc"},
		{"line separators", "a\u2028b\u2029c", 0, "abc"},
		{"bidi override", "abc\u202etxt.exe", 0, "abctxt.exe"},
		{"zero width", "ad\u200bmin", 0, "admin"},
		{"no-break space", "a\u00a0b", 0, "ab"},
		{"invalid utf-8", "a\xffb", 0, "a\ufffdb"},
		{"emoji and accents kept", "é 🦊 中", 0, "é 🦊 中"},
		{"html kept", `<a href="x">&</a>`, 0, `<a href="x">&</a>`},
		{"cap in runes", strings.Repeat("é", 70), 64, strings.Repeat("é", 64)},
		{"cap counts kept runes", "\x00" + strings.Repeat("a", 64), 64, strings.Repeat("a", 64)},
		{"no cap", strings.Repeat("a", 300), 0, strings.Repeat("a", 300)},
		{"empty", "", 64, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := Sanitize(c.in, c.max); got != c.want {
				t.Errorf("Sanitize(%q, %d) = %q, want %q", c.in, c.max, got, c.want)
			}
		})
	}
}

func TestEncodeWritesWhatJavaScriptWrites(t *testing.T) {
	at := time.Date(2026, 3, 21, 12, 0, 0, 7_000_000, time.FixedZone("x", 3600))
	cases := []struct {
		name string
		data map[string]any
		want string
	}{
		{"empty", nil, `{}`},
		{"html not escaped", map[string]any{"s": `<b>&"\`}, `{"s":"<b>&\"\\"}`},
		{"separators stripped", map[string]any{"s": "a\u2028b"}, `{"s":"ab"}`},
		{"sorted keys", map[string]any{"b": 1, "a": 2, "é": 3, "Z": 4}, `{"Z":4,"a":2,"b":1,"é":3}`},
		{"integral float", map[string]any{"n": 42.0, "z": math.Copysign(0, -1)}, `{"n":42,"z":0}`},
		{"safe integer limits", map[string]any{"max": int64(1<<53 - 1), "min": -(1<<53 - 1)}, `{"max":9007199254740991,"min":-9007199254740991}`},
		{"typed slices and maps", map[string]any{"l": []int{1, 2}, "m": map[string]bool{"x": true}}, `{"l":[1,2],"m":{"x":true}}`},
		{"nil values", map[string]any{"n": nil, "l": []string(nil)}, `{"l":[],"n":null}`},
		{"time", map[string]any{"t": at}, `{"t":"2026-03-21T11:00:00.007Z"}`},
		{"non-index digit keys", map[string]any{"01": 1, "4294967295": 2, "-1": 3}, `{"-1":3,"01":1,"4294967295":2}`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b, err := Encode(event.Event{ID: "evt_1", Type: "login", Time: at, Data: c.data})
			if err != nil {
				t.Fatal(err)
			}
			want := `{"id":"evt_1","event":"login","timestamp":"2026-03-21T11:00:00.007Z","data":` + c.want + `}`
			if string(b) != want {
				t.Errorf("got  %s\nwant %s", b, want)
			}
		})
	}
}

func TestEncodeRefusesWhatJavaScriptWouldChange(t *testing.T) {
	cases := []struct {
		name string
		data map[string]any
	}{
		{"fraction", map[string]any{"f": 1.5}},
		{"nan", map[string]any{"f": math.NaN()}},
		{"big int", map[string]any{"n": int64(1 << 53)}},
		{"big uint", map[string]any{"n": uint64(1 << 60)}},
		{"index key", map[string]any{"7": "x"}},
		{"index key nested", map[string]any{"m": map[string]any{"0": 1}}},
		{"unclean key", map[string]any{"a\nb": 1}},
		{"struct", map[string]any{"s": struct{ A int }{1}}},
		{"int map key", map[string]any{"m": map[int]string{1: "x"}}},
		{"func", map[string]any{"f": func() {}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Encode(event.Event{ID: "evt_1", Type: "login", Data: c.data})
			if !errors.Is(err, ErrUnencodable) {
				t.Fatalf("Encode error = %v, want ErrUnencodable", err)
			}
		})
	}
}

// checkBody asserts what every encoded body guarantees: valid JSON and
// UTF-8, no raw control characters or separators JSON.stringify would
// leave raw, and a fixed point: decoding and encoding again gives the
// same bytes.
func checkBody(t *testing.T, b []byte) {
	t.Helper()
	if !utf8.Valid(b) || !json.Valid(b) {
		t.Fatalf("invalid body %q", b)
	}
	for _, r := range string(b) {
		if r < 0x20 || r == 0x7f || r == '\u2028' || r == '\u2029' {
			t.Fatalf("body holds %U: %q", r, b)
		}
	}
	var e struct {
		ID   string         `json:"id"`
		Type string         `json:"event"`
		TS   string         `json:"timestamp"`
		Data map[string]any `json:"data"`
	}
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.UseNumber()
	if err := dec.Decode(&e); err != nil {
		t.Fatal(err)
	}
	ts, err := time.Parse(timestampLayout, e.TS)
	if err != nil {
		t.Fatal(err)
	}
	again, err := Encode(event.Event{ID: e.ID, Type: e.Type, Time: ts, Data: numbers(e.Data).(map[string]any)})
	if err != nil {
		t.Fatalf("re-encoding: %v", err)
	}
	if string(again) != string(b) {
		t.Fatalf("not a fixed point:\n%s\n%s", b, again)
	}
}

// numbers turns json.Number values back into int64.
func numbers(v any) any {
	switch x := v.(type) {
	case json.Number:
		n, _ := x.Int64()
		return n
	case map[string]any:
		for k, e := range x {
			x[k] = numbers(e)
		}
	case []any:
		for i, e := range x {
			x[i] = numbers(e)
		}
	}
	return v
}

func TestTrickyEventIsAFixedPoint(t *testing.T) {
	b, err := Encode(trickyEvent())
	if err != nil {
		t.Fatal(err)
	}
	checkBody(t, b)
}

func FuzzSanitize(f *testing.F) {
	for _, s := range []string{"", "alice@example.com", "a\x1b[0m\u2028\xff", "🦊\u200d🦊", strings.Repeat("é", 80)} {
		f.Add(s, 64)
	}
	f.Fuzz(func(t *testing.T, s string, max int) {
		max %= 300
		got := Sanitize(s, max)
		if !utf8.ValidString(got) {
			t.Fatalf("invalid UTF-8 %q", got)
		}
		for _, r := range got {
			if !unicode.IsPrint(r) {
				t.Fatalf("kept %U", r)
			}
		}
		if max > 0 && utf8.RuneCountInString(got) > max {
			t.Fatalf("%d runes > %d", utf8.RuneCountInString(got), max)
		}
		if Sanitize(got, max) != got {
			t.Fatalf("not idempotent on %q", s)
		}
	})
}

func FuzzEncode(f *testing.F) {
	f.Add("alice@example.com", "ua", int64(3), "reason")
	f.Add("\"<>&\u2028\x00\xff", "🦊\t", int64(-(1<<53 - 1)), "ключ")
	f.Add("", "", int64(0), "01")
	f.Fuzz(func(t *testing.T, email, ua string, n int64, key string) {
		data := map[string]any{"email": email, "ua": ua, "n": n % (1 << 53), "nested": map[string]any{"list": []any{ua, n % 1000}}}
		if Sanitize(key, MaxString) == key && !isArrayIndex(key) {
			data[key+"_"] = email // a suffix keeps it clear of the fixed keys
		}
		b, err := Encode(event.Event{ID: "evt_" + email, Type: ua, Time: time.Unix(n%1e10, 0), Data: data})
		if err != nil {
			t.Fatalf("Encode: %v", err)
		}
		checkBody(t, b)
	})
}
