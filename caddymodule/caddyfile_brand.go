package caddymodule

import (
	"strings"

	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"

	"github.com/authgate/authgate/gate/brand"
)

// BrandConfig is how a site names itself on the gate; in the global
// block, the default of every site.
type BrandConfig struct {
	// Title names the site on every gate page, in the browser tab and on
	// the phone's request card. Default: the site's app_id, else its host.
	Title string `json:"title,omitempty"`
	// Logo is the path of a PNG, JPEG, GIF, WebP or SVG image of at most
	// 256 KiB, served by the gate. Placeholders ({env.X}) are expanded at
	// provision.
	Logo string `json:"logo,omitempty"`
	// Accent is the colour of buttons and links, "#rrggbb"; it is darkened
	// or lightened where needed to stay readable.
	Accent string `json:"accent,omitempty"`
}

// config returns the gate's form of the brand.
func (b BrandConfig) config() brand.Config {
	return brand.Config{Title: b.Title, Logo: b.Logo, Accent: b.Accent}
}

// expand expands placeholders in the logo path.
func (b *BrandConfig) expand(e expander) error {
	return e.into("logo", &b.Logo)
}

// unmarshalBrand reads one brand option (the dispenser is on its name):
//
//	title <text…>
//	logo <file>
//	accent "#rrggbb"
func unmarshalBrand(d *caddyfile.Dispenser, b *BrandConfig) error {
	switch opt := d.Val(); opt {
	case "title":
		args := d.RemainingArgs()
		if len(args) == 0 {
			return d.Errf("title: want the site's name, e.g. title \"Ops centre\"")
		}
		b.Title = strings.Join(args, " ")
		if len([]rune(b.Title)) > brand.MaxTitleLen {
			return d.Errf("title: at most %d characters", brand.MaxTitleLen)
		}
	case "logo":
		return placeholderArg(d, &b.Logo)
	case "accent":
		// A bare # starts a Caddyfile comment: the colour is written
		// quoted ("#0b5fff"), or without its # (0b5fff).
		args := d.RemainingArgs()
		if len(args) != 1 {
			return d.Errf(`accent: want one colour, quoted since # starts a comment: accent "#0b5fff"`)
		}
		b.Accent = args[0]
		if !strings.HasPrefix(b.Accent, "#") {
			b.Accent = "#" + b.Accent
		}
		if err := brand.ValidAccent(b.Accent); err != nil {
			return d.Errf("accent: %q is not a colour: want six hex digits, as \"#0b5fff\"", args[0])
		}
	}
	return nil
}
