//go:build libpcap

package decode

import (
	"fmt"

	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcap"
	"golang.org/x/net/bpf"
)

// LibpcapBuild reports whether this binary was built with -tags libpcap
// (filter expressions, live capture through libpcap).
const LibpcapBuild = true

// CompileFilter compiles ComposeFilter(expr) with libpcap for Ethernet
// frames and returns the classic BPF program. It checks an expression's
// syntax before a capture starts. (A dead handle compiles "vlan" as an
// in-band tag test; a live Linux handle tests the out-of-band tag instead.)
func CompileFilter(expr string) ([]bpf.RawInstruction, error) {
	full := ComposeFilter(expr)
	ins, err := pcap.CompileBPFFilter(layers.LinkTypeEthernet, LiveSnapLen, full)
	if err != nil {
		return nil, fmt.Errorf("filter %q: %w", expr, err)
	}
	out := make([]bpf.RawInstruction, len(ins))
	for i, x := range ins {
		out[i] = bpf.RawInstruction{Op: x.Code, Jt: x.Jt, Jf: x.Jf, K: x.K}
	}
	return out, nil
}
