package store

import (
	"encoding/json"
	"strconv"
	"testing"
	"time"
)

func TestEpochsAreFreshAndSurviveJSONAsADouble(t *testing.T) {
	seen := map[int64]bool{}
	for range 1000 {
		e := NewEpoch(time.Now())
		if e.ID <= 0 || e.ID >= 1<<53 || seen[e.ID] {
			t.Fatalf("epoch id %d: want fresh, positive and below 2^53", e.ID)
		}
		seen[e.ID] = true
		var claims map[string]any // as a JSON tool reads a token's claims
		if err := json.Unmarshal([]byte(`{"ep":`+strconv.FormatInt(e.ID, 10)+`}`), &claims); err != nil {
			t.Fatal(err)
		}
		if f, _ := claims["ep"].(float64); int64(f) != e.ID {
			t.Fatalf("epoch id %d read as the double %v", e.ID, claims["ep"])
		}
		back, err := ParseEpoch(e.String())
		if err != nil || back.ID != e.ID || back.CreatedAt.UnixMilli() != e.CreatedAt.UnixMilli() {
			t.Fatalf("ParseEpoch(%q) = %+v, %v", e.String(), back, err)
		}
	}
	for _, bad := range []string{"", "1", "x 1", "1 x", "0 1", "-1 1"} {
		if _, err := ParseEpoch(bad); err == nil {
			t.Errorf("ParseEpoch(%q) accepted", bad)
		}
	}
}
