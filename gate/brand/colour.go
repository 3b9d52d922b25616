package brand

import (
	"fmt"
	"math"
	"strconv"
)

// rgb is a colour with channels in 0..255.
type rgb struct{ r, g, b float64 }

// parseHex reads "#rrggbb".
func parseHex(s string) (rgb, bool) {
	if len(s) != 7 || s[0] != '#' {
		return rgb{}, false
	}
	v, err := strconv.ParseUint(s[1:], 16, 32)
	if err != nil {
		return rgb{}, false
	}
	return rgb{float64(v >> 16 & 0xff), float64(v >> 8 & 0xff), float64(v & 0xff)}, true
}

func (c rgb) hex() string {
	ch := func(v float64) int { return int(math.Round(math.Max(0, math.Min(255, v)))) }
	return fmt.Sprintf("#%02x%02x%02x", ch(c.r), ch(c.g), ch(c.b))
}

// luminance is the WCAG relative luminance.
func (c rgb) luminance() float64 {
	lin := func(v float64) float64 {
		v /= 255
		if v <= 0.03928 {
			return v / 12.92
		}
		return math.Pow((v+0.055)/1.055, 2.4)
	}
	return 0.2126*lin(c.r) + 0.7152*lin(c.g) + 0.0722*lin(c.b)
}

// contrast is the WCAG contrast ratio of two colours.
func contrast(a, b rgb) float64 {
	la, lb := a.luminance(), b.luminance()
	if la < lb {
		la, lb = lb, la
	}
	return (la + 0.05) / (lb + 0.05)
}

// mix returns c moved towards to by t (0..1).
func mix(c, to rgb, t float64) rgb {
	return rgb{c.r + (to.r-c.r)*t, c.g + (to.g-c.g)*t, c.b + (to.b-c.b)*t}
}

// readableOn returns c, moved towards black or white only as far as
// needed for 4.5:1 contrast on background bg (the WCAG AA level for
// text).
func readableOn(c, bg rgb) rgb {
	to := rgb{0, 0, 0}
	if bg.luminance() < 0.2 {
		to = rgb{255, 255, 255}
	}
	for t := 0.0; t <= 1; t += 0.02 {
		if m := mix(c, to, t); contrast(m, bg) >= 4.6 {
			return m
		}
	}
	return to
}

// The page backgrounds the accent must read on: the light and dark
// card colours of gate.css.
var (
	lightCard = rgb{255, 255, 255}
	darkCard  = rgb{0x18, 0x21, 0x2b}
)

// accentCSS is the stylesheet of an accent colour: the colour as given
// where it reads on the light card, darkened (or, in the dark scheme,
// lightened) just enough where it does not, so links, buttons and the
// number keep AA contrast in both schemes. Its soft tint, behind the
// small text of tags, is lighter (darker) than the card's contrast
// allows for the accent itself: that text is the accent moved on again
// until it reads on the tint (--accent-text).
func accentCSS(accent string) []byte {
	c, _ := parseHex(accent)
	light := readableOn(c, lightCard)
	dark := readableOn(c, darkCard)
	lightSoft, darkSoft := mix(light, lightCard, 0.88), mix(dark, darkCard, 0.8)
	return fmt.Appendf(nil, ":root{--accent:%s;--accent-fg:#fff;--accent-soft:%s;--accent-text:%s}\n"+
		"@media (prefers-color-scheme: dark){:root{--accent:%s;--accent-fg:#0b1320;--accent-soft:%s;--accent-text:%s}}\n",
		light.hex(), lightSoft.hex(), readableOn(light, lightSoft).hex(),
		dark.hex(), darkSoft.hex(), readableOn(dark, darkSoft).hex())
}
