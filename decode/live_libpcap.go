//go:build libpcap

package decode

import (
	"errors"
	"fmt"
	"runtime"
	"strings"

	"github.com/gopacket/gopacket/pcap"
)

// anySupported: libpcap has an "any" device on Linux only.
const anySupported = runtime.GOOS == "linux"

// pcapSource captures through libpcap (gopacket/pcap, cgo). libpcap drops
// the outgoing copies on loopback itself, re-inserts stripped VLAN tags and
// captures "any" as LINUX_SLL2/LINUX_SLL.
type pcapSource struct {
	h        *pcap.Handle
	name     string
	linkType LinkType
	dec      *Decoder
	stats    Stats
	closed   bool
	failed   error
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
	return &pcapSource{h: h, name: iface, linkType: lt, dec: NewDecoder()}, nil
}

// Next fills p with the next captured frame, decoded. It returns ErrTimeout
// after an idle poll interval, ErrClosed after Close, and an error wrapping
// ErrInterfaceDown when the interface went down or disappeared.
func (s *pcapSource) Next(p *Packet) error {
	if s.closed {
		return ErrClosed
	}
	if s.failed != nil {
		return s.failed
	}
	data, ci, err := s.h.ZeroCopyReadPacketData()
	if err != nil {
		if errors.Is(err, pcap.NextErrorTimeoutExpired) {
			return ErrTimeout
		}
		msg := err.Error()
		if herr := s.h.Error(); herr != nil {
			msg = herr.Error()
		}
		if strings.Contains(msg, "went down") || strings.Contains(msg, "disappeared") {
			s.failed = fmt.Errorf("capture on %s stopped: %w (%s)", s.name, ErrInterfaceDown, msg)
		} else {
			s.failed = fmt.Errorf("capture on %s: %s", s.name, msg)
		}
		return s.failed
	}
	p.Reset()
	s.stats.Packets++
	s.stats.Bytes += uint64(len(data))
	p.Num = s.stats.Packets
	p.File = s.name
	p.FileNum = s.stats.Packets
	p.Time = ci.Timestamp
	p.LinkType = s.linkType
	p.Data = data
	p.CapLen = len(data)
	p.WireLen = max(ci.Length, len(data))
	s.dec.Decode(p)
	if p.IPVersion == 0 {
		s.stats.Undecoded++
	}
	return nil
}

// Stats returns the packets delivered and libpcap's drop counters.
func (s *pcapSource) Stats() Stats {
	if !s.closed {
		if st, err := s.h.Stats(); err == nil {
			s.stats.KernelDrops = uint64(st.PacketsDropped)
			s.stats.IfDrops = uint64(st.PacketsIfDropped)
		}
	}
	return s.stats
}

// Close stops the capture.
func (s *pcapSource) Close() error {
	if s.closed {
		return nil
	}
	s.Stats()
	s.closed = true
	s.h.Close()
	return nil
}
