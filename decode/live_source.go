package decode

import "github.com/gopacket/gopacket"

// liveHandle is a capture mechanism behind a liveSource: the AF_PACKET
// ring of the default Linux build or libpcap.
type liveHandle interface {
	// read returns the next frame, valid until the next call.
	read() (data []byte, ci gopacket.CaptureInfo, err error)
	// readError turns an error from read into ErrTimeout for an idle poll
	// interval, or else into the error that ends the capture.
	readError(err error) error
	// drops sets st's drop counters from the kernel's.
	drops(st *Stats)
	// close stops the capture and frees the handle.
	close()
}

// liveSource is the Source of a live capture: packet numbering, decoding,
// counters and the end of the capture, whichever liveHandle it reads.
type liveSource struct {
	h        liveHandle
	name     string
	linkType LinkType
	dec      *Decoder
	stats    Stats
	closed   bool
	// failed is the error that ended the capture; Next keeps returning it.
	failed error
}

func newLiveSource(h liveHandle, name string, lt LinkType) *liveSource {
	return &liveSource{h: h, name: name, linkType: lt, dec: NewDecoder()}
}

// Next fills p with the next captured frame, decoded. It returns ErrTimeout
// after an idle poll interval, ErrClosed after Close, and an error wrapping
// ErrInterfaceDown when the interface went down or disappeared; an error
// other than ErrTimeout ends the capture, and Next keeps returning it.
func (s *liveSource) Next(p *Packet) error {
	if s.closed {
		return ErrClosed
	}
	if s.failed != nil {
		return s.failed
	}
	data, ci, err := s.h.read()
	if err != nil {
		err = s.h.readError(err)
		if err != ErrTimeout {
			s.failed = err
		}
		return err
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
	p.InterfaceIndex = ci.InterfaceIndex
	s.dec.Decode(p)
	if p.IPVersion == 0 {
		s.stats.Undecoded++
	}
	return nil
}

// Stats returns the packets delivered and the kernel's drop counters,
// accumulated since the capture started (as they were at Close, after it).
func (s *liveSource) Stats() Stats {
	if !s.closed {
		s.h.drops(&s.stats)
	}
	return s.stats
}

// Close stops the capture. It must not be called while Next is running on
// another goroutine (the AF_PACKET ring is unmapped): cancel the reader
// instead; Next returns within the poll interval.
func (s *liveSource) Close() error {
	if s.closed {
		return nil
	}
	s.Stats()
	s.closed = true
	s.h.close()
	return nil
}
