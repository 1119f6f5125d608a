package imaging

import (
	"bytes"
	"image"
	"image/jpeg"
	"testing"
)

// Run: go test -run=^$ -bench . -benchmem ./shared/imaging/
//
// Each photo is decoded, oriented and resized so its long side is 640 (the
// detector input), three ways in the same run:
//   fast:      Decode with MinLongSide 1280 (libjpeg-turbo DCT scaling; the
//              face engine's call) then ResizeBilinear
//   fast-full: Decode at full size through libjpeg-turbo, then resize
//   stdlib:    image/jpeg at full size, conversion to RGB, orient, resize
// The target: fast <= 1/4 of stdlib on 12+ megapixel photos.

// make12MP re-encodes the 23 MP t1 enlargement at 4240x2935 (12.4 MP).
func make12MP(b *testing.B) []byte {
	b.Helper()
	src, err := Decode(testdata(b, "formats/large_t1_5779x4000.jpg"), Options{})
	if err != nil {
		b.Fatal(err)
	}
	m := ResizeBilinear(src, 4240, 2935)
	img := image.NewRGBA(image.Rect(0, 0, m.W, m.H))
	for i := 0; i < m.W*m.H; i++ {
		copy(img.Pix[4*i:], m.Pix[3*i:3*i+3])
		img.Pix[4*i+3] = 255
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 90}); err != nil {
		b.Fatal(err)
	}
	return buf.Bytes()
}

func fit640(m *RGB) *RGB {
	w, h := 640, 640
	if m.W >= m.H {
		h = max(1, m.H*640/m.W)
	} else {
		w = max(1, m.W*640/m.H)
	}
	return ResizeBilinear(m, w, h)
}

func BenchmarkDecodeResize640(b *testing.B) {
	photos := []struct {
		name string
		data func(b *testing.B) []byte
	}{
		{"t1_23MP", func(b *testing.B) []byte { return testdata(b, "formats/large_t1_5779x4000.jpg") }},
		{"t1_12MP", make12MP},
		{"Test3_1MP", func(b *testing.B) []byte { return testdata(b, "faces/Test3.jpg") }},
	}
	for _, p := range photos {
		b.Run(p.name, func(b *testing.B) {
			data := p.data(b)
			b.Run("fast", func(b *testing.B) {
				b.SetBytes(int64(len(data)))
				for b.Loop() {
					m, err := Decode(data, Options{MinLongSide: 1280})
					if err != nil {
						b.Fatal(err)
					}
					fit640(m)
				}
			})
			b.Run("fast-full", func(b *testing.B) {
				b.SetBytes(int64(len(data)))
				for b.Loop() {
					m, err := Decode(data, Options{})
					if err != nil {
						b.Fatal(err)
					}
					fit640(m)
				}
			})
			b.Run("stdlib", func(b *testing.B) {
				b.SetBytes(int64(len(data)))
				for b.Loop() {
					h, err := readHeader(data)
					if err != nil {
						b.Fatal(err)
					}
					m, err := jpeg.Decode(bytes.NewReader(data))
					if err != nil {
						b.Fatal(err)
					}
					fit640(Orient(toRGB(m), h.orientation))
				}
			})
		})
	}
}

// Orientation and resize alone, on the 1445x1000 image the face engine
// gets from the 23 MP photo.
func BenchmarkOrient6(b *testing.B) {
	m, err := Decode(testdata(b, "formats/large_t1_5779x4000.jpg"), Options{MinLongSide: 1280})
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		Orient(m, 6)
	}
}

func BenchmarkResize1445To640(b *testing.B) {
	m, err := Decode(testdata(b, "formats/large_t1_5779x4000.jpg"), Options{MinLongSide: 1280})
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		fit640(m)
	}
}

func BenchmarkDecodeOtherFormats(b *testing.B) {
	for _, f := range []string{"formats/test3.heic", "formats/test3.webp", "formats/test3_16bit.png", "formats/test3_cmyk.jpg", "formats/test3_progressive.jpg"} {
		data := testdata(b, f)
		b.Run(f[len("formats/"):], func(b *testing.B) {
			for b.Loop() {
				if _, err := Decode(data, Options{MinLongSide: 1280}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
