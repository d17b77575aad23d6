package h5

import (
	"bytes"
	"fmt"
	"image"
	"image/jpeg"
	_ "image/png" // decode PNG photos for thumbnails
	"io"

	"github.com/gen2brain/heic"

	"hazardbot/models"
)

// thumbSize is the longest side of a thumbnail, in pixels: three across a
// phone's screen at twice its density.
const thumbSize = models.ThumbSize

// maxThumbSource bounds the photo a thumbnail is made from (decoding holds
// it whole in memory).
const maxThumbSource = 12 << 20

// largeSize is the longest side of the JPEG shown in place of a HEIC photo
// when it is tapped: most phones' browsers cannot show HEIC itself.
const largeSize = models.LargeSize

// thumbName is where the thumbnail (size thumbSize) or the large JPEG of a
// HEIC photo (largeSize) is kept, beside the photo: models names them, so
// that they go when the photo goes.
func thumbName(id uint, size int) string { return models.ThumbName(id, size) }

// isHEIF says whether data is a HEIF file (an iPhone's HEIC photo): an ISO
// box "ftyp" whose brand is one of HEIF's.
func isHEIF(data []byte) bool {
	if len(data) < 12 || string(data[4:8]) != "ftyp" {
		return false
	}
	switch string(data[8:12]) {
	case "heic", "heix", "hevc", "hevx", "heim", "heis", "mif1", "msf1":
		return true
	}
	return false
}

// makeThumb is makeSized at thumbSize.
func makeThumb(r io.Reader) ([]byte, error) { return makeSized(r, thumbSize) }

// makeSized decodes a JPEG, PNG or HEIC photo and returns a JPEG at most
// size on its longest side, each pixel the average of the block of the
// photo it covers (a box filter: no moiré on the fine texture of walls and
// pipes). HEIC is decoded by github.com/gen2brain/heic: libheif and
// libde265 compiled to WebAssembly and run by wazero, in pure Go (no cgo,
// nothing to install; it would use a system libheif.so if one were
// installed with its development link).
func makeSized(r io.Reader, size int) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxThumbSource+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxThumbSource {
		return nil, fmt.Errorf("h5: photo too large for a thumbnail")
	}
	var src image.Image
	if isHEIF(data) {
		src, err = heic.Decode(bytes.NewReader(data))
	} else {
		src, _, err = image.Decode(bytes.NewReader(data))
	}
	if err != nil {
		return nil, fmt.Errorf("h5: decode photo: %w", err)
	}
	b := src.Bounds()
	w, h := b.Dx(), b.Dy()
	if w == 0 || h == 0 {
		return nil, fmt.Errorf("h5: empty photo")
	}
	tw, th := w, h
	if w > size || h > size {
		if w >= h {
			tw, th = size, max(1, h*size/w)
		} else {
			tw, th = max(1, w*size/h), size
		}
	}
	dst := image.NewRGBA(image.Rect(0, 0, tw, th))
	for y := range th {
		y0, y1 := b.Min.Y+y*h/th, b.Min.Y+max((y+1)*h/th, y*h/th+1)
		for x := range tw {
			x0, x1 := b.Min.X+x*w/tw, b.Min.X+max((x+1)*w/tw, x*w/tw+1)
			var r, g, bl, n uint64
			// Sample at most 4×4 points of the block: enough for an average.
			sy, sx := max((y1-y0)/4, 1), max((x1-x0)/4, 1)
			for yy := y0; yy < y1; yy += sy {
				for xx := x0; xx < x1; xx += sx {
					cr, cg, cb, _ := src.At(xx, yy).RGBA()
					r, g, bl, n = r+uint64(cr), g+uint64(cg), bl+uint64(cb), n+1
				}
			}
			i := dst.PixOffset(x, y)
			dst.Pix[i], dst.Pix[i+1], dst.Pix[i+2], dst.Pix[i+3] = uint8(r/n>>8), uint8(g/n>>8), uint8(bl/n>>8), 255
		}
	}
	var out bytes.Buffer
	if err := jpeg.Encode(&out, dst, &jpeg.Options{Quality: 78}); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}
