package decode

import (
	"net/netip"
	"testing"

	"github.com/gopacket/gopacket/layers"
)

// want is what a decoder test checks; zero fields are checked too.
type want struct {
	ipv        uint8
	src, dst   netip.Addr
	ttl, proto uint8
	frag       bool
	trunc      bool
	vlans      uint8
	hasTCP     bool
	tcp        TCP
	payload    string
	hasICMP    bool
	icmp       ICMPError
}

func checkPacket(t *testing.T, p *Packet, w want) {
	t.Helper()
	if p.IPVersion != w.ipv || p.Src != w.src || p.Dst != w.dst || p.TTL != w.ttl || p.Proto != w.proto {
		t.Errorf("ip: got v%d %v->%v ttl %d proto %d, want v%d %v->%v ttl %d proto %d",
			p.IPVersion, p.Src, p.Dst, p.TTL, p.Proto, w.ipv, w.src, w.dst, w.ttl, w.proto)
	}
	if p.Fragment != w.frag || p.Truncated != w.trunc || p.VLANs != w.vlans {
		t.Errorf("flags: got frag=%v trunc=%v vlans=%d, want frag=%v trunc=%v vlans=%d",
			p.Fragment, p.Truncated, p.VLANs, w.frag, w.trunc, w.vlans)
	}
	if p.HasTCP != w.hasTCP || p.TCP != w.tcp || string(p.Payload) != w.payload {
		t.Errorf("tcp: got %v %+v %q, want %v %+v %q", p.HasTCP, p.TCP, p.Payload, w.hasTCP, w.tcp, w.payload)
	}
	if p.HasICMP != w.hasICMP || p.ICMP != w.icmp {
		t.Errorf("icmp: got %v %+v, want %v %+v", p.HasICMP, p.ICMP, w.hasICMP, w.icmp)
	}
}

func TestDecode(t *testing.T) {
	data4 := tcpSeg{src: cli4, dst: srv4, sport: 40001, dport: 21, seq: 7, ack: 9, ackF: true, psh: true, payload: "USER anonymous\r\n"}
	data6 := data4
	data6.v6, data6.src, data6.dst = true, cli6, srv6
	synTCP := TCP{SrcPort: 40000, DstPort: 21, Seq: 1000, Flags: SYN, Window: 64240}
	dataTCP := TCP{SrcPort: 40001, DstPort: 21, Seq: 7, Ack: 9, Flags: PSH | ACK, Window: 64240}
	w4 := want{ipv: 4, src: cli4, dst: srv4, ttl: 64, proto: 6, hasTCP: true, tcp: dataTCP, payload: "USER anonymous\r\n"}
	w6 := want{ipv: 6, src: cli6, dst: srv6, ttl: 64, proto: 6, hasTCP: true, tcp: dataTCP, payload: "USER anonymous\r\n"}
	with := func(w want, f func(*want)) want { f(&w); return w }

	ip4 := ipPacket(t, data4)
	ip6 := ipPacket(t, data6)
	// A destination options header (8 bytes, PadN) in front of TCP.
	dst6 := data6
	dst6.ext, dst6.extProto = []byte{6, 0, 1, 4, 0, 0, 0, 0}, 60
	// Hop-by-hop, then routing (type 0, no addresses), then TCP.
	hbh6 := data6
	hbh6.ext, hbh6.extProto = []byte{43, 0, 1, 4, 0, 0, 0, 0, 6, 0, 0, 0, 0, 0, 0, 0}, 0
	frag6 := data6
	frag6.ext, frag6.extProto = []byte{6, 0, 0, 1, 0, 0, 0, 42}, 44 // first fragment, M=1
	frag4 := data4
	frag4.moreFrags = true
	frag4b := data4
	frag4b.fragOffset = 3

	// Ethernet minimum frame: a bare ACK is padded to 60 bytes.
	ack4 := tcpSeg{src: cli4, dst: srv4, sport: 40001, dport: 21, seq: 7, ack: 9, ackF: true}
	padded := ethFrame(t, ack4)
	padded = append(padded, make([]byte, 60-len(padded))...)
	padded[len(padded)-1] = 0xee

	tests := []struct {
		name string
		lt   LinkType
		data []byte
		wire int
		want want
	}{
		{"ethernet ipv4", LinkTypeEthernet, ethFrame(t, data4), 0, w4},
		{"ethernet ipv6", LinkTypeEthernet, ethFrame(t, data6), 0, w6},
		{"ethernet syn", LinkTypeEthernet, ethFrame(t, syn4), 0, want{ipv: 4, src: cli4, dst: srv4, ttl: 64, proto: 6, hasTCP: true, tcp: synTCP}},
		{"802.1Q", LinkTypeEthernet, ethFrame(t, data4, layers.EthernetTypeDot1Q), 0, with(w4, func(w *want) { w.vlans = 1 })},
		{"QinQ 802.1ad", LinkTypeEthernet, ethFrame(t, data6, layers.EthernetTypeQinQ, layers.EthernetTypeDot1Q), 0, with(w6, func(w *want) { w.vlans = 2 })},
		{"three tags", LinkTypeEthernet, ethFrame(t, data4, layers.EthernetTypeQinQ, 0x9100, layers.EthernetTypeDot1Q), 0, with(w4, func(w *want) { w.vlans = 3 })},
		{"too many tags", LinkTypeEthernet, ethFrame(t, data4, layers.EthernetTypeQinQ, 0x8100, 0x8100, 0x8100, 0x8100, 0x8100, 0x8100, 0x8100, 0x8100), 0, want{vlans: MaxVLANTags}},
		{"ethernet padding", LinkTypeEthernet, padded, 0, want{ipv: 4, src: cli4, dst: srv4, ttl: 64, proto: 6, hasTCP: true, tcp: TCP{SrcPort: 40001, DstPort: 21, Seq: 7, Ack: 9, Flags: ACK, Window: 64240}}},
		{"arp", LinkTypeEthernet, cat(make([]byte, 12), []byte{0x08, 0x06}, make([]byte, 28)), 0, want{}},
		{"vlan arp", LinkTypeEthernet, cat(make([]byte, 12), []byte{0x81, 0, 0, 5, 0x08, 0x06}, make([]byte, 28)), 0, want{vlans: 1}},
		{"short ethernet", LinkTypeEthernet, make([]byte, 10), 0, want{trunc: true}},
		{"sll ipv4", LinkTypeLinuxSLL, cat(sllHeader(0x0800), ip4), 0, w4},
		{"sll vlan ipv6", LinkTypeLinuxSLL, cat(sllHeader(0x8100), []byte{0, 7, 0x86, 0xdd}, ip6), 0, with(w6, func(w *want) { w.vlans = 1 })},
		{"sll2 ipv6", LinkTypeLinuxSLL2, cat(sll2Header(0x86dd), ip6), 0, w6},
		{"sll2 short", LinkTypeLinuxSLL2, sll2Header(0x86dd)[:12], 0, want{trunc: true}},
		{"raw ipv4", LinkTypeRaw, ip4, 0, w4},
		{"raw ipv6", LinkTypeRaw, ip6, 0, w6},
		{"raw 12", LinkTypeRawOpenBSD, ip6, 0, w6},
		{"raw 14", LinkTypeRawBSDOS, ip4, 0, w4},
		{"raw garbage", LinkTypeRaw, []byte{0x50, 1, 2}, 0, want{}},
		{"raw empty", LinkTypeRaw, nil, 0, want{trunc: true}},
		{"ipv4 228", LinkTypeIPv4, ip4, 0, w4},
		{"ipv6 229", LinkTypeIPv6, ip6, 0, w6},
		{"null le v4", LinkTypeNull, cat(nullHeader(2, false), ip4), 0, w4},
		{"null be v4", LinkTypeNull, cat(nullHeader(2, true), ip4), 0, w4},
		{"null le v6 24", LinkTypeNull, cat(nullHeader(24, false), ip6), 0, w6},
		{"null le v6 28", LinkTypeNull, cat(nullHeader(28, false), ip6), 0, w6},
		{"null be v6 30", LinkTypeNull, cat(nullHeader(30, true), ip6), 0, w6},
		{"loop be v4", LinkTypeLoop, cat(nullHeader(2, true), ip4), 0, w4},
		{"loop le v6", LinkTypeLoop, cat(nullHeader(30, false), ip6), 0, w6},
		{"null unknown af", LinkTypeNull, cat(nullHeader(7, false), ip4), 0, want{}},
		{"unsupported link type", 9999, ethFrame(t, data4), 0, want{}},
		{"ipv6 dest opts", LinkTypeRaw, ipPacket(t, dst6), 0, w6},
		{"ipv6 hbh+routing", LinkTypeRaw, ipPacket(t, hbh6), 0, w6},
		{"ipv6 fragment", LinkTypeRaw, ipPacket(t, frag6), 0, want{ipv: 6, src: cli6, dst: srv6, ttl: 64, proto: 6, frag: true}},
		{"ipv4 first fragment", LinkTypeRaw, ipPacket(t, frag4), 0, want{ipv: 4, src: cli4, dst: srv4, ttl: 64, proto: 6, frag: true}},
		{"ipv4 later fragment", LinkTypeRaw, ipPacket(t, frag4b), 0, want{ipv: 4, src: cli4, dst: srv4, ttl: 64, proto: 6, frag: true}},
		{"snaplen cut payload", LinkTypeRaw, ip4[:len(ip4)-4], len(ip4), with(w4, func(w *want) { w.trunc = true; w.payload = "USER anonymo" })},
		{"snaplen cut tcp options", LinkTypeRaw, ipPacket(t, syn4)[:42], 64, want{ipv: 4, src: cli4, dst: srv4, ttl: 64, proto: 6, hasTCP: true, tcp: synTCP, trunc: true}},
		{"snaplen cut tcp header", LinkTypeRaw, ip4[:30], len(ip4), want{ipv: 4, src: cli4, dst: srv4, ttl: 64, proto: 6, trunc: true}},
		{"ipv4 header cut", LinkTypeRaw, ip4[:12], len(ip4), want{trunc: true}},
		{"ipv6 header cut", LinkTypeRaw, ip6[:30], len(ip6), want{trunc: true}},
		{"icmpv4 unreachable quoting 8 tcp bytes", LinkTypeEthernet, icmp4Unreach(t, syn4, 13, 8), 0, want{
			ipv: 4, src: rtr4, dst: cli4, ttl: 250, proto: 1, hasICMP: true,
			icmp: ICMPError{Type: 3, Code: 13, Proto: 6, Src: cli4, Dst: srv4, SrcPort: 40000, DstPort: 21, HasPorts: true, Seq: 1000, HasSeq: true}}},
		{"icmpv4 unreachable quoting 4 tcp bytes", LinkTypeEthernet, icmp4Unreach(t, syn4, 1, 4), 0, want{
			ipv: 4, src: rtr4, dst: cli4, ttl: 250, proto: 1, hasICMP: true,
			icmp: ICMPError{Type: 3, Code: 1, Proto: 6, Src: cli4, Dst: srv4, SrcPort: 40000, DstPort: 21, HasPorts: true}}},
		{"icmpv4 unreachable quoting whole syn", LinkTypeEthernet, icmp4Unreach(t, syn4, 3, 24), 0, want{
			ipv: 4, src: rtr4, dst: cli4, ttl: 250, proto: 1, hasICMP: true,
			icmp: ICMPError{Type: 3, Code: 3, Proto: 6, Src: cli4, Dst: srv4, SrcPort: 40000, DstPort: 21, HasPorts: true, Seq: 1000, HasSeq: true}}},
		{"icmpv6 unreachable quoting 8 tcp bytes", LinkTypeEthernet, icmp6Unreach(t, syn6, 1, 1, 8), 0, want{
			ipv: 6, src: rtr6, dst: cli6, ttl: 250, proto: 58, hasICMP: true,
			icmp: ICMPError{V6: true, Type: 1, Code: 1, Proto: 6, Src: cli6, Dst: srv6, SrcPort: 40000, DstPort: 21, HasPorts: true, Seq: 1000, HasSeq: true}}},
		{"icmpv6 time exceeded", LinkTypeEthernet, icmp6Unreach(t, syn6, 3, 0, 8), 0, want{
			ipv: 6, src: rtr6, dst: cli6, ttl: 250, proto: 58, hasICMP: true,
			icmp: ICMPError{V6: true, Type: 3, Proto: 6, Src: cli6, Dst: srv6, SrcPort: 40000, DstPort: 21, HasPorts: true, Seq: 1000, HasSeq: true}}},
		{"icmpv6 echo is not an error", LinkTypeEthernet, icmp6Unreach(t, syn6, 128, 0, 8), 0, want{
			ipv: 6, src: rtr6, dst: cli6, ttl: 250, proto: 58}},
	}
	d := NewDecoder()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			wire := tc.wire
			if wire == 0 {
				wire = len(tc.data)
			}
			// Stale values must be cleared by Decode.
			p := &Packet{Num: 5, LinkType: tc.lt, Data: tc.data, CapLen: len(tc.data), WireLen: wire,
				HasTCP: true, HasICMP: true, Payload: []byte("stale"), VLANs: 9, Truncated: true, IPVersion: 9}
			d.Decode(p)
			checkPacket(t, p, tc.want)
			if p.Num != 5 || len(p.Data) != len(tc.data) {
				t.Errorf("capture fields changed: num %d len %d", p.Num, len(p.Data))
			}
		})
	}
}

// TestDecodeEveryPrefix decodes every prefix of a set of frames: no panic,
// and a frame cut anywhere is either marked truncated or decodes as less.
func TestDecodeEveryPrefix(t *testing.T) {
	frames := []struct {
		lt   LinkType
		data []byte
	}{
		{LinkTypeEthernet, ethFrame(t, syn6, layers.EthernetTypeQinQ, layers.EthernetTypeDot1Q)},
		{LinkTypeEthernet, icmp4Unreach(t, syn4, 13, 8)},
		{LinkTypeEthernet, icmp6Unreach(t, syn6, 1, 4, 8)},
		{LinkTypeLinuxSLL2, cat(sll2Header(0x0800), ipPacket(t, syn4))},
		{LinkTypeNull, cat(nullHeader(30, false), ipPacket(t, syn6))},
	}
	d := NewDecoder()
	for _, f := range frames {
		for n := 0; n <= len(f.data); n++ {
			p := &Packet{LinkType: f.lt, Data: f.data[:n], CapLen: n, WireLen: len(f.data)}
			d.Decode(p)
			if n < len(f.data) && !p.Truncated {
				t.Errorf("link %d prefix %d/%d: not marked truncated", f.lt, n, len(f.data))
			}
			if len(p.Payload) > n {
				t.Errorf("payload longer than frame")
			}
		}
	}
}

func TestLinkTypeString(t *testing.T) {
	tests := []struct {
		lt   LinkType
		want string
		ok   bool
	}{
		{LinkTypeEthernet, "EN10MB", true},
		{LinkTypeLinuxSLL2, "LINUX_SLL2", true},
		{LinkTypeRaw, "RAW", true},
		{LinkType(147), "LINKTYPE_147", false},
	}
	for _, tc := range tests {
		if got := tc.lt.String(); got != tc.want {
			t.Errorf("%d: String() = %q, want %q", uint16(tc.lt), got, tc.want)
		}
		if tc.lt.Supported() != tc.ok {
			t.Errorf("%d: Supported() = %v", uint16(tc.lt), !tc.ok)
		}
	}
}
