package decode

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"time"
)

// Classic pcap layout. pcapRecordHeaderLen is the standard record header;
// the dialects of pcapVariant append fields to it.
const (
	pcapFileHeaderLen   = 24
	pcapRecordHeaderLen = 16
	pcapVersionMajor    = 2
	pcapVersionMinor    = 4
)

// pcapBufSize is the read buffer of a classic pcap input when the stream's
// size is not known to be smaller; pcapBufSizeMany is used instead when
// many inputs are open at once. Either grows, once, to
// the record header length plus MaxCaptureLength when a record needs it.
const (
	pcapBufSize     = 1 << 20
	pcapBufSizeMany = 256 << 10
	pcapBufMin      = 4 << 10
)

// errBadReadCount reports an io.Reader that returned an impossible count.
var errBadReadCount = errors.New("read: invalid count from the underlying reader")

// pcapReader reads the records of a classic pcap stream straight from the
// underlying reader into one buffer and returns frames aliasing it. It
// checks what pcapgo.Reader checks, with the same messages, and returns
// the same timestamps, but never allocates per record and never panics.
//
// A frame returned by next is valid until the following call to next.
type pcapReader struct {
	r     io.Reader
	buf   []byte
	start int   // first unread byte of buf
	end   int   // end of the bytes read into buf
	base  int64 // stream offset of buf[0]
	err   error // sticky error from r (io.EOF at the end)

	// chunks, when set, keeps every frame returned valid until its buffer
	// is retired and given back (see Prefetch).
	chunks *chunkPool

	big     bool   // big-endian headers
	factor  uint32 // 1 for nanosecond timestamps, 1000 for microseconds
	snaplen uint32 // the header's snap length, capped at MaxCaptureLength
	maxCap  uint32 // longest record accepted
	link    uint32 // the header's link type field

	variant pcapVariant // the dialect, chosen when the file header is read
	hdrLen  int         // its record header length
}

// newPcapReader reads the file header of a classic pcap stream whose magic
// (already consumed from r) is magic; size is the initial buffer size.
// Errors are those of pcapgo.NewReader, except that an end of the stream
// inside the header is io.ErrUnexpectedEOF. For the magics that more than
// one dialect shares (see pcapVariant), it then reads ahead up to the
// first few records, without consuming them, to choose the dialect.
func newPcapReader(r io.Reader, magic [4]byte, size int) (*pcapReader, error) {
	size = max(size, pcapBufMin)
	p := &pcapReader{r: r, buf: make([]byte, size)}
	copy(p.buf, magic[:])
	p.end = len(magic)
	var candidates []pcapVariant
	switch magic {
	case magicPcapMicroLE:
		p.factor = 1000
		candidates = standardMagicVariants
	case magicPcapMicroBE:
		p.big, p.factor = true, 1000
		candidates = standardMagicVariants
	case magicPcapNanoLE:
		p.factor = 1
	case magicPcapNanoBE:
		p.big, p.factor = true, 1
	case magicPcapModifiedLE:
		p.factor = 1000
		candidates = modifiedMagicVariants
	case magicPcapModifiedBE:
		p.big, p.factor = true, 1000
		candidates = modifiedMagicVariants
	default:
		//lint:ignore ST1005 the same text as pcapgo's, which tests compare
		return nil, fmt.Errorf("Unknown magic %x", binary.LittleEndian.Uint32(magic[:]))
	}
	if err := p.fill(pcapFileHeaderLen); err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return nil, err
	}
	h := p.buf[p.start : p.start+pcapFileHeaderLen]
	if v := p.u16(h[4:6]); v != pcapVersionMajor {
		//lint:ignore ST1005 the same text as pcapgo's, which tests compare
		return nil, fmt.Errorf("Unknown major version %d", v)
	}
	if v := p.u16(h[6:8]); v != pcapVersionMinor {
		//lint:ignore ST1005 the same text as pcapgo's, which tests compare
		return nil, fmt.Errorf("Unknown minor version %d", v)
	}
	// pcapgo takes records up to the larger of the snap length and its
	// eager-read limit (which is MaxCaptureLength); the snap length is
	// capped first, so a hostile header cannot allow 4 GiB records.
	snaplen := p.u32(h[16:20])
	p.snaplen = min(snaplen, MaxCaptureLength)
	p.maxCap = max(p.snaplen, MaxCaptureLength)
	p.link = p.u32(h[20:24])
	p.start += pcapFileHeaderLen
	p.variant = variantStandard
	if len(candidates) > 0 {
		p.variant = p.chooseVariant(candidates, snaplen)
	}
	p.hdrLen = p.variant.headerLen()
	return p, nil
}

func (p *pcapReader) u16(b []byte) uint16 {
	if p.big {
		return binary.BigEndian.Uint16(b)
	}
	return binary.LittleEndian.Uint16(b)
}

func (p *pcapReader) u32(b []byte) uint32 {
	if p.big {
		return binary.BigEndian.Uint32(b)
	}
	return binary.LittleEndian.Uint32(b)
}

// linkType is the header's link type as pcapgo reports it (the low 16
// bits of the field).
func (p *pcapReader) linkType() LinkType { return LinkType(uint16(p.link)) }

// pos is the stream offset of the next unread byte: the start of the next
// record.
func (p *pcapReader) pos() int64 { return p.base + int64(p.start) }

// next reads the next record. It returns io.EOF when the stream ends
// cleanly before a record header, io.ErrUnexpectedEOF when it ends inside a
// record, the underlying reader's error, or a length error. ts is
// time.Unix(sec, ns).UTC() of the record's fields, as pcapgo returns it, and
// (sec, nsec) the same instant normalised (0 <= nsec < 1e9).
func (p *pcapReader) next() (data []byte, ts time.Time, sec int64, nsec int32, wireLen int, err error) {
	hl := p.hdrLen
	if p.end-p.start < hl {
		if err = p.fill(hl); err != nil {
			if err == io.EOF && p.end > p.start {
				err = io.ErrUnexpectedEOF
			}
			return
		}
	}
	h := p.buf[p.start : p.start+pcapRecordHeaderLen]
	var s, frac, capLen, wire uint32
	if p.big {
		s, frac = binary.BigEndian.Uint32(h[0:4]), binary.BigEndian.Uint32(h[4:8])
		capLen, wire = binary.BigEndian.Uint32(h[8:12]), binary.BigEndian.Uint32(h[12:16])
	} else {
		s, frac = binary.LittleEndian.Uint32(h[0:4]), binary.LittleEndian.Uint32(h[4:8])
		capLen, wire = binary.LittleEndian.Uint32(h[8:12]), binary.LittleEndian.Uint32(h[12:16])
	}
	if capLen > p.maxCap {
		err = fmt.Errorf("capture length exceeds snap length: %d > %d", capLen, p.snaplen)
		return
	}
	if capLen > wire {
		err = fmt.Errorf("capture length exceeds original packet length: %d > %d", capLen, wire)
		return
	}
	n := hl + int(capLen)
	if p.end-p.start < n {
		if err = p.fill(n); err != nil {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return
		}
	}
	data = p.buf[p.start+hl : p.start+n : p.start+n]
	p.start += n
	// pcapgo multiplies in 32 bits (a microsecond field of 4294968 or more
	// wraps) and lets time.Unix carry whole seconds out of the fraction.
	ns := frac * p.factor
	sec = int64(s)
	if ns >= 1e9 {
		sec += int64(ns / 1e9)
		ns %= 1e9
	}
	nsec = int32(ns)
	ts = time.Unix(sec, int64(nsec)).UTC()
	return data, ts, sec, nsec, int(wire), nil
}

// fill makes at least n bytes available at buf[start:], moving the unread
// bytes to the front of the buffer, and growing it to n if it is smaller,
// before reading. It returns nil when n bytes are available, otherwise the
// reader's (sticky) error.
func (p *pcapReader) fill(n int) error {
	if p.chunks != nil {
		// Frames handed out must stay put: move to another buffer
		// instead of compacting this one, and retire this one.
		if len(p.buf)-p.start < n {
			nb := p.chunks.get(max(n, len(p.buf)))
			p.end = copy(nb, p.buf[p.start:p.end])
			p.base += int64(p.start)
			p.start = 0
			p.chunks.retire(p.buf)
			p.buf = nb
		}
	} else if n > len(p.buf) {
		// Only a record header plus MaxCaptureLength gets here, or the
		// first records read ahead by chooseVariant.
		nb := make([]byte, max(n, min(2*len(p.buf), p.hdrLen+MaxCaptureLength)))
		p.end = copy(nb, p.buf[p.start:p.end])
		p.base += int64(p.start)
		p.start = 0
		p.buf = nb
	} else if p.start > 0 {
		p.end = copy(p.buf, p.buf[p.start:p.end])
		p.base += int64(p.start)
		p.start = 0
	}
	empty := 0
	for p.end-p.start < n {
		if p.err != nil {
			return p.err
		}
		k, err := p.r.Read(p.buf[p.end:])
		if k < 0 || k > len(p.buf)-p.end {
			p.err = errBadReadCount
			continue
		}
		p.end += k
		switch {
		case err != nil:
			p.err = err
		case k > 0:
			empty = 0
		default:
			if empty++; empty >= 100 {
				p.err = io.ErrNoProgress
			}
		}
	}
	return nil
}

// chunkPool hands a pcapReader the buffers it moves to when frames it
// returned must stay where they are, and takes the ones it leaves.
type chunkPool struct {
	free    chan []byte // buffers nothing points into any more
	retired [][]byte    // buffers left since the last take
}

// get returns a buffer of at least n bytes, at its full capacity.
func (c *chunkPool) get(n int) []byte {
	select {
	case b := <-c.free:
		if cap(b) >= n {
			return b[:cap(b)]
		}
	default:
	}
	return make([]byte, n)
}

// retire notes that the reader left b; frames in it may still be in use.
func (c *chunkPool) retire(b []byte) { c.retired = append(c.retired, b) }

// take returns the buffers retired since the last call.
func (c *chunkPool) take() [][]byte {
	r := c.retired
	c.retired = nil
	return r
}

// give returns buffers nothing points into any more.
func (c *chunkPool) give(bufs [][]byte) {
	for _, b := range bufs {
		select {
		case c.free <- b:
		default: // enough spare: the collector takes it
		}
	}
}

// release drops the buffer.
func (p *pcapReader) release() {
	p.buf, p.start, p.end = nil, 0, 0
	p.r = nil
}

// sizeHint returns the number of bytes left in r when that is cheaply
// known (an in-memory reader or a regular file), or -1.
func sizeHint(r io.Reader) int64 {
	switch v := r.(type) {
	case interface{ Len() int }:
		return int64(v.Len())
	case *os.File:
		fi, err := v.Stat()
		if err != nil || !fi.Mode().IsRegular() {
			return -1
		}
		off, err := v.Seek(0, io.SeekCurrent)
		if err != nil {
			return -1
		}
		return max(fi.Size()-off, 0)
	}
	return -1
}
