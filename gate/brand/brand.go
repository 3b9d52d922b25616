// Package brand is how a protected site names itself on the gate: a
// title, an optional logo (a small image file the gate serves) and an
// optional accent colour (served as a small stylesheet, so the pages keep
// their strict Content-Security-Policy with no inline style). A site's
// brand falls back, option by option, to the global one.
package brand

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"

	"github.com/authgate/authgate/gate/text"
)

// MaxLogoBytes bounds the logo file: a logo is shown at 28×28 to 64×64
// pixels and has no reason to be large.
const MaxLogoBytes = 256 << 10

// MaxTitleLen bounds a title, in characters.
const MaxTitleLen = 80

// Config is a brand as configured: every field may be empty.
type Config struct {
	// Title names the site on every gate page, in the browser tab and
	// on the phone's request card.
	Title string
	// Logo is the path of an image file (PNG, JPEG, GIF, WebP or SVG) of
	// at most MaxLogoBytes.
	Logo string
	// Accent is a colour "#rrggbb".
	Accent string
}

// Brand is a loaded brand, ready to be shown and served. The zero value
// (and nil) is "no brand": the gate's own look.
type Brand struct {
	title    string
	logo     []byte
	logoType string
	logoTag  string
	accent   string
	css      []byte
	cssTag   string
}

// Errors of Load, wrapped with the option's details.
var (
	ErrLogoTooLarge = errors.New("logo file is too large")
	ErrLogoType     = errors.New("logo must be a PNG, JPEG, GIF, WebP or SVG image")
	ErrAccent       = errors.New("accent must be a colour written #rrggbb")
)

// Load reads the logo file and checks the accent colour.
func Load(c Config) (*Brand, error) {
	b := &Brand{title: text.Clean(c.Title, MaxTitleLen)}
	if c.Accent != "" {
		if err := ValidAccent(c.Accent); err != nil {
			return nil, err
		}
		b.accent = strings.ToLower(c.Accent)
		b.css = accentCSS(b.accent)
		b.cssTag = tag(b.css)
	}
	if c.Logo != "" {
		data, typ, err := readLogo(c.Logo)
		if err != nil {
			return nil, err
		}
		b.logo, b.logoType, b.logoTag = data, typ, tag(data)
	}
	return b, nil
}

// ValidAccent reports whether s is a colour written #rrggbb.
func ValidAccent(s string) error {
	if _, ok := parseHex(s); !ok {
		return fmt.Errorf("%w, not %q", ErrAccent, s)
	}
	return nil
}

// readLogo reads at most MaxLogoBytes of an image file and names its
// media type from its first bytes (never from its name).
func readLogo(path string) ([]byte, string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, "", fmt.Errorf("opening logo: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxLogoBytes+1))
	if err != nil {
		return nil, "", fmt.Errorf("reading logo %s: %w", path, err)
	}
	if len(data) > MaxLogoBytes {
		return nil, "", fmt.Errorf("%w: %s is over %d KiB", ErrLogoTooLarge, path, MaxLogoBytes>>10)
	}
	typ := sniffImage(data)
	if typ == "" {
		return nil, "", fmt.Errorf("%w: %s", ErrLogoType, path)
	}
	return data, typ, nil
}

// sniffImage returns the media type of an image, or "" for anything
// else.
func sniffImage(data []byte) string {
	switch t := http.DetectContentType(data); t {
	case "image/png", "image/jpeg", "image/gif", "image/webp":
		return t
	}
	head := bytes.ToLower(bytes.TrimSpace(data[:min(len(data), 1024)]))
	if bytes.HasPrefix(head, []byte("<svg")) || (bytes.HasPrefix(head, []byte("<?xml")) && bytes.Contains(head, []byte("<svg"))) {
		return "image/svg+xml"
	}
	return ""
}

func tag(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:6])
}

// Merge returns site with every unset option taken from global; either
// may be nil.
func Merge(site, global *Brand) *Brand {
	if site == nil {
		site = &Brand{}
	}
	if global == nil {
		return site
	}
	out := *site
	if out.title == "" {
		out.title = global.title
	}
	if out.logo == nil {
		out.logo, out.logoType, out.logoTag = global.logo, global.logoType, global.logoTag
	}
	if out.accent == "" {
		out.accent, out.css, out.cssTag = global.accent, global.css, global.cssTag
	}
	return &out
}

// Title returns the configured title, or "" when none is.
func (b *Brand) Title() string {
	if b == nil {
		return ""
	}
	return b.title
}

// Accent returns the configured accent colour, or "".
func (b *Brand) Accent() string {
	if b == nil {
		return ""
	}
	return b.accent
}

// LogoVersion returns a short hash of the logo for cache-busting URLs,
// or "" when there is no logo.
func (b *Brand) LogoVersion() string {
	if b == nil {
		return ""
	}
	return b.logoTag
}

// CSSVersion returns a short hash of the accent stylesheet, or "" when
// there is no accent colour.
func (b *Brand) CSSVersion() string {
	if b == nil {
		return ""
	}
	return b.cssTag
}

// ServeLogo answers with the logo image, or 404 when there is none. An
// SVG logo opened directly can run nothing: it is sandboxed by its own
// Content-Security-Policy.
func (b *Brand) ServeLogo(w http.ResponseWriter, r *http.Request) {
	if b == nil || b.logo == nil {
		http.NotFound(w, r)
		return
	}
	serve(w, r, b.logo, b.logoType, b.logoTag)
}

// ServeCSS answers with the accent stylesheet, or 404 when there is no
// accent colour.
func (b *Brand) ServeCSS(w http.ResponseWriter, r *http.Request) {
	if b == nil || b.css == nil {
		http.NotFound(w, r)
		return
	}
	serve(w, r, b.css, "text/css; charset=utf-8", b.cssTag)
}

func serve(w http.ResponseWriter, r *http.Request, data []byte, typ, etag string) {
	h := w.Header()
	h.Set("Content-Type", typ)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; sandbox")
	h.Set("Cache-Control", "public, max-age=3600")
	h.Set("ETag", `"`+etag+`"`)
	if r.Header.Get("If-None-Match") == `"`+etag+`"` {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	_, _ = w.Write(data)
}
