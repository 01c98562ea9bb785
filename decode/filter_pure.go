//go:build !libpcap

package decode

import "golang.org/x/net/bpf"

// LibpcapBuild reports whether this binary was built with -tags libpcap
// (filter expressions, live capture through libpcap).
const LibpcapBuild = false

// CompileFilter compiles a libpcap filter expression for Ethernet frames.
// This build has no filter compiler: it returns ErrNeedsLibpcap.
func CompileFilter(expr string) ([]bpf.RawInstruction, error) {
	return nil, ErrNeedsLibpcap
}
