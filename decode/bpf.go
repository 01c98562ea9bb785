package decode

import (
	"errors"
	"fmt"

	"golang.org/x/net/bpf"
)

// The kernel filters live capture with fixed classic BPF programs for
// NeededTraffic ("tcp or icmp or icmp6 or vlan"), so the default build
// needs no filter compiler (and no cgo). See docs/live.md.

// packetOutgoing is PACKET_OUTGOING, the SKF_AD_PKTTYPE of a frame the host
// sent.
const packetOutgoing = 4

// bpfEthernet is "tcp or icmp or icmp6 or vlan" for an AF_PACKET SOCK_RAW
// socket on an Ethernet (or loopback) interface. The kernel has usually
// stripped the outer VLAN tag before the filter runs, so "vlan" tests
// SKF_AD_VLAN_TAG_PRESENT, and then the in-band tag ethertypes for frames
// whose tag was not offloaded. It is libpcap's live Linux program for the
// expression, except that the ancillary load is a word load.
var bpfEthernet = []bpf.Instruction{
	bpf.LoadAbsolute{Off: 12, Size: 2},                                  // 0  ethertype
	bpf.JumpIf{Cond: bpf.JumpEqual, Val: 0x0800, SkipFalse: 3},          // 1  IPv4?
	bpf.LoadAbsolute{Off: 23, Size: 1},                                  // 2  ip.proto
	bpf.JumpIf{Cond: bpf.JumpEqual, Val: 6, SkipTrue: 14},               // 3  tcp -> accept
	bpf.JumpIf{Cond: bpf.JumpEqual, Val: 1, SkipTrue: 13, SkipFalse: 7}, // 4  icmp -> accept, else vlan test
	bpf.JumpIf{Cond: bpf.JumpEqual, Val: 0x86dd, SkipFalse: 6},          // 5  IPv6?
	bpf.LoadAbsolute{Off: 20, Size: 1},                                  // 6  ip6.nxt
	bpf.JumpIf{Cond: bpf.JumpEqual, Val: 6, SkipTrue: 10},               // 7  tcp
	bpf.JumpIf{Cond: bpf.JumpEqual, Val: 44, SkipFalse: 2},              // 8  fragment header?
	bpf.LoadAbsolute{Off: 54, Size: 1},                                  // 9  frag.nxt
	bpf.JumpIf{Cond: bpf.JumpEqual, Val: 6, SkipTrue: 7},                // 10 tcp
	bpf.JumpIf{Cond: bpf.JumpEqual, Val: 58, SkipTrue: 6},               // 11 icmp6
	bpf.LoadExtension{Num: bpf.ExtVLANTagPresent},                       // 12 vlanp
	bpf.JumpIf{Cond: bpf.JumpEqual, Val: 1, SkipTrue: 4},                // 13
	bpf.LoadAbsolute{Off: 12, Size: 2},                                  // 14 in-band tag (no offload)
	bpf.JumpIf{Cond: bpf.JumpEqual, Val: 0x8100, SkipTrue: 2},           // 15
	bpf.JumpIf{Cond: bpf.JumpEqual, Val: 0x88a8, SkipTrue: 1},           // 16
	bpf.JumpIf{Cond: bpf.JumpEqual, Val: 0x9100, SkipFalse: 1},          // 17
	bpf.RetConstant{Val: LiveSnapLen},                                   // 18 accept
	bpf.RetConstant{Val: 0},                                             // 19 drop
}

// bpfCooked is "tcp or icmp or icmp6" for an AF_PACKET SOCK_DGRAM socket
// (the "any" capture): the frame starts at the network header and the
// ethertype is SKF_AD_PROTOCOL. VLAN tags are always out of band there
// (skb->protocol is the inner ethertype), so no VLAN clause is needed.
var bpfCooked = []bpf.Instruction{
	bpf.LoadExtension{Num: bpf.ExtProto},                               // 0  ethertype
	bpf.JumpIf{Cond: bpf.JumpEqual, Val: 0x0800, SkipFalse: 3},         // 1  IPv4?
	bpf.LoadAbsolute{Off: 9, Size: 1},                                  // 2  ip.proto
	bpf.JumpIf{Cond: bpf.JumpEqual, Val: 6, SkipTrue: 9},               // 3  tcp -> accept
	bpf.JumpIf{Cond: bpf.JumpEqual, Val: 1, SkipTrue: 8, SkipFalse: 9}, // 4  icmp -> accept, else drop
	bpf.JumpIf{Cond: bpf.JumpEqual, Val: 0x86dd, SkipFalse: 8},         // 5  IPv6?
	bpf.LoadAbsolute{Off: 6, Size: 1},                                  // 6  ip6.nxt
	bpf.JumpIf{Cond: bpf.JumpEqual, Val: 6, SkipTrue: 5},               // 7  tcp
	bpf.JumpIf{Cond: bpf.JumpEqual, Val: 58, SkipTrue: 4},              // 8  icmp6
	bpf.JumpIf{Cond: bpf.JumpEqual, Val: 44, SkipFalse: 4},             // 9  fragment header?
	bpf.LoadAbsolute{Off: 40, Size: 1},                                 // 10 frag.nxt
	bpf.JumpIf{Cond: bpf.JumpEqual, Val: 6, SkipTrue: 1},               // 11 tcp
	bpf.JumpIf{Cond: bpf.JumpEqual, Val: 58, SkipFalse: 1},             // 12 icmp6
	bpf.RetConstant{Val: LiveSnapLen},                                  // 13 accept
	bpf.RetConstant{Val: 0},                                            // 14 drop
}

// dropOutgoing prepends to prog (which must end with "ret #0") a test that
// drops frames the host sent (PACKET_OUTGOING). On a loopback interface
// every packet is seen twice, once sent and once received; libpcap drops
// the sent copy the same way. With ifindex > 0 only frames sent on that
// interface are dropped (for "any", where only loopback must be
// de-duplicated); with 0 every sent frame is.
func dropOutgoing(prog []bpf.Instruction, ifindex int) ([]bpf.Instruction, error) {
	n := len(prog)
	if n == 0 || n > 250 {
		return nil, fmt.Errorf("bpf: cannot prefix a program of %d instructions", n)
	}
	if r, ok := prog[n-1].(bpf.RetConstant); !ok || r.Val != 0 {
		return nil, errors.New("bpf: program must end with ret #0")
	}
	var out []bpf.Instruction
	if ifindex > 0 {
		out = append(out,
			bpf.LoadExtension{Num: bpf.ExtType},
			bpf.JumpIf{Cond: bpf.JumpEqual, Val: packetOutgoing, SkipFalse: 2},
			bpf.LoadExtension{Num: bpf.ExtInterfaceIndex},
			bpf.JumpIf{Cond: bpf.JumpEqual, Val: uint32(ifindex), SkipTrue: uint8(n - 1)},
		)
	} else {
		out = append(out,
			bpf.LoadExtension{Num: bpf.ExtType},
			bpf.JumpIf{Cond: bpf.JumpEqual, Val: packetOutgoing, SkipTrue: uint8(n - 1)},
		)
	}
	return append(out, prog...), nil
}

// liveProgram returns the assembled kernel filter for a live capture:
// cooked selects the SOCK_DGRAM ("any") variant; loopback, for a single
// loopback interface, drops the outgoing copies; loIndex, for "any", is the
// loopback interface whose outgoing copies to drop (0: none).
func liveProgram(cooked, loopback bool, loIndex int) ([]bpf.RawInstruction, error) {
	prog := bpfEthernet
	if cooked {
		prog = bpfCooked
	}
	var err error
	switch {
	case cooked && loIndex > 0:
		prog, err = dropOutgoing(prog, loIndex)
	case !cooked && loopback:
		prog, err = dropOutgoing(prog, 0)
	}
	if err != nil {
		return nil, err
	}
	raw, err := bpf.Assemble(prog)
	if err != nil {
		return nil, fmt.Errorf("bpf: assembling the capture filter: %w", err)
	}
	return raw, nil
}
