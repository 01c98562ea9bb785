package decode

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/gopacket/gopacket/pcapgo"
)

// rawRec is a pcap record with every header field chosen freely.
type rawRec struct {
	sec, frac, capLen, wireLen uint32
	data                       []byte // len(data) need not be capLen
}

// rawPcap writes a classic pcap file header and records as given, without
// checking anything.
func rawPcap(big, nanos bool, major, minor uint16, snaplen, link uint32, recs []rawRec) []byte {
	var bo binary.ByteOrder = binary.LittleEndian
	if big {
		bo = binary.BigEndian
	}
	magic := uint32(0xa1b2c3d4)
	if nanos {
		magic = 0xa1b23c4d
	}
	h := make([]byte, 24)
	bo.PutUint32(h[0:4], magic)
	bo.PutUint16(h[4:6], major)
	bo.PutUint16(h[6:8], minor)
	bo.PutUint32(h[16:20], snaplen)
	bo.PutUint32(h[20:24], link)
	out := h
	for _, r := range recs {
		rh := make([]byte, 16)
		bo.PutUint32(rh[0:4], r.sec)
		bo.PutUint32(rh[4:8], r.frac)
		bo.PutUint32(rh[8:12], r.capLen)
		bo.PutUint32(rh[12:16], r.wireLen)
		out = append(append(out, rh...), r.data...)
	}
	return out
}

// rec returns a consistent record of n bytes.
func rec(sec, frac uint32, n int, wire uint32) rawRec {
	d := make([]byte, n)
	for i := range d {
		d[i] = byte(i*7 + n)
	}
	if wire == 0 {
		wire = uint32(n)
	}
	return rawRec{sec: sec, frac: frac, capLen: uint32(n), wireLen: wire, data: d}
}

// readResult is everything a reader reports about a pcap stream.
type readResult struct {
	openErr string // error text of the file header, "" when it was read
	frames  []readFrame
	err     string // final error: "EOF" or "packet N offset O: text"
}

type readFrame struct {
	data    string
	ts      time.Time // compared with ==: instant, encoding and location
	lt      LinkType
	wireLen int
}

func (r readResult) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "open %q, %d frames, end %q", r.openErr, len(r.frames), r.err)
	return b.String()
}

// refRead reads a classic pcap stream the way ftpsniff did before its own
// record reader: pcapgo over a bufio.Reader, the snap length capped at
// MaxCaptureLength, an io.EOF inside a record turned into
// io.ErrUnexpectedEOF, offsets from the bytes handed to pcapgo.
func refRead(r io.Reader) readResult {
	var res readResult
	cr := &countingReader{r: r}
	br := bufio.NewReaderSize(cr, bufSize)
	in := &input{}
	pr, err := pcapgo.NewReader(br)
	if err != nil {
		res.openErr = "bad pcap file header: " + in.describeHeader(err).Error()
		return res
	}
	if pr.Snaplen() > MaxCaptureLength {
		pr.SetSnaplen(MaxCaptureLength)
	}
	lt := LinkType(pr.LinkType())
	if !lt.Supported() {
		res.openErr = fmt.Sprintf("unsupported link type %d (%s)", uint16(lt), lt)
		return res
	}
	pos := func() int64 { return cr.n - int64(br.Buffered()) }
	for {
		start := pos()
		data, ci, err := pr.ZeroCopyReadPacketData()
		if err == io.EOF {
			if pos() == start {
				res.err = "EOF"
				return res
			}
			err = io.ErrUnexpectedEOF
		}
		if err != nil {
			res.err = fmt.Sprintf("packet %d offset %d: %v", len(res.frames)+1, start, in.describe(err))
			return res
		}
		res.frames = append(res.frames, readFrame{string(data), ci.Timestamp, lt, ci.Length})
	}
}

// ownRead reads a stream through NewReaderSource.
func ownRead(t testing.TB, r io.Reader) readResult {
	var res readResult
	src, err := NewReaderSource("x", r)
	if err != nil {
		var ie *InputError
		if !errors.As(err, &ie) || ie.Packet != 0 || ie.Offset != -1 {
			t.Fatalf("open: %T %v", err, err)
		}
		res.openErr = ie.Err.Error()
		return res
	}
	defer src.Close()
	var p Packet
	for {
		err := src.Next(&p)
		if err == io.EOF {
			res.err = "EOF"
			return res
		}
		if err != nil {
			var ie *InputError
			if !errors.As(err, &ie) || ie.File != "x" {
				t.Fatalf("Next: %T %v", err, err)
			}
			res.err = fmt.Sprintf("packet %d offset %d: %v", ie.Packet, ie.Offset, ie.Err)
			if err := src.Next(&p); err != io.EOF {
				t.Fatalf("after the error: %v", err)
			}
			return res
		}
		if p.CapLen != len(p.Data) || p.FileNum != uint64(len(res.frames)+1) || p.InterfaceIndex != 0 {
			t.Fatalf("packet %d: caplen %d, data %d, file num %d", len(res.frames)+1, p.CapLen, len(p.Data), p.FileNum)
		}
		res.frames = append(res.frames, readFrame{string(p.Data), p.Time, p.LinkType, p.WireLen})
	}
}

// pcapCrossCheck compares the two readers on data, each reading through
// wrap(bytes.NewReader(data)).
func pcapCrossCheck(t testing.TB, name string, data []byte, wrap func(io.Reader) io.Reader) {
	t.Helper()
	want := refRead(wrap(bytes.NewReader(data)))
	got := ownRead(t, wrap(bytes.NewReader(data)))
	diffResults(t, name, got, want)
}

func diffResults(t testing.TB, name string, got, want readResult) {
	t.Helper()
	if got.openErr != want.openErr || got.err != want.err || len(got.frames) != len(want.frames) {
		t.Fatalf("%s:\n got  %v\n want %v", name, got, want)
	}
	for i := range got.frames {
		if got.frames[i] != want.frames[i] {
			g, w := got.frames[i], want.frames[i]
			t.Fatalf("%s: frame %d: got len %d ts %s lt %d wire %d, want len %d ts %s lt %d wire %d (data equal %v)",
				name, i+1, len(g.data), g.ts, g.lt, g.wireLen, len(w.data), w.ts, w.lt, w.wireLen, g.data == w.data)
		}
	}
}

var identity = func(r io.Reader) io.Reader { return r }

// noLen hides a reader's Len method, so the reader sizes its buffer
// without a hint.
type noLen struct{ r io.Reader }

func (n noLen) Read(p []byte) (int, error) { return n.r.Read(p) }

// readerVariants deliver the same bytes in different ways.
var readerVariants = []struct {
	name string
	wrap func(io.Reader) io.Reader
}{
	{"bytes", identity},
	{"no size hint", func(r io.Reader) io.Reader { return noLen{r} }},
	{"one byte", iotest.OneByteReader},
	{"half", iotest.HalfReader},
	{"data with EOF", iotest.DataErrReader},
}

// timestampRecs exercise every timestamp corner: fractions at and over the
// second, 32-bit wrap of microseconds times 1000, the largest seconds.
func timestampRecs() []rawRec {
	return []rawRec{
		rec(0, 0, 60, 0),
		rec(1700000000, 999999, 61, 1514),
		rec(1700000000, 1000000, 62, 0),
		rec(1700000001, 4294967, 63, 0),
		rec(1700000001, 4294968, 64, 0),
		rec(1700000002, 999999999, 65, 0),
		rec(1700000002, 1000000000, 66, 0),
		rec(0xffffffff, 0xffffffff, 67, 0xffffffff),
		rec(0x80000000, 0x7fffffff, 0, 0),
		rec(5, 7, 0, 100),
	}
}

func TestPcapReaderMatchesPcapgo(t *testing.T) {
	type tc struct {
		name string
		data []byte
	}
	var cases []tc
	for _, big := range []bool{false, true} {
		for _, nanos := range []bool{false, true} {
			fl := fmt.Sprintf("big=%v nanos=%v", big, nanos)
			for _, snap := range []uint32{65535, 0xffffffff, 100, 0, MaxCaptureLength} {
				cases = append(cases, tc{fmt.Sprintf("%s snap=%d timestamps", fl, snap),
					rawPcap(big, nanos, 2, 4, snap, 1, timestampRecs())})
			}
			recs := func(last ...rawRec) []rawRec { return append([]rawRec{rec(1, 2, 54, 0), rec(3, 4, 1500, 0)}, last...) }
			for _, c := range []struct {
				name string
				snap uint32
				recs []rawRec
			}{
				{"big records", 65535, recs(rec(5, 6, 70000, 0), rec(7, 8, MaxCaptureLength, 0), rec(9, 10, 3000, 0))},
				{"over the limit", 0xffffffff, recs(rec(5, 6, MaxCaptureLength+1, 0))},
				{"over a small snaplen", 100, recs(rec(5, 6, 101, 0), rec(5, 6, MaxCaptureLength+5, 0))},
				{"4 GiB record", 0xffffffff, recs(rawRec{capLen: 0xfffffff0, wireLen: 0xfffffff0, data: make([]byte, 4096)})},
				{"caplen > wirelen", 65535, recs(rawRec{capLen: 100, wireLen: 50, data: make([]byte, 100)})},
				{"caplen past the end", 65535, recs(rawRec{capLen: 100, wireLen: 100, data: make([]byte, 10)})},
				{"partial header", 65535, recs(rawRec{data: make([]byte, 9)})[:2]},
			} {
				data := rawPcap(big, nanos, 2, 4, c.snap, 1, c.recs)
				if c.name == "partial header" {
					data = append(data, 1, 2, 3, 4, 5, 6, 7, 8, 9)
				}
				cases = append(cases, tc{fl + " " + c.name, data})
			}
			cases = append(cases,
				tc{fl + " major version", rawPcap(big, nanos, 3, 4, 65535, 1, nil)},
				tc{fl + " minor version", rawPcap(big, nanos, 2, 2, 65535, 1, nil)},
				tc{fl + " link type high bits", rawPcap(big, nanos, 2, 4, 65535, 0x10000001, recs())},
				tc{fl + " unsupported link type", rawPcap(big, nanos, 2, 4, 65535, 0x10000000|189, recs())},
				tc{fl + " link type 276", rawPcap(big, nanos, 2, 4, 65535, 276, recs())},
				tc{fl + " header only", rawPcap(big, nanos, 2, 4, 65535, 1, nil)},
			)
		}
	}
	for _, c := range cases {
		for _, v := range readerVariants {
			pcapCrossCheck(t, c.name+" / "+v.name, c.data, v.wrap)
		}
		// The same stream gzip-compressed gives the same result.
		diffResults(t, c.name+" / gzip", ownRead(t, bytes.NewReader(gz(c.data))), refRead(bytes.NewReader(c.data)))
	}
}

// TestPcapReaderTruncationMatchesPcapgo cuts small captures of both byte
// orders and both resolutions at every byte.
func TestPcapReaderTruncationMatchesPcapgo(t *testing.T) {
	recs := []rawRec{rec(1, 999999, 60, 0), rec(2, 5, 0, 0), rec(3, 1000000, 17, 1500), rec(4, 4294968, 33, 0)}
	for _, big := range []bool{false, true} {
		for _, nanos := range []bool{false, true} {
			data := rawPcap(big, nanos, 2, 4, 65535, 1, recs)
			for cut := 4; cut <= len(data); cut++ {
				name := fmt.Sprintf("big=%v nanos=%v cut=%d", big, nanos, cut)
				pcapCrossCheck(t, name, data[:cut], identity)
				pcapCrossCheck(t, name+" one byte", data[:cut], iotest.OneByteReader)
			}
		}
	}
}

// stallReader returns data, then (0, nil) forever.
type stallReader struct{ data []byte }

func (s *stallReader) Read(p []byte) (int, error) {
	n := copy(p, s.data)
	s.data = s.data[n:]
	return n, nil
}

// errAfter returns data, then err.
type errAfter struct {
	data []byte
	err  error
}

func (e *errAfter) Read(p []byte) (int, error) {
	if len(e.data) == 0 {
		return 0, e.err
	}
	n := copy(p, e.data)
	e.data = e.data[n:]
	return n, nil
}

func TestPcapReaderReadErrors(t *testing.T) {
	data := rawPcap(false, false, 2, 4, 65535, 1, []rawRec{rec(1, 2, 100, 0), rec(3, 4, 100, 0)})
	boom := errors.New("boom")
	for _, cut := range []int{24, 30, 40, 140, 150, len(data)} {
		// pcapgo over bufio spins for ever on a reader that stalls; the
		// record reader gives up as bufio.Reader.fill does.
		want := refRead(bytes.NewReader(data[:cut]))
		src, err := NewReaderSource("x", &stallReader{data: data[:cut]})
		if err != nil {
			t.Fatalf("stall at %d: %v", cut, err)
		}
		var p Packet
		got := 0
		for err == nil {
			if err = src.Next(&p); err == nil {
				got++
			}
		}
		if got != len(want.frames) || !errors.Is(err, io.ErrNoProgress) {
			t.Errorf("stall at %d: %d frames, %v; want %d frames, io.ErrNoProgress", cut, got, err, len(want.frames))
		}
		pcapCrossCheck(t, fmt.Sprintf("error at %d", cut), data[:cut], func(r io.Reader) io.Reader {
			b, _ := io.ReadAll(r)
			return &errAfter{data: b, err: boom}
		})
	}
	// A reader claiming more bytes than it was given is an error, not a
	// panic.
	src, err := NewReaderSource("liar", io.MultiReader(bytes.NewReader(data[:24]), liar{}))
	if err != nil {
		t.Fatal(err)
	}
	if err := src.Next(&Packet{}); err == nil || !strings.Contains(err.Error(), "invalid count") {
		t.Errorf("lying reader: %v", err)
	}
}

type liar struct{}

func (liar) Read(p []byte) (int, error) { return len(p) + 1, nil }

// TestPcapReaderBuffer checks that the buffer is sized by the input, grows
// only as far as a record needs, and that frames alias it.
func TestPcapReaderBuffer(t *testing.T) {
	data := rawPcap(true, true, 2, 4, 65535, 1, []rawRec{rec(1, 2, 100, 0), rec(1, 3, MaxCaptureLength, 0), rec(1, 4, 10, 0)})
	pr, err := newPcapReader(bytes.NewReader(data[4:]), [4]byte(data[:4]), 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(pr.buf) != pcapBufMin {
		t.Errorf("buffer %d bytes, want %d", len(pr.buf), pcapBufMin)
	}
	var lens []int
	for {
		d, _, _, _, _, err := pr.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if &d[0] != &pr.buf[pr.start-len(d)] {
			t.Error("frame does not alias the buffer")
		}
		lens = append(lens, len(d))
	}
	if fmt.Sprint(lens) != fmt.Sprint([]int{100, MaxCaptureLength, 10}) {
		t.Errorf("lengths %v", lens)
	}
	if len(pr.buf) != pcapRecordHeaderLen+MaxCaptureLength {
		t.Errorf("buffer grew to %d bytes", len(pr.buf))
	}
	if pr.pos() != int64(len(data)) {
		t.Errorf("position %d, want %d", pr.pos(), len(data))
	}
}

// TestNextFastPathOrder checks the merge order when the input just read
// stays first, when another input overtakes it, and on timestamp ties.
func TestNextFastPathOrder(t *testing.T) {
	mk := func(secs ...uint32) []byte {
		var recs []rawRec
		for i, s := range secs {
			r := rec(s, 0, 54, 0)
			r.data[0] = byte(i)
			recs = append(recs, r)
		}
		return rawPcap(false, false, 2, 4, 65535, 1, recs)
	}
	files := map[string][]byte{
		"a.pcap": mk(1, 2, 3, 3, 10, 4, 11),
		"b.pcap": mk(3, 3, 5),
		"c.pcap": mk(0, 20),
	}
	dir := writeFiles(t, files)
	var names []string
	for _, n := range []string{"a.pcap", "b.pcap", "c.pcap"} {
		names = append(names, dir+"/"+n)
	}
	src, err := OpenFiles(names)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	var order []string
	var p Packet
	for {
		err := src.Next(&p)
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		order = append(order, fmt.Sprintf("%c%d@%d", p.File[len(p.File)-6], p.FileNum, p.Time.Unix()))
	}
	want := "c1@0 a1@1 a2@2 a3@3 a4@3 b1@3 b2@3 b3@5 a5@10 a6@4 a7@11 c2@20"
	if got := strings.Join(order, " "); got != want {
		t.Errorf("order\n got  %s\n want %s", got, want)
	}
}

// FuzzPcapReaderVsPcapgo cross-checks the record reader against pcapgo
// on arbitrary bytes behind a classic pcap magic: for the dialects pcapgo
// does not know (see pcapVariant), against pcapgo on the same bytes
// rewritten as standard pcap for the dialect the reader chose.
func FuzzPcapReaderVsPcapgo(f *testing.F) {
	for _, big := range []bool{false, true} {
		for _, nanos := range []bool{false, true} {
			f.Add(rawPcap(big, nanos, 2, 4, 65535, 1, timestampRecs()))
			f.Add(rawPcap(big, nanos, 2, 4, 100, 1, []rawRec{rec(1, 2, 54, 0), {capLen: 300, wireLen: 200, data: make([]byte, 300)}}))
		}
		for _, v := range allVariants[1:] {
			f.Add(dialectPcap(v, big, 65535, LinkTypeEthernet, variantFrames(f)))
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) < 4 {
			return
		}
		switch [4]byte(data[:4]) {
		case magicPcapMicroLE, magicPcapMicroBE, magicPcapNanoLE, magicPcapNanoBE,
			magicPcapModifiedLE, magicPcapModifiedBE:
		default:
			return
		}
		dialectCrossCheck(t, "fuzz", data, identity)
		dialectCrossCheck(t, "fuzz one byte", data, iotest.OneByteReader)
	})
}
