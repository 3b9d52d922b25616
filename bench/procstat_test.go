package main

import (
	"os"
	"strings"
	"testing"
	"time"
)

func TestParseStatCPU(t *testing.T) {
	// Fields 3..15 after the command name: state ppid pgrp session tty_nr
	// tpgid flags minflt cminflt majflt cmajflt utime stime.
	tail := " S 1 2 3 0 -1 4194304 100 0 0 0 250 50 0 0 20 0 12 0 1000"
	tests := []struct {
		name    string
		stat    string
		want    int64
		wantErr string
	}{
		{name: "plain command", stat: "1234 (caddy)" + tail, want: 300},
		{name: "spaces and parentheses in the name", stat: "1234 (a) b (c))" + tail, want: 300},
		{name: "no command name", stat: "1234 caddy" + tail, wantErr: "no command name"},
		{name: "cut short", stat: "1234 (caddy) S 1 2 3", wantErr: "fields"},
		{name: "utime not a number", stat: "1234 (caddy)" + strings.Replace(tail, " 250 ", " x ", 1), wantErr: "utime"},
		{name: "negative stime", stat: "1234 (caddy)" + strings.Replace(tail, " 50 ", " -50 ", 1), wantErr: "stime"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseStatCPU(tt.stat)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("parseStatCPU: error %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("parseStatCPU = %d, %v; want %d", got, err, tt.want)
			}
		})
	}
}

func TestCPUTimeOfThisProcessGrows(t *testing.T) {
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skip("no /proc on this system")
	}
	c := cpuReader{ticksPerSecond: clockTicks(t.Context())}
	pid := os.Getpid()
	before, err := c.cpuTime(pid)
	if err != nil {
		t.Fatal(err)
	}
	// Spin until the kernel has charged at least one tick more.
	x := 0
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); {
		for i := 0; i < 1_000_000; i++ {
			x += i
		}
		after, err := c.cpuTime(pid)
		if err != nil {
			t.Fatal(err)
		}
		if after > before {
			return
		}
	}
	t.Fatalf("CPU time stayed at %v after 10 s of spinning (%d)", before, x)
}

func FuzzParseStatCPU(f *testing.F) {
	f.Add("1234 (caddy) S 1 2 3 0 -1 4194304 100 0 0 0 250 50 0 0")
	f.Add("1 ()) ) ) 1 2 3 4 5 6 7 8 9 10 11 12")
	f.Add(")")
	f.Fuzz(func(t *testing.T, stat string) {
		if n, err := parseStatCPU(stat); err == nil && n < 0 {
			t.Fatalf("accepted a negative tick count %d from %q", n, stat)
		}
	})
}
