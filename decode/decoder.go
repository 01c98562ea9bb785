package decode

import (
	"encoding/binary"
	"net/netip"
)

// MaxVLANTags is the largest number of stacked 802.1Q/802.1ad tags the
// Decoder removes; a frame with more is left undecoded.
const MaxVLANTags = 8

// maxIPv6ExtHeaders bounds the IPv6 extension header walk.
const maxIPv6ExtHeaders = 16

// Ethertypes.
const (
	etherTypeIPv4   = 0x0800
	etherTypeIPv6   = 0x86dd
	etherTypeDot1Q  = 0x8100
	etherTypeDot1AD = 0x88a8
	etherTypeQinQ1  = 0x9100 // pre-standard QinQ
	etherTypeQinQ2  = 0x9200
)

// IP protocol numbers.
const (
	protoHopByHop = 0
	protoICMPv4   = 1
	protoTCP      = 6
	protoUDP      = 17
	protoRouting  = 43
	protoFragment = 44
	protoAH       = 51
	protoICMPv6   = 58
	protoDestOpts = 60
)

// Decoder decodes the link, IP, TCP and ICMP headers of a frame into a
// Packet. It parses the headers by hand, with explicit bounds checks, so it
// never allocates and never panics, whatever the frame holds. A Decoder is
// not safe for concurrent use; use one per goroutine.
type Decoder struct {
	// maxVLANs is the tag bound, MaxVLANTags unless a test lowers it.
	maxVLANs int
}

// NewDecoder returns a Decoder.
func NewDecoder() *Decoder {
	return &Decoder{maxVLANs: MaxVLANTags}
}

// Decode decodes p.Data according to p.LinkType into p's IP, TCP and ICMP
// fields. It first clears those fields; Num, File, Time, Data, CapLen,
// WireLen and the other capture fields are left alone. A frame that cannot
// be decoded as IP keeps IPVersion 0. p.Truncated is set when the frame is
// shorter than WireLen or when a header claims more bytes than the frame
// holds; the headers that were complete are still decoded (a TCP header cut
// inside its options still sets HasTCP, with an empty Payload).
func (d *Decoder) Decode(p *Packet) {
	p.IPVersion = 0
	p.Src, p.Dst = netip.Addr{}, netip.Addr{}
	p.TTL, p.Proto, p.IPID = 0, 0, 0
	p.Fragment, p.Truncated = false, false
	p.VLANs = 0
	p.HasTCP, p.TCP, p.Payload, p.PayloadLen, p.wireTransport = false, TCP{}, nil, 0, 0
	p.HasICMP, p.ICMP = false, ICMPError{}

	data := p.Data
	if len(data) < p.WireLen {
		p.Truncated = true
	}
	switch p.LinkType {
	case LinkTypeEthernet:
		if len(data) < 14 {
			p.Truncated = true
			return
		}
		d.etherType(p, binary.BigEndian.Uint16(data[12:14]), data[14:])
	case LinkTypeLinuxSLL:
		if len(data) < 16 {
			p.Truncated = true
			return
		}
		d.etherType(p, binary.BigEndian.Uint16(data[14:16]), data[16:])
	case LinkTypeLinuxSLL2:
		if len(data) < 20 {
			p.Truncated = true
			return
		}
		d.etherType(p, binary.BigEndian.Uint16(data[0:2]), data[20:])
	case LinkTypeRaw, LinkTypeRawOpenBSD, LinkTypeRawBSDOS:
		if len(data) < 1 {
			p.Truncated = true
			return
		}
		switch data[0] >> 4 {
		case 4:
			decodeIPv4(p, data)
		case 6:
			decodeIPv6(p, data)
		}
	case LinkTypeIPv4:
		decodeIPv4(p, data)
	case LinkTypeIPv6:
		decodeIPv6(p, data)
	case LinkTypeNull, LinkTypeLoop:
		if len(data) < 4 {
			p.Truncated = true
			return
		}
		// The family is in the capturing host's byte order (NULL) or
		// big-endian (LOOP); families are small, so the order whose
		// value fits in 16 bits is the right one.
		af := binary.LittleEndian.Uint32(data[:4])
		if af > 0xffff {
			af = binary.BigEndian.Uint32(data[:4])
		}
		switch af {
		case 2:
			decodeIPv4(p, data[4:])
		case 24, 28, 30:
			decodeIPv6(p, data[4:])
		}
	}
}

// etherType removes VLAN tags and decodes the IP header that follows.
func (d *Decoder) etherType(p *Packet, et uint16, b []byte) {
	max := d.maxVLANs
	if max <= 0 {
		max = MaxVLANTags
	}
	for et == etherTypeDot1Q || et == etherTypeDot1AD || et == etherTypeQinQ1 || et == etherTypeQinQ2 {
		if int(p.VLANs) >= max {
			return
		}
		if len(b) < 4 {
			p.Truncated = true
			return
		}
		p.VLANs++
		et = binary.BigEndian.Uint16(b[2:4])
		b = b[4:]
	}
	switch et {
	case etherTypeIPv4:
		decodeIPv4(p, b)
	case etherTypeIPv6:
		decodeIPv6(p, b)
	}
}

// ipv4Header checks an IPv4 header at the start of b and returns its length.
// ok is false when b is too short for the fixed header or the header is
// malformed.
func ipv4Header(b []byte) (ihl int, ok bool) {
	if len(b) < 20 || b[0]>>4 != 4 {
		return 0, false
	}
	ihl = int(b[0]&0x0f) * 4
	if ihl < 20 {
		return 0, false
	}
	return ihl, true
}

// decodeIPv4 decodes an IPv4 packet starting at b[0].
func decodeIPv4(p *Packet, b []byte) {
	ihl, ok := ipv4Header(b)
	if !ok {
		if len(b) < 20 {
			p.Truncated = true
		}
		return
	}
	total := int(binary.BigEndian.Uint16(b[2:4]))
	if total == 0 {
		// TCP segmentation offload: the stack had not filled it in yet.
		total = len(b)
	}
	if total < ihl {
		return // malformed
	}
	p.IPVersion = 4
	p.Src = netip.AddrFrom4([4]byte(b[12:16]))
	p.Dst = netip.AddrFrom4([4]byte(b[16:20]))
	p.TTL = b[8]
	p.Proto = b[9]
	p.IPID = binary.BigEndian.Uint16(b[4:6])
	if frag := binary.BigEndian.Uint16(b[6:8]); frag&0x2000 != 0 || frag&0x1fff != 0 {
		p.Fragment = true
	}
	if len(b) < ihl {
		p.Truncated = true
		return
	}
	p.wireTransport = total - ihl
	if total > len(b) {
		p.Truncated = true
		total = len(b)
	}
	if p.Fragment {
		return
	}
	transport(p, b[ihl:total])
}

// decodeIPv6 decodes an IPv6 packet starting at b[0], walking the extension
// headers that precede the transport header.
func decodeIPv6(p *Packet, b []byte) {
	if len(b) < 40 {
		p.Truncated = true
		return
	}
	if b[0]>>4 != 6 {
		return
	}
	p.IPVersion = 6
	p.Src = netip.AddrFrom16([16]byte(b[8:24]))
	p.Dst = netip.AddrFrom16([16]byte(b[24:40]))
	p.TTL = b[7]
	end := 40 + int(binary.BigEndian.Uint16(b[4:6]))
	if end == 40 {
		// Jumbogram or segmentation offload: use what was captured.
		end = len(b)
	}
	wireEnd := end
	if end > len(b) {
		p.Truncated = true
		end = len(b)
	}
	next, off, frag, complete := walkIPv6Ext(b[:end], b[6])
	p.wireTransport = wireEnd - off
	p.Proto = next
	if frag {
		p.Fragment = true
		return
	}
	if !complete {
		p.Truncated = true
		return
	}
	transport(p, b[off:end])
}

// walkIPv6Ext walks the extension headers of the IPv6 packet b (starting
// at its fixed header) whose first next-header value is next. It returns the
// upper-layer protocol and its offset in b. frag is set when a fragment
// header was found (next is then the fragment's protocol if it could be
// read). complete is false when a header ran past the end of b.
func walkIPv6Ext(b []byte, next uint8) (proto uint8, off int, frag, complete bool) {
	off = 40
	for i := 0; i < maxIPv6ExtHeaders; i++ {
		switch next {
		case protoHopByHop, protoRouting, protoDestOpts, protoAH:
			if len(b)-off < 8 {
				return next, off, false, false
			}
			n := (int(b[off+1]) + 1) * 8
			if next == protoAH {
				n = (int(b[off+1]) + 2) * 4
			}
			if len(b)-off < n {
				return next, off, false, false
			}
			next = b[off]
			off += n
		case protoFragment:
			if len(b)-off < 8 {
				return next, off, true, false
			}
			return b[off], off + 8, true, true
		default:
			return next, off, false, true
		}
	}
	return next, off, false, true
}

// transport decodes the TCP or ICMP header at the start of b, which ends
// where the IP packet ends.
func transport(p *Packet, b []byte) {
	switch p.Proto {
	case protoTCP:
		decodeTCP(p, b)
	case protoICMPv4:
		if p.IPVersion == 4 {
			decodeICMPv4(p, b)
		}
	case protoICMPv6:
		if p.IPVersion == 6 {
			decodeICMPv6(p, b)
		}
	}
}

// decodeTCP decodes a TCP header and its payload.
func decodeTCP(p *Packet, b []byte) {
	if len(b) < 20 {
		p.Truncated = true
		return
	}
	doff := int(b[12]>>4) * 4
	if doff < 20 {
		return // malformed
	}
	p.HasTCP = true
	p.TCP = TCP{
		SrcPort: binary.BigEndian.Uint16(b[0:2]),
		DstPort: binary.BigEndian.Uint16(b[2:4]),
		Seq:     binary.BigEndian.Uint32(b[4:8]),
		Ack:     binary.BigEndian.Uint32(b[8:12]),
		Flags:   TCPFlags(b[13]),
		Window:  binary.BigEndian.Uint16(b[14:16]),
	}
	p.PayloadLen = p.wireTransport - doff
	if doff > len(b) {
		p.Truncated = true
	} else if doff < len(b) {
		p.Payload = b[doff:]
	}
	if p.PayloadLen < len(p.Payload) {
		p.PayloadLen = len(p.Payload)
	}
}

// isICMPv4Error reports whether an ICMPv4 type is an error that quotes the
// offending packet: destination unreachable, time exceeded, parameter problem.
func isICMPv4Error(t uint8) bool {
	return t == 3 || t == 11 || t == 12
}

// decodeICMPv4 decodes an ICMPv4 error and the packet it quotes.
func decodeICMPv4(p *Packet, b []byte) {
	if len(b) < 8 {
		p.Truncated = true
		return
	}
	if !isICMPv4Error(b[0]) {
		return
	}
	q := b[8:]
	ihl, ok := ipv4Header(q)
	if !ok {
		return
	}
	e := ICMPError{
		Type:  b[0],
		Code:  b[1],
		Proto: q[9],
		Src:   netip.AddrFrom4([4]byte(q[12:16])),
		Dst:   netip.AddrFrom4([4]byte(q[16:20])),
	}
	// Only a first fragment (offset 0) starts with a transport header.
	if binary.BigEndian.Uint16(q[6:8])&0x1fff == 0 && len(q) >= ihl {
		quotedPorts(&e, q[ihl:])
	}
	p.HasICMP = true
	p.ICMP = e
}

// decodeICMPv6 decodes an ICMPv6 error and the packet it quotes.
func decodeICMPv6(p *Packet, b []byte) {
	if len(b) < 8 {
		p.Truncated = true
		return
	}
	if t := b[0]; t < 1 || t > 4 {
		return
	}
	// 4 bytes type/code/checksum, then 4 unused (or MTU, or pointer).
	q := b[8:]
	if len(q) < 40 || q[0]>>4 != 6 {
		return
	}
	e := ICMPError{
		V6:   true,
		Type: b[0],
		Code: b[1],
		Src:  netip.AddrFrom16([16]byte(q[8:24])),
		Dst:  netip.AddrFrom16([16]byte(q[24:40])),
	}
	next, off, frag, complete := walkIPv6Ext(q, q[6])
	e.Proto = next
	if complete && (!frag || fragOffsetZero(q, off)) {
		quotedPorts(&e, q[off:])
	}
	p.HasICMP = true
	p.ICMP = e
}

// fragOffsetZero reports whether the IPv6 fragment header that ends at off
// in b describes a first fragment.
func fragOffsetZero(b []byte, off int) bool {
	return off >= 8 && off <= len(b) && binary.BigEndian.Uint16(b[off-6:off-4])&0xfff8 == 0
}

// quotedPorts reads the ports and, for TCP, the sequence number from the
// first 8 bytes of a quoted transport header.
func quotedPorts(e *ICMPError, t []byte) {
	if e.Proto != protoTCP && e.Proto != protoUDP {
		return
	}
	if len(t) >= 4 {
		e.SrcPort = binary.BigEndian.Uint16(t[0:2])
		e.DstPort = binary.BigEndian.Uint16(t[2:4])
		e.HasPorts = true
	}
	if e.Proto == protoTCP && len(t) >= 8 {
		e.Seq = binary.BigEndian.Uint32(t[4:8])
		e.HasSeq = true
	}
}
