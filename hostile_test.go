package ftpsniff_test

// Hostile and broken input through ftpsniff.Run: nothing panics, memory
// stays within the documented caps, and when a cap discards state the output
// says so. The captures are built here (hand-made frames, streamed through a
// pipe where they are large); the decode package's own tests cover the
// file-format details (hostile lengths, truncation at every offset of pcap,
// pcapng and gzip, random bytes behind headers) at its level.

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/rand"
	"net/netip"
	"runtime"
	"slices"
	"testing"
	"time"

	"github.com/ftpsniff/ftpsniff"
	"github.com/ftpsniff/ftpsniff/decode"
	"github.com/ftpsniff/ftpsniff/session"
)

// collect is an output.Writer that keeps the records.
type collect struct {
	transfers []session.Transfer
	sessions  []session.Session
	sum       *session.Summary
}

func (c *collect) Transfer(t *session.Transfer) error {
	c.transfers = append(c.transfers, *t)
	return nil
}
func (c *collect) Session(s *session.Session) error { c.sessions = append(c.sessions, *s); return nil }
func (c *collect) Close(s *session.Summary) error   { c.sum = s; return nil }

// pcapW writes a little-endian microsecond pcap.
type pcapW struct {
	w       io.Writer
	now     time.Time
	records []int // end offset of every record
	off     int
}

func newPcapW(w io.Writer, snaplen, linktype uint32) *pcapW {
	h := make([]byte, 24)
	binary.LittleEndian.PutUint32(h[0:], 0xa1b2c3d4)
	binary.LittleEndian.PutUint16(h[4:], 2)
	binary.LittleEndian.PutUint16(h[6:], 4)
	binary.LittleEndian.PutUint32(h[16:], snaplen)
	binary.LittleEndian.PutUint32(h[20:], linktype)
	w.Write(h)
	return &pcapW{w: w, now: time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC), off: 24}
}

func (p *pcapW) frame(data []byte) {
	p.now = p.now.Add(100 * time.Microsecond)
	var h [16]byte
	binary.LittleEndian.PutUint32(h[0:], uint32(p.now.Unix()))
	binary.LittleEndian.PutUint32(h[4:], uint32(p.now.Nanosecond()/1000))
	binary.LittleEndian.PutUint32(h[8:], uint32(len(data)))
	binary.LittleEndian.PutUint32(h[12:], uint32(len(data)))
	p.w.Write(h[:])
	p.w.Write(data)
	p.off += 16 + len(data)
	p.records = append(p.records, p.off)
}

// Frame builders (checksums are left zero: ftpsniff does not check them).

func ethHdr(vlans int, etype uint16) []byte {
	b := []byte{2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1}
	for i := 0; i < vlans; i++ {
		b = append(b, 0x81, 0x00, 0, byte(i+1))
	}
	return binary.BigEndian.AppendUint16(b, etype)
}

// ipv4 builds an IPv4 header and payload; off is the fragment offset in
// bytes (a multiple of 8).
func ipv4(src, dst netip.Addr, proto byte, id uint16, off int, mf bool, payload []byte) []byte {
	b := make([]byte, 20, 20+len(payload))
	b[0] = 0x45
	binary.BigEndian.PutUint16(b[2:], uint16(20+len(payload)))
	binary.BigEndian.PutUint16(b[4:], id)
	fo := uint16(off / 8)
	if mf {
		fo |= 0x2000
	}
	binary.BigEndian.PutUint16(b[6:], fo)
	b[8], b[9] = 64, proto
	s, d := src.As4(), dst.As4()
	copy(b[12:], s[:])
	copy(b[16:], d[:])
	return append(b, payload...)
}

func tcpSeg(sp, dp uint16, seq, ack uint32, fl decode.TCPFlags, payload []byte) []byte {
	b := make([]byte, 20, 20+len(payload))
	binary.BigEndian.PutUint16(b[0:], sp)
	binary.BigEndian.PutUint16(b[2:], dp)
	binary.BigEndian.PutUint32(b[4:], seq)
	binary.BigEndian.PutUint32(b[8:], ack)
	b[12], b[13] = 5<<4, byte(fl)
	binary.BigEndian.PutUint16(b[14:], 65535)
	return append(b, payload...)
}

func tcpFrame(src, dst netip.AddrPort, seq, ack uint32, fl decode.TCPFlags, payload []byte) []byte {
	return append(ethHdr(0, 0x0800), ipv4(src.Addr(), dst.Addr(), 6, 1, 0, false, tcpSeg(src.Port(), dst.Port(), seq, ack, fl, payload))...)
}

// hconn is one hand-made TCP connection.
type hconn struct {
	w      *pcapW
	c, s   netip.AddrPort
	cs, ss uint32
	vlans  int
}

func (p *pcapW) conn(client, server string) *hconn {
	return &hconn{w: p, c: netip.MustParseAddrPort(client), s: netip.MustParseAddrPort(server), cs: 1000, ss: 50000}
}

func (k *hconn) send(fromClient bool, fl decode.TCPFlags, payload []byte) {
	src, dst, seq, ack := k.c, k.s, k.cs, k.ss
	if !fromClient {
		src, dst, seq, ack = k.s, k.c, k.ss, k.cs
	}
	f := tcpFrame(src, dst, seq, ack, fl, payload)
	if k.vlans > 0 {
		f = append(ethHdr(k.vlans, 0x0800), f[14:]...)
	}
	k.w.frame(f)
	n := uint32(len(payload))
	if fl&(decode.SYN|decode.FIN) != 0 {
		n++
	}
	if fromClient {
		k.cs += n
	} else {
		k.ss += n
	}
}

func (k *hconn) handshake() {
	k.send(true, decode.SYN, nil)
	k.send(false, decode.SYN|decode.ACK, nil)
	k.send(true, decode.ACK, nil)
}
func (k *hconn) cl(s string) { k.send(true, decode.ACK|decode.PSH, []byte(s)) }
func (k *hconn) sv(s string) { k.send(false, decode.ACK|decode.PSH, []byte(s)) }
func (k *hconn) close() {
	k.send(true, decode.FIN|decode.ACK, nil)
	k.send(false, decode.FIN|decode.ACK, nil)
	k.send(true, decode.ACK, nil)
}
func (k *hconn) login() {
	k.handshake()
	k.sv("220 (vsFTPd 3.0.3)\r\n")
	k.cl("USER anonymous\r\n")
	k.sv("331 Please specify the password.\r\n")
	k.cl("PASS guest@\r\n")
	k.sv("230 Login successful.\r\n")
}

// passiveRetr negotiates PASV to port, connects and transfers n bytes.
func (k *hconn) passiveRetr(port uint16, n int) {
	a := k.s.Addr().As4()
	k.cl("PASV\r\n")
	k.sv(fmt.Sprintf("227 Entering Passive Mode (%d,%d,%d,%d,%d,%d).\r\n", a[0], a[1], a[2], a[3], port>>8, port&255))
	d := &hconn{w: k.w, c: netip.AddrPortFrom(k.c.Addr(), k.c.Port()+1), s: netip.AddrPortFrom(k.s.Addr(), port), cs: 7, ss: 9}
	d.handshake()
	k.cl("RETR f\r\n")
	k.sv("150 Opening BINARY mode data connection.\r\n")
	for n > 0 {
		m := min(n, 1448)
		d.send(false, decode.ACK, make([]byte, m))
		n -= m
	}
	d.close()
	k.sv("226 Transfer complete.\r\n")
}

// memStats is what runMeasured saw of the heap. peakLive is the largest
// live heap (HeapAlloc right after a forced GC, sampled every 32768
// packets) above the live heap before the run; totalAlloc counts every
// allocation of the process during the run (including a streaming
// generator's, when there is one).
type memStats struct {
	peakLive, baseLive uint64
	totalAlloc         uint64
	elapsed            time.Duration
}

func (m memStats) grew() uint64 { return m.peakLive - m.baseLive }

func runMeasured(t *testing.T, src decode.Source, cfg ftpsniff.Config) (*collect, session.Summary, memStats, error) {
	t.Helper()
	var ms runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms)
	st := memStats{baseLive: ms.HeapAlloc, peakLive: ms.HeapAlloc}
	alloc0 := ms.TotalAlloc
	cfg.ProgressEvery = 32768
	cfg.Progress = func(decode.Stats, int, bool) {
		runtime.GC()
		runtime.ReadMemStats(&ms)
		st.peakLive = max(st.peakLive, ms.HeapAlloc)
	}
	c := &collect{}
	start := time.Now()
	sum, err := ftpsniff.Run(context.Background(), src, cfg, c)
	st.elapsed = time.Since(start)
	runtime.ReadMemStats(&ms)
	st.totalAlloc = ms.TotalAlloc - alloc0
	t.Logf("%d packets in %v: live heap peak +%d KiB, allocated %d KiB",
		sum.Packets, st.elapsed.Round(time.Millisecond), st.grew()>>10, st.totalAlloc>>10)
	return c, sum, st, err
}

func runBytes(t *testing.T, data []byte) (*collect, session.Summary, memStats, error) {
	t.Helper()
	src, err := decode.NewReaderSource("hostile", bytes.NewReader(data))
	if err != nil {
		t.Fatalf("NewReaderSource: %v", err)
	}
	return runMeasured(t, src, ftpsniff.DefaultConfig())
}

// runStream runs Run over a capture written by gen on another goroutine, so
// the capture itself never sits in memory.
func runStream(t *testing.T, gen func(w io.Writer)) (*collect, session.Summary, memStats, error) {
	t.Helper()
	pr, pw := io.Pipe()
	go func() {
		bw := &bufWriter{w: pw, b: make([]byte, 0, 1<<16)}
		gen(bw)
		bw.flush()
		pw.Close()
	}()
	src, err := decode.NewReaderSource("hostile", pr)
	if err != nil {
		t.Fatalf("NewReaderSource: %v", err)
	}
	return runMeasured(t, src, ftpsniff.DefaultConfig())
}

type bufWriter struct {
	w io.Writer
	b []byte
}

func (b *bufWriter) Write(p []byte) (int, error) {
	if len(b.b)+len(p) > cap(b.b) {
		b.flush()
	}
	if len(p) > cap(b.b) {
		return b.w.Write(p)
	}
	b.b = append(b.b, p...)
	return len(p), nil
}

func (b *bufWriter) flush() {
	b.w.Write(b.b)
	b.b = b.b[:0]
}

func hasFlag(flags session.Flags, f session.Flag) bool { return flags.Has(f) }

// smallCapture is one passive session with a 3000-byte transfer.
func smallCapture(snaplen uint32) ([]byte, []int) {
	var buf bytes.Buffer
	w := newPcapW(&buf, snaplen, 1)
	k := w.conn("198.51.100.10:40000", "203.0.113.20:21")
	k.login()
	k.passiveRetr(40015, 3000)
	k.cl("QUIT\r\n")
	k.sv("221 Goodbye.\r\n")
	k.close()
	return buf.Bytes(), w.records
}

func TestHostileHugeSnapLen(t *testing.T) {
	data, _ := smallCapture(0xffffffff) // a header claiming a 4 GiB snap length
	c, sum, st, err := runBytes(t, data)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if len(c.transfers) != 1 || c.transfers[0].Verdict != session.OK {
		t.Errorf("transfers %+v", c.transfers)
	}
	if sum.Sessions != 1 || st.totalAlloc > 16<<20 {
		t.Errorf("sessions %d, allocated %d bytes", sum.Sessions, st.totalAlloc)
	}
	// A record claiming a huge length after the session: damage, reported,
	// and what came before is analysed.
	rec := make([]byte, 16)
	binary.LittleEndian.PutUint32(rec[8:], 0xfffffff0)
	binary.LittleEndian.PutUint32(rec[12:], 0xfffffff0)
	data = append(append(data, rec...), bytes.Repeat([]byte{0xab}, 8192)...)
	c, sum, st, err = runBytes(t, data)
	if !errors.Is(err, ftpsniff.ErrDamagedInput) {
		t.Fatalf("Run: %v, want ErrDamagedInput", err)
	}
	if len(c.transfers) != 1 || len(sum.InputErrors) == 0 || st.totalAlloc > 16<<20 {
		t.Errorf("transfers %d, input errors %q, allocated %d bytes", len(c.transfers), sum.InputErrors, st.totalAlloc)
	}
}

func TestHostileTruncatedEveryOffset(t *testing.T) {
	data, ends := smallCapture(65535)
	for cut := 0; cut < len(data); cut++ {
		src, err := decode.NewReaderSource("cut", bytes.NewReader(data[:cut]))
		if cut < 24 {
			if err == nil {
				t.Fatalf("cut %d: no error for a partial file header", cut)
			}
			continue
		}
		if err != nil {
			t.Fatalf("cut %d: %v", cut, err)
		}
		whole := 0 // records complete before the cut
		for _, e := range ends {
			if e <= cut {
				whole++
			}
		}
		c := &collect{}
		sum, err := ftpsniff.Run(context.Background(), src, ftpsniff.DefaultConfig(), c)
		atBoundary := cut == 24 || slices.Contains(ends, cut)
		switch {
		case atBoundary && err != nil:
			t.Fatalf("cut %d at a record boundary: %v", cut, err)
		case !atBoundary && !errors.Is(err, ftpsniff.ErrDamagedInput):
			t.Fatalf("cut %d inside a record: %v, want ErrDamagedInput", cut, err)
		}
		if sum.Packets != uint64(whole) {
			t.Fatalf("cut %d: read %d packets, want the %d complete ones", cut, sum.Packets, whole)
		}
		if c.sum == nil || (!atBoundary && len(c.sum.InputErrors) == 0) {
			t.Fatalf("cut %d: summary %+v does not name the damage", cut, c.sum)
		}
	}
}

func TestHostileRandomBytes(t *testing.T) {
	rng := rand.New(rand.NewSource(7))
	var hdr bytes.Buffer
	newPcapW(&hdr, 65535, 1)
	for i := 0; i < 300; i++ {
		junk := make([]byte, rng.Intn(5000))
		rng.Read(junk)
		// Random bytes as a whole file, and behind a valid header.
		if src, err := decode.NewReaderSource("random", bytes.NewReader(junk)); err == nil {
			if _, err := ftpsniff.Run(context.Background(), src, ftpsniff.DefaultConfig(), &collect{}); err != nil && !errors.Is(err, ftpsniff.ErrDamagedInput) {
				t.Fatalf("random file %d: %v", i, err)
			}
		}
		src, err := decode.NewReaderSource("random", bytes.NewReader(append(slices.Clone(hdr.Bytes()), junk...)))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ftpsniff.Run(context.Background(), src, ftpsniff.DefaultConfig(), &collect{}); err != nil && !errors.Is(err, ftpsniff.ErrDamagedInput) {
			t.Fatalf("random body %d: %v", i, err)
		}
	}
	// Well-formed records holding random frames, some of them TCP to port
	// 21 with random payloads: all read, no damage.
	var buf bytes.Buffer
	w := newPcapW(&buf, 65535, 1)
	for i := 0; i < 20000; i++ {
		junk := make([]byte, rng.Intn(200))
		rng.Read(junk)
		switch i % 3 {
		case 0:
			w.frame(junk)
		case 1:
			w.frame(append(ethHdr(0, 0x0800), junk...))
		default:
			src := netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, 0, byte(i >> 8), byte(i)}), uint16(rng.Intn(65536)))
			dst := netip.MustParseAddrPort("203.0.113.20:21")
			if rng.Intn(2) == 0 {
				src, dst = dst, src
			}
			w.frame(tcpFrame(src, dst, rng.Uint32(), rng.Uint32(), decode.TCPFlags(rng.Intn(256)), junk))
		}
	}
	_, sum, _, err := runBytes(t, buf.Bytes())
	if err != nil || sum.Packets != 20000 {
		t.Fatalf("random frames: %v after %d packets", err, sum.Packets)
	}
}

// TestHostileLongLine sends a 16 MiB control line without CRLF, then a
// normal transfer in the same session.
func TestHostileLongLine(t *testing.T) {
	const size = 16 << 20
	c, sum, st, err := runStream(t, func(out io.Writer) {
		w := newPcapW(out, 65535, 1)
		k := w.conn("198.51.100.10:40000", "203.0.113.20:21")
		k.login()
		chunk := bytes.Repeat([]byte{'A'}, 1448)
		for n := 0; n < size; n += len(chunk) {
			k.send(true, decode.ACK, chunk)
		}
		k.cl("\r\n")
		k.sv("500 Unknown command.\r\n")
		k.passiveRetr(40015, 3000)
		k.close()
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(c.sessions) != 1 || !hasFlag(c.sessions[0].Flags, session.FlagOverlongLine) {
		t.Fatalf("sessions %+v", c.sessions)
	}
	if len(c.transfers) != 1 || c.transfers[0].Verdict != session.OK {
		t.Errorf("the transfer after the long line: %+v", c.transfers)
	}
	if d := st.grew(); d > 16<<20 {
		t.Errorf("heap in use grew by %d MiB", d>>20)
	}
	_ = sum
}

// TestHostileManyNegotiations: 100,000 PORT commands with replies in one
// session, faster than they are decided, hit MaxTransfersPerSession (which
// counts undecided negotiations); 10,000 pipelined commands without
// replies hit MaxPendingCommands. Both are flagged and counted.
func TestHostileManyNegotiations(t *testing.T) {
	n := 100000
	if testing.Short() {
		n = 5000
	}
	cfg := session.DefaultConfig()
	c, sum, st, err := runStream(t, func(out io.Writer) {
		w := newPcapW(out, 65535, 1)
		k := w.conn("198.51.100.10:40000", "203.0.113.20:21")
		k.login()
		for i := 0; i < n; i++ {
			p := 1024 + i%60000
			k.cl(fmt.Sprintf("PORT 198,51,100,10,%d,%d\r\n", p>>8, p&255))
			k.sv("200 PORT command successful.\r\n")
		}
		k.close()
		k2 := w.conn("198.51.100.11:40000", "203.0.113.20:21")
		k2.login()
		for i := 0; i < 10000; i++ {
			k2.cl("NOOP\r\n")
		}
		k2.close()
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(c.sessions) != 2 {
		t.Fatalf("%d sessions", len(c.sessions))
	}
	s1, s2 := c.sessions[0], c.sessions[1]
	if !hasFlag(s1.Flags, session.FlagTransferCap) || len(c.transfers) < cfg.MaxTransfersPerSession || len(c.transfers) >= n {
		t.Errorf("session 1 flags %v, %d transfers reported", s1.Flags, len(c.transfers))
	}
	for _, x := range c.transfers[:len(c.transfers)-1] {
		if x.Verdict != session.NotAttempted || !x.Flags.Has(session.FlagSuperseded) {
			t.Fatalf("unused PORT: %s %v %s", x.Verdict, x.Flags, x.Reason)
		}
	}
	if sum.Superseded < len(c.transfers)-1 {
		t.Errorf("summary counts %d superseded of %d", sum.Superseded, len(c.transfers))
	}
	if !hasFlag(s2.Flags, session.FlagTooManyPendingCommands) {
		t.Errorf("session 2 flags %v", s2.Flags)
	}
	if sum.StateLimitDrops == 0 || sum.StateLimitDrops+uint64(len(c.transfers)) != uint64(n) {
		t.Errorf("StateLimitDrops %d + %d reported, want %d", sum.StateLimitDrops, len(c.transfers), n)
	}
	// The collector keeps every reported record (~1.5 KiB each).
	if d := st.grew(); d > 48<<20 {
		t.Errorf("heap in use grew by %d MiB", d>>20)
	}
}

// TestHostileSYNFlood: a million SYNs to random ports of the server while
// a session is live, half from other hosts (not kept at all: they cannot
// be its data connections) and half from the session's client (kept until
// the unclaimed-SYN cap); its transfer is still matched, and memory stays
// bounded.
func TestHostileSYNFlood(t *testing.T) {
	n := 1000000
	if testing.Short() {
		n = 50000
	}
	c, sum, st, err := runStream(t, func(out io.Writer) {
		w := newPcapW(out, 65535, 1)
		rng := rand.New(rand.NewSource(1))
		k := w.conn("198.51.100.10:40000", "203.0.113.20:21")
		k.login()
		a := k.s.Addr().As4()
		k.cl("PASV\r\n")
		k.sv(fmt.Sprintf("227 Entering Passive Mode (%d,%d,%d,%d,%d,%d).\r\n", a[0], a[1], a[2], a[3], 40015>>8, 40015&255))
		for i := 0; i < n; i++ {
			port := uint16(1024 + rng.Intn(60000))
			if port == 40015 {
				port++
			}
			src := netip.AddrPortFrom(netip.AddrFrom4([4]byte{100, byte(rng.Intn(256)), byte(i >> 8), byte(i)}), uint16(1024+rng.Intn(60000)))
			if i%2 == 1 {
				src = netip.AddrPortFrom(k.c.Addr(), uint16(1024+rng.Intn(60000)))
			}
			w.frame(tcpFrame(src, netip.AddrPortFrom(k.s.Addr(), port), rng.Uint32(), 0, decode.SYN, nil))
			if i%100000 == 99999 {
				k.cl("NOOP\r\n")
				k.sv("200 NOOP ok.\r\n")
			}
		}
		d := &hconn{w: w, c: netip.AddrPortFrom(k.c.Addr(), 40001), s: netip.AddrPortFrom(k.s.Addr(), 40015), cs: 7, ss: 9}
		d.handshake()
		k.cl("RETR f\r\n")
		k.sv("150 Opening BINARY mode data connection.\r\n")
		d.send(false, decode.ACK, make([]byte, 1000))
		d.close()
		k.sv("226 Transfer complete.\r\n")
		k.close()
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(c.transfers) != 1 || c.transfers[0].Verdict != session.OK {
		t.Fatalf("transfers %+v", c.transfers)
	}
	if n > session.DefaultConfig().MaxUnclaimedSYNs && sum.StateLimitDrops == 0 {
		t.Errorf("the flood hit no cap (StateLimitDrops 0)")
	}
	if d := st.grew(); d > 16<<20 {
		t.Errorf("heap in use grew by %d MiB", d>>20)
	}
}

// TestHostileVLANStack: frames under 1 to 200 stacked 802.1Q tags, whole
// sessions under 2 tags, and a frame made of tags only.
func TestHostileVLANStack(t *testing.T) {
	var buf bytes.Buffer
	w := newPcapW(&buf, 262144, 1)
	for depth := 1; depth <= 200; depth++ {
		w.frame(append(ethHdr(depth, 0x0800), ipv4(netip.MustParseAddr("10.0.0.1"), netip.MustParseAddr("10.0.0.2"), 6, 1, 0, false,
			tcpSeg(1234, 21, 1, 0, decode.SYN, nil))...))
		w.frame(ethHdr(depth, 0x8100)) // tags to the end of the frame
	}
	k := w.conn("198.51.100.10:40000", "203.0.113.20:21")
	k.vlans = 2
	k.login()
	k.cl("QUIT\r\n")
	k.sv("221 Goodbye.\r\n")
	k.close()
	c, sum, _, err := runBytes(t, buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if sum.Packets != uint64(len(w.records)) {
		t.Errorf("%d packets, want %d", sum.Packets, len(w.records))
	}
	var found bool
	for _, s := range c.sessions {
		if s.Client == k.c && s.Commands >= 3 {
			found = true
		}
	}
	if !found {
		t.Errorf("the QinQ session was not analysed: %+v", c.sessions)
	}
}

// TestHostileICMPGarbage: ICMP errors quoting garbage, truncated or
// mismatched headers, and an unreachable quoting a live data SYN with the
// wrong sequence number, which must not decide its transfer.
func TestHostileICMPGarbage(t *testing.T) {
	rng := rand.New(rand.NewSource(3))
	var buf bytes.Buffer
	w := newPcapW(&buf, 65535, 1)
	k := w.conn("198.51.100.10:40000", "203.0.113.20:21")
	k.login()
	a := k.s.Addr().As4()
	k.cl("PASV\r\n")
	k.sv(fmt.Sprintf("227 Entering Passive Mode (%d,%d,%d,%d,%d,%d).\r\n", a[0], a[1], a[2], a[3], 40015>>8, 40015&255))
	router, cli := netip.MustParseAddr("198.51.100.1"), k.c.Addr()
	icmp := func(typ, code byte, quote []byte) {
		w.frame(append(ethHdr(0, 0x0800), ipv4(router, cli, 1, 9, 0, false, append([]byte{typ, code, 0, 0, 0, 0, 0, 0}, quote...))...))
	}
	for i := 0; i < 2000; i++ {
		junk := make([]byte, rng.Intn(100))
		rng.Read(junk)
		icmp(3, byte(rng.Intn(16)), junk)
		// A quoted IPv4 header with a random IHL and protocol 6.
		q := ipv4(cli, k.s.Addr(), 6, 1, 0, false, junk)
		q[0] = 0x40 | byte(rng.Intn(16))
		icmp(3, 3, q[:rng.Intn(len(q)+1)])
		icmp(byte(rng.Intn(256)), byte(rng.Intn(256)), q)
	}
	// The data SYN, an unreachable quoting it with a wrong sequence number,
	// then the connection succeeds.
	d := &hconn{w: w, c: netip.AddrPortFrom(cli, 40001), s: netip.AddrPortFrom(k.s.Addr(), 40015), cs: 7, ss: 9}
	d.send(true, decode.SYN, nil)
	icmp(3, 13, ipv4(cli, k.s.Addr(), 6, 1, 0, false, tcpSeg(40001, 40015, 12345, 0, decode.SYN, nil))[:28])
	d.send(false, decode.SYN|decode.ACK, nil)
	d.send(true, decode.ACK, nil)
	k.cl("RETR f\r\n")
	k.sv("150 Opening BINARY mode data connection.\r\n")
	d.send(false, decode.ACK, make([]byte, 500))
	d.close()
	k.sv("226 Transfer complete.\r\n")
	k.close()
	c, _, _, err := runBytes(t, buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if len(c.transfers) != 1 || c.transfers[0].Verdict != session.OK {
		t.Fatalf("transfers %+v", c.transfers)
	}
	if c.transfers[0].Data == nil || c.transfers[0].Data.ICMP != nil {
		t.Errorf("an ICMP error with the wrong sequence number was taken as evidence: %+v", c.transfers[0].Data)
	}
}

// TestHostileFragments: control segments sent as IPv4 fragments (in order,
// reversed, overlapping, tiny, at the maximum offset) are flagged, never
// reassembled into commands, and nothing panics.
func TestHostileFragments(t *testing.T) {
	var buf bytes.Buffer
	w := newPcapW(&buf, 65535, 1)
	k := w.conn("198.51.100.10:40000", "203.0.113.20:21")
	k.login()
	seg := tcpSeg(k.c.Port(), k.s.Port(), k.cs, k.ss, decode.ACK|decode.PSH, []byte("PORT 198,51,100,10,156,79\r\n"))
	frag := func(id uint16, off int, mf bool, b []byte) {
		w.frame(append(ethHdr(0, 0x0800), ipv4(k.c.Addr(), k.s.Addr(), 6, id, off, mf, b)...))
	}
	frag(1, 0, true, seg[:24])
	frag(1, 24, false, seg[24:])
	frag(2, 24, false, seg[24:])
	frag(2, 0, true, seg[:24])
	frag(3, 0, true, seg[:8]) // shorter than a TCP header
	frag(3, 8, true, seg[4:]) // overlapping
	frag(4, 0xfff8, false, seg)
	frag(5, 0, true, nil)
	k.cs += uint32(len(seg) - 20)
	k.sv("200 PORT command successful.\r\n")
	k.cl("QUIT\r\n")
	k.sv("221 Goodbye.\r\n")
	k.close()
	c, _, _, err := runBytes(t, buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if len(c.sessions) != 1 {
		t.Fatalf("sessions %+v", c.sessions)
	}
	// Fragments are not reassembled: the session must say so, and the
	// missing bytes show as a control gap.
	fl := c.sessions[0].Flags
	if !hasFlag(fl, session.FlagIPFragments) || !hasFlag(fl, session.FlagControlGap) {
		t.Errorf("fragmented control data not reported: flags %v", fl)
	}
	if len(c.transfers) != 0 {
		t.Errorf("a fragmented PORT was parsed: %+v", c.transfers)
	}
}
