package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestSpliceGenerated(t *testing.T) {
	sec := generatedBegin + "\nnew\n" + generatedEnd
	tests := []struct {
		name    string
		old     string
		want    string
		wantErr bool
	}{
		{name: "new file gets a header", old: "", want: resultsHeader + sec + "\n"},
		{name: "file without markers gets the section appended", old: "# Notes\nkeep", want: "# Notes\nkeep\n\n" + sec + "\n"},
		{
			name: "section replaced, text around it kept",
			old:  "head\n" + generatedBegin + "\nold\n" + generatedEnd + "\ntail\n",
			want: "head\n" + sec + "\ntail\n",
		},
		{name: "only a begin marker", old: generatedBegin + "\nold", wantErr: true},
		{name: "only an end marker", old: "old\n" + generatedEnd, wantErr: true},
		{name: "markers reversed", old: generatedEnd + "\n" + generatedBegin, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := spliceGenerated(tt.old, sec)
			if tt.wantErr {
				if err == nil {
					t.Fatalf("spliceGenerated accepted %q", tt.old)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("spliceGenerated = %q, %v\nwant %q", got, err, tt.want)
			}
		})
	}
}

func TestRewritingResultsTwiceIsStable(t *testing.T) {
	path := filepath.Join(t.TempDir(), "RESULTS.md")
	r := report{
		command: "go run ./bench", opts: options{rounds: 1, duration: time.Second, conns: 2},
		setups: []setup{{key: setupPlain, title: "plain"}},
		rows:   []row{{setup: setup{key: setupPlain}, conns: 2, rounds: 1, rps: 100, rpsRatio: 1}},
	}
	for i := 0; i < 2; i++ {
		if err := writeResults(path, r.section()); err != nil {
			t.Fatal(err)
		}
	}
	once, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := writeResults(path, r.section()); err != nil {
		t.Fatal(err)
	}
	twice, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(once) != string(twice) || strings.Count(string(twice), generatedBegin) != 1 {
		t.Fatalf("rewriting changed the file:\n%s\n---\n%s", once, twice)
	}
	if !strings.Contains(string(twice), "| plain | 2 | 100 | ×1.00 |") {
		t.Fatalf("results lack the table row:\n%s", twice)
	}
}

func TestFormatting(t *testing.T) {
	tests := []struct{ got, want string }{
		{fmtDur(1500 * time.Nanosecond), "1.5 µs"},
		{fmtDur(2500 * time.Microsecond), "2.50 ms"},
		{fmtSignedDur(-3 * time.Microsecond), "−3.0 µs"},
		{fmtSignedDur(3 * time.Microsecond), "+3.0 µs"},
		{fmtRatio(0.5), "×0.50"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("got %q, want %q", tt.got, tt.want)
		}
	}
}
