//go:build linux && !libpcap

package decode

import (
	"errors"
	"fmt"
	"net"
	"syscall"
	"time"

	"github.com/gopacket/gopacket/afpacket"
)

// anySupported: AF_PACKET can capture on every interface at once.
const anySupported = true

// liveBlockSize is the TPACKET_V3 block size. A block must hold a whole
// LiveSnapLen frame plus its headers, or the kernel truncates it.
const liveBlockSize = 1 << 20

// afpacketSource captures on a Linux interface through a TPACKET_V3 ring
// (github.com/gopacket/gopacket/afpacket, no cgo).
type afpacketSource struct {
	tp       *afpacket.TPacket
	name     string
	ifindex  int
	linkType LinkType
	dec      *Decoder
	stats    Stats
	closed   bool
	// failed is the error that ended the capture; Next keeps returning it.
	failed error
}

// OpenLive starts capturing on the interface iface ("any" for all of them)
// and returns a Source whose Next decodes each frame and returns ErrTimeout
// when opts.PollInterval passes without one.
//
// The kernel filters with a fixed program for "tcp or icmp or icmp6 or
// vlan" (all TCP, since data connections use arbitrary ports). On a
// loopback interface the host's outgoing copy of each frame is dropped, as
// libpcap does, so each packet is seen once. "any" opens a cooked
// (SOCK_DGRAM) socket on every interface: frames then start at the IP
// header (LinkTypeRaw) and carry no VLAN tag. A non-empty opts.Filter
// returns ErrNeedsLibpcap.
func OpenLive(iface string, opts LiveOptions) (Source, error) {
	if opts.Filter != "" {
		return nil, ErrNeedsLibpcap
	}
	s := &afpacketSource{name: iface, dec: NewDecoder(), linkType: LinkTypeEthernet}
	cooked := iface == AnyInterface
	loopback := false
	if !cooked {
		ifc, err := checkInterface(iface)
		if err != nil {
			return nil, err
		}
		s.ifindex = ifc.Index
		loopback = ifc.Flags&net.FlagLoopback != 0
	}
	blocks := opts.buffer() / liveBlockSize
	if blocks < 4 {
		blocks = 4
	}
	topts := []any{
		afpacket.TPacketVersion3,
		afpacket.OptBlockSize(liveBlockSize),
		afpacket.OptFrameSize(afpacket.DefaultFrameSize),
		afpacket.OptNumBlocks(blocks),
		afpacket.OptBlockTimeout(10 * time.Millisecond),
		afpacket.OptPollTimeout(opts.poll()),
	}
	loIndex := 0
	if cooked {
		s.linkType = LinkTypeRaw
		topts = append(topts, afpacket.SocketDgram)
		loIndex = loopbackIndex()
	} else {
		// Put the VLAN tag the kernel stripped back into the frame, so the
		// Decoder counts it (Packet.VLANs) as it does for files.
		topts = append(topts, afpacket.OptInterface(iface), afpacket.OptAddVLANHeader(true))
	}
	tp, err := afpacket.NewTPacket(topts...)
	if err != nil {
		return nil, openError(iface, err)
	}
	s.tp = tp
	prog, err := liveProgram(cooked, loopback, loIndex)
	if err == nil {
		err = tp.SetBPF(prog)
		if err != nil {
			err = fmt.Errorf("attaching the capture filter: %w", err)
		}
	}
	if err == nil && !cooked && !opts.NoPromisc {
		if perr := tp.SetPromiscuous(true); perr != nil {
			err = fmt.Errorf("setting promiscuous mode: %w", perr)
		}
	}
	if err != nil {
		tp.Close()
		return nil, fmt.Errorf("live capture on %s: %w", iface, err)
	}
	return s, nil
}

// openError explains why NewTPacket failed.
func openError(iface string, err error) error {
	if errors.Is(err, syscall.EPERM) || errors.Is(err, syscall.EACCES) {
		return fmt.Errorf("%w: opening a packet socket on %s: %v", ErrPermission, iface, err)
	}
	if errors.Is(err, syscall.ENODEV) {
		return &UnknownInterfaceError{Name: iface, Available: interfaceNames()}
	}
	if errors.Is(err, syscall.ENETDOWN) {
		return fmt.Errorf("live capture on %s: %w", iface, ErrInterfaceDown)
	}
	return fmt.Errorf("live capture on %s: %w", iface, err)
}

// loopbackIndex returns the index of the first loopback interface, or 0.
func loopbackIndex() int {
	ifs, err := net.Interfaces()
	if err != nil {
		return 0
	}
	for _, ifc := range ifs {
		if ifc.Flags&net.FlagLoopback != 0 {
			return ifc.Index
		}
	}
	return 0
}

// Next fills p with the next captured frame, decoded. It returns ErrTimeout
// after an idle poll interval, ErrClosed after Close, and an error wrapping
// ErrInterfaceDown when the interface went down or disappeared.
func (s *afpacketSource) Next(p *Packet) error {
	if s.closed {
		return ErrClosed
	}
	if s.failed != nil {
		return s.failed
	}
	data, ci, err := s.tp.ZeroCopyReadPacketData()
	if err != nil {
		if errors.Is(err, afpacket.ErrTimeout) {
			return ErrTimeout
		}
		s.failed = s.readError(err)
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
	p.WireLen = ci.Length
	if p.WireLen < p.CapLen {
		p.WireLen = p.CapLen
	}
	p.InterfaceIndex = ci.InterfaceIndex
	s.dec.Decode(p)
	if p.IPVersion == 0 {
		s.stats.Undecoded++
	}
	return nil
}

// readError turns a ring read failure into a clear error. A poll error
// (POLLERR) is what the socket reports when its interface goes down or is
// deleted; it then stays set.
func (s *afpacketSource) readError(err error) error {
	if s.ifindex > 0 {
		ifc, ierr := net.InterfaceByIndex(s.ifindex)
		switch {
		case ierr != nil:
			return fmt.Errorf("capture on %s stopped: %w (it no longer exists)", s.name, ErrInterfaceDown)
		case ifc.Flags&net.FlagUp == 0:
			return fmt.Errorf("capture on %s stopped: %w", s.name, ErrInterfaceDown)
		}
	}
	if errors.Is(err, afpacket.ErrPoll) {
		return fmt.Errorf("capture on %s stopped: socket error (interface down or removed?): %w", s.name, err)
	}
	return fmt.Errorf("capture on %s: reading the ring: %w", s.name, err)
}

// Stats returns the packets delivered and the kernel's drop counter
// (frames the ring had no room for), accumulated since OpenLive.
func (s *afpacketSource) Stats() Stats {
	st := s.stats
	if !s.closed {
		if _, v3, err := s.tp.SocketStats(); err == nil {
			s.stats.KernelDrops = uint64(v3.Drops())
			st.KernelDrops = s.stats.KernelDrops
		}
	}
	return st
}

// Close stops the capture and frees the ring. It must not be called while
// Next is running on another goroutine: the ring is unmapped. Cancel the
// reader instead; Next returns within the poll interval.
func (s *afpacketSource) Close() error {
	if s.closed {
		return nil
	}
	s.Stats()
	s.closed = true
	s.tp.Close()
	return nil
}
