package decode

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"reflect"
	"strings"
	"testing"
	"testing/iotest"
	"time"
)

var allVariants = []pcapVariant{variantStandard, variantSS990417, variantNokia, variantSS991029, variantSS990915}

// dialectExtra returns the fields dialect v appends to the standard header
// of record i, with values such files hold.
func dialectExtra(v pcapVariant, bo binary.ByteOrder, i int) []byte {
	x := make([]byte, v.headerLen()-pcapRecordHeaderLen)
	switch v {
	case variantNokia:
		binary.LittleEndian.PutUint32(x, 0x9fbfb601+uint32(i%2)) // 0xXfbfYZ0W
	case variantSS990417, variantSS991029, variantSS990915:
		bo.PutUint32(x[0:4], 2+uint32(i%3))                         // interface index
		bo.PutUint16(x[4:6], []uint16{0x0800, 0x86dd, 0x0003}[i%3]) // protocol
		x[6] = byte(i % 5)                                          // packet type
		for j := 7; j < len(x); j++ {
			x[j] = 0xee // padding and SMP fields, not zeroed by the writers
		}
	}
	return x
}

// dialectPcap writes frames (microsecond time stamps) as dialect v.
func dialectPcap(v pcapVariant, big bool, snaplen uint32, lt LinkType, frames []frame) []byte {
	std := pcapFile(lt, false, big, snaplen, frames)
	var bo binary.ByteOrder = binary.LittleEndian
	if big {
		bo = binary.BigEndian
	}
	out := append([]byte(nil), std[:pcapFileHeaderLen]...)
	if v == variantSS991029 || v == variantSS990915 {
		bo.PutUint32(out[0:4], 0xa1b2cd34)
	}
	off := pcapFileHeaderLen
	for i := 0; off < len(std); i++ {
		n := pcapRecordHeaderLen + int(bo.Uint32(std[off+8:off+12]))
		out = append(out, std[off:off+pcapRecordHeaderLen]...)
		out = append(out, dialectExtra(v, bo, i)...)
		out = append(out, std[off+pcapRecordHeaderLen:off+n]...)
		off += n
	}
	return out
}

// toStandard rewrites a classic pcap stream of dialect v, damaged or not,
// as a standard one that pcapgo reads the same way as the record reader
// reads the original: the dialect's extra header fields are dropped, a
// header cut short stays cut short (15 bytes at most), and copying stops
// after a header the reader rejects. starts are the offsets, in data, of
// the records as written to out.
func toStandard(data []byte, v pcapVariant) (out []byte, starts []int64) {
	if len(data) < pcapFileHeaderLen {
		return data, nil
	}
	var bo binary.ByteOrder = binary.LittleEndian
	if data[0] == 0xa1 {
		bo = binary.BigEndian
	}
	out = append([]byte(nil), data[:pcapFileHeaderLen]...)
	if bo.Uint32(out[0:4]) == 0xa1b2cd34 {
		bo.PutUint32(out[0:4], 0xa1b2c3d4)
	}
	hl := v.headerLen()
	for off := pcapFileHeaderLen; off < len(data); {
		starts = append(starts, int64(off))
		rest := data[off:]
		if len(rest) < hl {
			out = append(out, rest[:min(len(rest), pcapRecordHeaderLen-1)]...)
			break
		}
		out = append(out, rest[:pcapRecordHeaderLen]...)
		capLen, wire := bo.Uint32(rest[8:12]), bo.Uint32(rest[12:16])
		if capLen > MaxCaptureLength || capLen > wire {
			break
		}
		n := min(int(capLen), len(rest)-hl)
		out = append(out, rest[hl:hl+n]...)
		off += hl + n
		if n < int(capLen) {
			break
		}
	}
	return out, starts
}

// detectedVariant returns the dialect the record reader chooses for data.
func detectedVariant(data []byte) pcapVariant {
	if len(data) < 4 {
		return variantStandard
	}
	pr, err := newPcapReader(bytes.NewReader(data[4:]), [4]byte(data[:4]), 0)
	if err != nil {
		return variantStandard
	}
	return pr.variant
}

// dialectCrossCheck compares the record reader on data, read through
// wrap, with pcapgo on data rewritten as standard pcap for the dialect the
// reader chooses; error offsets are mapped back to data's.
func dialectCrossCheck(t testing.TB, name string, data []byte, wrap func(io.Reader) io.Reader) {
	t.Helper()
	v := detectedVariant(data)
	std, starts := toStandard(data, v)
	want := refRead(bytes.NewReader(std))
	var k int
	var off int64
	var rest string
	if n, _ := fmt.Sscanf(want.err, "packet %d offset %d:", &k, &off); n == 2 && k >= 1 && k <= len(starts) {
		rest = want.err[strings.Index(want.err, ":"):]
		want.err = fmt.Sprintf("packet %d offset %d%s", k, starts[k-1], rest)
	}
	got := ownRead(t, wrap(bytes.NewReader(data)))
	diffResults(t, fmt.Sprintf("%s (%v)", name, v), got, want)
}

// variantFrames are Ethernet frames in time order, one cut short by the
// snap length.
func variantFrames(t testing.TB) []frame {
	fr := sampleFrames(t)
	long := ethFrame(t, seg(1004, strings.Repeat("x", 200)))
	fr = append(fr, frame{ts: t0.Add(5 * time.Second), data: long[:96], wireLen: len(long)})
	return fr
}

// TestPcapVariants writes the same frames in every dialect, both byte
// orders, and checks that the reader recognises the dialect and delivers
// what it delivers for the frames written as standard pcap, whatever way
// the bytes arrive (one at a time, a pipe, gzip).
func TestPcapVariants(t *testing.T) {
	all := variantFrames(t)
	for _, v := range allVariants {
		for _, big := range []bool{false, true} {
			for _, n := range []int{0, 1, 2, 3, len(all)} {
				name := fmt.Sprintf("%v big=%v frames=%d", v, big, n)
				frames := all[:n]
				data := dialectPcap(v, big, 128, LinkTypeEthernet, frames)
				if n < 2 {
					// Too little to tell the dialects sharing a
					// magic apart: the first is taken.
					wantV := map[pcapVariant]pcapVariant{variantStandard: variantStandard, variantSS990417: variantStandard,
						variantNokia: variantStandard, variantSS991029: variantSS991029, variantSS990915: variantSS991029}[v]
					if got := detectedVariant(data); got != wantV {
						t.Errorf("%s: read as %v, want %v", name, got, wantV)
					}
					if wantV != v {
						dialectCrossCheck(t, name, data, identity)
						continue
					}
				}
				if got := detectedVariant(data); got != v {
					t.Errorf("%s: read as %v", name, got)
					continue
				}
				want := ownRead(t, bytes.NewReader(pcapFile(LinkTypeEthernet, false, big, 128, frames)))
				if len(want.frames) != n || want.err != "EOF" {
					t.Fatalf("%s: standard pcap: %v", name, want)
				}
				for _, rv := range readerVariants {
					diffResults(t, name+" / "+rv.name, ownRead(t, rv.wrap(bytes.NewReader(data))), want)
					dialectCrossCheck(t, name+" / "+rv.name, data, rv.wrap)
				}
				diffResults(t, name+" / gzip", ownRead(t, bytes.NewReader(gz(data))), want)
				pr, pw := io.Pipe()
				go func() {
					for b := data; len(b) > 0; b = b[min(7, len(b)):] {
						if _, err := pw.Write(b[:min(7, len(b))]); err != nil {
							return
						}
					}
					pw.Close()
				}()
				diffResults(t, name+" / pipe", ownRead(t, pr), want)
				pr.Close()
				// The decoded packets are those of the standard file.
				a, errA := collect(t, mustSource(t, data), 100)
				b, errB := collect(t, mustSource(t, pcapFile(LinkTypeEthernet, false, big, 128, frames)), 100)
				if errA != io.EOF || errB != io.EOF || !reflect.DeepEqual(a, b) {
					t.Errorf("%s: decoded packets differ (%v, %v):\n%+v\n%+v", name, errA, errB, a, b)
				}
			}
		}
	}
}

// TestPcapVariantsTruncated cuts a file of every dialect at every byte:
// the reader reports what pcapgo reports for the same bytes as standard
// pcap (frames, error, packet number and offset), never more.
func TestPcapVariantsTruncated(t *testing.T) {
	fr := variantFrames(t)
	for _, v := range allVariants {
		for _, big := range []bool{false, true} {
			data := dialectPcap(v, big, 65535, LinkTypeEthernet, fr)
			for cut := 4; cut <= len(data); cut++ {
				name := fmt.Sprintf("%v big=%v cut=%d", v, big, cut)
				dialectCrossCheck(t, name, data[:cut], identity)
				if cut%17 == 0 {
					dialectCrossCheck(t, name+" one byte", data[:cut], iotest.OneByteReader)
				}
			}
		}
	}
}

// TestVariantFaults checks the counting that chooses a dialect on record
// headers made to fail one check each.
func TestVariantFaults(t *testing.T) {
	ok := func(sec uint32) rawRec { return rec(sec, 5, 60, 0) }
	tests := []struct {
		name  string
		v     pcapVariant
		snap  uint32
		recs  []rawRec
		extra []byte // appended after the records
		want  int
	}{
		{"sane", variantStandard, 65535, []rawRec{ok(1), ok(2), ok(3), ok(4)}, nil, 0},
		{"fraction over a second", variantStandard, 65535, []rawRec{ok(1), rec(2, 1000000, 60, 0)}, nil, 1},
		{"over the snap length", variantStandard, 50, []rawRec{ok(1)}, nil, 1},
		{"over the original length", variantStandard, 65535, []rawRec{ok(1), {sec: 2, capLen: 10, wireLen: 9, data: make([]byte, 10)}}, nil, 1},
		{"huge original length", variantStandard, 65535, []rawRec{{sec: 1, capLen: 10, wireLen: 200 << 20, data: make([]byte, 10)}}, nil, 1},
		{"over the maximum: stop", variantStandard, 0xffffffff, []rawRec{{sec: 1, capLen: MaxCaptureLength + 1, wireLen: MaxCaptureLength + 1}}, nil, 1},
		{"time goes back", variantStandard, 65535, []rawRec{ok(5), ok(4), ok(6)}, nil, 1},
		{"cut in the data", variantStandard, 65535, []rawRec{ok(1), {sec: 2, capLen: 60, wireLen: 60, data: make([]byte, 30)}}, nil, 1},
		{"cut in the header", variantStandard, 65535, []rawRec{ok(1)}, []byte{9, 0, 0, 0, 1}, 1},
		{"cut header, time back", variantStandard, 65535, []rawRec{ok(10)}, []byte{9, 0, 0, 0, 1}, 2},
		{"only three records count", variantStandard, 65535, []rawRec{ok(1), ok(2), ok(3), ok(0)}, nil, 0},
	}
	for _, tc := range tests {
		data := rawPcap(false, false, 2, 4, tc.snap, 1, tc.recs)
		data = append(data, tc.extra...)
		pr, err := newPcapReader(bytes.NewReader(data[4:]), [4]byte(data[:4]), 0)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		start := pr.pos()
		if got, _ := pr.variantFaults(tc.v, tc.snap); got != tc.want {
			t.Errorf("%s: %d faults, want %d", tc.name, got, tc.want)
		}
		if pr.pos() != start {
			t.Errorf("%s: the look-ahead consumed %d bytes", tc.name, pr.pos()-start)
		}
	}
	// The dialects' own fields.
	bo := binary.LittleEndian
	hdr := func(v pcapVariant, f func(x []byte)) []byte {
		x := dialectExtra(v, bo, 0)
		f(x)
		return x
	}
	fields := []struct {
		name string
		v    pcapVariant
		x    []byte
		want int
	}{
		{"ss990417 sane", variantSS990417, hdr(variantSS990417, func([]byte) {}), 0},
		{"interface index", variantSS990417, hdr(variantSS990417, func(x []byte) { bo.PutUint32(x, 10001) }), 1},
		{"protocol", variantSS991029, hdr(variantSS991029, func(x []byte) { bo.PutUint16(x[4:], 0x0100) }), 1},
		{"protocol ETH_P_PUP", variantSS991029, hdr(variantSS991029, func(x []byte) { bo.PutUint16(x[4:], 0x0400) }), 0},
		{"packet type", variantSS990915, hdr(variantSS990915, func(x []byte) { x[6] = 5 }), 1},
		{"nokia sane", variantNokia, hdr(variantNokia, func([]byte) {}), 0},
		{"nokia other", variantNokia, hdr(variantNokia, func(x []byte) { bo.PutUint32(x, 0x9fbfb603) }), 1},
	}
	for _, tc := range fields {
		h := append(make([]byte, 16), tc.x...)
		bo.PutUint32(h[8:12], 60)
		bo.PutUint32(h[12:16], 60)
		p := &pcapReader{}
		if got, _, _ := p.headerFaults(tc.v, h, 65535); got != tc.want {
			t.Errorf("%s: %d faults, want %d", tc.name, got, tc.want)
		}
	}
}

// TestChooseVariantNeedsTwoRecords checks that a standard capture cut
// short just after its first record stays standard even where the bytes
// read as another dialect hold one flawless record that ends where the
// stream does.
func TestChooseVariantNeedsTwoRecords(t *testing.T) {
	// Read as ss990417, the first 8 frame bytes are interface 2,
	// protocol 0x0800, packet type 0 and a pad byte.
	data := append([]byte{2, 0, 0, 0, 0, 8, 0, 0}, make([]byte, 52)...)
	fr := []frame{{ts: t0, data: data}, {ts: t0.Add(time.Second), data: data}}
	whole := pcapFile(LinkTypeEthernet, false, false, 65535, fr)
	cut := whole[:pcapFileHeaderLen+24+len(data)] // 8 bytes into record 2
	pr, err := newPcapReader(bytes.NewReader(cut[4:]), [4]byte(cut[:4]), 0)
	if err != nil {
		t.Fatal(err)
	}
	if f, n := pr.variantFaults(variantSS990417, 65535); f != 0 || n != 1 {
		t.Fatalf("as ss990417: %d faults, %d records; want one flawless record", f, n)
	}
	if f, n := pr.variantFaults(variantStandard, 65535); f == 0 || n != 1 {
		t.Fatalf("as standard: %d faults, %d records; want a fault and one record", f, n)
	}
	if pr.variant != variantStandard {
		t.Errorf("read as %v, want standard pcap", pr.variant)
	}
	dialectCrossCheck(t, "cut", cut, identity)
	// Whole, it is standard pcap without a fault.
	if v := detectedVariant(whole); v != variantStandard {
		t.Errorf("whole: read as %v", v)
	}
}
