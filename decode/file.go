package decode

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"container/heap"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

// MaxCaptureLength is the longest frame a file source accepts (libpcap's
// MAXIMUM_SNAPLEN). A record claiming more is reported as corrupt, so a
// hostile length cannot make the reader allocate more than this per file.
const MaxCaptureLength = 262144

// bufSize is the size of the bufio buffers: under gzip (compressed bytes)
// and under pcapgo for pcapng (decompressed bytes).
const bufSize = 64 << 10

// File format magic numbers, as the first four bytes appear in the file.
var (
	magicPcapMicroLE = [4]byte{0xd4, 0xc3, 0xb2, 0xa1}
	magicPcapMicroBE = [4]byte{0xa1, 0xb2, 0xc3, 0xd4}
	magicPcapNanoLE  = [4]byte{0x4d, 0x3c, 0xb2, 0xa1}
	magicPcapNanoBE  = [4]byte{0xa1, 0xb2, 0x3c, 0x4d}
	magicPcapng      = [4]byte{0x0a, 0x0d, 0x0d, 0x0a}
	// The "modified" pcap of Alexey Kuznetsov's libpcap patches.
	magicPcapModifiedLE = [4]byte{0x34, 0xcd, 0xb2, 0xa1}
	magicPcapModifiedBE = [4]byte{0xa1, 0xb2, 0xcd, 0x34}
)

// OpenFiles opens capture files and returns one Source that merges them into
// a single stream ordered by timestamp (the order within each file is kept,
// even where its timestamps go backwards). Each name is a path or "-" for
// standard input, which may appear at most once. The format (pcap with
// microsecond or nanosecond timestamps in either byte order, or one of its
// old dialects, see pcapVariant; pcapng; or a gzip of either) is detected
// from the content, never from the name.
//
// A file that cannot be opened, is empty, has an unknown format or a bad
// file header, or is a pcap whose link type the Decoder does not support
// is unusable. When every file is unusable, OpenFiles fails with their
// *InputError values (one, or several joined with errors.Join; errors.As
// finds the first). Otherwise the unusable files are left out of the
// stream and the first calls to Next return their *InputError values
// (Packet 0, in the order the files were named) before any packet, so a
// caller that continues after an *InputError analyses the rest. Damage
// found later is reported by Next in the same way.
func OpenFiles(names []string) (Source, error) {
	if len(names) == 0 {
		return nil, errors.New("decode: no input files")
	}
	stdin := 0
	for _, n := range names {
		if n == "-" {
			stdin++
		}
	}
	if stdin > 1 {
		return nil, errors.New(`decode: standard input ("-") given more than once`)
	}
	s := newFileSource(len(names))
	pcapBuf := pcapBufSize
	if len(names) > 4 {
		pcapBuf = pcapBufSizeMany
	}
	var bad []error
	for _, name := range names {
		in, err := openFile(name, len(s.inputs), pcapBuf)
		if err != nil {
			bad = append(bad, err)
			// A placeholder keeps the error for Next; it has no
			// frames and nothing to close.
			in = &input{name: name, idx: len(s.inputs), openErr: err, done: true}
		}
		s.inputs = append(s.inputs, in)
	}
	if len(bad) == len(names) {
		s.Close()
		if len(bad) == 1 {
			return nil, bad[0]
		}
		return nil, errors.Join(bad...)
	}
	return s, nil
}

// openFile opens one named input ("-" is standard input) and reads its
// file header. Every error is an *InputError naming the file.
func openFile(name string, idx, pcapBuf int) (*input, error) {
	var (
		r      io.Reader
		closer io.Closer
	)
	if name == "-" {
		r = os.Stdin
	} else {
		f, err := os.Open(name)
		if err != nil {
			var pe *os.PathError
			if errors.As(err, &pe) {
				err = fmt.Errorf("open: %w", pe.Err)
			}
			return nil, &InputError{File: name, Offset: -1, Err: err}
		}
		r, closer = f, f
	}
	in, err := openInput(name, r, closer, idx, pcapBuf)
	if err != nil {
		if closer != nil {
			closer.Close()
		}
		return nil, err
	}
	return in, nil
}

// NewReaderSource returns a Source reading one capture stream from r, named
// name in packets and errors. The format is detected as in OpenFiles. The
// Source does not close r.
func NewReaderSource(name string, r io.Reader) (Source, error) {
	s := newFileSource(1)
	in, err := openInput(name, r, nil, 0, pcapBufSize)
	if err != nil {
		return nil, err
	}
	s.inputs = append(s.inputs, in)
	return s, nil
}

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// gzipError marks an error from the gzip layer, so that a damaged
// compressed stream is not mistaken for a truncated capture.
type gzipError struct{ err error }

func (e *gzipError) Error() string {
	if errors.Is(e.err, io.ErrUnexpectedEOF) {
		return "truncated gzip stream: " + e.err.Error()
	}
	return "corrupt gzip stream: " + e.err.Error()
}

func (e *gzipError) Unwrap() error { return e.err }

// gzipReader wraps a gzip.Reader: its errors become sticky *gzipError
// values, and bytes are never returned together with an error.
type gzipReader struct {
	zr  *gzip.Reader
	err error
}

func (g *gzipReader) Read(p []byte) (int, error) {
	if g.err != nil {
		return 0, g.err
	}
	n, err := g.zr.Read(p)
	if err != nil {
		if err != io.EOF {
			err = &gzipError{err: err}
		}
		g.err = err
		if n > 0 {
			return n, nil
		}
	}
	return n, err
}

// input is one capture stream being read.
type input struct {
	name   string
	idx    int       // position among the inputs, breaks timestamp ties
	closer io.Closer // nil when the stream is not ours to close
	raw    *countingReader
	pr     *pcapReader // classic pcap
	// pcapng goes through pcapgo: dec counts the bytes handed to br,
	// which is what pcapgo reads from.
	dec  *countingReader
	br   *bufio.Reader
	ng   *pcapgo.NgReader
	lt   LinkType // pcap link type, or link type of the pending frame
	done bool
	// openErr, when set, is why the input could not be opened (an
	// *InputError): Next returns it once, and the input has no frames.
	openErr error

	frames uint64 // frames read so far

	// The pending frame; data aliases the reader's buffer until the next
	// read from this input. (sec, nsec) is ts as a merge key.
	data    []byte
	ts      time.Time
	sec     int64
	nsec    int32
	wireLen int
	ifIndex int
}

// openInput detects the format of r and reads its file header; pcapBuf is
// the read buffer size for classic pcap.
func openInput(name string, r io.Reader, closer io.Closer, idx, pcapBuf int) (*input, error) {
	in := &input{name: name, idx: idx, closer: closer}
	fail := func(err error) (*input, error) {
		return nil, &InputError{File: name, Offset: -1, Err: err}
	}
	in.raw = &countingReader{r: r}
	var head [4]byte
	n, herr := io.ReadFull(in.raw, head[:])
	// stream is the decompressed capture after its magic.
	var (
		stream io.Reader
		magic  [4]byte
		hint   int64 = -1 // bytes left in stream, if known
	)
	if n >= 2 && head[0] == 0x1f && head[1] == 0x8b {
		rb := bufio.NewReaderSize(io.MultiReader(bytes.NewReader(head[:n]), in.raw), bufSize)
		zr, err := gzip.NewReader(rb)
		if err != nil {
			return fail(&gzipError{err: err})
		}
		gr := &gzipReader{zr: zr}
		if n, err := io.ReadFull(gr, magic[:]); err != nil {
			return fail(headerErr(n, err))
		}
		stream = gr
	} else {
		if herr != nil {
			return fail(headerErr(n, herr))
		}
		magic, stream = head, in.raw
		hint = sizeHint(r)
	}
	switch magic {
	case magicPcapMicroLE, magicPcapMicroBE, magicPcapNanoLE, magicPcapNanoBE,
		magicPcapModifiedLE, magicPcapModifiedBE:
		size := pcapBuf
		if hint >= 0 && hint+pcapFileHeaderLen < int64(size) {
			size = int(hint) + pcapFileHeaderLen
		}
		pr, err := newPcapReader(stream, magic, size)
		if err != nil {
			return fail(fmt.Errorf("bad pcap file header: %w", in.describeHeader(err)))
		}
		in.lt = pr.linkType()
		if !in.lt.Supported() {
			return fail(fmt.Errorf("unsupported link type %d (%s)", uint16(in.lt), in.lt))
		}
		in.pr = pr
	case magicPcapng:
		// The guard checks block and capture lengths before pcapgo
		// trusts them.
		ng := &ngGuard{r: io.MultiReader(bytes.NewReader(magic[:]), stream)}
		// pcapgo reuses a *bufio.Reader of at least 4096 bytes as it is,
		// so in.dec.n - in.br.Buffered() is pcapgo's position in the
		// stream.
		in.dec = &countingReader{r: ng}
		in.br = bufio.NewReaderSize(in.dec, bufSize)
		nr, err := pcapgo.NewNgReader(in.br, pcapgo.NgReaderOptions{WantMixedLinkType: true})
		if err != nil {
			return fail(fmt.Errorf("bad pcapng section header: %w", in.describeHeader(err)))
		}
		in.ng = nr
	default:
		return fail(fmt.Errorf("not a pcap or pcapng file (magic %x)", magic[:]))
	}
	return in, nil
}

// headerErr describes a stream too short to hold a file header; n bytes
// of it were read.
func headerErr(n int, err error) error {
	var gz *gzipError
	switch {
	case errors.As(err, &gz):
		return gz
	case n == 0 && err == io.EOF:
		return errors.New("empty input")
	case err == io.ErrUnexpectedEOF:
		return fmt.Errorf("truncated file header: %w", err)
	}
	return fmt.Errorf("read: %w", err)
}

// describeHeader explains an error in the file header: a plain io.EOF
// there means the file is truncated.
func (in *input) describeHeader(err error) error {
	var gz *gzipError
	var ge *ngGuardError
	switch {
	case errors.As(err, &gz):
		return gz
	case errors.As(err, &ge):
		return ge
	case err == io.EOF:
		return io.ErrUnexpectedEOF
	}
	return err
}

// ngPos is the offset in the decompressed stream of the next byte pcapgo
// will read.
func (in *input) ngPos() int64 { return in.dec.n - int64(in.br.Buffered()) }

// readNg reads the next pcapng frame, turning a panic inside the library
// into an error.
func (in *input) readNg() (data []byte, ci gopacket.CaptureInfo, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("capture reader failed: %v", r)
		}
	}()
	return in.ng.ZeroCopyReadPacketData()
}

// advance reads the next frame into in's pending frame. It returns io.EOF
// at a clean end and an *InputError for damage.
func (in *input) advance() error {
	if in.pr == nil {
		return in.advanceNg()
	}
	start := in.pr.pos()
	data, ts, sec, nsec, wire, err := in.pr.next()
	if err != nil {
		if err == io.EOF {
			return io.EOF
		}
		return &InputError{File: in.name, Packet: in.frames + 1, Offset: start, Err: in.describe(err)}
	}
	in.frames++
	in.data, in.ts, in.sec, in.nsec, in.wireLen = data, ts, sec, nsec, wire
	return nil
}

// advanceNg is advance for pcapng.
func (in *input) advanceNg() error {
	if in.ng == nil {
		return io.EOF
	}
	start := in.ngPos()
	data, ci, err := in.readNg()
	if err != nil {
		if err == io.EOF {
			return io.EOF
		}
		return &InputError{File: in.name, Packet: in.frames + 1, Offset: start, Err: in.describe(err)}
	}
	lt, ok := LinkType(0), false
	if len(ci.AncillaryData) > 0 {
		var l layers.LinkType
		l, ok = ci.AncillaryData[0].(layers.LinkType)
		lt = LinkType(l)
	}
	if !ok || !lt.Supported() {
		return &InputError{File: in.name, Packet: in.frames + 1, Offset: start,
			Err: fmt.Errorf("pcapng interface %d has unsupported link type %d (%s)", ci.InterfaceIndex, uint16(lt), lt)}
	}
	in.lt = lt
	in.frames++
	in.data, in.ts, in.wireLen, in.ifIndex = data, ci.Timestamp, ci.Length, ci.InterfaceIndex
	in.sec, in.nsec = ci.Timestamp.Unix(), int32(ci.Timestamp.Nanosecond())
	return nil
}

// describe adds what went wrong to a read error.
func (in *input) describe(err error) error {
	var gz *gzipError
	var ge *ngGuardError
	switch {
	case errors.As(err, &gz):
		return gz
	case errors.As(err, &ge):
		return ge
	case errors.Is(err, io.ErrUnexpectedEOF):
		if in.ng != nil {
			return fmt.Errorf("truncated block: %w", err)
		}
		return fmt.Errorf("truncated record: %w", err)
	case in.ng != nil:
		return fmt.Errorf("corrupt block: %w", err)
	default:
		return fmt.Errorf("corrupt record header: %w", err)
	}
}

// release closes the input's file and drops its buffers; the byte counters
// stay for Stats.
func (in *input) release() error {
	in.done = true
	if in.pr != nil {
		in.pr.release()
		in.pr = nil
	}
	in.ng, in.br, in.data = nil, nil, nil
	in.ts = time.Time{}
	var err error
	if in.closer != nil {
		err = in.closer.Close()
		in.closer = nil
	}
	return err
}

// before reports whether a's pending frame goes before b's: by timestamp,
// ties by input position.
func before(a, b *input) bool {
	if a.sec != b.sec {
		return a.sec < b.sec
	}
	if a.nsec != b.nsec {
		return a.nsec < b.nsec
	}
	return a.idx < b.idx
}

// inputHeap orders inputs by before (a container/heap.Interface).
type inputHeap []*input

func (h inputHeap) Len() int           { return len(h) }
func (h inputHeap) Less(i, j int) bool { return before(h[i], h[j]) }
func (h inputHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *inputHeap) Push(x any)        { *h = append(*h, x.(*input)) }
func (h *inputHeap) Pop() any {
	old := *h
	in := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	return in
}

// fileSource merges the inputs into one time-ordered stream.
type fileSource struct {
	dec    *Decoder
	inputs []*input
	ready  inputHeap // inputs with a pending frame, other than last
	primed int       // inputs[:primed] have had their first read
	last   *input    // input of the frame delivered last; read it next
	num    uint64
	stats  Stats
	closed bool
}

func newFileSource(n int) *fileSource {
	return &fileSource{
		dec:    NewDecoder(),
		inputs: make([]*input, 0, n),
		ready:  make(inputHeap, 0, n),
	}
}

// Next implements Source.
func (s *fileSource) Next(p *Packet) error {
	if s.closed {
		return ErrClosed
	}
	for s.primed < len(s.inputs) {
		in := s.inputs[s.primed]
		s.primed++
		if in.openErr != nil {
			return in.openErr
		}
		if err := in.advance(); err != nil {
			in.release()
			if err != io.EOF {
				return err
			}
			continue
		}
		heap.Push(&s.ready, in)
	}
	var in *input
	if last := s.last; last != nil {
		s.last = nil
		if err := last.advance(); err != nil {
			last.release()
			if err != io.EOF {
				return err
			}
		} else if len(s.ready) == 0 || before(last, s.ready[0]) {
			// The common case, and the only one with a single input:
			// the input just read stays first.
			in = last
		} else {
			// The earliest other input goes next; last takes its place.
			in, s.ready[0] = s.ready[0], last
			heap.Fix(&s.ready, 0)
		}
	}
	if in == nil {
		if len(s.ready) == 0 {
			return io.EOF
		}
		in = heap.Pop(&s.ready).(*input)
	}
	s.last = in
	s.num++
	p.Num = s.num
	p.File = in.name
	p.FileNum = in.frames
	p.Time = in.ts
	p.LinkType = in.lt
	p.Data = in.data
	p.CapLen = len(in.data)
	p.WireLen = in.wireLen
	p.InterfaceIndex = in.ifIndex
	p.stable = in.pr != nil && in.pr.chunks != nil
	s.dec.Decode(p)
	s.stats.Packets++
	s.stats.Bytes += uint64(p.CapLen)
	if p.IPVersion == 0 {
		s.stats.Undecoded++
	}
	return nil
}

// useChunks makes the classic pcap inputs keep every frame they return in
// place, in buffers taken from and retired to c (see Prefetch).
func (s *fileSource) useChunks(c *chunkPool) {
	for _, in := range s.inputs {
		if in.pr != nil {
			in.pr.chunks = c
		}
	}
}

// Stats implements Source.
func (s *fileSource) Stats() Stats {
	st := s.stats
	for _, in := range s.inputs {
		if in.raw != nil {
			st.FileBytes += in.raw.n
		}
	}
	return st
}

// Close implements Source. It closes the files that are still open.
func (s *fileSource) Close() error {
	s.closed = true
	s.ready = s.ready[:0]
	s.last = nil
	var errs []error
	for _, in := range s.inputs {
		if in.done {
			continue
		}
		if err := in.release(); err != nil {
			errs = append(errs, fmt.Errorf("close %s: %w", in.name, err))
		}
	}
	return errors.Join(errs...)
}
