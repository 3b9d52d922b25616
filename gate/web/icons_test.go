package web

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"testing"
)

// The app icons are drawn here, so that they can be remade at any size
// without an image editor: a blue rounded square with a white tick, the
// same picture as static/icon.svg. AUTHGATE_WRITE_ICONS=1 rewrites the
// PNG files; a normal run checks that the committed files are what this
// code draws.

var iconSizes = []int{192, 512}

// drawIcon draws the icon at size x size pixels, 4x4 supersampled.
func drawIcon(size int) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, size, size))
	blue := [3]float64{0x0b, 0x5f, 0xff}
	const ss = 4
	s := float64(size)
	// The tick, in units of the icon's side, as in icon.svg (viewBox 0 0 100 100).
	tick := [][2]float64{{0.28, 0.52}, {0.44, 0.68}, {0.73, 0.35}}
	for py := 0; py < size; py++ {
		for px := 0; px < size; px++ {
			var inside, white float64
			for sy := 0; sy < ss; sy++ {
				for sx := 0; sx < ss; sx++ {
					x := (float64(px) + (float64(sx)+0.5)/ss) / s
					y := (float64(py) + (float64(sy)+0.5)/ss) / s
					if !inRoundedSquare(x, y, 0.22) {
						continue
					}
					inside++
					if distToPolyline(x, y, tick) < 0.055 {
						white++
					}
				}
			}
			n := float64(ss * ss)
			a := inside / n
			if a == 0 {
				continue
			}
			wf := white / inside
			c := func(i int) uint8 { return uint8(math.Round(blue[i]*(1-wf) + 255*wf)) }
			img.SetNRGBA(px, py, color.NRGBA{c(0), c(1), c(2), uint8(math.Round(a * 255))})
		}
	}
	return img
}

// inRoundedSquare reports whether (x, y) lies in the unit square with
// corners rounded at radius r.
func inRoundedSquare(x, y, r float64) bool {
	if x < 0 || y < 0 || x > 1 || y > 1 {
		return false
	}
	cx := math.Min(math.Max(x, r), 1-r)
	cy := math.Min(math.Max(y, r), 1-r)
	return math.Hypot(x-cx, y-cy) <= r
}

func distToPolyline(x, y float64, pts [][2]float64) float64 {
	best := math.Inf(1)
	for i := 0; i+1 < len(pts); i++ {
		ax, ay, bx, by := pts[i][0], pts[i][1], pts[i+1][0], pts[i+1][1]
		dx, dy := bx-ax, by-ay
		t := ((x-ax)*dx + (y-ay)*dy) / (dx*dx + dy*dy)
		t = math.Max(0, math.Min(1, t))
		best = math.Min(best, math.Hypot(x-(ax+t*dx), y-(ay+t*dy)))
	}
	return best
}

func TestIconsAreWhatTheCodeDraws(t *testing.T) {
	for _, size := range iconSizes {
		path := filepath.Join("static", "icon-"+strconv.Itoa(size)+".png")
		want := drawIcon(size)
		if os.Getenv("AUTHGATE_WRITE_ICONS") == "1" {
			var buf bytes.Buffer
			if err := png.Encode(&buf, want); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		f, err := staticFS.Open(filepath.ToSlash(path))
		if err != nil {
			t.Fatalf("icon %s is not embedded (run with AUTHGATE_WRITE_ICONS=1): %v", path, err)
		}
		got, err := png.Decode(f)
		f.Close()
		if err != nil {
			t.Fatalf("icon %s: %v", path, err)
		}
		if got.Bounds() != want.Bounds() {
			t.Fatalf("icon %s is %v, want %v", path, got.Bounds(), want.Bounds())
		}
		for y := 0; y < size; y++ {
			for x := 0; x < size; x++ {
				if color.NRGBAModel.Convert(got.At(x, y)) != want.At(x, y) {
					t.Fatalf("icon %s differs at (%d,%d); run with AUTHGATE_WRITE_ICONS=1", path, x, y)
				}
			}
		}
	}
}
