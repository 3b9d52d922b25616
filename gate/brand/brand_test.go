package brand

import (
	"bytes"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A 1×1 PNG.
var pngPixel = []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82")

func writeFile(t *testing.T, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestLoadAcceptsImagesBySniffingNotByName(t *testing.T) {
	tests := map[string]struct {
		data []byte
		want string
	}{
		"png":       {pngPixel, "image/png"},
		"svg":       {[]byte(`<svg xmlns="http://www.w3.org/2000/svg"/>`), "image/svg+xml"},
		"xml svg":   {[]byte(`<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"/>`), "image/svg+xml"},
		"gif":       {[]byte("GIF89a\x01\x00\x01\x00\x00\x00\x00;"), "image/gif"},
		"html":      {[]byte("<html><script>alert(1)</script></html>"), ""},
		"text":      {[]byte("hello"), ""},
		"empty":     {nil, ""},
		"png named": {[]byte("not an image"), ""},
	}
	for name, tc := range tests {
		b, err := Load(Config{Logo: writeFile(t, "logo.png", tc.data)})
		if tc.want == "" {
			if !errors.Is(err, ErrLogoType) {
				t.Errorf("%s: err = %v, want ErrLogoType", name, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		rec := httptest.NewRecorder()
		b.ServeLogo(rec, httptest.NewRequest("GET", "/logo", nil))
		if got := rec.Header().Get("Content-Type"); got != tc.want {
			t.Errorf("%s: Content-Type %q, want %q", name, got, tc.want)
		}
		if !bytes.Equal(rec.Body.Bytes(), tc.data) {
			t.Errorf("%s: served other bytes", name)
		}
		if !strings.Contains(rec.Header().Get("Content-Security-Policy"), "sandbox") {
			t.Errorf("%s: logo served without a sandboxing CSP", name)
		}
	}
}

func TestLoadRefusesLargeAndMissingLogos(t *testing.T) {
	big := append(append([]byte{}, pngPixel...), make([]byte, MaxLogoBytes)...)
	if _, err := Load(Config{Logo: writeFile(t, "big.png", big)}); !errors.Is(err, ErrLogoTooLarge) {
		t.Fatalf("large logo: %v", err)
	}
	if _, err := Load(Config{Logo: filepath.Join(t.TempDir(), "none.png")}); err == nil || !strings.Contains(err.Error(), "opening logo") {
		t.Fatalf("missing logo: %v", err)
	}
}

func TestAccentMustBeHexColour(t *testing.T) {
	for _, bad := range []string{"red", "#fff", "#12345g", "123456", "#1234567", "#12345;}", "#00000\n"} {
		if _, err := Load(Config{Accent: bad}); !errors.Is(err, ErrAccent) {
			t.Errorf("accent %q accepted (%v)", bad, err)
		}
	}
	b, err := Load(Config{Accent: "#0B5FFF"})
	if err != nil {
		t.Fatal(err)
	}
	if b.Accent() != "#0b5fff" || b.CSSVersion() == "" {
		t.Fatalf("accent %q, css version %q", b.Accent(), b.CSSVersion())
	}
}

// TestAccentCSSKeepsContrast checks that any accent, however pale or
// dark, is adjusted to AA contrast on both card colours.
func TestAccentCSSKeepsContrast(t *testing.T) {
	for _, accent := range []string{"#ffff00", "#ffffff", "#000000", "#0b5fff", "#ff6600", "#808080", "#123456"} {
		css := string(accentCSS(accent))
		var light, dark string
		if _, err := fmtSscan(css, &light, &dark); err != nil {
			t.Fatalf("%s: %v in %q", accent, err, css)
		}
		l, _ := parseHex(light)
		d, _ := parseHex(dark)
		if c := contrast(l, lightCard); c < 4.5 {
			t.Errorf("%s: light accent %s has contrast %.2f", accent, light, c)
		}
		if c := contrast(l, rgb{255, 255, 255}); c < 4.5 {
			t.Errorf("%s: white on light accent %s has contrast %.2f", accent, light, c)
		}
		if c := contrast(d, darkCard); c < 4.5 {
			t.Errorf("%s: dark accent %s has contrast %.2f", accent, dark, c)
		}
		if strings.ContainsAny(css, "<\\\"'") {
			t.Errorf("%s: stylesheet holds markup: %q", accent, css)
		}
	}
}

// fmtSscan pulls the two --accent values out of the stylesheet.
func fmtSscan(css string, light, dark *string) (int, error) {
	parts := strings.Split(css, "--accent:")
	if len(parts) != 3 {
		return 0, errors.New("want two --accent values")
	}
	*light, *dark = parts[1][:7], parts[2][:7]
	return 2, nil
}

func TestMergeFallsBackOptionByOption(t *testing.T) {
	logo := writeFile(t, "logo", pngPixel)
	global, err := Load(Config{Title: "Example Corp", Logo: logo, Accent: "#aa0000"})
	if err != nil {
		t.Fatal(err)
	}
	site, err := Load(Config{Title: "Ops centre"})
	if err != nil {
		t.Fatal(err)
	}
	m := Merge(site, global)
	if m.Title() != "Ops centre" || m.Accent() != "#aa0000" || m.LogoVersion() == "" {
		t.Fatalf("merged %q %q %q", m.Title(), m.Accent(), m.LogoVersion())
	}
	if got := Merge(nil, nil); got.Title() != "" || got.LogoVersion() != "" || got.CSSVersion() != "" {
		t.Fatal("empty merge is not empty")
	}
	rec := httptest.NewRecorder()
	Merge(nil, nil).ServeCSS(rec, httptest.NewRequest("GET", "/", nil))
	if rec.Code != http.StatusNotFound {
		t.Fatalf("no accent: %d", rec.Code)
	}
	rec = httptest.NewRecorder()
	req := httptest.NewRequest("GET", "/", nil)
	req.Header.Set("If-None-Match", `"`+m.CSSVersion()+`"`)
	m.ServeCSS(rec, req)
	if rec.Code != http.StatusNotModified {
		t.Fatalf("etag: %d", rec.Code)
	}
}

func TestTitleIsCleanedAndBounded(t *testing.T) {
	b, err := Load(Config{Title: "Ops\x00 centre" + strings.Repeat("x", 200)})
	if err != nil {
		t.Fatal(err)
	}
	if strings.ContainsRune(b.Title(), 0) || len([]rune(b.Title())) > MaxTitleLen {
		t.Fatalf("title %q", b.Title())
	}
}

// accentVars reads the custom properties of the light and the dark
// scheme out of an accent stylesheet.
func accentVars(t *testing.T, css string) (light, dark map[string]rgb) {
	t.Helper()
	blocks := strings.Split(css, "@media (prefers-color-scheme: dark)")
	if len(blocks) != 2 {
		t.Fatalf("want a light and a dark block: %q", css)
	}
	read := func(block string) map[string]rgb {
		vars := map[string]rgb{}
		start, end := strings.Index(block, ":root{"), strings.Index(block, "}")
		for _, decl := range strings.Split(block[start+len(":root{"):end], ";") {
			name, value, _ := strings.Cut(decl, ":")
			if c, ok := parseHex(value); ok {
				vars[name] = c
			}
		}
		return vars
	}
	return read(blocks[0]), read(blocks[1])
}

// TestAccentTagTextKeepsContrast checks, for every accent of a sweep of
// the colour cube, that the small text of a tag (--accent-text on
// --accent-soft) reads at 4.5:1 in both schemes.
func TestAccentTagTextKeepsContrast(t *testing.T) {
	steps := []int{0x00, 0x33, 0x66, 0x99, 0xcc, 0xff}
	accents := []string{"#0b5fff", "#aa3300", "#7fb0ff", "#ffff00", "#00ffff", "#0b1320"}
	for _, r := range steps {
		for _, g := range steps {
			for _, b := range steps {
				accents = append(accents, rgb{float64(r), float64(g), float64(b)}.hex())
			}
		}
	}
	for _, accent := range accents {
		light, dark := accentVars(t, string(accentCSS(accent)))
		for scheme, vars := range map[string]map[string]rgb{"light": light, "dark": dark} {
			text, ok := vars["--accent-text"]
			soft, ok2 := vars["--accent-soft"]
			if !ok || !ok2 {
				t.Fatalf("%s, %s scheme: no --accent-text or --accent-soft in %q", accent, scheme, accentCSS(accent))
			}
			if c := contrast(text, soft); c < 4.5 {
				t.Errorf("%s, %s scheme: tag text %s on %s has contrast %.2f", accent, scheme, text.hex(), soft.hex(), c)
			}
		}
	}
}
