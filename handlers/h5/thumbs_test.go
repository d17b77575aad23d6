package h5

import (
	"bytes"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"os"
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

// An iPhone's HEIC photo (640×480, made by libheif's heif-enc from a
// purple-to-red gradient with a white box in the middle) gets a JPEG
// thumbnail and a large view of its own shape and colours.
func TestMakeThumbOfHEIC(t *testing.T) {
	data, err := os.ReadFile("testdata/photo.heic")
	if err != nil {
		t.Fatal(err)
	}
	if !isHEIF(data) || isHEIF([]byte("\xff\xd8\xff\xe0 JFIF")) {
		t.Fatal("HEIF sniffing")
	}
	for _, c := range []struct{ size, w, h int }{{thumbSize, 240, 180}, {largeSize, 640, 480}} {
		out, err := makeSized(bytes.NewReader(data), c.size)
		if err != nil {
			t.Fatal(err)
		}
		img, err := jpeg.Decode(bytes.NewReader(out))
		if err != nil {
			t.Fatal(err)
		}
		if b := img.Bounds(); b.Dx() != c.w || b.Dy() != c.h {
			t.Errorf("size %d: %v, want %d×%d", c.size, b, c.w, c.h)
		}
		if r, g, bl, _ := img.At(c.w/2, c.h/2).RGBA(); r>>8 < 220 || g>>8 < 220 || bl>>8 < 220 {
			t.Errorf("size %d: the middle is not white: %d %d %d", c.size, r>>8, g>>8, bl>>8)
		}
		if r, g, bl, _ := img.At(c.w-4, 4).RGBA(); r>>8 < 180 || g>>8 > 100 || bl>>8 > 80 {
			t.Errorf("size %d: the top right is not red: %d %d %d", c.size, r>>8, g>>8, bl>>8)
		}
	}
	if _, err := makeThumb(bytes.NewReader(data[:200])); err == nil {
		t.Error("a thumbnail of a cut HEIC")
	}
}
