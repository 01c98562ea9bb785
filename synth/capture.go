package synth

import (
	"bufio"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/rand"
	"net/netip"
	"slices"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/pcapgo"
)

// Format is the capture file format.
type Format int

const (
	// FormatPcap is the classic libpcap format.
	FormatPcap Format = iota
	// FormatPcapNG is the pcapng format.
	FormatPcapNG
)

// String returns "pcap" or "pcapng".
func (f Format) String() string {
	if f == FormatPcapNG {
		return "pcapng"
	}
	return "pcap"
}

// Options configures a Capture.
type Options struct {
	// LinkType is the link layer of interface 0.
	LinkType Link
	// Nanosecond selects nanosecond timestamps in classic pcap (pcapng
	// files always use nanosecond resolution).
	Nanosecond bool
	// BigEndian writes a big-endian classic pcap file.
	BigEndian bool
	// Format is pcap or pcapng.
	Format Format
	// Gzip compresses the written file with gzip.
	Gzip bool
	// Start is the time of the first frame; zero means 2024-05-14 09:30 UTC.
	Start time.Time
	// Seed drives every random choice (ISNs, IP IDs, flow labels).
	Seed int64
	// SnapLen truncates frames of interface 0 to this many bytes; 0 keeps
	// whole frames (the file header then says 262144).
	SnapLen int
	// SortByTime writes the frames of an in-memory capture in timestamp
	// order (stable), as mergecap writes a merge of several captures: a
	// frame given a skewed timestamp (Conn.SetSkew) moves with it.
	SortByTime bool
}

// DefaultStart returns the capture start time used when Options.Start is
// zero: 2024-05-14 09:30:00 UTC.
func DefaultStart() time.Time { return time.Date(2024, 5, 14, 9, 30, 0, 0, time.UTC) }

type iface struct {
	link    Link
	snapLen int
}

type frame struct {
	ts      time.Time
	iface   int
	data    []byte
	wireLen int
}

// Capture is a capture being built: a clock, interfaces, per-host settings
// and the frames emitted so far (or a stream they are written to).
// It is not safe for concurrent use.
type Capture struct {
	opts   Options
	now    time.Time
	tick   time.Duration
	scale  float64 // time scale of Advance and tick; 0 means 1
	rng    *rand.Rand
	ifaces []iface
	cur    int
	ttl    map[netip.Addr]uint8
	ipID   map[netip.Addr]uint16
	frames []frame
	stream *frameWriter
	err    error
	bytes  int64
	// mute leaves emitted frames out of the capture; tsOff shifts the
	// timestamp of the frame being emitted; dup records every frame a
	// second time, dup later (0: once).
	mute  bool
	tsOff time.Duration
	dup   time.Duration

	buf  gopacket.SerializeBuffer
	sopt gopacket.SerializeOptions
	ly   layerCache
}

// New returns an empty in-memory capture.
func New(opts Options) *Capture {
	if opts.Start.IsZero() {
		opts.Start = DefaultStart()
	}
	c := &Capture{
		opts:   opts,
		now:    opts.Start,
		tick:   10 * time.Microsecond,
		rng:    rand.New(rand.NewSource(opts.Seed)),
		ifaces: []iface{{link: opts.LinkType, snapLen: opts.SnapLen}},
		ttl:    map[netip.Addr]uint8{},
		ipID:   map[netip.Addr]uint16{},
		buf:    gopacket.NewSerializeBuffer(),
		sopt:   gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true},
	}
	return c
}

// NewStream returns a capture that writes each frame to w as soon as it is
// emitted instead of keeping it; call Flush at the end. Only one interface
// is supported in streaming mode.
func NewStream(opts Options, w io.Writer) (*Capture, error) {
	c := New(opts)
	fw, err := newFrameWriter(w, opts, c.ifaces)
	if err != nil {
		return nil, fmt.Errorf("synth: start stream: %w", err)
	}
	c.stream = fw
	return c, nil
}

// Options returns the options the capture was made with (Start filled in).
func (c *Capture) Options() Options { return c.opts }

// Now returns the clock.
func (c *Capture) Now() time.Time { return c.now }

// Advance moves the clock by d. A negative d moves it backwards, so that the
// following frames carry out-of-order timestamps.
func (c *Capture) Advance(d time.Duration) { c.now = c.now.Add(c.Scaled(d)) }

// SetTimeScale makes Advance, and the clock tick between frames, move the
// clock by f times the duration asked (0 < f <= 1; 1 is the default).
func (c *Capture) SetTimeScale(f float64) {
	if f > 0 && f < 1 {
		c.scale = f
	}
}

// Scaled returns d on the capture's time scale (see SetTimeScale).
func (c *Capture) Scaled(d time.Duration) time.Duration {
	if c.scale == 0 {
		return d
	}
	r := time.Duration(float64(d) * c.scale)
	if d > 0 && r <= 0 {
		r = time.Nanosecond // the clock still moves
	}
	return r
}

// Rand returns the capture's seeded random source.
func (c *Capture) Rand() *rand.Rand { return c.rng }

// SetTTL sets the IPv4 TTL / IPv6 hop limit of packets sent by host
// (default 64).
func (c *Capture) SetTTL(host netip.Addr, ttl uint8) { c.ttl[host] = ttl }

func (c *Capture) ttlOf(host netip.Addr) uint8 {
	if t, ok := c.ttl[host]; ok {
		return t
	}
	return 64
}

// AddInterface adds a pcapng interface with its own link type and snap
// length (0 = whole frames) and returns its index. Classic pcap files and
// streams support only interface 0.
func (c *Capture) AddInterface(link Link, snapLen int) int {
	c.ifaces = append(c.ifaces, iface{link: link, snapLen: snapLen})
	return len(c.ifaces) - 1
}

// UseInterface makes the following frames go to interface i.
func (c *Capture) UseInterface(i int) {
	if i < 0 || i >= len(c.ifaces) {
		c.fail(fmt.Errorf("synth: no interface %d", i))
		return
	}
	c.cur = i
}

// Err returns the first error met while emitting frames.
func (c *Capture) Err() error { return c.err }

// Frames returns the number of frames emitted so far.
func (c *Capture) Frames() int { return len(c.frames) }

// StreamBytes returns how many bytes of (uncompressed) capture file a
// streaming capture has produced so far; pcapng output may lag by up to 4 KB
// of buffered blocks. It is 0 for in-memory captures.
func (c *Capture) StreamBytes() int64 {
	if c.stream == nil {
		return 0
	}
	return c.stream.cw.n
}

// BytesWritten returns the number of bytes of captured frame data emitted
// so far (excluding file and record headers).
func (c *Capture) BytesWritten() int64 { return c.bytes }

func (c *Capture) fail(err error) {
	if c.err == nil {
		c.err = err
	}
}

// Conn returns a TCP connection from client (the initiator) to server.
// Nothing is emitted until a method is called; a connection used without
// Handshake looks like one that began before the capture.
func (c *Capture) Conn(client, server netip.AddrPort) *Conn {
	k := &Conn{
		c:         c,
		ep:        [2]netip.AddrPort{client, server},
		MSS:       1448,
		RTT:       2 * time.Millisecond,
		AckDelay:  200 * time.Microsecond,
		SegGap:    20 * time.Microsecond,
		flowLabel: c.rng.Uint32() & 0xfffff,
	}
	if client.Addr().Is6() {
		k.MSS = 1428
	}
	k.snd[0] = c.rng.Uint32()
	k.snd[1] = c.rng.Uint32()
	k.rcv[0] = k.snd[1]
	k.rcv[1] = k.snd[0]
	return k
}

// Mute leaves the frames emitted from now on out of the capture (the
// conversation goes on, sequence numbers and the clock move) until
// Mute(false): a capture that has not started yet, or a filter.
func (c *Capture) Mute(on bool) { c.mute = on }

// SetDuplicate records every frame emitted from now on twice, the copy d
// after the original (as a SPAN port mirroring both directions, or
// tcpdump -i any on a router, does); d <= 0 stops it.
func (c *Capture) SetDuplicate(d time.Duration) { c.dup = max(d, 0) }

// emitFrame records or streams the link-layer frame in c.buf.
func (c *Capture) emitFrame() {
	if c.mute {
		c.now = c.now.Add(c.Scaled(c.tick))
		return
	}
	ts := c.now.Add(c.tsOff)
	data := c.buf.Bytes()
	wire := len(data)
	if sl := c.ifaces[c.cur].snapLen; sl > 0 && len(data) > sl {
		data = data[:sl]
	}
	copies := 1
	if c.dup > 0 {
		copies = 2
	}
	for i := 0; i < copies; i++ {
		if i == 1 {
			ts = ts.Add(c.dup)
		}
		c.bytes += int64(len(data))
		if c.stream != nil {
			if err := c.stream.write(ts, 0, data, wire); err != nil {
				c.fail(fmt.Errorf("synth: write frame: %w", err))
			}
		} else {
			c.frames = append(c.frames, frame{ts: ts, iface: c.cur, data: append([]byte(nil), data...), wireLen: wire})
		}
	}
	c.now = c.now.Add(c.Scaled(c.tick))
}

// Flush flushes a streaming capture's buffers (and closes its gzip layer).
func (c *Capture) Flush() error {
	if c.err != nil {
		return c.err
	}
	if c.stream == nil {
		return errors.New("synth: Flush on an in-memory capture")
	}
	if err := c.stream.close(); err != nil {
		return fmt.Errorf("synth: flush stream: %w", err)
	}
	return nil
}

// WriteTo writes the capture in its format to w.
func (c *Capture) WriteTo(w io.Writer) (int64, error) {
	if c.err != nil {
		return 0, c.err
	}
	if c.stream != nil {
		return 0, errors.New("synth: WriteTo on a streaming capture")
	}
	cw := &countWriter{w: w}
	fw, err := newFrameWriter(cw, c.opts, c.ifaces)
	if err != nil {
		return cw.n, fmt.Errorf("synth: write header: %w", err)
	}
	frames := c.frames
	if c.opts.SortByTime {
		frames = slices.Clone(frames)
		slices.SortStableFunc(frames, func(a, b frame) int { return a.ts.Compare(b.ts) })
	}
	for i, f := range frames {
		if err := fw.write(f.ts, f.iface, f.data, f.wireLen); err != nil {
			return cw.n, fmt.Errorf("synth: write frame %d: %w", i+1, err)
		}
	}
	if err := fw.close(); err != nil {
		return cw.n, fmt.Errorf("synth: finish file: %w", err)
	}
	return cw.n, nil
}

type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// frameWriter writes frames as pcap (own code for big-endian, pcapgo
// otherwise) or pcapng (pcapgo), optionally through gzip.
type frameWriter struct {
	bw   *bufio.Writer
	cw   *countWriter
	gz   *gzip.Writer
	pw   *pcapgo.Writer
	ng   *pcapgo.NgWriter
	be   bool
	nano bool
	hdr  [16]byte
}

func newFrameWriter(w io.Writer, opts Options, ifs []iface) (*frameWriter, error) {
	fw := &frameWriter{}
	if opts.Gzip {
		fw.gz = gzip.NewWriter(w)
		w = fw.gz
	}
	fw.bw = bufio.NewWriterSize(w, 1<<16)
	fw.cw = &countWriter{w: fw.bw}
	switch opts.Format {
	case FormatPcapNG:
		intf := func(i int, f iface) pcapgo.NgInterface {
			return pcapgo.NgInterface{
				Name:                fmt.Sprintf("synth%d", i),
				LinkType:            f.link.LinkType(),
				SnapLength:          uint32(f.snapLen),
				TimestampResolution: 9,
			}
		}
		ng, err := pcapgo.NewNgWriterInterface(fw.cw, intf(0, ifs[0]), pcapgo.NgWriterOptions{
			SectionInfo: pcapgo.NgSectionInfo{Application: "ftpsynth"},
		})
		if err != nil {
			return nil, err
		}
		for i, f := range ifs[1:] {
			if _, err := ng.AddInterface(intf(i+1, f)); err != nil {
				return nil, err
			}
		}
		fw.ng = ng
	default:
		if len(ifs) > 1 {
			return nil, errors.New("classic pcap holds one interface; use pcapng")
		}
		snap := uint32(ifs[0].snapLen)
		if snap == 0 {
			snap = 262144
		}
		lt := ifs[0].link.LinkType()
		if opts.BigEndian {
			fw.be, fw.nano = true, opts.Nanosecond
			var h [24]byte
			magic := uint32(0xa1b2c3d4)
			if opts.Nanosecond {
				magic = 0xa1b23c4d
			}
			be := binary.BigEndian
			be.PutUint32(h[0:], magic)
			be.PutUint16(h[4:], 2)
			be.PutUint16(h[6:], 4)
			be.PutUint32(h[16:], snap)
			be.PutUint32(h[20:], uint32(lt))
			if _, err := fw.cw.Write(h[:]); err != nil {
				return nil, err
			}
			break
		}
		if opts.Nanosecond {
			fw.pw = pcapgo.NewWriterNanos(fw.cw)
		} else {
			fw.pw = pcapgo.NewWriter(fw.cw)
		}
		if err := fw.pw.WriteFileHeader(snap, lt); err != nil {
			return nil, err
		}
	}
	return fw, nil
}

func (fw *frameWriter) write(ts time.Time, ifIndex int, data []byte, wire int) error {
	ci := gopacket.CaptureInfo{Timestamp: ts, CaptureLength: len(data), Length: wire, InterfaceIndex: ifIndex}
	switch {
	case fw.ng != nil:
		return fw.ng.WritePacket(ci, data)
	case fw.pw != nil:
		return fw.pw.WritePacket(ci, data)
	}
	be := binary.BigEndian
	frac := ts.Nanosecond() / 1000
	if fw.nano {
		frac = ts.Nanosecond()
	}
	be.PutUint32(fw.hdr[0:], uint32(ts.Unix()))
	be.PutUint32(fw.hdr[4:], uint32(frac))
	be.PutUint32(fw.hdr[8:], uint32(len(data)))
	be.PutUint32(fw.hdr[12:], uint32(wire))
	if _, err := fw.cw.Write(fw.hdr[:]); err != nil {
		return err
	}
	_, err := fw.cw.Write(data)
	return err
}

func (fw *frameWriter) close() error {
	if fw.ng != nil {
		if err := fw.ng.Flush(); err != nil {
			return err
		}
	}
	if err := fw.bw.Flush(); err != nil {
		return err
	}
	if fw.gz != nil {
		return fw.gz.Close()
	}
	return nil
}
