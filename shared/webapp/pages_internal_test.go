package webapp

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestPagePhotosShowProblemsFirst(t *testing.T) {
	var photos []photoView
	for i := range maxPagePhotos + 10 {
		photos = append(photos, photoView{Name: fmt.Sprintf("%04d.jpg", i), Status: "done"})
	}
	photos[700-200].Status = "failed"
	photos = append(photos, photoView{Name: "z.jpg", Status: "pending"})
	got := pagePhotos(photos)
	assert.Len(t, got, maxPagePhotos)
	assert.Equal(t, "failed", got[0].Status)
	assert.Equal(t, "pending", got[1].Status)
	assert.Equal(t, "0000.jpg", got[2].Name, "then the others in their order")
	assert.Equal(t, "done", photos[0].Status, "the album's list is left alone")
}
