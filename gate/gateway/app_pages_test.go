package gateway

import (
	"testing"
	"time"
)

func TestHumanDuration(t *testing.T) {
	tests := []struct {
		d    time.Duration
		want string
	}{
		{0, "1 second"},
		{400 * time.Millisecond, "1 second"},
		{time.Second, "1 second"},
		{42 * time.Second, "42 seconds"},
		{59*time.Second + 400*time.Millisecond, "59 seconds"},
		{time.Minute, "about 1 minute"},
		{150 * time.Second, "about 3 minutes"},
		{59 * time.Minute, "about 59 minutes"},
		{59*time.Minute + 59*time.Second, "about 1 hour"},
		{59*time.Second + 700*time.Millisecond, "about 1 minute"},
		{time.Hour, "about 1 hour"},
		{100 * time.Minute, "about 2 hours"},
	}
	for _, tt := range tests {
		if got := humanDuration(tt.d); got != tt.want {
			t.Errorf("humanDuration(%v) = %q, want %q", tt.d, got, tt.want)
		}
	}
}
