package imaging

// Orient returns src turned upright according to an EXIF orientation value
// (1-8; anything else is treated as 1 and returns src itself). The result
// keeps src's Scale and OrigW/OrigH.
//
//	1 as stored          5 transposed (mirror + 270° clockwise)
//	2 mirrored           6 rotated 90° clockwise
//	3 rotated 180°       7 transversed (mirror + 90° clockwise)
//	4 flipped vertically 8 rotated 270° clockwise
func Orient(src *RGB, orientation int) *RGB {
	if orientation < 2 || orientation > 8 {
		return src
	}
	W, H := src.W, src.H
	dw, dh := W, H
	if orientation >= 5 {
		dw, dh = H, W
	}
	dst := &RGB{W: dw, H: dh, Pix: make([]uint8, len(src.Pix)), Scale: src.Scale, OrigW: src.OrigW, OrigH: src.OrigH}
	// Walk the source row by row; each source pixel (x, y) goes to (dx, dy)
	// = base + x*stepX + y*stepY in destination pixel units.
	var base, stepX, stepY int
	switch orientation {
	case 2: // (W-1-x, y)
		base, stepX, stepY = W-1, -1, dw
	case 3: // (W-1-x, H-1-y)
		base, stepX, stepY = (H-1)*dw+W-1, -1, -dw
	case 4: // (x, H-1-y)
		base, stepX, stepY = (H-1)*dw, 1, -dw
	case 5: // (y, x)
		base, stepX, stepY = 0, dw, 1
	case 6: // (H-1-y, x)
		base, stepX, stepY = H-1, dw, -1
	case 7: // (H-1-y, W-1-x)
		base, stepX, stepY = (W-1)*dw+H-1, -dw, -1
	case 8: // (y, W-1-x)
		base, stepX, stepY = (W-1)*dw, -dw, 1
	}
	sp, dp := src.Pix, dst.Pix
	if orientation <= 4 {
		// Rows stay rows: walk them in order.
		for y := 0; y < H; y++ {
			row := sp[y*W*3 : (y+1)*W*3]
			d := base + y*stepY
			for x := 0; x < W; x++ {
				o := d * 3
				dp[o], dp[o+1], dp[o+2] = row[x*3], row[x*3+1], row[x*3+2]
				d += stepX
			}
		}
		return dst
	}
	// Rows become columns: work in tiles so both sides stay in cache.
	const tile = 32
	for ty := 0; ty < H; ty += tile {
		for tx := 0; tx < W; tx += tile {
			for y := ty; y < min(ty+tile, H); y++ {
				row := sp[y*W*3 : (y+1)*W*3]
				d := base + y*stepY + tx*stepX
				for x := tx; x < min(tx+tile, W); x++ {
					o := d * 3
					dp[o], dp[o+1], dp[o+2] = row[x*3], row[x*3+1], row[x*3+2]
					d += stepX
				}
			}
		}
	}
	return dst
}
