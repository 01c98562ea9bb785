//go:build !linux && !libpcap

package decode

import (
	"fmt"
	"runtime"
)

// anySupported: only Linux has an "any" pseudo-interface.
const anySupported = false

// OpenLive reports that this build cannot capture live: without cgo,
// ftpsniff captures only on Linux (AF_PACKET). Elsewhere, build with
// libpcap (or Npcap on Windows): go build -tags libpcap ./cmd/ftpsniff.
func OpenLive(iface string, opts LiveOptions) (Source, error) {
	return nil, fmt.Errorf("live capture on %s: this ftpsniff binary has no live capture on %s; "+
		"build one with libpcap: go build -tags libpcap ./cmd/ftpsniff (cgo and the libpcap "+
		"headers needed), or capture with tcpdump -w and read the file with -r", iface, runtime.GOOS)
}
