// Package decode reads packet captures (pcap, pcapng, either gzip-compressed,
// files or stdin, and live interfaces) and decodes link, IP, TCP and ICMP
// headers into a small Packet of netip values. gopacket types stay inside
// this package: the rest of ftpsniff sees only Packet.
package decode

import (
	"net/netip"
	"time"
)

// LinkType is a pcap LINKTYPE_* value. It is 16 bits wide, so values such as
// LINKTYPE_LINUX_SLL2 (276) survive.
type LinkType uint16

// TCPFlags holds the TCP header flag bits in their wire order.
type TCPFlags uint8

// TCP flag bits.
const (
	FIN TCPFlags = 1 << iota
	SYN
	RST
	PSH
	ACK
	URG
	ECE
	CWR
)

// Has reports whether all of the bits in f are set.
func (t TCPFlags) Has(f TCPFlags) bool { return t&f == f }

// TCP holds the TCP header fields ftpsniff uses.
type TCP struct {
	SrcPort, DstPort uint16
	Seq, Ack         uint32
	Flags            TCPFlags
	Window           uint16
}

// ICMPError is an ICMP or ICMPv6 error message (destination unreachable, time
// exceeded, ...) together with what it quotes of the packet that caused it.
type ICMPError struct {
	V6         bool
	Type, Code uint8
	// Proto is the IP protocol of the quoted packet (6 for TCP).
	Proto uint8
	// Src and Dst are the addresses of the quoted (offending) packet.
	Src, Dst netip.Addr
	// SrcPort and DstPort are the quoted transport ports; valid when
	// HasPorts is set.
	SrcPort, DstPort uint16
	HasPorts         bool
	// Seq is the quoted TCP sequence number; valid when HasSeq is set.
	// ICMPv4 only guarantees 8 bytes of the quoted transport header, which
	// is exactly the ports and the sequence number.
	Seq    uint32
	HasSeq bool
}

// Packet is one captured frame and what could be decoded of it. Data and
// Payload alias the source's buffer and are valid only until the next call
// to Source.Next; everything else is a value.
type Packet struct {
	// Num is the 1-based packet number across the whole stream.
	Num uint64
	// File names the input the frame came from ("-" for stdin, the
	// interface name for live captures).
	File string
	// FileNum is the 1-based frame number within File.
	FileNum  uint64
	Time     time.Time
	LinkType LinkType
	// Data is the frame as captured.
	Data []byte
	// CapLen is len(Data); WireLen is the length on the wire.
	CapLen, WireLen int
	// InterfaceIndex is the pcapng interface (0 for pcap); live, the
	// kernel index of the interface the frame was captured on, where the
	// capture reports it.
	InterfaceIndex int

	// IPVersion is 4 or 6 when an IP header was decoded, 0 otherwise.
	IPVersion uint8
	Src, Dst  netip.Addr
	// TTL is the IPv4 TTL or the IPv6 hop limit.
	TTL uint8
	// IPID is the IPv4 identification field (0 for IPv6): two captured
	// copies of one packet share it, a retransmission usually does not.
	IPID uint16
	// Proto is the IP protocol (6 TCP, 1 ICMP, 58 ICMPv6, ...).
	Proto uint8
	// Fragment is set for IP fragments; the transport header is then not
	// decoded (a non-first fragment has none).
	Fragment bool
	// Truncated is set when the frame was cut by the snap length, or a
	// header claimed more bytes than the frame holds.
	Truncated bool
	// VLANs is the number of 802.1Q/802.1ad tags that were removed.
	VLANs uint8

	// HasTCP reports whether TCP and Payload are valid.
	HasTCP  bool
	TCP     TCP
	Payload []byte
	// PayloadLen is the TCP payload length on the wire (from the IP
	// header); it exceeds len(Payload) when the frame was truncated.
	PayloadLen int

	// HasICMP reports whether ICMP is valid (an ICMP error quoting a packet).
	HasICMP bool
	ICMP    ICMPError

	// wireTransport is the transport length the IP header declares.
	// stable says Data and Payload stay valid after the next read (a
	// chunked pcap reader under Prefetch): they need no copy.
	stable bool

	wireTransport int
}

// Reset clears p for reuse, keeping nothing that aliases old buffers.
func (p *Packet) Reset() { *p = Packet{} }
