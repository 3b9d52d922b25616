package web

import (
	"fmt"
	"strings"

	"rsc.io/qr"
)

// quietZone is the white border around a QR code, in modules; the
// standard asks for four.
const quietZone = 4

// QRPNG returns a PNG image of text as a QR code (error correction level
// M), scale pixels per module, with the standard four-module white
// border. It fails only if text is too long for any QR version.
func QRPNG(text string, scale int) ([]byte, error) {
	code, err := qr.Encode(text, qr.M)
	if err != nil {
		return nil, fmt.Errorf("encoding QR code: %w", err)
	}
	if scale < 1 {
		scale = 1
	}
	code.Scale = scale
	return code.PNG(), nil
}

// QRTerminal returns text as a QR code drawn for a terminal: two module
// rows per line with Unicode half blocks, dark modules in the
// foreground colour. With ansi set, every line forces black on white with
// ANSI escapes, so the code scans on dark and light terminals alike;
// without it the lines are plain text for a light background.
func QRTerminal(text string, ansi bool) (string, error) {
	code, err := qr.Encode(text, qr.M)
	if err != nil {
		return "", fmt.Errorf("encoding QR code: %w", err)
	}
	n := code.Size + 2*quietZone
	dark := func(x, y int) bool { return code.Black(x-quietZone, y-quietZone) }
	var b strings.Builder
	for y := 0; y < n; y += 2 {
		if ansi {
			b.WriteString("\x1b[30;47m")
		}
		for x := 0; x < n; x++ {
			top, bottom := dark(x, y), y+1 < n && dark(x, y+1)
			switch {
			case top && bottom:
				b.WriteString("█")
			case top:
				b.WriteString("▀")
			case bottom:
				b.WriteString("▄")
			default:
				b.WriteByte(' ')
			}
		}
		if ansi {
			b.WriteString("\x1b[0m")
		}
		b.WriteByte('\n')
	}
	return b.String(), nil
}
