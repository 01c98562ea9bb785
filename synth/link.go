package synth

import (
	"encoding/binary"
	"fmt"
	"net"
	"net/netip"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// Link is the link layer frames are wrapped in.
type Link int

const (
	// LinkEthernet is Ethernet II (DLT 1).
	LinkEthernet Link = iota
	// LinkDot1Q is Ethernet with one 802.1Q VLAN tag (VLAN 100).
	LinkDot1Q
	// LinkQinQ is Ethernet with an 802.1ad outer tag (S-VLAN 200) and an
	// 802.1Q inner tag (C-VLAN 100).
	LinkQinQ
	// LinkSLL is Linux cooked capture v1 (DLT 113).
	LinkSLL
	// LinkSLL2 is Linux cooked capture v2 (DLT 276).
	LinkSLL2
	// LinkRaw is raw IP with no link header (DLT 101).
	LinkRaw
	// LinkNull is BSD loopback encapsulation (DLT 0, host-order address
	// family, little-endian here).
	LinkNull
)

// LinkType returns the pcap link type number of l.
func (l Link) LinkType() layers.LinkType {
	switch l {
	case LinkSLL:
		return layers.LinkTypeLinuxSLL
	case LinkSLL2:
		return layers.LinkTypeLinuxSLL2
	case LinkRaw:
		return layers.LinkTypeRaw
	case LinkNull:
		return layers.LinkTypeNull
	}
	return layers.LinkTypeEthernet
}

// String names the link type.
func (l Link) String() string {
	switch l {
	case LinkEthernet:
		return "ethernet"
	case LinkDot1Q:
		return "802.1q"
	case LinkQinQ:
		return "qinq"
	case LinkSLL:
		return "sll"
	case LinkSLL2:
		return "sll2"
	case LinkRaw:
		return "raw"
	case LinkNull:
		return "null"
	}
	return fmt.Sprintf("link(%d)", int(l))
}

// macOf derives a stable locally administered MAC address from an IP address.
func macOf(a netip.Addr) net.HardwareAddr {
	b := a.As16()
	return net.HardwareAddr{0x02, 0x00, b[12], b[13], b[14], b[15]}
}

// sllLayer serializes a Linux cooked v1 header (gopacket only decodes it).
type sllLayer struct {
	pktType uint16
	addr    net.HardwareAddr
	proto   layers.EthernetType
}

func (l *sllLayer) LayerType() gopacket.LayerType { return layers.LayerTypeLinuxSLL }

func (l *sllLayer) SerializeTo(b gopacket.SerializeBuffer, _ gopacket.SerializeOptions) error {
	h, err := b.PrependBytes(16)
	if err != nil {
		return err
	}
	binary.BigEndian.PutUint16(h[0:], l.pktType)
	binary.BigEndian.PutUint16(h[2:], 1) // ARPHRD_ETHER
	binary.BigEndian.PutUint16(h[4:], uint16(len(l.addr)))
	clear(h[6:14])
	copy(h[6:14], l.addr)
	binary.BigEndian.PutUint16(h[14:], uint16(l.proto))
	return nil
}

// sll2Layer serializes a Linux cooked v2 header.
type sll2Layer struct {
	pktType uint8
	ifIndex uint32
	addr    net.HardwareAddr
	proto   layers.EthernetType
}

func (l *sll2Layer) LayerType() gopacket.LayerType { return layers.LayerTypeLinuxSLL2 }

func (l *sll2Layer) SerializeTo(b gopacket.SerializeBuffer, _ gopacket.SerializeOptions) error {
	h, err := b.PrependBytes(20)
	if err != nil {
		return err
	}
	binary.BigEndian.PutUint16(h[0:], uint16(l.proto))
	binary.BigEndian.PutUint16(h[2:], 0)
	binary.BigEndian.PutUint32(h[4:], l.ifIndex)
	binary.BigEndian.PutUint16(h[8:], 1) // ARPHRD_ETHER
	h[10] = l.pktType
	h[11] = uint8(len(l.addr))
	clear(h[12:20])
	copy(h[12:20], l.addr)
	return nil
}

// layerCache holds reusable layer structs so that emitting a frame does not
// allocate them.
type layerCache struct {
	eth     layers.Ethernet
	outer   layers.Dot1Q
	inner   layers.Dot1Q
	sll     sllLayer
	sll2    sll2Layer
	loop    layers.Loopback
	ip4     layers.IPv4
	ip6     layers.IPv6
	tcp     layers.TCP
	icmp4   layers.ICMPv4
	icmp6   layers.ICMPv6
	payload gopacket.Payload
	stack   []gopacket.SerializableLayer
	link    []gopacket.SerializableLayer
}

// ipLayer prepares the IPv4 or IPv6 header for a packet from src to dst.
func (c *Capture) ipLayer(src, dst netip.Addr, proto layers.IPProtocol, flow uint32) gopacket.NetworkLayer {
	ly := &c.ly
	if src.Is4() {
		id := c.ipID[src]
		if id == 0 {
			id = uint16(c.rng.Intn(60000) + 1)
		}
		c.ipID[src] = id + 1
		s, d := src.As4(), dst.As4()
		ly.ip4 = layers.IPv4{
			Version: 4, IHL: 5, TTL: c.ttlOf(src), Protocol: proto, Id: id,
			SrcIP: append(ly.ip4.SrcIP[:0], s[:]...), DstIP: append(ly.ip4.DstIP[:0], d[:]...),
		}
		if proto == layers.IPProtocolTCP {
			ly.ip4.Flags = layers.IPv4DontFragment
		}
		return &ly.ip4
	}
	s, d := src.As16(), dst.As16()
	ly.ip6 = layers.IPv6{
		Version: 6, HopLimit: c.ttlOf(src), NextHeader: proto, FlowLabel: flow,
		SrcIP: append(ly.ip6.SrcIP[:0], s[:]...), DstIP: append(ly.ip6.DstIP[:0], d[:]...),
	}
	return &ly.ip6
}

// serialize serializes net + l4 + payload into c.buf, then prepends the
// current interface's link header. It returns the IP packet's offset and
// length within c.buf.Bytes().
func (c *Capture) serialize(src, dst netip.Addr, nl gopacket.NetworkLayer, l4 gopacket.SerializableLayer, payload []byte) (off, n int, err error) {
	ly := &c.ly
	ly.payload = payload
	ly.stack = append(ly.stack[:0], nl.(gopacket.SerializableLayer), l4, &ly.payload)
	if err := gopacket.SerializeLayers(c.buf, c.sopt, ly.stack...); err != nil {
		return 0, 0, fmt.Errorf("serialize %s > %s: %w", src, dst, err)
	}
	n = len(c.buf.Bytes())
	et := layers.EthernetTypeIPv4
	if src.Is6() {
		et = layers.EthernetTypeIPv6
	}
	ly.link = ly.link[:0]
	switch c.ifaces[c.cur].link {
	case LinkEthernet, LinkDot1Q, LinkQinQ:
		ly.eth = layers.Ethernet{SrcMAC: macOf(src), DstMAC: macOf(dst), EthernetType: et}
		switch c.ifaces[c.cur].link {
		case LinkDot1Q:
			ly.eth.EthernetType = layers.EthernetTypeDot1Q
			ly.inner = layers.Dot1Q{VLANIdentifier: 100, Type: et}
			ly.link = append(ly.link, &ly.eth, &ly.inner)
		case LinkQinQ:
			ly.eth.EthernetType = layers.EthernetTypeQinQ
			ly.outer = layers.Dot1Q{VLANIdentifier: 200, Type: layers.EthernetTypeDot1Q}
			ly.inner = layers.Dot1Q{VLANIdentifier: 100, Type: et}
			ly.link = append(ly.link, &ly.eth, &ly.outer, &ly.inner)
		default:
			ly.link = append(ly.link, &ly.eth)
		}
	case LinkSLL:
		ly.sll = sllLayer{pktType: 0, addr: macOf(src), proto: et}
		ly.link = append(ly.link, &ly.sll)
	case LinkSLL2:
		ly.sll2 = sll2Layer{pktType: 0, ifIndex: 2, addr: macOf(src), proto: et}
		ly.link = append(ly.link, &ly.sll2)
	case LinkNull:
		ly.loop = layers.Loopback{Family: layers.ProtocolFamilyIPv4}
		if src.Is6() {
			ly.loop.Family = layers.ProtocolFamilyIPv6Darwin
		}
		ly.link = append(ly.link, &ly.loop)
	}
	for i := len(ly.link) - 1; i >= 0; i-- {
		if err := ly.link[i].SerializeTo(c.buf, c.sopt); err != nil {
			return 0, 0, fmt.Errorf("serialize link header: %w", err)
		}
	}
	return c.ifaces[c.cur].link.headerLen(), n, nil
}

// headerLen is the length of the link header l prepends.
func (l Link) headerLen() int {
	switch l {
	case LinkEthernet:
		return 14
	case LinkDot1Q:
		return 18
	case LinkQinQ:
		return 22
	case LinkSLL:
		return 16
	case LinkSLL2:
		return 20
	case LinkNull:
		return 4
	}
	return 0
}
