package imaging_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/divinepic/pipeline/shared/domain"
	"github.com/divinepic/pipeline/shared/imaging"
	"github.com/divinepic/pipeline/shared/locate"
)

// The face engine's use: decode a 23 MP photo at the DCT scale that keeps
// at least 1280 pixels on the long side, then resize for the detector.
// Coordinates found in either image map back to the photo by their Scale.
func Example() {
	dir, _ := locate.TestdataDir()
	data, _ := os.ReadFile(filepath.Join(dir, "formats", "large_t1_5779x4000.jpg"))

	img, err := imaging.Decode(data, imaging.Options{MinLongSide: 1280})
	if err != nil {
		fmt.Println(err)
		return
	}
	det := imaging.ResizeBilinear(img, 640, 443)
	fmt.Printf("decoded %dx%d (scale %g) of %dx%d\n", img.W, img.H, img.Scale, img.OrigW, img.OrigH)
	fmt.Printf("detector input %dx%d (scale %.3f)\n", det.W, det.H, det.Scale)

	_, err = imaging.Decode([]byte("hello"), imaging.Options{})
	var bad *domain.ImageUnreadable
	fmt.Println(errors.As(err, &bad), bad.Reason)
	// Output:
	// decoded 1445x1000 (scale 4) of 5779x4000
	// detector input 640x443 (scale 9.031)
	// true not an image: the content is not JPEG, PNG, WebP or HEIC
}
