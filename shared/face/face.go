package face

import (
	"fmt"

	"github.com/divinepic/pipeline/shared/domain"

	"github.com/divinepic/pipeline/shared/imaging"
)

// DecodeLongSide is the smallest long side a photo should be decoded at for
// the engine: detection runs on a 640-pixel version, alignment samples the
// face chip from this one.
const DecodeLongSide = 1280

// ChipSize is the side of an aligned face chip (the ArcFace template's).
const ChipSize = 112

// ChipBytes is the length of a Chip.
const ChipBytes = ChipSize * ChipSize * 3

// Face is one detected face (domain.Face, the one face type with its JSON
// shape). Box and Landmarks are in the original upright photo's pixels;
// Embedding is nil until embedded.
type Face = domain.Face

// Chip is an aligned 112x112 face: raw RGB bytes, row-major, 3 bytes a
// pixel, len == ChipBytes. It is its own serialised form (store it as is,
// or encode c.RGB() as PNG).
type Chip []byte

// RGB views the chip as an image (sharing its bytes).
func (c Chip) RGB() *imaging.RGB {
	return &imaging.RGB{W: ChipSize, H: ChipSize, Pix: c, Scale: 1, OrigW: ChipSize, OrigH: ChipSize}
}

// Valid reports whether c has the right length.
func (c Chip) Valid() error {
	if len(c) != ChipBytes {
		return fmt.Errorf("face chip has %d bytes, want %d (112x112 RGB)", len(c), ChipBytes)
	}
	return nil
}

// ChipFromRGB takes an already aligned face (a photo cropped and aligned to
// the ArcFace template, like LFW-style 112x112 crops) as a chip. Images of
// another size are resized to 112x112 bilinearly; they must already be
// aligned for the embedding to mean anything.
func ChipFromRGB(img *imaging.RGB) (Chip, error) {
	if img == nil || img.W <= 0 || img.H <= 0 || len(img.Pix) != img.W*img.H*3 {
		return nil, fmt.Errorf("face chip from image: empty or inconsistent image")
	}
	c := make(Chip, ChipBytes)
	if img.W == ChipSize && img.H == ChipSize {
		copy(c, img.Pix)
		return c, nil
	}
	resizeInto(c, ChipSize, ChipSize, img)
	return c, nil
}
