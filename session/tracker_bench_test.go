package session

// Benchmarks and allocation checks of the tracker: the data-connection path
// (counters only, must not allocate), the control path, and both with 10,
// 1,000 and 100,000 concurrent sessions.

import (
	"fmt"
	"net/netip"
	"strconv"
	"testing"
	"time"

	"github.com/ftpsniff/ftpsniff/decode"
)

// benchFeed builds packets on a fake capture clock (own helpers, so this
// file does not depend on the scenario tests' helpers).
type benchFeed struct {
	now  time.Time
	pkts []decode.Packet
}

func (f *benchFeed) add(src, dst netip.AddrPort, seq, ack uint32, fl decode.TCPFlags, payload []byte) {
	f.now = f.now.Add(10 * time.Microsecond)
	v := uint8(4)
	if src.Addr().Is6() {
		v = 6
	}
	f.pkts = append(f.pkts, decode.Packet{
		Time: f.now, IPVersion: v, Src: src.Addr(), Dst: dst.Addr(), TTL: 64, Proto: 6,
		HasTCP: true, TCP: decode.TCP{SrcPort: src.Port(), DstPort: dst.Port(), Seq: seq, Ack: ack, Flags: fl, Window: 65535},
		Payload: payload, CapLen: 54 + len(payload), WireLen: 54 + len(payload),
	})
}

// benchConn is one TCP connection with its sequence numbers.
type benchConn struct {
	f      *benchFeed
	c, s   netip.AddrPort
	cs, ss uint32
}

func (k *benchConn) handshake() {
	k.f.add(k.c, k.s, k.cs, 0, decode.SYN, nil)
	k.f.add(k.s, k.c, k.ss, k.cs+1, decode.SYN|decode.ACK, nil)
	k.cs++
	k.ss++
	k.f.add(k.c, k.s, k.cs, k.ss, decode.ACK, nil)
}

func (k *benchConn) cl(s string) {
	k.f.add(k.c, k.s, k.cs, k.ss, decode.ACK|decode.PSH, []byte(s))
	k.cs += uint32(len(s))
}

func (k *benchConn) sv(s string) {
	k.f.add(k.s, k.c, k.ss, k.cs, decode.ACK|decode.PSH, []byte(s))
	k.ss += uint32(len(s))
}

// benchAddrs returns the client, server and passive data port of session i
// (i < 2^24): every session has its own addresses, so no port runs out.
func benchAddrs(i int) (cli, srv netip.AddrPort, dataPort uint16) {
	cli = netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)}), 40000)
	srv = netip.AddrPortFrom(netip.AddrFrom4([4]byte{172, 16 + byte(i>>16), byte(i >> 8), byte(i)}), 21)
	return cli, srv, 50000
}

// benchSessions returns a tracker with n sessions, each in the middle of a
// passive RETR whose data connection is established, plus, per session,
// one data packet (server to client, 1448 bytes) and one pair of control
// packets (NOOP and its reply) with sequence numbers that continue the
// connections.
func benchSessions(tb testing.TB, n int) (tr *Tracker, data []decode.Packet, ctl []benchConn, at time.Time) {
	tb.Helper()
	cfg := DefaultConfig()
	if n > cfg.MaxSessions {
		cfg.MaxSessions = n
	}
	tr = NewTracker(cfg, nil)
	f := &benchFeed{now: time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)}
	payload := make([]byte, 1448)
	data = make([]decode.Packet, 0, n)
	ctl = make([]benchConn, 0, n)
	for i := 0; i < n; i++ {
		f.pkts = f.pkts[:0]
		cli, srv, dp := benchAddrs(i)
		c := benchConn{f: f, c: cli, s: srv, cs: 1000, ss: 5000}
		c.handshake()
		c.sv("220 (vsFTPd 3.0.3)\r\n")
		c.cl("USER anonymous\r\n")
		c.sv("331 Please specify the password.\r\n")
		c.cl("PASS secret@example.com\r\n")
		c.sv("230 Login successful.\r\n")
		c.cl("PASV\r\n")
		a := srv.Addr().As4()
		c.sv(fmt.Sprintf("227 Entering Passive Mode (%d,%d,%d,%d,%d,%d).\r\n", a[0], a[1], a[2], a[3], dp>>8, dp&255))
		d := benchConn{f: f, c: netip.AddrPortFrom(cli.Addr(), 40001), s: netip.AddrPortFrom(srv.Addr(), dp), cs: 7000, ss: 9000}
		d.handshake()
		c.cl("RETR big.iso\r\n")
		c.sv("150 Opening BINARY mode data connection for big.iso.\r\n")
		for j := range f.pkts {
			tr.Packet(&f.pkts[j])
		}
		f.pkts = f.pkts[:0]
		d.f.add(d.s, d.c, d.ss, d.cs, decode.ACK, payload)
		data = append(data, f.pkts[0])
		ctl = append(ctl, c)
	}
	if got := tr.Sessions(); got != n {
		tb.Fatalf("%d sessions, want %d", got, n)
	}
	conns := 0
	for _, ref := range tr.flows {
		if ref.c != nil {
			conns++
		}
	}
	if conns != n {
		tb.Fatalf("%d data connections, want %d", conns, n)
	}
	return tr, data, ctl, f.now
}

var sessionCounts = []int{10, 1000, 100000}

// BenchmarkTrackerData feeds data-connection packets (counters only) of n
// concurrent sessions, round robin, the capture clock advancing 1 µs per
// packet so the timers run as they would.
func BenchmarkTrackerData(b *testing.B) {
	for _, n := range sessionCounts {
		b.Run("sessions="+strconv.Itoa(n), func(b *testing.B) {
			tr, data, _, at := benchSessions(b, n)
			b.ReportAllocs() // one op is one packet: allocs/op is allocs per packet
			b.SetBytes(1448)
			i := 0
			for b.Loop() {
				p := &data[i%n]
				at = at.Add(time.Microsecond)
				p.Time = at
				p.TCP.Seq += 1448
				tr.Packet(p)
				i++
			}
			p := &data[0]
			k := flowKey{netip.AddrPortFrom(p.Dst, p.TCP.DstPort), netip.AddrPortFrom(p.Src, p.TCP.SrcPort)}
			if c := tr.flow(k).c; c == nil || !c.rec.Established || c.rec.BytesToConnector == 0 {
				b.Fatal("the data connection is not tracked as established")
			}
		})
	}
}

// BenchmarkTrackerControl feeds control packets (a NOOP and its 200 reply,
// one packet each, in order) of n concurrent sessions, round robin.
func BenchmarkTrackerControl(b *testing.B) {
	cmd := "NOOP\r\n"
	rep := "200 NOOP ok.\r\n"
	for _, n := range sessionCounts {
		b.Run("sessions="+strconv.Itoa(n), func(b *testing.B) {
			tr, _, ctl, at := benchSessions(b, n)
			var p decode.Packet
			b.ReportAllocs() // one op is one packet
			i := 0
			for b.Loop() {
				c := &ctl[i%n]
				at = at.Add(time.Microsecond)
				if i/n%2 == 0 {
					p = decode.Packet{Time: at, IPVersion: 4, Src: c.c.Addr(), Dst: c.s.Addr(), Proto: 6, HasTCP: true,
						TCP:     decode.TCP{SrcPort: c.c.Port(), DstPort: c.s.Port(), Seq: c.cs, Ack: c.ss, Flags: decode.ACK | decode.PSH, Window: 65535},
						Payload: []byte(cmd), CapLen: 54 + len(cmd), WireLen: 54 + len(cmd)}
					c.cs += uint32(len(cmd))
				} else {
					p = decode.Packet{Time: at, IPVersion: 4, Src: c.s.Addr(), Dst: c.c.Addr(), Proto: 6, HasTCP: true,
						TCP:     decode.TCP{SrcPort: c.s.Port(), DstPort: c.c.Port(), Seq: c.ss, Ack: c.cs, Flags: decode.ACK | decode.PSH, Window: 65535},
						Payload: []byte(rep), CapLen: 54 + len(rep), WireLen: 54 + len(rep)}
					c.ss += uint32(len(rep))
				}
				tr.Packet(&p)
				i++
			}
		})
	}
}

// TestTrackerDataPathAllocs: a data-connection packet that only updates
// counters allocates nothing, with few and with many sessions, including
// when the capture clock runs the timers.
func TestTrackerDataPathAllocs(t *testing.T) {
	for _, n := range []int{10, 1000} {
		tr, data, _, at := benchSessions(t, n)
		i := 0
		feed := func(step time.Duration) func() {
			return func() {
				p := &data[i%n]
				at = at.Add(step)
				p.Time = at
				p.TCP.Seq += 1448
				tr.Packet(p)
				i++
			}
		}
		// Same 250 ms tick: the pure counter path.
		if a := testing.AllocsPerRun(5000, feed(0)); a != 0 {
			t.Errorf("%d sessions: %v allocs per data packet (no timer)", n, a)
		}
		// 1 ms per packet: timers run every 250 packets; amortised, the
		// data path must still not allocate per packet.
		if a := testing.AllocsPerRun(5000, feed(time.Millisecond)); a >= 0.05 {
			t.Errorf("%d sessions: %v allocs per data packet (timers running)", n, a)
		}
	}
}
