package main

import (
	"io"
	"strings"
	"testing"
	"time"
)

func TestParseFlags(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		check   func(options) bool
		wantErr string
	}{
		{
			name: "defaults: 7 rounds of 3 s at 32 and 1 connections",
			args: nil,
			check: func(o options) bool {
				return o.rounds == 7 && o.duration == 3*time.Second && o.conns == 32 && o.threads == 2 && o.out == "bench/RESULTS.md"
			},
		},
		{
			name: "overrides",
			args: []string{"-rounds", "3", "-duration", "2s", "-conns", "8", "-threads", "4", "-out", ""},
			check: func(o options) bool {
				return o.rounds == 3 && o.duration == 2*time.Second && o.conns == 8 && o.threads == 4 && o.out == ""
			},
		},
		{name: "zero rounds", args: []string{"-rounds", "0"}, wantErr: "-rounds"},
		{name: "sub-second runs", args: []string{"-duration", "500ms"}, wantErr: "-duration"},
		{name: "no connections", args: []string{"-conns", "0"}, wantErr: "-conns"},
		{name: "more threads than connections", args: []string{"-conns", "2", "-threads", "3"}, wantErr: "-threads"},
		{name: "unknown flag", args: []string{"-fast"}, wantErr: "not defined"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o, err := parseFlags(tt.args, io.Discard)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("parseFlags(%q): error %v, want one containing %q", tt.args, err, tt.wantErr)
				}
				return
			}
			if err != nil || !tt.check(o) {
				t.Fatalf("parseFlags(%q) = %+v, %v", tt.args, o, err)
			}
		})
	}
}

func TestConnLevels(t *testing.T) {
	if got := connLevels(options{conns: 32}); len(got) != 2 || got[0] != 32 || got[1] != 1 {
		t.Fatalf("connLevels(32) = %v, want [32 1]", got)
	}
	if got := connLevels(options{conns: 1}); len(got) != 1 || got[0] != 1 {
		t.Fatalf("connLevels(1) = %v, want [1]", got)
	}
}

func TestCommandLineQuotesForTheShell(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{nil, "go run ./bench"},
		{[]string{"-rounds", "3", "-out=bench/RESULTS.md"}, "go run ./bench -rounds 3 -out=bench/RESULTS.md"},
		{[]string{"-note", "busy machine; don't trust"}, `go run ./bench -note 'busy machine; don'\''t trust'`},
		{[]string{"-out", ""}, "go run ./bench -out ''"},
	}
	for _, tt := range tests {
		if got := commandLine(tt.args); got != tt.want {
			t.Errorf("commandLine(%q) = %s, want %s", tt.args, got, tt.want)
		}
	}
}
