package decode

import (
	"encoding/binary"
	"testing"

	"golang.org/x/net/bpf"
)

// skbMeta is what the kernel's ancillary loads (SKF_AD_*) see.
type skbMeta struct {
	pktType   uint32 // SKF_AD_PKTTYPE
	vlanTag   bool   // SKF_AD_VLAN_TAG_PRESENT
	proto     uint32 // SKF_AD_PROTOCOL (host order ethertype)
	ifindex   uint32 // SKF_AD_IFINDEX
	extLoaded map[bpf.Extension]bool
}

// runKernelBPF interprets the subset of classic BPF the capture filters use,
// including the Linux ancillary loads that x/net/bpf's VM does not
// implement. Out-of-bounds loads drop the packet, as in the kernel.
func runKernelBPF(t *testing.T, prog []bpf.Instruction, pkt []byte, m skbMeta) uint32 {
	t.Helper()
	var a uint32
	for pc := 0; pc < len(prog); pc++ {
		switch ins := prog[pc].(type) {
		case bpf.LoadAbsolute:
			end := int(ins.Off) + ins.Size
			if end > len(pkt) {
				return 0
			}
			b := pkt[ins.Off:end]
			switch ins.Size {
			case 1:
				a = uint32(b[0])
			case 2:
				a = uint32(binary.BigEndian.Uint16(b))
			case 4:
				a = binary.BigEndian.Uint32(b)
			}
		case bpf.LoadExtension:
			if m.extLoaded != nil {
				m.extLoaded[ins.Num] = true
			}
			switch ins.Num {
			case bpf.ExtType:
				a = m.pktType
			case bpf.ExtVLANTagPresent:
				a = 0
				if m.vlanTag {
					a = 1
				}
			case bpf.ExtProto:
				a = m.proto
			case bpf.ExtInterfaceIndex:
				a = m.ifindex
			case bpf.ExtLen:
				a = uint32(len(pkt))
			default:
				t.Fatalf("pc %d: extension %v not emulated", pc, ins.Num)
			}
		case bpf.JumpIf:
			if ins.Cond != bpf.JumpEqual {
				t.Fatalf("pc %d: condition %v not emulated", pc, ins.Cond)
			}
			if a == ins.Val {
				pc += int(ins.SkipTrue)
			} else {
				pc += int(ins.SkipFalse)
			}
		case bpf.RetConstant:
			return ins.Val
		default:
			t.Fatalf("pc %d: instruction %T not emulated", pc, ins)
		}
	}
	t.Fatal("program fell off its end")
	return 0
}

// Frame builders: an Ethernet header, optional in-band VLAN tags, then an
// IPv4 or IPv6 header with the given protocol and 20 bytes of transport.
func ether(etype uint16, tags int, payload []byte) []byte {
	b := make([]byte, 12, 64)
	for i := 0; i < tags; i++ {
		b = binary.BigEndian.AppendUint16(b, 0x8100)
		b = binary.BigEndian.AppendUint16(b, 100)
	}
	b = binary.BigEndian.AppendUint16(b, etype)
	return append(b, payload...)
}

func ip4(proto uint8) []byte {
	h := make([]byte, 40)
	h[0] = 0x45
	binary.BigEndian.PutUint16(h[2:], 40)
	h[8] = 64
	h[9] = proto
	return h
}

func ip6(next uint8, fragNext uint8) []byte {
	h := make([]byte, 40, 68)
	h[0] = 0x60
	h[6] = next
	h[7] = 64
	if next == 44 {
		f := make([]byte, 8)
		f[0] = fragNext
		h = append(h, f...)
	}
	return append(h, make([]byte, 20)...)
}

func TestLiveBPFEthernet(t *testing.T) {
	arp := ether(0x0806, 0, make([]byte, 28))
	cases := []struct {
		name string
		pkt  []byte
		vlan bool
		want bool
	}{
		{"ipv4 tcp", ether(0x0800, 0, ip4(6)), false, true},
		{"ipv4 icmp", ether(0x0800, 0, ip4(1)), false, true},
		{"ipv4 udp", ether(0x0800, 0, ip4(17)), false, false},
		{"ipv6 tcp", ether(0x86dd, 0, ip6(6, 0)), false, true},
		{"ipv6 icmp6", ether(0x86dd, 0, ip6(58, 0)), false, true},
		{"ipv6 udp", ether(0x86dd, 0, ip6(17, 0)), false, false},
		{"ipv6 fragment tcp", ether(0x86dd, 0, ip6(44, 6)), false, true},
		{"ipv6 fragment udp", ether(0x86dd, 0, ip6(44, 17)), false, false},
		{"arp", arp, false, false},
		{"offloaded vlan udp", ether(0x0800, 0, ip4(17)), true, true},
		{"in-band vlan tcp", ether(0x0800, 1, ip4(6)), false, true},
		{"in-band vlan udp", ether(0x0800, 1, ip4(17)), false, true},
		{"in-band 802.1ad", append(append([]byte{}, make([]byte, 12)...), 0x88, 0xa8, 0, 1, 0x08, 0x06), false, true},
		{"short frame", []byte{1, 2, 3}, false, false},
	}
	for _, c := range cases {
		got := runKernelBPF(t, bpfEthernet, c.pkt, skbMeta{vlanTag: c.vlan})
		if (got != 0) != c.want {
			t.Errorf("%s: verdict %d, want pass=%v", c.name, got, c.want)
		}
		if got != 0 && got != LiveSnapLen {
			t.Errorf("%s: snap length %d, want %d", c.name, got, LiveSnapLen)
		}
	}
}

func TestLiveBPFCooked(t *testing.T) {
	cases := []struct {
		name  string
		proto uint32
		pkt   []byte
		want  bool
	}{
		{"ipv4 tcp", 0x0800, ip4(6), true},
		{"ipv4 icmp", 0x0800, ip4(1), true},
		{"ipv4 udp", 0x0800, ip4(17), false},
		{"ipv6 tcp", 0x86dd, ip6(6, 0), true},
		{"ipv6 icmp6", 0x86dd, ip6(58, 0), true},
		{"ipv6 udp", 0x86dd, ip6(17, 0), false},
		{"ipv6 fragment tcp", 0x86dd, ip6(44, 6), true},
		{"ipv6 fragment icmp6", 0x86dd, ip6(44, 58), true},
		{"ipv6 fragment udp", 0x86dd, ip6(44, 17), false},
		{"arp", 0x0806, make([]byte, 28), false},
	}
	for _, c := range cases {
		got := runKernelBPF(t, bpfCooked, c.pkt, skbMeta{proto: c.proto})
		if (got != 0) != c.want {
			t.Errorf("%s: verdict %d, want pass=%v", c.name, got, c.want)
		}
	}
}

func TestLiveBPFLoopbackPrefix(t *testing.T) {
	prog, err := dropOutgoing(bpfEthernet, 0)
	if err != nil {
		t.Fatal(err)
	}
	tcp := ether(0x0800, 0, ip4(6))
	udp := ether(0x0800, 0, ip4(17))
	for _, c := range []struct {
		name    string
		pkt     []byte
		pktType uint32
		want    bool
	}{
		{"incoming tcp", tcp, 0, true},
		{"host tcp", tcp, 0, true},
		{"outgoing tcp", tcp, packetOutgoing, false},
		{"incoming udp", udp, 0, false},
	} {
		got := runKernelBPF(t, prog, c.pkt, skbMeta{pktType: c.pktType})
		if (got != 0) != c.want {
			t.Errorf("%s: verdict %d, want pass=%v", c.name, got, c.want)
		}
	}

	// "any": only outgoing copies on the loopback interface (index 1) go.
	prog, err = dropOutgoing(bpfCooked, 1)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name             string
		pktType, ifindex uint32
		want             bool
	}{
		{"lo incoming", 0, 1, true},
		{"lo outgoing", packetOutgoing, 1, false},
		{"eth0 outgoing", packetOutgoing, 2, true},
		{"eth0 incoming", 0, 2, true},
	} {
		got := runKernelBPF(t, prog, ip4(6), skbMeta{pktType: c.pktType, ifindex: c.ifindex, proto: 0x0800})
		if (got != 0) != c.want {
			t.Errorf("any %s: verdict %d, want pass=%v", c.name, got, c.want)
		}
	}

	if _, err := dropOutgoing([]bpf.Instruction{bpf.RetConstant{Val: 1}}, 0); err == nil {
		t.Error("dropOutgoing accepted a program not ending in ret #0")
	}
	for _, v := range []struct{ cooked, lo bool }{{false, false}, {false, true}, {true, false}} {
		raw, err := liveProgram(v.cooked, v.lo, 1)
		if err != nil || len(raw) == 0 {
			t.Errorf("liveProgram(%v, %v) = %d instructions, %v", v.cooked, v.lo, len(raw), err)
		}
	}
}

// bpfEthernetFile is bpfEthernet without the ancillary VLAN test: the
// program libpcap compiles for "tcp or icmp or icmp6 or vlan" on a dead
// DLT_EN10MB handle (tcpdump -y EN10MB -dd), byte for byte.
var bpfEthernetFile = []bpf.Instruction{
	bpf.LoadAbsolute{Off: 12, Size: 2},
	bpf.JumpIf{Cond: bpf.JumpEqual, Val: 0x0800, SkipFalse: 3},
	bpf.LoadAbsolute{Off: 23, Size: 1},
	bpf.JumpIf{Cond: bpf.JumpEqual, Val: 6, SkipTrue: 11},
	bpf.JumpIf{Cond: bpf.JumpEqual, Val: 1, SkipTrue: 10, SkipFalse: 11},
	bpf.JumpIf{Cond: bpf.JumpEqual, Val: 0x86dd, SkipFalse: 6},
	bpf.LoadAbsolute{Off: 20, Size: 1},
	bpf.JumpIf{Cond: bpf.JumpEqual, Val: 6, SkipTrue: 7},
	bpf.JumpIf{Cond: bpf.JumpEqual, Val: 44, SkipFalse: 2},
	bpf.LoadAbsolute{Off: 54, Size: 1},
	bpf.JumpIf{Cond: bpf.JumpEqual, Val: 6, SkipTrue: 4},
	bpf.JumpIf{Cond: bpf.JumpEqual, Val: 58, SkipTrue: 3, SkipFalse: 4},
	bpf.JumpIf{Cond: bpf.JumpEqual, Val: 0x8100, SkipTrue: 2},
	bpf.JumpIf{Cond: bpf.JumpEqual, Val: 0x88a8, SkipTrue: 1},
	bpf.JumpIf{Cond: bpf.JumpEqual, Val: 0x9100, SkipFalse: 1},
	bpf.RetConstant{Val: LiveSnapLen},
	bpf.RetConstant{Val: 0},
}

// TestLiveBPFVMCrossCheck runs the extension-free file variant in
// x/net/bpf's VM and in runKernelBPF, and checks that bpfEthernet (which
// the VM cannot run: it has no SKF_AD_VLAN_TAG_PRESENT) agrees with it on
// every frame without an offloaded tag.
func TestLiveBPFVMCrossCheck(t *testing.T) {
	// tcpdump 4.99.3 / libpcap 1.10.3: tcpdump -y EN10MB -dd 'tcp or icmp or icmp6 or vlan'
	want := []bpf.RawInstruction{
		{Op: 0x28, K: 12}, {Op: 0x15, Jf: 3, K: 0x800}, {Op: 0x30, K: 23}, {Op: 0x15, Jt: 11, K: 6},
		{Op: 0x15, Jt: 10, Jf: 11, K: 1}, {Op: 0x15, Jf: 6, K: 0x86dd}, {Op: 0x30, K: 20},
		{Op: 0x15, Jt: 7, K: 6}, {Op: 0x15, Jf: 2, K: 44}, {Op: 0x30, K: 54}, {Op: 0x15, Jt: 4, K: 6},
		{Op: 0x15, Jt: 3, Jf: 4, K: 58}, {Op: 0x15, Jt: 2, K: 0x8100}, {Op: 0x15, Jt: 1, K: 0x88a8},
		{Op: 0x15, Jf: 1, K: 0x9100}, {Op: 0x6, K: 0x40000}, {Op: 0x6, K: 0},
	}
	raw, err := bpf.Assemble(bpfEthernetFile)
	if err != nil {
		t.Fatal(err)
	}
	if len(raw) != len(want) {
		t.Fatalf("file variant has %d instructions, tcpdump %d", len(raw), len(want))
	}
	for i := range raw {
		if raw[i] != want[i] {
			t.Errorf("instruction %d: %+v, tcpdump %+v", i, raw[i], want[i])
		}
	}
	vm, err := bpf.NewVM(bpfEthernetFile)
	if err != nil {
		t.Fatal(err)
	}
	frames := [][]byte{
		ether(0x0800, 0, ip4(6)), ether(0x0800, 0, ip4(1)), ether(0x0800, 0, ip4(17)),
		ether(0x86dd, 0, ip6(6, 0)), ether(0x86dd, 0, ip6(58, 0)), ether(0x86dd, 0, ip6(17, 0)),
		ether(0x86dd, 0, ip6(44, 6)), ether(0x86dd, 0, ip6(44, 17)), ether(0x0806, 0, make([]byte, 28)),
		ether(0x0800, 1, ip4(17)), ether(0x0800, 2, ip4(6)),
	}
	for i, f := range frames {
		got, err := vm.Run(f)
		if err != nil {
			t.Fatal(err)
		}
		mine := runKernelBPF(t, bpfEthernetFile, f, skbMeta{})
		kernel := runKernelBPF(t, bpfEthernet, f, skbMeta{})
		if uint32(got) != mine || mine != kernel {
			t.Errorf("frame %d: x/net VM %d, emulator %d, live program %d", i, got, mine, kernel)
		}
	}
}
