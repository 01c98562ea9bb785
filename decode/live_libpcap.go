//go:build libpcap

package decode

import (
	"errors"
	"fmt"
	"runtime"
	"strings"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/pcap"
)

// anySupported: libpcap has an "any" device on Linux only.
const anySupported = runtime.GOOS == "linux"

// pcapHandle captures through libpcap (gopacket/pcap, cgo). libpcap drops
// the outgoing copies on loopback itself, re-inserts stripped VLAN tags and
// captures "any" as LINUX_SLL2/LINUX_SLL.
type pcapHandle struct {
	h    *pcap.Handle
	name string
}

// OpenLive starts capturing on iface through libpcap, with the kernel
// filter ComposeFilter(opts.Filter): the user expression restricted to the
// traffic ftpsniff needs. Next returns ErrTimeout when opts.PollInterval
// passes without a packet.
func OpenLive(iface string, opts LiveOptions) (Source, error) {
	if runtime.GOOS == "linux" && iface != AnyInterface {
		if _, err := checkInterface(iface); err != nil {
			return nil, err
		}
	}
	ih, err := pcap.NewInactiveHandle(iface)
	if err != nil {
		return nil, fmt.Errorf("live capture on %s: %w", iface, err)
	}
	defer ih.CleanUp()
	for _, set := range []func() error{
		func() error { return ih.SetSnapLen(LiveSnapLen) },
		func() error { return ih.SetPromisc(!opts.NoPromisc) },
		func() error { return ih.SetTimeout(opts.poll()) },
		func() error { return ih.SetBufferSize(opts.buffer()) },
		func() error { return ih.SetImmediateMode(true) },
	} {
		if err := set(); err != nil {
			return nil, fmt.Errorf("live capture on %s: %w", iface, err)
		}
	}
	h, err := ih.Activate()
	if err != nil {
		msg := err.Error()
		switch {
		case strings.Contains(msg, "permission") || strings.Contains(msg, "not permitted"):
			return nil, fmt.Errorf("%w: %s: %v", ErrPermission, iface, err)
		case strings.Contains(msg, "No such device") || strings.Contains(msg, "doesn't exist"):
			return nil, &UnknownInterfaceError{Name: iface, Available: interfaceNames()}
		}
		return nil, fmt.Errorf("live capture on %s: %w", iface, err)
	}
	lt := LinkType(h.LinkType())
	if !lt.Supported() {
		h.Close()
		return nil, fmt.Errorf("live capture on %s: link type %v is not supported", iface, lt)
	}
	expr := ComposeFilter(opts.Filter)
	if err := h.SetBPFFilter(expr); err != nil {
		h.Close()
		return nil, fmt.Errorf("live capture on %s: filter %q: %w", iface, expr, err)
	}
	return newLiveSource(&pcapHandle{h: h, name: iface}, iface, lt), nil
}

func (h *pcapHandle) read() ([]byte, gopacket.CaptureInfo, error) {
	return h.h.ZeroCopyReadPacketData()
}

// readError explains a libpcap read failure, from the handle's own
// message where it has one.
func (h *pcapHandle) readError(err error) error {
	if errors.Is(err, pcap.NextErrorTimeoutExpired) {
		return ErrTimeout
	}
	msg := err.Error()
	if herr := h.h.Error(); herr != nil {
		msg = herr.Error()
	}
	if strings.Contains(msg, "went down") || strings.Contains(msg, "disappeared") {
		return fmt.Errorf("capture on %s stopped: %w (%s)", h.name, ErrInterfaceDown, msg)
	}
	return fmt.Errorf("capture on %s: %s", h.name, msg)
}

// drops reads libpcap's drop counters.
func (h *pcapHandle) drops(st *Stats) {
	if ps, err := h.h.Stats(); err == nil {
		st.KernelDrops = uint64(ps.PacketsDropped)
		st.IfDrops = uint64(ps.PacketsIfDropped)
	}
}

func (h *pcapHandle) close() { h.h.Close() }
