package decode

import "encoding/binary"

// pcapVariant is a dialect of classic pcap. They differ only in what
// follows the standard 16-byte record header (time stamp, captured and
// original length), and some share a magic number, so that which one a
// file is must be guessed from its first records, as Wireshark does
// (wiretap/libpcap.c, libpcap_try_variants). Every dialect here has
// microsecond time stamps.
type pcapVariant uint8

const (
	// variantStandard is libpcap's format: 16-byte record headers.
	variantStandard pcapVariant = iota
	// variantSS990417 (Red Hat 6.1) has the standard magic and 24-byte
	// record headers: interface index (32 bits), protocol (16), packet
	// type (8) and a pad byte.
	variantSS990417
	// variantNokia (Nokia IPSO) has the standard magic and 20-byte record
	// headers: 4 bytes of unknown meaning.
	variantNokia
	// variantSS991029 (Alexey Kuznetsov's patch, the one libpcap reads)
	// has the modified magic 0xa1b2cd34 and the 24-byte record headers of
	// variantSS990417.
	variantSS991029
	// variantSS990915 (SuSE 6.3) has the modified magic and 28-byte record
	// headers: those of variantSS991029 with 4 more bytes (CPU and SMP
	// debugging fields, padding).
	variantSS990915
)

// The dialects that share a magic number, in the order they are tried: on
// a tie the earlier one wins.
var (
	standardMagicVariants = []pcapVariant{variantStandard, variantSS990417, variantNokia}
	modifiedMagicVariants = []pcapVariant{variantSS991029, variantSS990915}
)

// headerLen returns the length of v's record header.
func (v pcapVariant) headerLen() int {
	switch v {
	case variantNokia:
		return 20
	case variantSS990417, variantSS991029:
		return 24
	case variantSS990915:
		return 28
	}
	return pcapRecordHeaderLen
}

// String returns the name Wireshark gives the dialect's file type.
func (v pcapVariant) String() string {
	switch v {
	case variantSS990417:
		return "pcap (Red Hat 6.1, ss990417)"
	case variantNokia:
		return "pcap (Nokia)"
	case variantSS991029:
		return "pcap (modified, ss991029)"
	case variantSS990915:
		return "pcap (SuSE 6.3, ss990915)"
	}
	return "pcap"
}

// variantTryRecords is how many records chooseVariant reads ahead
// (Wireshark's MAX_RECORDS_TO_TRY).
const variantTryRecords = 3

// maxSaneWireLen is the original length above which a record header is
// taken as a sign of the wrong dialect (Wireshark's 128 MiB).
const maxSaneWireLen = 128 << 20

// chooseVariant returns the dialect, among candidates, whose record
// headers make the most sense for the first variantTryRecords records, as
// Wireshark does: the first with no fault, or else the one with the
// fewest. Unlike Wireshark, a dialect other than the first (the standard
// one, or for the modified magic the one libpcap reads) must also have
// read two whole records: a single record that happens to end where the
// stream does is no evidence, and a standard capture cut short after its
// first record would otherwise be read as another dialect.
//
// It reads those records ahead into the buffer without consuming them, so
// it works on a pipe (where it waits for them, or for the end of the
// stream) and costs nothing more than the reading that follows. snaplen
// is the file header's, uncapped. A read error only ends the look-ahead:
// the records are read again, and the error reported, when they are
// consumed.
func (p *pcapReader) chooseVariant(candidates []pcapVariant, snaplen uint32) pcapVariant {
	best := candidates[0]
	bestFaults, _ := p.variantFaults(best, snaplen)
	if bestFaults == 0 {
		return best
	}
	for _, v := range candidates[1:] {
		f, records := p.variantFaults(v, snaplen)
		if records < 2 {
			continue
		}
		if f == 0 {
			return v
		}
		if f < bestFaults {
			best, bestFaults = v, f
		}
	}
	return best
}

// variantFaults reads up to variantTryRecords records ahead as dialect v
// and counts what is wrong with their headers, as Wireshark's
// libpcap_try_record does: a fraction of a second of 1,000,000 µs or more,
// a captured length over MaxCaptureLength (which ends the look-ahead) or
// over snaplen or over the original length, an original length over
// 128 MiB, the dialect's own fields out of range, and a record cut short
// by the end of the stream. Unlike Wireshark, it also counts a record
// whose time stamp's second is earlier than the one before it: records
// read at the wrong offset (zeros, say) pass every other check, but
// seldom keep the capture's time, and a genuine capture seldom goes back
// across a second. records is the number of whole records read.
func (p *pcapReader) variantFaults(v pcapVariant, snaplen uint32) (faults, records int) {
	hl := v.headerLen()
	off := 0
	var prevSec uint32
	for i := range variantTryRecords {
		err := p.fill(off + hl)
		h := p.buf[p.start+off : p.start+off+min(hl, p.end-p.start-off)]
		if i > 0 && len(h) >= 4 && p.u32(h[0:4]) < prevSec {
			faults++
		}
		if err != nil {
			if len(h) > 0 {
				f, _, _ := p.headerFaults(v, h, snaplen)
				faults += f + 1 // and the short read
			}
			break
		}
		prevSec = p.u32(h[0:4])
		f, capLen, ok := p.headerFaults(v, h, snaplen)
		faults += f
		if !ok {
			break
		}
		if p.fill(off+hl+capLen) != nil {
			faults++
			break
		}
		off += hl + capLen
		records++
	}
	return faults, records
}

// headerFaults counts what is wrong with record header h (possibly cut
// short: only the fields it holds are checked) read as dialect v. It
// returns the captured length, and false when that is too long to read the
// record.
func (p *pcapReader) headerFaults(v pcapVariant, h []byte, snaplen uint32) (faults, capLen int, ok bool) {
	ok = true
	var caplen uint32
	if len(h) >= 8 && p.u32(h[4:8]) >= 1e6 {
		faults++
	}
	if len(h) >= 12 {
		caplen = p.u32(h[8:12])
		if caplen > MaxCaptureLength {
			faults++
			ok = false
		}
		if caplen > snaplen {
			faults++
		}
	}
	if len(h) >= 16 {
		wire := p.u32(h[12:16])
		if wire > maxSaneWireLen {
			faults++
		}
		if caplen > wire {
			faults++
		}
	}
	switch v {
	case variantSS990417, variantSS991029, variantSS990915:
		// Interface index: those files date from when a Linux box had
		// fewer than 10,000 interfaces.
		if len(h) >= 20 && p.u32(h[16:20]) > 10000 {
			faults++
		}
		// Protocol: an Ethertype or one of Linux's ETH_P_ values.
		if len(h) >= 22 {
			switch proto := p.u16(h[20:22]); {
			case proto >= 0x0600, proto <= 0x0017, proto == 0x0060, proto == 0x0200, proto == 0x0400:
			default:
				faults++
			}
		}
		// Packet type: PACKET_HOST to PACKET_OUTGOING.
		if len(h) >= 23 && h[22] > 4 {
			faults++
		}
	case variantNokia:
		// Values seen are 0xXfbfYZ0W, X in {9, b}, Y in {b, d}, Z in
		// {6, 9}, W in {1, 2}. Wireshark reads the field in host byte
		// order without swapping; its hosts are little-endian.
		if len(h) >= 20 {
			ns := binary.LittleEndian.Uint32(h[16:20])
			x, y, z, w := ns&0xf0000000, ns&0xf000, ns&0xf00, ns&0xf
			if ns&0x0fff00f0 != 0x0fbf0000 ||
				(x != 0x90000000 && x != 0xb0000000) ||
				(y != 0xb000 && y != 0xd000) ||
				(z != 0x600 && z != 0x900) ||
				(w != 1 && w != 2) {
				faults++
			}
		}
	}
	return faults, int(caplen), ok
}
