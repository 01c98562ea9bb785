package decode

import (
	"fmt"
	"io"
	"runtime"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

// PcapngWriter records packets as a pcapng file (ftpsniff -w). The section
// header is written with the first packet or at Close; every distinct
// (input, link type) pair gets its own interface description block, so
// packets read from several files of different link types, or from a live
// interface, can be written to one file. Timestamps have nanosecond
// resolution.
type PcapngWriter struct {
	w       io.Writer
	ng      *pcapgo.NgWriter
	ifaces  map[ngKey]int
	order   []ngKey
	app     string
	packets uint64
	err     error
}

type ngKey struct {
	name string
	lt   LinkType
}

// NewPcapngWriter returns a writer that writes to w; application names the
// program in the section header ("ftpsniff dev").
func NewPcapngWriter(w io.Writer, application string) *PcapngWriter {
	return &PcapngWriter{w: w, ifaces: make(map[ngKey]int), app: application}
}

// interfaceFor returns the pcapng interface id for p's input and link type,
// writing the section header and the interface block when needed.
func (w *PcapngWriter) interfaceFor(name string, lt LinkType) (int, error) {
	k := ngKey{name, lt}
	if id, ok := w.ifaces[k]; ok {
		return id, nil
	}
	intf := pcapgo.NgInterface{
		Name:                name,
		OS:                  runtime.GOOS,
		LinkType:            layers.LinkType(lt),
		SnapLength:          LiveSnapLen,
		TimestampResolution: 9,
	}
	var id int
	var err error
	if w.ng == nil {
		opts := pcapgo.NgWriterOptions{SectionInfo: pcapgo.NgSectionInfo{
			Hardware: runtime.GOARCH, OS: runtime.GOOS, Application: w.app,
		}}
		w.ng, err = pcapgo.NewNgWriterInterface(w.w, intf, opts)
	} else {
		id, err = w.ng.AddInterface(intf)
	}
	if err != nil {
		return 0, fmt.Errorf("pcapng: writing the interface block for %s: %w", name, err)
	}
	w.ifaces[k] = id
	w.order = append(w.order, k)
	return id, nil
}

// WritePacket appends p's frame (p.Data as captured, with p.Time and
// p.WireLen). After a write error every further call returns it.
func (w *PcapngWriter) WritePacket(p *Packet) error {
	if w.err != nil {
		return w.err
	}
	name := p.File
	if name == "" {
		name = "ftpsniff"
	}
	id, err := w.interfaceFor(name, p.LinkType)
	if err != nil {
		w.err = err
		return err
	}
	wire := p.WireLen
	if wire < len(p.Data) {
		wire = len(p.Data)
	}
	ci := gopacket.CaptureInfo{
		Timestamp:      p.Time,
		CaptureLength:  len(p.Data),
		Length:         wire,
		InterfaceIndex: id,
	}
	if err := w.ng.WritePacket(ci, p.Data); err != nil {
		w.err = fmt.Errorf("pcapng: writing packet %d: %w", p.Num, err)
		return w.err
	}
	w.packets++
	return nil
}

// Packets returns the number of packets written.
func (w *PcapngWriter) Packets() uint64 { return w.packets }

// Close writes the interface statistics (the kernel drop count of a live
// capture, when st is not nil; the drops are put on the first interface)
// and flushes. A file with no packets still gets a section header and one
// Ethernet interface, so it is a valid, empty pcapng. Close does not close
// the underlying writer.
func (w *PcapngWriter) Close(st *Stats) error {
	if w.err != nil {
		return w.err
	}
	if w.ng == nil {
		if _, err := w.interfaceFor("ftpsniff", LinkTypeEthernet); err != nil {
			return err
		}
	}
	if st != nil && len(w.order) > 0 {
		now := time.Now()
		err := w.ng.WriteInterfaceStats(0, pcapgo.NgInterfaceStatistics{
			LastUpdate:      now,
			EndTime:         now,
			PacketsReceived: st.Packets + st.KernelDrops,
			PacketsDropped:  st.KernelDrops,
		})
		if err != nil {
			return fmt.Errorf("pcapng: writing interface statistics: %w", err)
		}
	}
	if err := w.ng.Flush(); err != nil {
		return fmt.Errorf("pcapng: flushing: %w", err)
	}
	return nil
}
