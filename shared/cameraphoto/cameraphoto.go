// Package cameraphoto makes JPEG files like those a camera writes, for the
// benchmarks and tests that must see what a photographer's files cost: 24
// megapixels (6000x4000), quality 94, 4:2:2 chroma, sensor-like noise, and an
// EXIF block with make, model, dates, the orientation and a 160x120
// thumbnail, as cameras write it. A photo is a scene (one of the test
// photos, enlarged) seen upright: for orientations 5-8 the pixels are stored
// turned, so that a decoder that applies the orientation gets the scene back
// upright. Everything is deterministic: the same options give the same bytes
// (for one libjpeg-turbo version).
//
// It owns making such files, nothing else: decoding and orientation belong
// to shared/imaging.
package cameraphoto

import (
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"time"

	"github.com/divinepic/pipeline/shared/imaging"
	"github.com/divinepic/pipeline/shared/locate"
)

// A 24-megapixel sensor (Sony, Nikon and Canon APS-C and full frame).
const (
	Width   = 6000
	Height  = 4000
	Quality = 94
)

// Options describe one photo. Zero values take the package defaults.
type Options struct {
	Width, Height int // the stored (sensor) size; default Width x Height
	Quality       int // default Quality
	// Orientation is the EXIF orientation (1-8; 0 means 1). The scene is
	// what the photo shows upright.
	Orientation int
	// Seed selects the noise; Taken is the capture time written to EXIF
	// (default 2026-06-20 14:00:00 plus Seed seconds).
	Seed  uint64
	Taken time.Time
	// NoiseSigma is the luminance noise's standard deviation in 8-bit
	// levels (default 5: a mid-to-high-ISO sensor after the camera's own
	// processing; chroma noise is half of it).
	NoiseSigma float64
}

func (o Options) withDefaults() Options {
	if o.Width <= 0 || o.Height <= 0 {
		o.Width, o.Height = Width, Height
	}
	if o.Quality <= 0 {
		o.Quality = Quality
	}
	if o.Orientation < 1 || o.Orientation > 8 {
		o.Orientation = 1
	}
	if o.Taken.IsZero() {
		o.Taken = time.Date(2026, 6, 20, 14, 0, 0, 0, time.UTC).Add(time.Duration(o.Seed) * time.Second)
	}
	if o.NoiseSigma == 0 {
		o.NoiseSigma = 5
	}
	return o
}

// Make returns the JPEG file of scene as a camera with opt would write it.
func Make(scene *imaging.RGB, opt Options) ([]byte, error) {
	opt = opt.withDefaults()
	uw, uh := opt.Width, opt.Height
	if opt.Orientation >= 5 {
		uw, uh = uh, uw
	}
	upright := Cover(scene, uw, uh)
	addNoise(upright, opt.Seed, opt.NoiseSigma)
	stored := imaging.Orient(upright, inverse[opt.Orientation])
	body, err := imaging.EncodeJPEG(stored, opt.Quality, imaging.Subsampling422)
	if err != nil {
		return nil, err
	}
	thumb, err := imaging.EncodeJPEG(imaging.ResizeBilinear(stored, 160, 120), 75, imaging.Subsampling420)
	if err != nil {
		return nil, err
	}
	return WithEXIF(body, EXIF{Orientation: opt.Orientation, Taken: opt.Taken, Width: opt.Width, Height: opt.Height, Thumbnail: thumb})
}

// inverse[o] is the orientation that undoes o's turn: storing
// Orient(upright, inverse[o]) makes Orient(stored, o) the upright image.
var inverse = [9]int{0, 1, 2, 3, 4, 5, 8, 7, 6}

// Cover resizes src to fill w x h, cropping the middle of the longer side so
// the scene keeps its proportions (enlarging as needed).
func Cover(src *imaging.RGB, w, h int) *imaging.RGB {
	cw, ch := src.W, src.W*h/w
	if ch > src.H {
		cw, ch = src.H*w/h, src.H
	}
	x0, y0 := (src.W-cw)/2, (src.H-ch)/2
	crop := &imaging.RGB{W: cw, H: ch, Pix: make([]uint8, cw*ch*3), Scale: 1}
	for y := 0; y < ch; y++ {
		copy(crop.Pix[y*cw*3:(y+1)*cw*3], src.Pix[((y0+y)*src.W+x0)*3:])
	}
	out := imaging.ResizeBilinear(crop, w, h)
	out.Scale, out.OrigW, out.OrigH = 1, w, h
	return out
}

// tileSize is the period of the noise pattern: prime, so no two 8x8 blocks
// of a photo see the same noise.
const tileSize = 1021

// addNoise adds sensor-like noise: luminance noise of sigma levels on all
// three channels and chroma noise of sigma/2 on each, from a tile of
// Gaussian values drawn from a PCG seeded with seed.
func addNoise(img *imaging.RGB, seed uint64, sigma float64) {
	rng := rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15))
	luma := make([]int8, tileSize*tileSize)
	chroma := make([]int8, 3*tileSize*tileSize)
	draw := func(s float64) int8 { return int8(max(-127, min(127, rng.NormFloat64()*s))) }
	for i := range luma {
		luma[i] = draw(sigma)
	}
	for i := range chroma {
		chroma[i] = draw(sigma / 2)
	}
	ox, oy := int(seed%tileSize), int(seed/tileSize%tileSize)
	for y := 0; y < img.H; y++ {
		row := img.Pix[y*img.W*3 : (y+1)*img.W*3]
		ty := (y + oy) % tileSize
		lrow, crow := luma[ty*tileSize:(ty+1)*tileSize], chroma[ty*tileSize*3:(ty+1)*tileSize*3]
		tx := ox
		for x := 0; x < img.W; x++ {
			l := int(lrow[tx])
			for c := 0; c < 3; c++ {
				v := int(row[3*x+c]) + l + int(crow[3*tx+c])
				row[3*x+c] = uint8(max(0, min(255, v)))
			}
			if tx++; tx == tileSize {
				tx = 0
			}
		}
	}
}

// EXIF is what WithEXIF writes.
type EXIF struct {
	Orientation   int
	Taken         time.Time
	Width, Height int    // the stored pixel size (PixelXDimension, PixelYDimension)
	Thumbnail     []byte // a small JPEG (IFD1), or none
}

// Make and model written to EXIF.
const (
	Maker = "DivinePic"
	Model = "Test Camera 24"
)

// WithEXIF returns the JPEG jpg with its APP0 (JFIF) segment, if any,
// replaced by an APP1 Exif segment holding e, as camera files begin.
func WithEXIF(jpg []byte, e EXIF) ([]byte, error) {
	if len(jpg) < 4 || jpg[0] != 0xFF || jpg[1] != 0xD8 {
		return nil, fmt.Errorf("cameraphoto: not a JPEG")
	}
	rest := jpg[2:]
	if len(rest) >= 4 && rest[0] == 0xFF && rest[1] == 0xE0 {
		rest = rest[2+int(binary.BigEndian.Uint16(rest[2:4])):]
	}
	tiff := tiffBlock(e)
	if 2+6+len(tiff) > 0xFFFF {
		return nil, fmt.Errorf("cameraphoto: EXIF block of %d bytes does not fit a JPEG segment", len(tiff))
	}
	out := make([]byte, 0, len(jpg)+len(tiff)+16)
	out = append(out, 0xFF, 0xD8, 0xFF, 0xE1)
	out = binary.BigEndian.AppendUint16(out, uint16(2+6+len(tiff)))
	out = append(out, "Exif\x00\x00"...)
	out = append(out, tiff...)
	return append(out, rest...), nil
}

// tiffBlock lays out a little-endian TIFF structure: IFD0 (make, model,
// orientation, resolution, date, the Exif IFD's offset), the Exif IFD
// (original date, pixel size), IFD1 (the thumbnail) and the thumbnail.
func tiffBlock(e EXIF) []byte {
	le := binary.LittleEndian
	short := func(v int) []byte { return le.AppendUint16(nil, uint16(v)) }
	long := func(v int) []byte { return le.AppendUint32(nil, uint32(v)) }
	ascii := func(s string) []byte { return append([]byte(s), 0) }
	rational := func(n, d int) []byte { return le.AppendUint32(le.AppendUint32(nil, uint32(n)), uint32(d)) }
	date := e.Taken.UTC().Format("2006:01:02 15:04:05")
	ifd0 := []entry{
		{0x010F, 2, ascii(Maker)}, {0x0110, 2, ascii(Model)}, {0x0112, 3, short(e.Orientation)},
		{0x011A, 5, rational(300, 1)}, {0x011B, 5, rational(300, 1)}, {0x0128, 3, short(2)},
		{0x0132, 2, ascii(date)}, {0x8769, 4, long(0)},
	}
	exif := []entry{{0x9003, 2, ascii(date)}, {0xA002, 4, long(e.Width)}, {0xA003, 4, long(e.Height)}}
	ifd1 := []entry{{0x0103, 3, short(6)}, {0x0201, 4, long(0)}, {0x0202, 4, long(len(e.Thumbnail))}}
	off0 := 8
	offExif := off0 + ifdSize(ifd0)
	offIFD1 := offExif + ifdSize(exif)
	offThumb := offIFD1 + ifdSize(ifd1)
	ifd0[7].data = long(offExif)
	ifd1[1].data = long(offThumb)
	next := offIFD1
	if len(e.Thumbnail) == 0 {
		next = 0
	}
	b := append([]byte("II*\x00"), long(off0)...)
	b = writeIFD(b, ifd0, next)
	b = writeIFD(b, exif, 0)
	if len(e.Thumbnail) > 0 {
		b = writeIFD(b, ifd1, 0)
		b = append(b, e.Thumbnail...)
	}
	return b
}

// entry is one TIFF field: tag, type (2 ASCII, 3 SHORT, 4 LONG, 5
// RATIONAL) and its value's little-endian bytes.
type entry struct {
	tag, typ uint16
	data     []byte
}

var typeSize = map[uint16]int{2: 1, 3: 2, 4: 4, 5: 8}

// ifdSize is the bytes an IFD takes with the values that do not fit in
// their entry (each padded to an even length).
func ifdSize(es []entry) int {
	n := 2 + 12*len(es) + 4
	for _, e := range es {
		if len(e.data) > 4 {
			n += len(e.data) + len(e.data)%2
		}
	}
	return n
}

// writeIFD appends the IFD at offset len(b), its long values right after it.
func writeIFD(b []byte, es []entry, next int) []byte {
	le := binary.LittleEndian
	data := len(b) + 2 + 12*len(es) + 4
	b = le.AppendUint16(b, uint16(len(es)))
	var extra []byte
	for _, e := range es {
		b = le.AppendUint16(b, e.tag)
		b = le.AppendUint16(b, e.typ)
		b = le.AppendUint32(b, uint32(len(e.data)/typeSize[e.typ]))
		if len(e.data) <= 4 {
			b = append(b, e.data...)
			b = append(b, make([]byte, 4-len(e.data))...)
			continue
		}
		b = le.AppendUint32(b, uint32(data+len(extra)))
		extra = append(extra, e.data...)
		if len(e.data)%2 == 1 {
			extra = append(extra, 0)
		}
	}
	b = le.AppendUint32(b, uint32(next))
	return append(b, extra...)
}

// Scenes are the test photos an album is made of (../shared/testdata):
// group photos and portraits, and one photo with no face, with the number
// of faces each shows (truth.json).
var Scenes = []struct {
	File  string
	Faces int
}{
	{"faces/t1.jpg", 6}, {"faces/Test7.jpg", 7}, {"faces/Test3.jpg", 3}, {"faces/Test1.jpg", 1}, {"faces/view.jpg", 0},
}

// orientations of an album's photos in turn: mostly landscape, some
// portrait either way, as a photographer's card holds them.
var orientations = []int{1, 1, 6, 1, 8}

// AlbumOptions describe an album.
type AlbumOptions struct {
	// Distinct is how many different pictures are made (0: one per
	// photo); the other photos repeat them with another capture time in
	// their EXIF, so every file's content differs. Making a picture costs
	// about half a second, repeating one a copy.
	Distinct int
	Photo    Options // size, quality and noise of every photo
}

// WriteAlbum writes n photos IMG_0001.JPG, IMG_0002.JPG, ... into dir, made
// from Scenes in turn (photo i from scene i mod len(Scenes), orientations
// in turn), and returns their paths.
func WriteAlbum(dir string, n int, opt AlbumOptions) ([]string, error) {
	testdata, err := locate.TestdataDir()
	if err != nil {
		return nil, err
	}
	if opt.Distinct <= 0 || opt.Distinct > n {
		opt.Distinct = n
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	scenes := map[string]*imaging.RGB{}
	made := make([][]byte, opt.Distinct) // the JPEG without its EXIF, per picture
	paths := make([]string, n)
	for i := 0; i < n; i++ {
		k := i % opt.Distinct
		po := opt.Photo
		po.Seed, po.Orientation = uint64(i), orientations[k%len(orientations)]
		po = po.withDefaults()
		if made[k] == nil {
			sc := Scenes[k%len(Scenes)].File
			if scenes[sc] == nil {
				b, err := os.ReadFile(filepath.Join(testdata, filepath.FromSlash(sc)))
				if err != nil {
					return nil, err
				}
				if scenes[sc], err = imaging.Decode(b, imaging.Options{}); err != nil {
					return nil, fmt.Errorf("%s: %w", sc, err)
				}
			}
			body, err := Make(scenes[sc], po)
			if err != nil {
				return nil, err
			}
			made[k] = body
		}
		body, err := Retime(made[k], po.Taken)
		if err != nil {
			return nil, err
		}
		paths[i] = filepath.Join(dir, fmt.Sprintf("IMG_%04d.JPG", i+1))
		if err := os.WriteFile(paths[i], body, 0o644); err != nil {
			return nil, err
		}
	}
	return paths, nil
}

var exifDate = regexp.MustCompile(`\d{4}:\d\d:\d\d \d\d:\d\d:\d\d\x00`)

// Retime returns a copy of a file Make wrote with the capture time of its
// EXIF block set to t: another file of the same picture, as a burst gives.
func Retime(jpg []byte, t time.Time) ([]byte, error) {
	if len(jpg) < 6 || jpg[2] != 0xFF || jpg[3] != 0xE1 {
		return nil, fmt.Errorf("cameraphoto: no EXIF segment first")
	}
	end := 4 + int(binary.BigEndian.Uint16(jpg[4:6]))
	out := append([]byte(nil), jpg...)
	date := []byte(t.UTC().Format("2006:01:02 15:04:05") + "\x00")
	for _, m := range exifDate.FindAllIndex(out[:end], -1) {
		copy(out[m[0]:m[1]], date)
	}
	return out, nil
}
