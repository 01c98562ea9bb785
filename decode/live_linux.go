//go:build linux && !libpcap

package decode

import (
	"errors"
	"fmt"
	"net"
	"syscall"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/afpacket"
)

// anySupported: AF_PACKET can capture on every interface at once.
const anySupported = true

// liveBlockSize is the TPACKET_V3 block size. A block must hold a whole
// LiveSnapLen frame plus its headers, or the kernel truncates it.
const liveBlockSize = 1 << 20

// afpacketHandle captures on a Linux interface through a TPACKET_V3 ring
// (github.com/gopacket/gopacket/afpacket, no cgo).
type afpacketHandle struct {
	tp      *afpacket.TPacket
	name    string
	ifindex int // 0 for "any"
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
	h := &afpacketHandle{name: iface}
	lt := LinkTypeEthernet
	cooked := iface == AnyInterface
	loopback := false
	if !cooked {
		ifc, err := checkInterface(iface)
		if err != nil {
			return nil, err
		}
		h.ifindex = ifc.Index
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
		lt = LinkTypeRaw
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
	h.tp = tp
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
	return newLiveSource(h, iface, lt), nil
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

func (h *afpacketHandle) read() ([]byte, gopacket.CaptureInfo, error) {
	return h.tp.ZeroCopyReadPacketData()
}

// readError turns a ring read failure into a clear error. A poll error
// (POLLERR) is what the socket reports when its interface goes down or is
// deleted; it then stays set.
func (h *afpacketHandle) readError(err error) error {
	if errors.Is(err, afpacket.ErrTimeout) {
		return ErrTimeout
	}
	if h.ifindex > 0 {
		ifc, ierr := net.InterfaceByIndex(h.ifindex)
		switch {
		case ierr != nil:
			return fmt.Errorf("capture on %s stopped: %w (it no longer exists)", h.name, ErrInterfaceDown)
		case ifc.Flags&net.FlagUp == 0:
			return fmt.Errorf("capture on %s stopped: %w", h.name, ErrInterfaceDown)
		}
	}
	if errors.Is(err, afpacket.ErrPoll) {
		return fmt.Errorf("capture on %s stopped: socket error (interface down or removed?): %w", h.name, err)
	}
	return fmt.Errorf("capture on %s: reading the ring: %w", h.name, err)
}

// drops reads the ring's drop counter (frames it had no room for).
func (h *afpacketHandle) drops(st *Stats) {
	if _, v3, err := h.tp.SocketStats(); err == nil {
		st.KernelDrops = uint64(v3.Drops())
	}
}

func (h *afpacketHandle) close() { h.tp.Close() }
