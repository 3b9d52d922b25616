package web

import (
	"bytes"
	"image/png"
	"strings"
	"testing"

	"rsc.io/qr"
)

const testLink = "https://app.example.com/.authgate/app#enroll=3q2-7wAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"

func TestQRPNGIsTheCodeWithItsBorder(t *testing.T) {
	data, err := QRPNG(testLink, 4)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("not a PNG: %v", err)
	}
	code, _ := qr.Encode(testLink, qr.M)
	want := (code.Size + 2*quietZone) * 4
	if b := img.Bounds(); b.Dx() != want || b.Dy() != want {
		t.Fatalf("image is %v, want %dx%d", b, want, want)
	}
	// Every module is drawn as a 4x4 square in its place.
	for y := 0; y < code.Size; y++ {
		for x := 0; x < code.Size; x++ {
			r, _, _, _ := img.At((x+quietZone)*4+2, (y+quietZone)*4+2).RGBA()
			if dark := r < 0x8000; dark != code.Black(x, y) {
				t.Fatalf("module (%d,%d): dark=%v, want %v", x, y, dark, code.Black(x, y))
			}
		}
	}
}

func TestQRTerminalDrawsEveryModule(t *testing.T) {
	out, err := QRTerminal(testLink, false)
	if err != nil {
		t.Fatal(err)
	}
	code, _ := qr.Encode(testLink, qr.M)
	n := code.Size + 2*quietZone
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) != (n+1)/2 {
		t.Fatalf("%d lines, want %d", len(lines), (n+1)/2)
	}
	for row, line := range lines {
		cells := []rune(line)
		if len(cells) != n {
			t.Fatalf("line %d has %d cells, want %d", row, len(cells), n)
		}
		for x, c := range cells {
			top := code.Black(x-quietZone, 2*row-quietZone)
			bottom := code.Black(x-quietZone, 2*row+1-quietZone)
			want := map[[2]bool]rune{{true, true}: '█', {true, false}: '▀', {false, true}: '▄', {false, false}: ' '}[[2]bool{top, bottom}]
			if c != want {
				t.Fatalf("line %d cell %d = %q, want %q", row, x, c, want)
			}
		}
	}
	colored, _ := QRTerminal(testLink, true)
	if !strings.HasPrefix(colored, "\x1b[30;47m") || strings.Count(colored, "\x1b[0m") != len(lines) {
		t.Fatalf("ANSI form does not set black on white on every line")
	}
}

func TestQRRefusesTextTooLong(t *testing.T) {
	if _, err := QRPNG(strings.Repeat("x", 5000), 1); err == nil {
		t.Fatal("a 5000-byte text encoded as a QR code")
	}
}
