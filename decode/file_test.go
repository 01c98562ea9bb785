package decode

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

var t0 = time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)

// seg returns a TCP data segment from port sport carrying payload.
func seg(sport uint16, payload string) tcpSeg {
	return tcpSeg{src: cli4, dst: srv4, sport: sport, dport: 21, seq: 1, ack: 1, ackF: true, psh: true, payload: payload}
}

// sampleFrames is a small Ethernet capture: three data segments.
func sampleFrames(t testing.TB) []frame {
	return []frame{
		{ts: t0.Add(1 * time.Second), data: ethFrame(t, seg(1001, "one"))},
		{ts: t0.Add(2*time.Second + 123456*time.Microsecond), data: ethFrame(t, seg(1002, "two"))},
		{ts: t0.Add(3*time.Second + 999999*time.Microsecond), data: ethFrame(t, seg(1003, "three"))},
	}
}

// collect reads src until an error and returns the packets and the error.
func collect(t testing.TB, src Source, limit int) ([]got, error) {
	t.Helper()
	var out []got
	var p Packet
	for i := 0; i < limit; i++ {
		err := src.Next(&p)
		if err != nil {
			return out, err
		}
		out = append(out, got{Num: p.Num, FileNum: p.FileNum, File: p.File, Time: p.Time, LinkType: p.LinkType,
			Sport: p.TCP.SrcPort, Src: p.Src, Payload: string(p.Payload), Iface: p.InterfaceIndex, CapLen: p.CapLen, WireLen: p.WireLen})
	}
	t.Fatalf("more than %d packets", limit)
	return nil, nil
}

func gz(b []byte) []byte {
	var buf bytes.Buffer
	w := gzip.NewWriter(&buf)
	w.Write(b)
	w.Close()
	return buf.Bytes()
}

func TestReadPcapFlavours(t *testing.T) {
	frames := sampleFrames(t)
	frames[2].wireLen = len(frames[2].data) + 100
	tests := []struct {
		name       string
		nanos, big bool
		gzip       bool
	}{
		{"micro little-endian", false, false, false},
		{"micro big-endian", false, true, false},
		{"nano little-endian", true, false, false},
		{"nano big-endian", true, true, false},
		{"gzip micro", false, false, true},
		{"gzip nano big-endian", true, true, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			file := pcapFile(LinkTypeEthernet, tc.nanos, tc.big, 65535, frames)
			if tc.gzip {
				file = gz(file)
			}
			src, err := NewReaderSource("x.pcap", bytes.NewReader(file))
			if err != nil {
				t.Fatal(err)
			}
			defer src.Close()
			pkts, err := collect(t, src, 10)
			if err != io.EOF {
				t.Fatalf("end: %v, want io.EOF", err)
			}
			if len(pkts) != 3 {
				t.Fatalf("%d packets, want 3", len(pkts))
			}
			for i, g := range pkts {
				if g.Num != uint64(i+1) || g.FileNum != uint64(i+1) || g.File != "x.pcap" || g.LinkType != LinkTypeEthernet {
					t.Errorf("packet %d: %+v", i, g)
				}
				if !g.Time.Equal(frames[i].ts) {
					t.Errorf("packet %d time %v, want %v", i, g.Time, frames[i].ts)
				}
				if g.Sport != uint16(1001+i) {
					t.Errorf("packet %d port %d", i, g.Sport)
				}
			}
			if pkts[2].Payload != "three" || pkts[2].WireLen != pkts[2].CapLen+100 {
				t.Errorf("last packet %+v", pkts[2])
			}
			st := src.Stats()
			if st.Packets != 3 || st.Undecoded != 0 || st.FileBytes != int64(len(file)) {
				t.Errorf("stats %+v, file %d bytes", st, len(file))
			}
			var sum uint64
			for _, f := range frames {
				sum += uint64(len(f.data))
			}
			if st.Bytes != sum {
				t.Errorf("stats bytes %d, want %d", st.Bytes, sum)
			}
		})
	}
}

func TestReadPcapngMixed(t *testing.T) {
	frames := []frame{
		{ts: t0.Add(5 * time.Second), lt: LinkTypeEthernet, data: ethFrame(t, seg(1001, "a"))},
		{ts: t0.Add(2 * time.Second), lt: LinkTypeRaw, data: ipPacket(t, seg(1002, "b"))},
		{ts: t0.Add(7*time.Second + 1), lt: LinkTypeLinuxSLL2, data: cat(sll2Header(0x0800), ipPacket(t, seg(1003, "c")))},
		{ts: t0.Add(1 * time.Second), lt: LinkTypeEthernet, data: cat(make([]byte, 12), []byte{8, 6}, make([]byte, 28))},
	}
	file := pcapngFile(t, []LinkType{LinkTypeEthernet, LinkTypeRaw, LinkTypeLinuxSLL2}, frames)
	for _, compressed := range []bool{false, true} {
		t.Run(fmt.Sprint("gzip=", compressed), func(t *testing.T) {
			in := file
			if compressed {
				in = gz(file)
			}
			src, err := NewReaderSource("x.pcapng", bytes.NewReader(in))
			if err != nil {
				t.Fatal(err)
			}
			pkts, err := collect(t, src, 10)
			if err != io.EOF || len(pkts) != 4 {
				t.Fatalf("%d packets, end %v", len(pkts), err)
			}
			wantLT := []LinkType{LinkTypeEthernet, LinkTypeRaw, LinkTypeLinuxSLL2, LinkTypeEthernet}
			wantIf := []int{0, 1, 2, 0}
			for i, g := range pkts {
				if g.LinkType != wantLT[i] || g.Iface != wantIf[i] || !g.Time.Equal(frames[i].ts) {
					t.Errorf("packet %d: lt %d if %d time %v", i, g.LinkType, g.Iface, g.Time)
				}
				if i < 3 && (g.Sport != uint16(1001+i) || g.Src != cli4) {
					t.Errorf("packet %d not decoded: %+v", i, g)
				}
			}
			if st := src.Stats(); st.Packets != 4 || st.Undecoded != 1 || st.FileBytes != int64(len(in)) {
				t.Errorf("stats %+v", st)
			}
		})
	}
}

// writeFiles writes named files into a temporary directory.
func writeFiles(t *testing.T, files map[string][]byte) string {
	t.Helper()
	dir := t.TempDir()
	for name, b := range files {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestMergeFiles(t *testing.T) {
	at := func(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }
	f := func(s int, port uint16) frame {
		return frame{ts: at(s), lt: LinkTypeEthernet, data: ethFrame(t, seg(port, "x"))}
	}
	a := pcapFile(LinkTypeEthernet, false, false, 65535, []frame{f(1, 101), f(4, 102), f(6, 103)})
	// b goes backwards in time: its order is kept.
	b := pcapngFile(t, []LinkType{LinkTypeEthernet}, []frame{f(2, 201), f(5, 202), f(3, 203), f(9, 204)})
	c := gz(pcapFile(LinkTypeEthernet, true, true, 65535, []frame{f(4, 301), f(8, 302)}))
	dir := writeFiles(t, map[string][]byte{"a.pcap": a, "b.pcapng": b, "c.pcap.gz": c})
	names := []string{filepath.Join(dir, "a.pcap"), filepath.Join(dir, "b.pcapng"), filepath.Join(dir, "c.pcap.gz")}
	src, err := OpenFiles(names)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	pkts, err := collect(t, src, 100)
	if err != io.EOF {
		t.Fatal(err)
	}
	// Ties (second 4) go to the earlier file.
	want := []uint16{101, 201, 102, 301, 202, 203, 103, 302, 204}
	var gotPorts []uint16
	for i, g := range pkts {
		gotPorts = append(gotPorts, g.Sport)
		if g.Num != uint64(i+1) {
			t.Errorf("num %d at %d", g.Num, i)
		}
		wantFile := names[g.Sport/100-1]
		if g.File != wantFile || g.FileNum != uint64(g.Sport%100) {
			t.Errorf("packet %d: file %s #%d", i, g.File, g.FileNum)
		}
	}
	if fmt.Sprint(gotPorts) != fmt.Sprint(want) {
		t.Errorf("order %v, want %v", gotPorts, want)
	}
	if st := src.Stats(); st.FileBytes != int64(len(a)+len(b)+len(c)) || st.Packets != 9 {
		t.Errorf("stats %+v", st)
	}
	if err := src.Next(&Packet{}); err != io.EOF {
		t.Errorf("after end: %v", err)
	}
	if err := src.Close(); err != nil {
		t.Error(err)
	}
	if err := src.Next(&Packet{}); !errors.Is(err, ErrClosed) {
		t.Errorf("after close: %v", err)
	}
}

func TestMergeWithDamagedFile(t *testing.T) {
	fr := sampleFrames(t)
	good := pcapFile(LinkTypeEthernet, false, false, 65535, fr)
	bad := good[:len(good)-10] // third record cut
	dir := writeFiles(t, map[string][]byte{"good.pcap": good, "bad.pcap": bad})
	src, err := OpenFiles([]string{filepath.Join(dir, "bad.pcap"), filepath.Join(dir, "good.pcap")})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	var p Packet
	var n, errs int
	for {
		err := src.Next(&p)
		if err == io.EOF {
			break
		}
		if err != nil {
			var ie *InputError
			if !errors.As(err, &ie) || !strings.HasSuffix(ie.File, "bad.pcap") || ie.Packet != 3 || !errors.Is(err, io.ErrUnexpectedEOF) {
				t.Fatalf("error %v", err)
			}
			wantOff := int64(24 + 2*16 + len(fr[0].data) + len(fr[1].data))
			if ie.Offset != wantOff {
				t.Errorf("offset %d, want %d", ie.Offset, wantOff)
			}
			errs++
			continue
		}
		n++
	}
	if n != 5 || errs != 1 {
		t.Errorf("%d packets, %d errors; want 5, 1", n, errs)
	}
}

func TestOpenErrors(t *testing.T) {
	eth := pcapFile(LinkTypeEthernet, false, false, 65535, nil)
	dir := writeFiles(t, map[string][]byte{
		"ok.pcap":      eth,
		"empty.pcap":   nil,
		"text.pcap":    []byte("hello, this is not a capture\n"),
		"short.pcap":   eth[:10],
		"usb.pcap":     pcapFile(189, false, false, 65535, nil),
		"badver.pcap":  append(append([]byte{}, eth[:4]...), append([]byte{9, 0}, eth[6:]...)...),
		"badgz.pcap":   {0x1f, 0x8b, 0xff, 0xff, 0xff},
		"gzshort.pcap": gz(eth[:3]),
		"ng.pcapng":    []byte{0x0a, 0x0d, 0x0d, 0x0a, 28, 0, 0, 0, 1, 2, 3, 4},
	})
	p := func(n string) string { return filepath.Join(dir, n) }
	tests := []struct {
		name  string
		files []string
		want  string
	}{
		{"none", nil, "no input files"},
		{"stdin twice", []string{"-", "-"}, "more than once"},
		{"missing", []string{p("missing.pcap")}, "missing.pcap: open: no such file"},
		{"all unusable", []string{p("missing.pcap"), p("empty.pcap"), p("usb.pcap")},
			"missing.pcap: open: no such file or directory\n" + p("empty.pcap") + ": empty input\n" + p("usb.pcap") + ": unsupported link type 189"},
		{"directory", []string{dir}, "is a directory"},
		{"empty", []string{p("empty.pcap")}, "empty.pcap: empty input"},
		{"text", []string{p("text.pcap")}, "text.pcap: not a pcap or pcapng file (magic 68656c6c)"},
		{"short header", []string{p("short.pcap")}, "short.pcap: bad pcap file header: unexpected EOF"},
		{"unsupported link type", []string{p("usb.pcap")}, "usb.pcap: unsupported link type 189 (LINKTYPE_189)"},
		{"bad version", []string{p("badver.pcap")}, "badver.pcap: bad pcap file header: Unknown major version 9"},
		{"bad gzip", []string{p("badgz.pcap")}, "badgz.pcap: truncated gzip stream: unexpected EOF"},
		{"gzip of short file", []string{p("gzshort.pcap")}, "gzshort.pcap: truncated file header: unexpected EOF"},
		{"bad pcapng byte order", []string{p("ng.pcapng")}, "ng.pcapng: bad pcapng section header: Wrong byte order value in Section Header"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			src, err := OpenFiles(tc.files)
			if err == nil {
				src.Close()
				t.Fatal("no error")
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q, want it to contain %q", err, tc.want)
			}
			if len(tc.files) > 0 && tc.files[0] != "-" {
				var ie *InputError
				if !errors.As(err, &ie) {
					t.Errorf("%T is not an *InputError", err)
				}
			}
		})
	}
}

// TestOpenFilesSomeUnusable checks that unusable files among usable ones
// do not stop the others: Next reports each one first, as an *InputError
// naming it, then delivers every packet of the usable files.
func TestOpenFilesSomeUnusable(t *testing.T) {
	fr := sampleFrames(t)
	good := pcapFile(LinkTypeEthernet, false, false, 65535, fr)
	dir := writeFiles(t, map[string][]byte{
		"good.pcap":   good,
		"good2.pcap":  gz(good),
		"empty.pcap":  nil,
		"text.pcap":   []byte("hello, this is not a capture\n"),
		"usb.pcap":    pcapFile(189, false, false, 65535, nil),
		"locked.pcap": good,
	})
	p := func(n string) string { return filepath.Join(dir, n) }
	locked := "open: permission denied"
	if err := os.Chmod(p("locked.pcap"), 0); err != nil {
		t.Fatal(err)
	}
	if f, err := os.Open(p("locked.pcap")); err == nil {
		// Running as root: the mode does not stop reading; make it
		// unusable another way.
		f.Close()
		if err := os.WriteFile(p("locked.pcap"), []byte("root reads anything\n"), 0); err != nil {
			t.Fatal(err)
		}
		locked = "not a pcap or pcapng file (magic 726f6f74)"
	}
	tests := []struct {
		name    string
		files   []string
		packets int
		errs    []string // the errors Next returns, in order
	}{
		{"one good", []string{"good.pcap"}, 3, nil},
		{"empty first", []string{"empty.pcap", "good.pcap"}, 3, []string{"empty.pcap: empty input"}},
		{"every kind", []string{"text.pcap", "good.pcap", "missing.pcap", "empty.pcap", "locked.pcap", "usb.pcap", "good2.pcap"}, 6, []string{
			"text.pcap: not a pcap or pcapng file (magic 68656c6c)",
			"missing.pcap: open: no such file or directory",
			"empty.pcap: empty input",
			"locked.pcap: " + locked,
			"usb.pcap: unsupported link type 189 (LINKTYPE_189)",
		}},
	}
	for _, tc := range tests {
		for _, prefetch := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s prefetch=%v", tc.name, prefetch), func(t *testing.T) {
				var names []string
				for _, n := range tc.files {
					names = append(names, p(n))
				}
				src, err := OpenFiles(names)
				if err != nil {
					t.Fatalf("OpenFiles: %v", err)
				}
				if prefetch {
					src = Prefetch(src)
				}
				defer src.Close()
				var errs []string
				var pkt Packet
				n := 0
				for {
					err := src.Next(&pkt)
					if err == io.EOF {
						break
					}
					if err != nil {
						var ie *InputError
						if !errors.As(err, &ie) || ie.Packet != 0 || ie.Offset != -1 {
							t.Fatalf("Next: %T %v", err, err)
						}
						if n > 0 {
							t.Errorf("%v after %d packets; want it before the first", err, n)
						}
						errs = append(errs, strings.TrimPrefix(err.Error(), dir+string(filepath.Separator)))
						continue
					}
					n++
				}
				if n != tc.packets {
					t.Errorf("%d packets, want %d", n, tc.packets)
				}
				if strings.Join(errs, "\n") != strings.Join(tc.errs, "\n") {
					t.Errorf("errors\n%s\nwant\n%s", strings.Join(errs, "\n"), strings.Join(tc.errs, "\n"))
				}
				if st := src.Stats(); st.Packets != uint64(tc.packets) {
					t.Errorf("stats: %d packets", st.Packets)
				}
			})
		}
	}
}

func TestInputErrorFormat(t *testing.T) {
	tests := []struct {
		e    InputError
		want string
	}{
		{InputError{"trace.pcap", 1234, 56789, fmt.Errorf("truncated record: %w", io.ErrUnexpectedEOF)},
			"trace.pcap: packet 1234 (offset 56789): truncated record: unexpected EOF"},
		{InputError{"trace.pcap", 7, -1, errors.New("boom")}, "trace.pcap: packet 7: boom"},
		{InputError{"-", 0, -1, errors.New("empty input")}, "-: empty input"},
	}
	for _, tc := range tests {
		if got := tc.e.Error(); got != tc.want {
			t.Errorf("got %q, want %q", got, tc.want)
		}
	}
	e := &InputError{File: "x", Err: io.ErrUnexpectedEOF}
	if !errors.Is(e, io.ErrUnexpectedEOF) {
		t.Error("Unwrap does not reach the cause")
	}
}

// readEnd opens data and reads it to its end, returning the packet count
// and the final error (open errors included).
func readEnd(t testing.TB, data []byte) (int, error) {
	src, err := NewReaderSource("cut", bytes.NewReader(data))
	if err != nil {
		return 0, err
	}
	defer src.Close()
	n := 0
	var p Packet
	for i := 0; i < 100000; i++ {
		if err := src.Next(&p); err != nil {
			return n, err
		}
		n++
	}
	t.Fatal("no end")
	return 0, nil
}

// TestTruncatedEveryOffset cuts captures at every byte: reading must end
// with io.EOF exactly at record boundaries and with an *InputError
// (truncated, at the right packet) anywhere else.
func TestTruncatedEveryOffset(t *testing.T) {
	fr := sampleFrames(t)
	pcap := pcapFile(LinkTypeEthernet, true, true, 65535, fr)
	var pcapBounds []int // end offsets of the records
	off := 24
	for _, f := range fr {
		off += 16 + len(f.data)
		pcapBounds = append(pcapBounds, off)
	}
	ng := pcapngFile(t, []LinkType{LinkTypeEthernet, LinkTypeRaw}, []frame{
		{ts: t0, lt: LinkTypeEthernet, data: fr[0].data},
		{ts: t0.Add(-time.Second), lt: LinkTypeRaw, data: ipPacket(t, seg(5, "raw"))},
		{ts: t0.Add(time.Second), lt: LinkTypeEthernet, data: fr[2].data},
	})
	tests := []struct {
		name   string
		file   []byte
		header int   // bytes before the first record
		bounds []int // record ends (pcap only)
		gzip   bool
	}{
		{"pcap", pcap, 24, pcapBounds, false},
		{"pcapng", ng, 0, nil, false},
		{"gzip pcap", pcap, 24, pcapBounds, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			full := tc.file
			if tc.gzip {
				full = gz(tc.file)
			}
			for cut := 0; cut < len(full); cut++ {
				n, err := readEnd(t, full[:cut])
				var ie *InputError
				if !errors.As(err, &ie) && err != io.EOF {
					t.Fatalf("cut %d: %T %v", cut, err, err)
				}
				if tc.gzip {
					// Without its trailer a gzip stream is never complete.
					if ie == nil {
						t.Errorf("cut %d: %d packets, %v", cut, n, err)
					}
					continue
				}
				if tc.bounds == nil {
					// pcapng: io.EOF only at a block boundary, after
					// every packet block before the cut.
					atBlock, packets := ngBlocks(tc.file, cut)
					if (err == io.EOF) != atBlock || (err == io.EOF && n != packets) {
						t.Errorf("cut %d: %d packets, %v (block boundary %v, %d packets)", cut, n, err, atBlock, packets)
					}
					continue
				}
				// Plain pcap: exact expectations.
				boundary := cut == tc.header
				complete := 0
				for i, b := range tc.bounds {
					if cut >= b {
						complete = i + 1
					}
					if cut == b {
						boundary = true
					}
				}
				switch {
				case cut < tc.header:
					if ie == nil || ie.Packet != 0 {
						t.Errorf("cut %d in file header: %v", cut, err)
					}
				case boundary:
					if err != io.EOF || n != complete {
						t.Errorf("cut %d at boundary: %d packets, %v", cut, n, err)
					}
				default:
					if ie == nil || n != complete || ie.Packet != uint64(complete+1) || !errors.Is(err, io.ErrUnexpectedEOF) {
						t.Errorf("cut %d: %d packets, %v", cut, n, err)
					}
					wantOff := int64(tc.header)
					if complete > 0 {
						wantOff = int64(tc.bounds[complete-1])
					}
					if ie != nil && ie.Offset != wantOff {
						t.Errorf("cut %d: offset %d, want %d", cut, ie.Offset, wantOff)
					}
				}
			}
		})
	}
}

// ngBlocks walks the blocks of a little-endian pcapng file and reports
// whether cut falls on a block boundary (after the section header) and how
// many enhanced packet blocks end at or before cut.
func ngBlocks(file []byte, cut int) (boundary bool, packets int) {
	off := 0
	for off+8 <= len(file) {
		typ := binary.LittleEndian.Uint32(file[off:])
		end := off + int(binary.LittleEndian.Uint32(file[off+4:]))
		if end > cut {
			break
		}
		if typ == 6 {
			packets++
		}
		off = end
		if off == cut {
			return true, packets
		}
	}
	return false, packets
}

func TestConcatenatedSections(t *testing.T) {
	fr := sampleFrames(t)
	a := pcapngFile(t, []LinkType{LinkTypeEthernet}, fr[:2])
	b := pcapngFile(t, []LinkType{LinkTypeRaw, LinkTypeEthernet}, []frame{{ts: t0, lt: LinkTypeEthernet, data: fr[2].data}})
	pkts, err := collect(t, mustSource(t, cat(a, b)), 10)
	if err != io.EOF || len(pkts) != 3 || pkts[2].Iface != 1 || pkts[2].Payload != "three" {
		t.Fatalf("%+v %v", pkts, err)
	}
	// Two gzip members make one stream.
	pkts, err = collect(t, mustSource(t, cat(gz(a), gz(b))), 10)
	if err != io.EOF || len(pkts) != 3 {
		t.Fatalf("gzip members: %d packets, %v", len(pkts), err)
	}
}

func mustSource(t *testing.T, data []byte) Source {
	t.Helper()
	src, err := NewReaderSource("mem", bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { src.Close() })
	return src
}

func TestStdin(t *testing.T) {
	file := pcapFile(LinkTypeRaw, false, false, 65535, []frame{{ts: t0, data: ipPacket(t, syn6)}})
	dir := writeFiles(t, map[string][]byte{"in.pcap": file})
	f, err := os.Open(filepath.Join(dir, "in.pcap"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	old := os.Stdin
	os.Stdin = f
	defer func() { os.Stdin = old }()
	src, err := OpenFiles([]string{"-"})
	if err != nil {
		t.Fatal(err)
	}
	pkts, err := collect(t, src, 10)
	if err != io.EOF || len(pkts) != 1 || pkts[0].File != "-" || pkts[0].Src != cli6 {
		t.Fatalf("%+v %v", pkts, err)
	}
	if err := src.Close(); err != nil {
		t.Fatal(err)
	}
	// The source does not close standard input.
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		t.Errorf("stdin was closed: %v", err)
	}
}

func TestTruncatedPcapngReportsError(t *testing.T) {
	ng := pcapngFile(t, []LinkType{LinkTypeEthernet}, sampleFrames(t))
	_, err := readEnd(t, ng[:len(ng)-7])
	var ie *InputError
	if !errors.As(err, &ie) || ie.Packet != 3 || !strings.Contains(err.Error(), "truncated block: unexpected EOF") {
		t.Fatalf("got %v", err)
	}
}

func TestCorruptGzip(t *testing.T) {
	file := pcapFile(LinkTypeEthernet, false, false, 65535, sampleFrames(t))
	// Enough frames that the damage lands after the header.
	for i := 0; i < 50; i++ {
		file = append(file, file[24:]...)
		if len(file) > 200000 {
			break
		}
	}
	z := gz(file)
	flipped := append([]byte(nil), z...)
	for i := len(z) / 2; i < len(z)/2+16; i++ {
		flipped[i] ^= 0x55
	}
	tests := []struct {
		name string
		data []byte
		want string
	}{
		// Damaged deflate data may inflate to garbage before the checksum
		// fails, so either layer may notice first.
		{"flipped bytes", flipped, "corrupt "},
		{"truncated", z[:len(z)/2], "truncated gzip stream: unexpected EOF"},
		{"bad trailer", append(append([]byte(nil), z[:len(z)-8]...), 1, 2, 3, 4, 5, 6, 7, 8), "corrupt gzip stream: gzip: invalid checksum"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			n, err := readEnd(t, tc.data)
			var ie *InputError
			if !errors.As(err, &ie) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("after %d packets: %v", n, err)
			}
			if ie.Packet == 0 {
				t.Errorf("no packet number: %v", err)
			}
		})
	}
}

func TestPcapngUnsupportedInterface(t *testing.T) {
	fr := sampleFrames(t)
	ng := pcapngFile(t, []LinkType{LinkTypeEthernet, 147}, []frame{
		{ts: t0, lt: LinkTypeEthernet, data: fr[0].data},
		{ts: t0, lt: 147, data: fr[1].data},
	})
	n, err := readEnd(t, ng)
	if n != 1 || err == nil || !strings.Contains(err.Error(), "cut: packet 2 (offset ") ||
		!strings.Contains(err.Error(), "pcapng interface 1 has unsupported link type 147") {
		t.Fatalf("%d packets, %v", n, err)
	}
}

// allocDuring reports the bytes allocated while f runs.
func allocDuring(f func()) uint64 {
	var a, b runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&a)
	f()
	runtime.ReadMemStats(&b)
	return b.TotalAlloc - a.TotalAlloc
}

func TestHostileLengths(t *testing.T) {
	le := binary.LittleEndian
	fr := sampleFrames(t)
	// pcap with a 4 GiB snaplen and a record claiming 4 GiB.
	hostilePcap := pcapFile(LinkTypeEthernet, false, false, 0xffffffff, fr[:1])
	rec := make([]byte, 16)
	le.PutUint32(rec[8:12], 0xfffffff0)
	le.PutUint32(rec[12:16], 0xfffffff0)
	hostilePcap = append(append(hostilePcap, rec...), bytes.Repeat([]byte{0xab}, 4096)...)
	// caplen > wire length.
	badCap := pcapFile(LinkTypeEthernet, false, false, 65535, fr[:1])
	le.PutUint32(rec[8:12], 100)
	le.PutUint32(rec[12:16], 50)
	badCap = append(append(badCap, rec...), make([]byte, 100)...)
	// Just over the limit, under a large snaplen.
	big := pcapFile(LinkTypeEthernet, false, false, 1<<20, nil)
	le.PutUint32(rec[8:12], MaxCaptureLength+1)
	le.PutUint32(rec[12:16], MaxCaptureLength+1)
	big = append(append(big, rec...), make([]byte, 1000)...)

	ng := pcapngFile(t, []LinkType{LinkTypeEthernet}, fr[:1])
	// EPB with caplen 4 GiB.
	epb := make([]byte, 32)
	le.PutUint32(epb[0:4], 6)
	le.PutUint32(epb[4:8], 32)
	le.PutUint32(epb[20:24], 0xffffffff)
	le.PutUint32(epb[24:28], 0xffffffff)
	le.PutUint32(epb[28:32], 32)
	hostileEPB := append(append(append([]byte(nil), ng...), epb...), bytes.Repeat([]byte{0xcd}, 8192)...)
	// Unknown block claiming 4 GiB.
	blk := make([]byte, 12)
	le.PutUint32(blk[0:4], 0x77)
	le.PutUint32(blk[4:8], 0xfffffffc)
	hostileBlock := append(append(append([]byte(nil), ng...), blk...), make([]byte, 100)...)
	// Block length below the minimum.
	le.PutUint32(blk[4:8], 4)
	shortBlock := append(append(append([]byte(nil), ng...), blk...), make([]byte, 100)...)

	tests := []struct {
		name string
		data []byte
		want string
	}{
		{"pcap 4 GiB record", hostilePcap, fmt.Sprintf("cut: packet 2 (offset %d): corrupt record header: capture length exceeds snap length: 4294967280 > 262144", 40+len(fr[0].data))},
		{"pcap caplen > len", badCap, fmt.Sprintf("packet 2 (offset %d): corrupt record header: capture length exceeds original packet length: 100 > 50", 40+len(fr[0].data))},
		{"pcap over limit", big, "packet 1 (offset 24): corrupt record header: capture length exceeds snap length: 262145 > 262144"},
		{"pcapng 4 GiB capture length", hostileEPB, "packet 2 (offset "},
		{"pcapng 4 GiB block", hostileBlock, "corrupt block: block length 4294967292 exceeds 16777216"},
		{"pcapng short block", shortBlock, "corrupt block: bad length 4 for block type 0x77"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var n int
			var err error
			alloc := allocDuring(func() { n, err = readEnd(t, tc.data) })
			var ie *InputError
			if !errors.As(err, &ie) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("after %d packets: %v; want %q", n, err, tc.want)
			}
			if alloc > 4<<20 {
				t.Errorf("allocated %d bytes", alloc)
			}
		})
	}
}

// TestRandomBytes feeds random bodies behind valid and invalid headers.
func TestRandomBytes(t *testing.T) {
	rng := uint64(0x9e3779b97f4a7c15)
	rand := func(n int) []byte {
		b := make([]byte, n)
		for i := range b {
			rng ^= rng << 13
			rng ^= rng >> 7
			rng ^= rng << 17
			b[i] = byte(rng)
		}
		return b
	}
	heads := [][]byte{
		nil,
		pcapFile(LinkTypeEthernet, false, false, 65535, nil),
		pcapFile(LinkTypeRaw, true, true, 65535, nil),
		pcapngFile(t, []LinkType{LinkTypeEthernet}, nil),
	}
	for i := 0; i < 400; i++ {
		data := append(append([]byte(nil), heads[i%len(heads)]...), rand(i*7%3000)...)
		if _, err := readEnd(t, data); err == nil {
			t.Fatal("nil error")
		}
	}
}

// TestCorpus reads every capture in the shared corpus, when present.
// corpusDir is the shared corpus of real captures, relative to the package
// directory; tests that read it skip when it is absent.
const corpusDir = "../../shared/corpus/pcaps"

// corpusCaptures returns the capture files of the shared corpus (by
// extension: the expected outputs of other tools lie next to them), or
// skips the test when there are none.
func corpusCaptures(t *testing.T) []string {
	t.Helper()
	if _, err := os.Stat(corpusDir); err != nil {
		t.Skip("no corpus at " + corpusDir)
	}
	var files []string
	filepath.WalkDir(corpusDir, func(path string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			switch strings.ToLower(filepath.Ext(path)) {
			case ".pcap", ".pcapng", ".cap":
				files = append(files, path)
			}
		}
		return nil
	})
	if len(files) == 0 {
		t.Skip("no captures in " + corpusDir)
	}
	return files
}

// TestCorpus reads every capture of the shared corpus to its end: each one
// opens, delivers packets (the corpus has no empty capture) and ends with
// io.EOF, after at most *InputError values naming it, and the counters
// match what was delivered.
func TestCorpus(t *testing.T) {
	for _, f := range corpusCaptures(t) {
		t.Run(strings.TrimPrefix(f, corpusDir+"/"), func(t *testing.T) {
			src, err := OpenFiles([]string{f})
			if err != nil {
				t.Fatalf("open: %v", err)
			}
			defer src.Close()
			var p Packet
			var n, bytes uint64
			for {
				err := src.Next(&p)
				if err == io.EOF {
					break
				}
				if err != nil {
					var ie *InputError
					if !errors.As(err, &ie) || ie.File != f {
						t.Fatalf("after %d packets: %T %v", n, err, err)
					}
					t.Logf("damage: %v", err)
					continue
				}
				n++
				bytes += uint64(p.CapLen)
				if p.CapLen != len(p.Data) || p.CapLen > p.WireLen || p.FileNum != n || p.File != f {
					t.Fatalf("packet %d: caplen %d, data %d, wire %d, file %s #%d", n, p.CapLen, len(p.Data), p.WireLen, p.File, p.FileNum)
				}
			}
			if n == 0 {
				t.Error("no packets")
			}
			if st := src.Stats(); st.Packets != n || st.Bytes != bytes || st.Undecoded > n {
				t.Errorf("stats %+v after %d packets, %d bytes", st, n, bytes)
			}
		})
	}
}
