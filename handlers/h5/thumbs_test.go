package h5

import (
	"bytes"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"testing"
)

func TestMakeThumb(t *testing.T) {
	src := image.NewRGBA(image.Rect(0, 0, 1200, 600))
	for y := range 600 {
		for x := range 1200 {
			c := color.RGBA{200, 30, 30, 255}
			if x >= 600 {
				c = color.RGBA{30, 30, 200, 255}
			}
			src.Set(x, y, c)
		}
	}
	var in bytes.Buffer
	png.Encode(&in, src)
	out, err := makeThumb(&in)
	if err != nil {
		t.Fatal(err)
	}
	img, err := jpeg.Decode(bytes.NewReader(out))
	if err != nil {
		t.Fatal(err)
	}
	if b := img.Bounds(); b.Dx() != 240 || b.Dy() != 120 {
		t.Errorf("thumbnail %v, want 240×120 (the photo's shape)", b)
	}
	if r, _, bl, _ := img.At(30, 60).RGBA(); r>>8 < 150 || bl>>8 > 90 {
		t.Errorf("left half is not red: %d %d", r>>8, bl>>8)
	}
	if r, _, bl, _ := img.At(210, 60).RGBA(); bl>>8 < 150 || r>>8 > 90 {
		t.Errorf("right half is not blue: %d %d", r>>8, bl>>8)
	}
	if _, err := makeThumb(bytes.NewReader([]byte("not a photo"))); err == nil {
		t.Error("a thumbnail of text")
	}
}
