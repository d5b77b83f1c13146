package static

import (
	"bytes"
	"flag"
	"image"
	"image/color"
	"image/png"
	"math"
	"os"
	"testing"
)

var updateIcons = flag.Bool("update-icons", false, "write the PNG icons drawn from favicon.svg's shapes")

// The PNG icons (the installed app's, the home screen's) are favicon.svg
// drawn at their sizes by drawIcon: TestIcons fails when a committed PNG
// is not what it draws, and go test ./static -run TestIcons -update-icons
// writes them again.
var icons = []struct {
	name     string
	size     int
	maskable bool
}{
	{"icon-192.png", 192, false},
	{"icon-512.png", 512, false},
	{"icon-maskable-512.png", 512, true},
	{"apple-touch-icon.png", 180, true}, // iOS rounds the corners itself
}

func TestIcons(t *testing.T) {
	for _, ic := range icons {
		var b bytes.Buffer
		if err := png.Encode(&b, drawIcon(ic.size, ic.maskable)); err != nil {
			t.Fatal(err)
		}
		if *updateIcons {
			if err := os.WriteFile(ic.name, b.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		got, err := os.ReadFile(ic.name)
		if err != nil || !bytes.Equal(got, b.Bytes()) {
			t.Errorf("%s is not what drawIcon draws (%v): run go test ./static -run TestIcons -update-icons", ic.name, err)
		}
		img, err := png.Decode(bytes.NewReader(got))
		if err != nil || img.Bounds().Dx() != ic.size || img.Bounds().Dy() != ic.size {
			t.Errorf("%s: not a %d×%d PNG (%v)", ic.name, ic.size, ic.size, err)
		}
	}
}

// drawIcon draws favicon.svg's shapes (a blue rounded square, a white
// envelope, its blue flap) at size×size, 4×4 samples a pixel. A maskable
// icon fills the square (the system cuts its own shape) and keeps the
// envelope inside the middle 80%, the safe zone.
func drawIcon(size int, maskable bool) *image.NRGBA {
	blue := [3]float64{0x1f, 0x5f, 0xae}
	white := [3]float64{0xff, 0xff, 0xff}
	img := image.NewNRGBA(image.Rect(0, 0, size, size))
	const n = 4
	for y := 0; y < size; y++ {
		for x := 0; x < size; x++ {
			var r, g, b, a float64
			for sy := 0; sy < n; sy++ {
				for sx := 0; sx < n; sx++ {
					// The sample in the SVG's 64×64 space.
					px := (float64(x) + (float64(sx)+0.5)/n) * 64 / float64(size)
					py := (float64(y) + (float64(sy)+0.5)/n) * 64 / float64(size)
					var c [3]float64
					inside := false
					if maskable {
						inside = true
						px, py = 32+(px-32)/0.8, 32+(py-32)/0.8 // the envelope in the safe zone
					} else {
						inside = inRoundRect(px, py, 0, 0, 64, 64, 14)
					}
					if !inside {
						continue
					}
					c = blue
					if inEnvelope(px, py) {
						c = white
						if flapDistance(px, py) <= 2 {
							c = blue
						}
					}
					r, g, b, a = r+c[0], g+c[1], b+c[2], a+1
				}
			}
			if a == 0 {
				continue
			}
			img.SetNRGBA(x, y, color.NRGBA{R: uint8(math.Round(r / a)), G: uint8(math.Round(g / a)), B: uint8(math.Round(b / a)),
				A: uint8(math.Round(a * 255 / (n * n)))})
		}
	}
	return img
}

func inRoundRect(x, y, x0, y0, x1, y1, r float64) bool {
	if x < x0 || x > x1 || y < y0 || y > y1 {
		return false
	}
	cx, cy := math.Max(x0+r, math.Min(x, x1-r)), math.Max(y0+r, math.Min(y, y1-r))
	return math.Hypot(x-cx, y-cy) <= r
}

// inEnvelope: M12 20h40v26a4 4 0 0 1-4 4H16a4 4 0 0 1-4-4z, a rectangle
// with its bottom corners rounded.
func inEnvelope(x, y float64) bool {
	if x < 12 || x > 52 || y < 20 || y > 50 {
		return false
	}
	return y <= 46 || inRoundRect(x, y, 12, 20, 52, 50, 4)
}

// flapDistance is the distance to M12 22l20 15 20-15 (butt ends, a round
// join).
func flapDistance(x, y float64) float64 {
	d := math.Min(segmentDistance(x, y, 12, 22, 32, 37), segmentDistance(x, y, 32, 37, 52, 22))
	return math.Min(d, math.Hypot(x-32, y-37))
}

func segmentDistance(x, y, x0, y0, x1, y1 float64) float64 {
	dx, dy := x1-x0, y1-y0
	t := ((x-x0)*dx + (y-y0)*dy) / (dx*dx + dy*dy)
	if t < 0 || t > 1 {
		return math.Inf(1)
	}
	return math.Hypot(x-(x0+t*dx), y-(y0+t*dy))
}
