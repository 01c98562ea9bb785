package synth

import (
	"container/heap"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// Profile selects the traffic mix of Generate.
type Profile int

const (
	// ProfileBulk is a few sessions moving large files in full-size
	// segments.
	ProfileBulk Profile = iota
	// ProfileControl is many short sessions with many commands and small
	// transfers: many small packets.
	ProfileControl
)

// ParseProfile parses "bulk" or "control".
func ParseProfile(s string) (Profile, error) {
	switch s {
	case "bulk":
		return ProfileBulk, nil
	case "control":
		return ProfileControl, nil
	}
	return 0, fmt.Errorf("unknown profile %q (want bulk or control)", s)
}

// String returns "bulk" or "control".
func (p Profile) String() string {
	if p == ProfileControl {
		return "control"
	}
	return "bulk"
}

// GenOptions configures Generate.
type GenOptions struct {
	// Capture holds the file options (link type, format, gzip, seed, ...).
	Capture Options
	// Size is the target size of the uncompressed capture in bytes; the
	// capture ends (mid-session) as soon as it is reached.
	Size int64
	// Profile is the traffic mix.
	Profile Profile
	// Sessions is the number of concurrent sessions (default 8 for bulk,
	// 200 for control).
	Sessions int
	// Transfers is the number of transfers per session (default 4 for
	// bulk, 12 for control).
	Transfers int
	// FailureShare is the fraction of transfers that fail (dropped, reset
	// or unreachable); default 0.1. Negative means none.
	FailureShare float64
	// IPv6Share is the fraction of IPv6 sessions; default 0.2. Negative
	// means none.
	IPv6Share float64
}

// GenStats summarises a generated capture.
type GenStats struct {
	Bytes     int64
	Frames    int64
	Sessions  int
	Transfers int
	Failures  int
}

// Generate streams a synthetic capture of interleaved FTP sessions to w
// until GenOptions.Size bytes are written. The output depends only on the
// options (same seed, same bytes).
func Generate(w io.Writer, g GenOptions) (GenStats, error) {
	var st GenStats
	if g.Size <= 0 {
		return st, errors.New("synth: generate: size must be positive")
	}
	if g.Sessions <= 0 {
		g.Sessions = 8
		if g.Profile == ProfileControl {
			g.Sessions = 200
		}
	}
	if g.Transfers <= 0 {
		g.Transfers = 4
		if g.Profile == ProfileControl {
			g.Transfers = 12
		}
	}
	if g.FailureShare == 0 {
		g.FailureShare = 0.1
	}
	if g.IPv6Share == 0 {
		g.IPv6Share = 0.2
	}
	c, err := NewStream(g.Capture, w)
	if err != nil {
		return st, err
	}
	gen := &generator{c: c, g: g, st: &st, bulk: fileBody(1 << 16), ctl: [][2]string{
		{"PWD", `257 "/pub" is the current directory`},
		{"CWD /pub/releases", "250 Directory successfully changed."},
		{"SIZE release-1.2.tar.gz", "213 524288"},
		{"MDTM release-1.2.tar.gz", "213 20240514090000"},
		{"NOOP", "200 NOOP ok."},
	}}
	// All sessions share one clock, and every packet, round trip and pause
	// of one session moves it. Beyond 1,000 sessions every duration is
	// scaled down by 1000/Sessions, so that -sessions 100000 really has
	// 100,000 sessions in flight at once (each running faster, as on a
	// fast LAN) instead of spreading their steps over hours of capture
	// time, where their negotiations would time out.
	if g.Sessions > 1000 {
		c.SetTimeScale(1000 / float64(g.Sessions))
	}
	for i := 0; i < g.Sessions; i++ {
		s := gen.newSession(c.now.Add(c.Scaled(time.Duration(i) * 37 * time.Millisecond)))
		heap.Push(&gen.q, s)
	}
	for c.StreamBytes() < g.Size && c.err == nil {
		s := gen.q[0]
		if s.next.After(c.now) {
			c.now = s.next
		}
		if !gen.step(s) {
			heap.Pop(&gen.q)
			heap.Push(&gen.q, gen.newSession(c.now.Add(c.Scaled(time.Duration(c.rng.Intn(50))*time.Millisecond))))
			continue
		}
		heap.Fix(&gen.q, 0)
	}
	if err := c.Flush(); err != nil {
		return st, err
	}
	st.Bytes = c.StreamBytes()
	return st, nil
}

type generator struct {
	c    *Capture
	g    GenOptions
	st   *GenStats
	q    sessQueue
	seq  uint64
	bulk []byte
	ctl  [][2]string
}

// gsess is one generated session's state machine.
type gsess struct {
	id     uint64
	next   time.Time
	f      *FTP
	cli    netip.Addr
	srv    netip.AddrPort
	state  int
	left   int // transfers left
	data   *Conn
	remain int
	off    int
	fail   int
	synN   int
	port   uint16
	act    bool
	xfer   string
	eph    uint16
}

const (
	stLogin = iota
	stNegotiate
	stConnect
	stSyn
	stData
	stQuit
)

type sessQueue []*gsess

func (q sessQueue) Len() int { return len(q) }
func (q sessQueue) Less(i, j int) bool {
	if !q[i].next.Equal(q[j].next) {
		return q[i].next.Before(q[j].next)
	}
	return q[i].id < q[j].id
}
func (q sessQueue) Swap(i, j int) { q[i], q[j] = q[j], q[i] }
func (q *sessQueue) Push(x any)   { *q = append(*q, x.(*gsess)) }
func (q *sessQueue) Pop() any {
	old := *q
	x := old[len(old)-1]
	*q = old[:len(old)-1]
	return x
}

func (gen *generator) newSession(at time.Time) *gsess {
	c := gen.c
	gen.seq++
	gen.st.Sessions++
	r := c.rng
	var cli, srv netip.Addr
	host := byte(2 + r.Intn(250))
	shost := byte(2 + r.Intn(30))
	if r.Float64() < gen.g.IPv6Share {
		cli = netip.AddrFrom16([16]byte{0x20, 0x01, 0x0d, 0xb8, 0x01, 0x00, 14: 0, 15: host})
		srv = netip.AddrFrom16([16]byte{0x20, 0x01, 0x0d, 0xb8, 0x01, 0x13, 14: 0, 15: shost})
	} else {
		cli = netip.AddrFrom4([4]byte{198, 51, 100, host})
		srv = netip.AddrFrom4([4]byte{203, 0, 113, shost})
	}
	s := &gsess{id: gen.seq, next: at, cli: cli, srv: netip.AddrPortFrom(srv, 21), left: gen.g.Transfers,
		eph: uint16(32768 + r.Intn(28000))}
	s.f = c.FTP(netip.AddrPortFrom(cli, s.nextEph()), s.srv)
	return s
}

func (s *gsess) nextEph() uint16 {
	s.eph++
	if s.eph < 32768 {
		s.eph = 32768
	}
	return s.eph
}

// step runs one scheduling step of s and sets s.next; it returns false
// when the session is over.
func (gen *generator) step(s *gsess) bool {
	c := gen.c
	r := c.rng
	ctl := gen.g.Profile == ProfileControl
	switch s.state {
	case stLogin:
		s.f.Handshake()
		s.f.Login("anonymous", "bench@example.org")
		s.state = stNegotiate
		s.next = c.now.Add(c.Scaled(time.Duration(5+r.Intn(20)) * time.Millisecond))
	case stNegotiate:
		if s.left == 0 {
			s.state = stQuit
			return gen.step(s)
		}
		s.left--
		gen.st.Transfers++
		if ctl && r.Intn(2) == 0 {
			cmd := gen.ctl[r.Intn(len(gen.ctl))]
			s.f.Cmd(cmd[0])
			s.f.Reply(cmd[1])
		}
		s.fail = 0
		if r.Float64() < gen.g.FailureShare {
			s.fail = 1 + r.Intn(3)
			gen.st.Failures++
		}
		v6 := s.cli.Is6()
		mode := r.Intn(2)
		s.act = mode == 0
		s.port = uint16(40000 + r.Intn(20000))
		if s.act {
			t := netip.AddrPortFrom(s.cli, s.port)
			if v6 || r.Intn(3) == 0 {
				s.f.Cmd("EPRT " + ExtArg(t))
				s.f.Reply("200 EPRT command successful. Consider using EPSV.")
			} else {
				s.f.Cmd("PORT " + PortArg(t))
				s.f.Reply("200 PORT command successful. Consider using PASV.")
			}
		} else {
			t := netip.AddrPortFrom(s.srv.Addr(), s.port)
			if v6 || r.Intn(3) == 0 {
				s.f.Cmd("EPSV")
				s.f.Reply(epsvReply(s.port))
			} else {
				s.f.Cmd("PASV")
				s.f.Reply(pasvReply(t))
			}
		}
		if ctl {
			s.xfer = "LIST"
			s.remain = 200 + r.Intn(3000)
		} else {
			s.xfer = "RETR release-" + strconv.Itoa(r.Intn(100)) + ".tar.gz"
			s.remain = 1<<20 + r.Intn(8<<20)
		}
		s.state = stConnect
		s.next = c.now.Add(c.Scaled(time.Millisecond))
	case stConnect:
		if s.act {
			s.data = c.Conn(netip.AddrPortFrom(s.srv.Addr(), 20), netip.AddrPortFrom(s.cli, s.port))
			s.f.Cmd(s.xfer)
		} else {
			s.data = c.Conn(netip.AddrPortFrom(s.cli, s.nextEph()), netip.AddrPortFrom(s.srv.Addr(), s.port))
			if s.fail != 0 {
				s.f.Cmd(s.xfer)
			}
		}
		if s.fail != 0 {
			s.synN = 0
			s.state = stSyn
			return gen.step(s)
		}
		s.data.Handshake()
		if !s.act {
			s.f.Cmd(s.xfer)
		}
		if ctl {
			s.f.Reply("150 Here comes the directory listing.")
		} else {
			s.f.Reply("150 Opening BINARY mode data connection for " + strings.TrimPrefix(s.xfer, "RETR ") + " (" + strconv.Itoa(s.remain) + " bytes).")
		}
		s.off = r.Intn(len(gen.bulk) / 2)
		s.state = stData
		s.next = c.now.Add(c.Scaled(time.Millisecond))
	case stSyn:
		k := s.data
		fromCli := !s.act
		switch s.fail {
		case 1: // dropped: three SYNs 1 s and 2 s apart
			k.syn(false)
			s.synN++
			if s.synN < 3 {
				s.next = c.now.Add(c.Scaled(time.Second << (s.synN - 1)))
				return true
			}
			s.next = c.now.Add(c.Scaled(3 * time.Second))
		case 2:
			k.SynReset()
			s.next = c.now.Add(c.Scaled(10 * time.Millisecond))
		default:
			rtr := netip.AddrFrom4([4]byte{198, 51, 100, 1})
			if s.cli.Is6() {
				rtr = netip.AddrFrom16([16]byte{0x20, 0x01, 0x0d, 0xb8, 0x01, 0x00, 15: 1})
			}
			if fromCli {
				rtr = netip.AddrFrom4([4]byte{203, 0, 113, 1})
				if s.cli.Is6() {
					rtr = netip.AddrFrom16([16]byte{0x20, 0x01, 0x0d, 0xb8, 0x01, 0x13, 15: 1})
				}
			}
			code := uint8(13)
			if s.cli.Is6() {
				code = 1
			}
			k.SynICMP(rtr, code, false)
			s.next = c.now.Add(c.Scaled(10 * time.Millisecond))
		}
		s.f.Reply("425 Failed to establish connection.")
		s.data = nil
		s.state = stNegotiate
	case stData:
		k := s.data
		chunk := 16 * k.MSS
		if !ctl && r.Intn(4) == 0 {
			chunk = 8 * k.MSS
		}
		n := min(chunk, s.remain)
		if s.off+n > len(gen.bulk) {
			s.off = 0
		}
		k.Send(s.act, gen.bulk[s.off:s.off+n])
		s.off += n
		s.remain -= n
		if s.remain > 0 {
			s.next = c.now.Add(c.Scaled(time.Duration(100+r.Intn(400)) * time.Microsecond))
			return true
		}
		k.CloseFrom(s.act)
		s.f.Reply("226 Transfer complete.")
		s.data = nil
		s.state = stNegotiate
		s.next = c.now.Add(c.Scaled(time.Duration(2+r.Intn(20)) * time.Millisecond))
	case stQuit:
		s.f.Quit()
		return false
	}
	return true
}
