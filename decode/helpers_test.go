package decode

import (
	"encoding/binary"
	"net"
	"net/netip"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

var (
	cli4 = netip.MustParseAddr("192.0.2.10")
	srv4 = netip.MustParseAddr("198.51.100.20")
	rtr4 = netip.MustParseAddr("203.0.113.1")
	cli6 = netip.MustParseAddr("2001:db8::10")
	srv6 = netip.MustParseAddr("2001:db8:1::20")
	rtr6 = netip.MustParseAddr("2001:db8:ff::1")
)

// serialize builds a frame from layers with lengths and checksums fixed.
func serialize(t testing.TB, ls ...gopacket.SerializableLayer) []byte {
	t.Helper()
	buf := gopacket.NewSerializeBuffer()
	opts := gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}
	if err := gopacket.SerializeLayers(buf, opts, ls...); err != nil {
		t.Fatalf("serialize: %v", err)
	}
	return append([]byte(nil), buf.Bytes()...)
}

// tcpSeg describes a TCP segment for the builders.
type tcpSeg struct {
	v6         bool
	src, dst   netip.Addr
	sport      uint16
	dport      uint16
	seq, ack   uint32
	syn, ackF  bool
	psh, rst   bool
	payload    string
	ttl        uint8
	ext        []byte // IPv6 extension header bytes (v6 only); ext[0] is its next header
	extProto   uint8  // next header value pointing at ext
	fragOffset uint16 // IPv4 fragment offset (8-byte units)
	moreFrags  bool
}

// ipLayers returns the IP and TCP layers (and payload) of s.
func ipLayers(s tcpSeg) []gopacket.SerializableLayer {
	ttl := s.ttl
	if ttl == 0 {
		ttl = 64
	}
	tcp := &layers.TCP{
		SrcPort: layers.TCPPort(s.sport), DstPort: layers.TCPPort(s.dport),
		Seq: s.seq, Ack: s.ack, SYN: s.syn, ACK: s.ackF, PSH: s.psh, RST: s.rst,
		Window: 64240,
	}
	if s.syn {
		tcp.Options = []layers.TCPOption{{OptionType: layers.TCPOptionKindMSS, OptionLength: 4, OptionData: []byte{5, 0xb4}}}
	}
	var out []gopacket.SerializableLayer
	if s.v6 {
		ip := &layers.IPv6{Version: 6, HopLimit: ttl, NextHeader: layers.IPProtocolTCP,
			SrcIP: net.IP(s.src.AsSlice()), DstIP: net.IP(s.dst.AsSlice())}
		tcp.SetNetworkLayerForChecksum(ip)
		out = append(out, ip)
		if s.ext != nil {
			ip.NextHeader = layers.IPProtocol(s.extProto)
			out = append(out, gopacket.Payload(s.ext))
		}
	} else {
		ip := &layers.IPv4{Version: 4, IHL: 5, TTL: ttl, Protocol: layers.IPProtocolTCP,
			SrcIP: net.IP(s.src.AsSlice()), DstIP: net.IP(s.dst.AsSlice()),
			FragOffset: s.fragOffset}
		if s.moreFrags {
			ip.Flags = layers.IPv4MoreFragments
		}
		tcp.SetNetworkLayerForChecksum(ip)
		out = append(out, ip)
	}
	out = append(out, tcp)
	if s.payload != "" {
		out = append(out, gopacket.Payload(s.payload))
	}
	return out
}

// ethFrame builds an Ethernet frame around s, with the given VLAN tag
// ethertypes (outermost first).
func ethFrame(t testing.TB, s tcpSeg, tags ...layers.EthernetType) []byte {
	t.Helper()
	inner := layers.EthernetTypeIPv4
	if s.v6 {
		inner = layers.EthernetTypeIPv6
	}
	eth := &layers.Ethernet{SrcMAC: net.HardwareAddr{2, 0, 0, 0, 0, 1}, DstMAC: net.HardwareAddr{2, 0, 0, 0, 0, 2}}
	ls := []gopacket.SerializableLayer{eth}
	next := &eth.EthernetType
	for i, tt := range tags {
		*next = tt
		d := &layers.Dot1Q{VLANIdentifier: uint16(100 + i)}
		ls = append(ls, d)
		next = &d.Type
	}
	*next = inner
	return serialize(t, append(ls, ipLayers(s)...)...)
}

// ipPacket serializes just the IP packet of s.
func ipPacket(t testing.TB, s tcpSeg) []byte {
	t.Helper()
	return serialize(t, ipLayers(s)...)
}

// syn4 and syn6 are the SYNs most tests use.
var (
	syn4 = tcpSeg{src: cli4, dst: srv4, sport: 40000, dport: 21, seq: 1000, syn: true}
	syn6 = tcpSeg{v6: true, src: cli6, dst: srv6, sport: 40000, dport: 21, seq: 1000, syn: true}
)

// icmp4Unreach builds an Ethernet frame carrying an ICMPv4 destination
// unreachable from rtr4 that quotes the IP header and the first quoteTCP
// bytes of the TCP header of s.
func icmp4Unreach(t testing.TB, s tcpSeg, code uint8, quoteTCP int) []byte {
	t.Helper()
	q := ipPacket(t, s)
	q = q[:20+quoteTCP]
	return serialize(t,
		&layers.Ethernet{SrcMAC: net.HardwareAddr{2, 0, 0, 0, 0, 3}, DstMAC: net.HardwareAddr{2, 0, 0, 0, 0, 1}, EthernetType: layers.EthernetTypeIPv4},
		&layers.IPv4{Version: 4, IHL: 5, TTL: 250, Protocol: layers.IPProtocolICMPv4,
			SrcIP: net.IP(rtr4.AsSlice()), DstIP: net.IP(s.src.AsSlice())},
		&layers.ICMPv4{TypeCode: layers.CreateICMPv4TypeCode(3, code)},
		gopacket.Payload(q))
}

// icmp6Unreach is icmp4Unreach for ICMPv6 (type typ).
func icmp6Unreach(t testing.TB, s tcpSeg, typ, code uint8, quoteTCP int) []byte {
	t.Helper()
	q := ipPacket(t, s)
	q = q[:len(q)-len(s.payload)-24+quoteTCP] // SYN has a 24-byte TCP header
	ip := &layers.IPv6{Version: 6, HopLimit: 250, NextHeader: layers.IPProtocolICMPv6,
		SrcIP: net.IP(rtr6.AsSlice()), DstIP: net.IP(s.src.AsSlice())}
	icmp := &layers.ICMPv6{TypeCode: layers.CreateICMPv6TypeCode(typ, code)}
	icmp.SetNetworkLayerForChecksum(ip)
	return serialize(t,
		&layers.Ethernet{SrcMAC: net.HardwareAddr{2, 0, 0, 0, 0, 3}, DstMAC: net.HardwareAddr{2, 0, 0, 0, 0, 1}, EthernetType: layers.EthernetTypeIPv6},
		ip, icmp, gopacket.Payload(append(make([]byte, 4), q...)))
}

// sllHeader is a Linux cooked v1 header for ethertype et.
func sllHeader(et uint16) []byte {
	h := make([]byte, 16)
	binary.BigEndian.PutUint16(h[0:2], 0) // to us
	binary.BigEndian.PutUint16(h[2:4], 1) // ARPHRD_ETHER
	binary.BigEndian.PutUint16(h[4:6], 6)
	copy(h[6:12], []byte{2, 0, 0, 0, 0, 9})
	binary.BigEndian.PutUint16(h[14:16], et)
	return h
}

// sll2Header is a Linux cooked v2 header for ethertype et.
func sll2Header(et uint16) []byte {
	h := make([]byte, 20)
	binary.BigEndian.PutUint16(h[0:2], et)
	binary.BigEndian.PutUint32(h[4:8], 2) // ifindex
	binary.BigEndian.PutUint16(h[8:10], 1)
	h[10] = 4 // outgoing
	h[11] = 6
	copy(h[12:18], []byte{2, 0, 0, 0, 0, 9})
	return h
}

// nullHeader is a BSD loopback header for family af in the given order.
func nullHeader(af uint32, big bool) []byte {
	h := make([]byte, 4)
	if big {
		binary.BigEndian.PutUint32(h, af)
	} else {
		binary.LittleEndian.PutUint32(h, af)
	}
	return h
}

func cat(bs ...[]byte) []byte {
	var out []byte
	for _, b := range bs {
		out = append(out, b...)
	}
	return out
}
