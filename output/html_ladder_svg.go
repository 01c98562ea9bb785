package output

import (
	"bytes"
	"fmt"
	"strconv"
	"time"
)

// Ladder geometry (SVG user units).
const (
	ladderWidth   = 960
	ladderRowH    = 20
	ladderHeadH   = 46
	ladderLabelAt = 90 // longest arrow label, in runes
)

// laneXs returns the x of the client, server and third lanes.
func (lad *ladder) laneXs() (c, s, o float64) {
	if lad.other == "" {
		return 190, 800, 0
	}
	return 170, 640, 890
}

// x returns a lane's x for a row whose arrow goes to `to`.
func (lad *ladder) x(l, to lane) float64 {
	c, s, o := lad.laneXs()
	capX := c + lad.capFrac*(s-c)
	switch l {
	case laneClient:
		return c
	case laneServer:
		return s
	case laneOther:
		return o
	case laneCapture:
		return capX
	}
	// laneBeyond: a middlebox beyond the capture point, on the far side
	// from the arrow's destination.
	if to == laneClient {
		return (capX + s) / 2
	}
	return (capX + c) / 2
}

// svg writes the diagram.
func (lad *ladder) svg(b *bytes.Buffer) {
	height := ladderHeadH + len(lad.rows)*ladderRowH + 10
	cX, sX, oX := lad.laneXs()
	capX := lad.x(laneCapture, laneClient)
	fmt.Fprintf(b, `<svg class="lad" viewBox="0 0 %d %d" width="%d" height="%d" role="img" aria-label="ladder diagram of session %d">`,
		ladderWidth, height, ladderWidth, height, lad.s.ID)
	bottom := height - 4
	head := func(x float64, label, sub string) {
		fmt.Fprintf(b, `<text class="ln" x="%.0f" y="14">%s</text>`, x, esc(label))
		if sub != "" {
			fmt.Fprintf(b, `<text class="ls" x="%.0f" y="27">%s</text>`, x, esc(sub))
		}
		fmt.Fprintf(b, `<line class="lane" x1="%.0f" x2="%.0f" y1="34" y2="%d"/>`, x, x, bottom)
	}
	head(cX, "client", addrPort(lad.s.Client))
	head(sX, "server", addrPort(lad.s.Server))
	if lad.other != "" {
		head(oX, "third host", lad.other)
	}
	fmt.Fprintf(b, `<line class="cap" x1="%.0f" x2="%.0f" y1="34" y2="%d"/><text class="capl" x="%.0f" y="41">%s</text>`,
		capX, capX, bottom, capX, esc(lad.capLabel))
	var t0 time.Time
	for i, r := range lad.rows {
		y := ladderHeadH + i*ladderRowH + 12
		if !r.t.IsZero() && !r.fold {
			if t0.IsZero() {
				t0 = r.t
				fmt.Fprintf(b, `<text class="tm" x="4" y="%d">%s</text>`, y, r.t.UTC().Format(LayoutTableTime))
			} else {
				fmt.Fprintf(b, `<text class="tm" x="4" y="%d">%s</text>`, y, esc(relTime(r.t.Sub(t0))))
			}
		}
		switch {
		case r.fold:
			fmt.Fprintf(b, `<path class="fold" d="M100 %d h%d"/><text class="foldl" x="%d" y="%d">⋯ %s ⋯</text>`,
				y-4, ladderWidth-110, ladderWidth/2, y, esc(r.label))
		case r.note:
			fmt.Fprintf(b, `<text class="note %s" x="%.0f" y="%d"><title>%s</title>%s</text>`, r.cls, cX+8, y,
				esc(r.label), esc(truncate(r.label, 120)))
		default:
			lad.arrow(b, r, y, capX)
		}
	}
	b.WriteString("</svg>\n")
}

// arrow draws one arrow row: solid where the capture saw the packet,
// dashed beyond the capture point when it was never answered (unseen) or
// all along when the capture has none of it (ghost).
func (lad *ladder) arrow(b *bytes.Buffer, r ladderRow, y int, capX float64) {
	x1, x2 := lad.x(r.from, r.to), lad.x(r.to, r.to)
	if x1 == x2 {
		x2 += 40
	}
	ay := float64(y) - 2
	dir := 1.0
	if x2 < x1 {
		dir = -1
	}
	// Does the arrow cross the capture point?
	crosses := (capX-x1)*(capX-x2) < 0
	head := fmt.Sprintf("M%.0f %.0fL%.0f %.0fL%.0f %.0f", x2-7*dir, ay-4, x2, ay, x2-7*dir, ay+4)
	switch {
	case r.ghost:
		fmt.Fprintf(b, `<path class="a d %s" d="M%.0f %.0fH%.0f%s"/>`, r.cls, x1, ay, x2, head)
	case r.unseen && crosses:
		fmt.Fprintf(b, `<path class="a %s" d="M%.0f %.0fH%.0f"/><path class="a d %s" d="M%.0f %.0fH%.0f%s"/>`,
			r.cls, x1, ay, capX, r.cls, capX, ay, x2, head)
	default:
		fmt.Fprintf(b, `<path class="a %s" d="M%.0f %.0fH%.0f%s"/>`, r.cls, x1, ay, x2, head)
	}
	fmt.Fprintf(b, `<text class="al %s" x="%.0f" y="%.0f">%s</text>`, r.cls, (x1+x2)/2, ay-3, esc(truncate(r.label, ladderLabelAt)))
}

// relTime renders a time offset for the diagram's time column: "+0.512s",
// "+2m05s".
func relTime(d time.Duration) string {
	if d < time.Minute {
		return "+" + strconv.FormatFloat(d.Seconds(), 'f', 3, 64) + "s"
	}
	return "+" + humanDuration(d)
}
