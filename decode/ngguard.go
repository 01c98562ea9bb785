package decode

import (
	"encoding/binary"
	"fmt"
	"io"
)

// maxBlockLen is the longest pcapng block accepted (Wireshark's limit).
const maxBlockLen = 16 << 20

// pcapng block types the guard looks inside.
const (
	ngBlockPacket   = 2
	ngBlockSimple   = 3
	ngBlockEnhanced = 6
	ngBlockSection  = 0x0a0d0d0a
	ngByteOrder     = 0x1a2b3c4d
)

// ngGuardError reports a pcapng block whose lengths cannot be trusted.
type ngGuardError struct{ msg string }

func (e *ngGuardError) Error() string { return "corrupt block: " + e.msg }

// ngGuard passes a pcapng stream through unchanged while following its block
// structure, and fails the stream at the first block whose length, or whose
// packet's capture length, is out of bounds. pcapgo trusts those lengths;
// behind the guard a hostile file cannot make it read a multi-gigabyte
// "packet" or skip into the middle of the next block.
type ngGuard struct {
	r   io.Reader
	big bool // byte order of the current section
	hdr [28]byte
	n   int    // bytes of hdr collected for the current block
	rem uint64 // bytes of the current block after its header part
	err error
}

// Read implements io.Reader. Bytes up to the end of a bad block's header
// are passed on; the error comes with the next Read.
func (g *ngGuard) Read(p []byte) (int, error) {
	if g.err != nil {
		return 0, g.err
	}
	n, err := g.r.Read(p)
	if k, gerr := g.scan(p[:n]); gerr != nil {
		g.err = gerr
		if k == 0 {
			return 0, gerr
		}
		return k, nil
	}
	return n, err
}

func (g *ngGuard) u32(b []byte) uint32 {
	if g.big {
		return binary.BigEndian.Uint32(b)
	}
	return binary.LittleEndian.Uint32(b)
}

// scan follows the block structure through b. On a bad block it returns
// how many bytes of b precede the point where the problem became known.
func (g *ngGuard) scan(b []byte) (int, error) {
	i := 0
	for i < len(b) {
		if g.rem > 0 {
			k := uint64(len(b) - i)
			if k > g.rem {
				k = g.rem
			}
			g.rem -= k
			i += int(k)
			continue
		}
		need := 8
		if g.n >= 8 {
			need = g.headerLen()
		}
		k := copy(g.hdr[g.n:need], b[i:])
		g.n += k
		i += k
		if g.n < need {
			continue
		}
		if g.n == 8 && g.headerLen() > 8 {
			continue // collect the rest of this block's header
		}
		if err := g.check(); err != nil {
			return i, err
		}
	}
	return i, nil
}

// typ is the type of the current block.
func (g *ngGuard) typ() uint32 {
	if binary.BigEndian.Uint32(g.hdr[0:4]) == ngBlockSection {
		return ngBlockSection
	}
	return g.u32(g.hdr[0:4])
}

// headerLen is how much of the current block the guard reads before
// checking it.
func (g *ngGuard) headerLen() int {
	switch g.typ() {
	case ngBlockSection, ngBlockSimple:
		return 12
	case ngBlockPacket, ngBlockEnhanced:
		return 28
	}
	return 8
}

// check validates a complete block header and skips the block's body.
func (g *ngGuard) check() error {
	typ := g.typ()
	if typ == ngBlockSection {
		switch {
		case binary.BigEndian.Uint32(g.hdr[8:12]) == ngByteOrder:
			g.big = true
		case binary.LittleEndian.Uint32(g.hdr[8:12]) == ngByteOrder:
			g.big = false
		default:
			return &ngGuardError{msg: fmt.Sprintf("bad byte-order magic %x in section header", g.hdr[8:12])}
		}
	}
	length := g.u32(g.hdr[4:8])
	minLen := uint32(12)
	switch typ {
	case ngBlockSection:
		minLen = 28
	case ngBlockSimple:
		minLen = 16
	case ngBlockPacket, ngBlockEnhanced:
		minLen = 32
	}
	if length < minLen || length%4 != 0 {
		return &ngGuardError{msg: fmt.Sprintf("bad length %d for block type %#x", length, typ)}
	}
	if length > maxBlockLen {
		return &ngGuardError{msg: fmt.Sprintf("block length %d exceeds %d", length, maxBlockLen)}
	}
	switch typ {
	case ngBlockPacket, ngBlockEnhanced:
		if c := g.u32(g.hdr[20:24]); c > length-32 || c > MaxCaptureLength {
			return &ngGuardError{msg: fmt.Sprintf("capture length %d does not fit block length %d", c, length)}
		}
	case ngBlockSimple:
		if o := g.u32(g.hdr[8:12]); o > length-16 && o > MaxCaptureLength {
			return &ngGuardError{msg: fmt.Sprintf("packet length %d exceeds %d", o, MaxCaptureLength)}
		}
	}
	g.rem = uint64(length) - uint64(g.n)
	g.n = 0
	return nil
}
