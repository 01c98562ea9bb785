package session

import (
	"net/netip"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ftpsniff/ftpsniff/decode"
)

// drop removes the scripted packets for which match is true (a capture
// point that does not see them).
func (s *script) drop(match func(p *decode.Packet) bool) {
	kept := s.pkts[:0]
	for _, p := range s.pkts {
		if !match(&p) {
			kept = append(kept, p)
		}
	}
	s.pkts = kept
}

// from matches packets sent from ap.
func from(ap string) func(*decode.Packet) bool {
	a := netip.MustParseAddrPort(ap)
	return func(p *decode.Packet) bool { return p.Src == a.Addr() && p.TCP.SrcPort == a.Port() && p.HasTCP }
}

// pasvTransfer scripts PASV to port and a RETR whose data the server sends
// on data connection d.
func pasvRetr(c *conn, port uint16, d *conn, body string) {
	c.cl("PASV\r\n")
	c.sv("227 Entering Passive Mode (203,0,113,20," + strconv.Itoa(int(port>>8)) + "," + strconv.Itoa(int(port&255)) + ").\r\n")
	d.handshake()
	c.cl("RETR f\r\n")
	c.sv("150 Opening BINARY mode data connection.\r\n")
	if body != "" {
		d.sv(body)
	}
	d.close()
	c.sv("226 Transfer complete.\r\n")
}

// evidenceCase is one scenario of what a capture shows and must be said.
type evidenceCase struct {
	name     string
	build    func(s *script)
	cfg      func(c *Config)
	verdicts []Verdict
	reasons  []string // substrings of the reasons, by transfer ("" skips)
	flags    [][]Flag // flags each transfer must carry
	noFlags  []Flag   // flags no transfer may carry
	sessions int      // sessions expected (0: 1)
	check    func(t *testing.T, r *recorder, sum Summary)
}

func TestEvidence(t *testing.T) {
	const cli, srv = "198.51.100.10:40000", "203.0.113.20:21"
	cases := []evidenceCase{
		{
			name: "passive data path seen one way (listener's packets missing)",
			build: func(s *script) {
				c := s.conn(cli, srv)
				c.login()
				d := s.conn("198.51.100.10:40001", "203.0.113.20:40015")
				pasvRetr(c, 40015, d, strings.Repeat("x", 1000))
				c.close()
				s.drop(from("203.0.113.20:40015"))
			},
			verdicts: []Verdict{OK},
			reasons:  []string{"~1000 bytes to client; server replied 226"},
			flags:    [][]Flag{{FlagSYNACKNotCaptured, FlagOneSided}},
			check: func(t *testing.T, r *recorder, sum Summary) {
				if sum.Quality.OneSidedConns != 1 || sum.Quality.OneSidedPairs != 1 || !sum.Flags.Has(FlagOneSided) {
					t.Errorf("quality %+v", sum.Quality)
				}
			},
		},
		{
			name: "passive data path seen one way (connector's packets missing)",
			build: func(s *script) {
				c := s.conn(cli, srv)
				c.login()
				d := s.conn("198.51.100.10:40001", "203.0.113.20:40015")
				pasvRetr(c, 40015, d, "hello")
				c.close()
				s.drop(from("198.51.100.10:40001"))
			},
			verdicts: []Verdict{OK},
			flags:    [][]Flag{{FlagOneSided}},
		},
		{
			name: "active: the server's SYN not captured, the client's SYN-ACK and data are",
			build: func(s *script) {
				c := s.conn(cli, srv)
				c.login()
				c.cl("PORT 198,51,100,10,156,64\r\n")
				c.sv("200 PORT command successful.\r\n")
				c.cl("STOR f\r\n")
				d := s.conn("203.0.113.20:20", "198.51.100.10:40000")
				d.handshake()
				c.sv("150 Ok to send data.\r\n")
				d.sv("data")
				d.close()
				c.sv("226 Transfer complete.\r\n")
				c.close()
				s.drop(func(p *decode.Packet) bool {
					return p.TCP.Flags == decode.SYN && p.TCP.SrcPort == 20
				})
			},
			verdicts: []Verdict{OK},
		},
		{
			name: "one SYN, nothing else, 226: never dropped",
			build: func(s *script) {
				c := s.conn(cli, srv)
				c.login()
				d := s.conn("198.51.100.10:40001", "203.0.113.20:40015")
				c.cl("PASV\r\n")
				c.sv("227 Entering Passive Mode (203,0,113,20,156,79).\r\n")
				s.tcp(d.c, d.v, 1, 0, decode.SYN, "")
				c.cl("RETR f\r\n")
				c.sv("150 Opening BINARY mode data connection.\r\n")
				s.wait(2 * time.Second)
				c.sv("226 Transfer complete.\r\n")
				c.close()
			},
			verdicts: []Verdict{Unknown},
			reasons:  []string{"226"},
			noFlags:  []Flag{},
		},
		{
			name: "SYNs retransmitted and 425: dropped",
			build: func(s *script) {
				c := s.conn(cli, srv)
				c.login()
				c.cl("PASV\r\n")
				c.sv("227 Entering Passive Mode (203,0,113,20,156,79).\r\n")
				c.cl("RETR f\r\n")
				for range 3 {
					s.tcp(netip.MustParseAddrPort("198.51.100.10:40001"), netip.MustParseAddrPort("203.0.113.20:40015"), 1, 0, decode.SYN, "")
					s.wait(time.Second)
				}
				c.sv("425 Failed to establish connection.\r\n")
				c.close()
			},
			verdicts: []Verdict{Dropped},
			reasons:  []string{"3 SYNs"},
		},
		{
			name: "duplicated frames: counts not doubled",
			build: func(s *script) {
				c := s.conn(cli, srv)
				c.login()
				c.cl("PASV\r\n")
				c.sv("227 Entering Passive Mode (203,0,113,20,156,79).\r\n")
				c.cl("RETR f\r\n")
				for range 3 {
					s.tcp(netip.MustParseAddrPort("198.51.100.10:40001"), netip.MustParseAddrPort("203.0.113.20:40015"), 1, 0, decode.SYN, "")
					s.wait(time.Second)
				}
				c.sv("425 Failed to establish connection.\r\n")
				c.close()
				var dup []decode.Packet
				for i, p := range s.pkts {
					p.IPID = uint16(i + 1)
					s.pkts[i].IPID = p.IPID
					q := p
					q.Time = p.Time.Add(20 * time.Microsecond)
					q.TTL--
					dup = append(dup, p, q)
				}
				s.pkts = dup
			},
			verdicts: []Verdict{Dropped},
			reasons:  []string{"3 SYNs"},
			flags:    [][]Flag{{FlagDuplicateFrames}},
			check: func(t *testing.T, r *recorder, sum Summary) {
				if sum.Quality.DuplicateFrames == 0 || r.transfers[0].Data.SYNs != 3 {
					t.Errorf("duplicates %d, SYNs %d", sum.Quality.DuplicateFrames, r.transfers[0].Data.SYNs)
				}
			},
		},
		{
			name: "SYN-ACK timestamped before its SYN (merged captures)",
			build: func(s *script) {
				c := s.conn(cli, srv)
				c.login()
				d := s.conn("198.51.100.10:40001", "203.0.113.20:40015")
				pasvRetr(c, 40015, d, "data")
				c.close()
				// Swap the data SYN and SYN-ACK, the SYN-ACK 2 ms early.
				for i := range s.pkts {
					p := &s.pkts[i]
					if p.TCP.Flags == decode.SYN && p.TCP.DstPort == 40015 {
						q := &s.pkts[i+1]
						q.Time = p.Time.Add(-2 * time.Millisecond)
						s.pkts[i], s.pkts[i+1] = s.pkts[i+1], s.pkts[i]
						break
					}
				}
			},
			verdicts: []Verdict{OK},
			flags:    [][]Flag{{FlagClockSkew}},
			noFlags:  []Flag{FlagSYNACKNotCaptured},
		},
		{
			name: "RST timestamped before its SYN",
			build: func(s *script) {
				c := s.conn(cli, srv)
				c.login()
				c.cl("PASV\r\n")
				c.sv("227 Entering Passive Mode (203,0,113,20,156,79).\r\n")
				c.cl("RETR f\r\n")
				s.tcp(netip.MustParseAddrPort("203.0.113.20:40015"), netip.MustParseAddrPort("198.51.100.10:40001"), 0, 2, decode.RST|decode.ACK, "")
				s.pkts[len(s.pkts)-1].Time = s.now.Add(time.Millisecond)
				s.tcp(netip.MustParseAddrPort("198.51.100.10:40001"), netip.MustParseAddrPort("203.0.113.20:40015"), 1, 0, decode.SYN, "")
				s.pkts[len(s.pkts)-1].Time = s.now.Add(2 * time.Millisecond)
				s.wait(5 * time.Millisecond)
				c.sv("425 Failed to establish connection.\r\n")
				c.close()
			},
			verdicts: []Verdict{Reset},
			flags:    [][]Flag{{FlagClockSkew}},
		},
		{
			name: "handshake before the capture began",
			build: func(s *script) {
				c := s.conn(cli, srv)
				c.login()
				d := s.conn("198.51.100.10:40001", "203.0.113.20:40015")
				pasvRetr(c, 40015, d, "data")
				c.close()
				s.drop(func(p *decode.Packet) bool {
					return p.TCP.Flags.Has(decode.SYN) && p.TCP.SrcPort != 40000 && p.TCP.DstPort != 40000
				})
			},
			verdicts: []Verdict{OK},
			flags:    [][]Flag{{FlagHandshakeNotCaptured}},
		},
		{
			name: "a negotiation the server never answered",
			build: func(s *script) {
				c := s.conn(cli, srv)
				c.login()
				c.cl("PORT 198,51,100,10,156,64\r\n")
				s.wait(200 * time.Second)
				c.close()
			},
			verdicts: []Verdict{Unknown},
			flags:    [][]Flag{{FlagUnanswered}},
		},
		{
			name: "150 but no data connection captured",
			build: func(s *script) {
				c := s.conn(cli, srv)
				c.login()
				c.cl("PASV\r\n")
				c.sv("227 Entering Passive Mode (203,0,113,20,156,79).\r\n")
				c.cl("RETR f\r\n")
				c.sv("150 Opening BINARY mode data connection.\r\n")
				c.close()
			},
			verdicts: []Verdict{Unknown},
			reasons:  []string{"150"},
			flags:    [][]Flag{{FlagDataNotCaptured}},
		},
		{
			name: "slow server connect: the wait runs from the transfer command",
			build: func(s *script) {
				c := s.conn(cli, srv)
				c.login()
				c.cl("PORT 198,51,100,10,156,64\r\n")
				c.sv("200 PORT command successful.\r\n")
				s.wait(100 * time.Second)
				c.cl("RETR tape\r\n")
				s.wait(100 * time.Second)
				d := s.conn("203.0.113.20:20", "198.51.100.10:40000")
				d.handshake()
				c.sv("150 Opening data connection.\r\n")
				d.sv("data")
				d.close()
				c.sv("226 Transfer complete.\r\n")
				c.close()
			},
			verdicts: []Verdict{OK},
		},
		{
			name: "EPSV ALL answered 200 creates no transfer",
			build: func(s *script) {
				c := s.conn(cli, srv)
				c.login()
				c.cl("EPSV ALL\r\n")
				c.sv("200 EPSV ALL ok.\r\n")
				c.cl("EPSV\r\n")
				c.sv("229 Entering Extended Passive Mode (|||40015|)\r\n")
				d := s.conn("198.51.100.10:40001", "203.0.113.20:40015")
				d.handshake()
				c.cl("LIST\r\n")
				c.sv("150 Here comes the directory listing.\r\n")
				d.sv("x\r\n")
				d.close()
				c.sv("226 Directory send OK.\r\n")
				c.close()
			},
			verdicts: []Verdict{OK},
		},
		{
			name: "unused negotiations are superseded",
			build: func(s *script) {
				c := s.conn(cli, srv)
				c.login()
				for i := range 5 {
					c.cl("PORT 198,51,100,10,156," + strconv.Itoa(64+i) + "\r\n")
					c.sv("200 PORT command successful.\r\n")
				}
				d := s.conn("203.0.113.20:20", "198.51.100.10:40004")
				c.cl("LIST\r\n")
				d.handshake()
				c.sv("150 Here comes the directory listing.\r\n")
				d.sv("x\r\n")
				d.close()
				c.sv("226 Directory send OK.\r\n")
				c.close()
			},
			verdicts: []Verdict{NotAttempted, NotAttempted, NotAttempted, NotAttempted, OK},
			flags:    [][]Flag{{FlagSuperseded}, {FlagSuperseded}, {FlagSuperseded}, {FlagSuperseded}, {}},
			check: func(t *testing.T, r *recorder, sum Summary) {
				if sum.Superseded != 4 {
					t.Errorf("superseded %d", sum.Superseded)
				}
			},
		},
		{
			name: "ICMP time exceeded quoting the SYN; an ICMP about another connection does not count",
			build: func(s *script) {
				c := s.conn(cli, srv)
				c.login()
				c.cl("PORT 198,51,100,10,156,64\r\n")
				c.sv("200 PORT command successful.\r\n")
				c.cl("RETR f\r\n")
				k := flowKey{netip.MustParseAddrPort("203.0.113.20:20"), netip.MustParseAddrPort("198.51.100.10:40000")}
				s.tcp(k.src, k.dst, 77, 0, decode.SYN, "")
				other := flowKey{netip.MustParseAddrPort("203.0.113.20:20"), netip.MustParseAddrPort("198.51.100.10:40999")}
				s.icmp(netip.MustParseAddr("192.0.2.1"), k.src.Addr(), 1, other, 77)
				s.icmp(netip.MustParseAddr("192.0.2.1"), k.src.Addr(), 0, k, 77)
				s.pkts[len(s.pkts)-1].ICMP.Type = 11
				c.sv("425 Failed to establish connection.\r\n")
				c.close()
			},
			verdicts: []Verdict{Unreachable},
			reasons:  []string{"time exceeded"},
		},
		{
			name: "EPRT with an IPv4-mapped IPv6 address",
			build: func(s *script) {
				c := s.conn(cli, srv)
				c.login()
				c.cl("EPRT |2|::ffff:198.51.100.10|40000|\r\n")
				c.sv("200 EPRT command successful.\r\n")
				c.cl("LIST\r\n")
				d := s.conn("203.0.113.20:20", "198.51.100.10:40000")
				d.handshake()
				c.sv("150 Here comes the directory listing.\r\n")
				d.sv("x\r\n")
				d.close()
				c.sv("226 Directory send OK.\r\n")
				c.close()
			},
			verdicts: []Verdict{OK},
			noFlags:  []Flag{FlagConnectedElsewhere, FlagNATMismatch},
		},
		{
			name: "pipelined USER before the greeting; 227 after QUIT; an unanswered NOOP",
			build: func(s *script) {
				c := s.conn(cli, srv)
				c.handshake()
				c.cl("USER anonymous\r\n")
				c.sv("220 (vsFTPd 3.0.3)\r\n")
				c.sv("331 Please specify the password.\r\n")
				c.cl("PASS x\r\n")
				c.sv("230 Login successful.\r\n")
				c.cl("NOOP\r\n")
				c.cl("PASV\r\n")
				c.sv("227 Entering Passive Mode (203,0,113,20,156,79).\r\n")
				d := s.conn("198.51.100.10:40001", "203.0.113.20:40015")
				d.handshake()
				c.cl("LIST\r\n")
				c.sv("150 Here comes the directory listing.\r\n")
				d.sv("x\r\n")
				d.close()
				c.sv("226 Directory send OK.\r\n")
				c.cl("QUIT\r\n")
				c.sv("221 Goodbye.\r\n")
				c.sv("227 Logout.\r\n")
				c.close()
			},
			verdicts: []Verdict{OK},
			check: func(t *testing.T, r *recorder, sum Summary) {
				s := r.sessions[0]
				if s.Greeting == "" || s.Flags.Has(FlagLostReplies) {
					t.Errorf("greeting %q flags %v", s.Greeting, s.Flags)
				}
			},
		},
		{
			name: "a timestamp far in the future does not move the clock",
			build: func(s *script) {
				c := s.conn(cli, srv)
				c.login()
				c.cl("NOOP\r\n")
				s.pkts[len(s.pkts)-1].Time = time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC)
				c.sv("200 NOOP ok.\r\n")
				d := s.conn("198.51.100.10:40001", "203.0.113.20:40015")
				pasvRetr(c, 40015, d, "data")
				c.close()
			},
			verdicts: []Verdict{OK},
			check: func(t *testing.T, r *recorder, sum Summary) {
				if sum.Quality.ClockJumps != 1 || sum.Last.Year() != 2026 {
					t.Errorf("clock jumps %d, last %v", sum.Quality.ClockJumps, sum.Last)
				}
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r, sum := runCase(tc)
			checkEvidence(t, tc, r, sum)
		})
	}
}

// runCase builds tc's capture and runs the tracker over it.
func runCase(tc evidenceCase) (*recorder, Summary) {
	s := newScript()
	tc.build(s)
	cfg := DefaultConfig()
	if tc.cfg != nil {
		tc.cfg(&cfg)
	}
	r := &recorder{}
	tr := NewTracker(cfg, r)
	for i := range s.pkts {
		tr.Packet(&s.pkts[i])
	}
	return r, tr.Close()
}

func checkEvidence(t *testing.T, tc evidenceCase, r *recorder, sum Summary) {
	t.Helper()
	var got []Verdict
	for _, x := range r.transfers {
		got = append(got, x.Verdict)
	}
	if !equalVerdicts(got, tc.verdicts) {
		for _, x := range r.transfers {
			t.Logf("%s %s %s %q %v", x.Negotiation, x.Endpoint, x.Verdict, x.Reason, x.Flags)
		}
		t.Fatalf("verdicts %v, want %v", got, tc.verdicts)
	}
	for i, sub := range tc.reasons {
		if sub != "" && !strings.Contains(r.transfers[i].Reason, sub) {
			t.Errorf("transfer %d reason %q lacks %q", i+1, r.transfers[i].Reason, sub)
		}
	}
	for i, fs := range tc.flags {
		for _, f := range fs {
			if !r.transfers[i].Flags.Has(f) {
				t.Errorf("transfer %d flags %v lack %d (%q)", i+1, r.transfers[i].Flags, f, r.transfers[i].Reason)
			}
		}
	}
	for _, x := range r.transfers {
		for _, f := range tc.noFlags {
			if x.Flags.Has(f) {
				t.Errorf("transfer %d has flag %d", x.ID, f)
			}
		}
	}
	want := tc.sessions
	if want == 0 {
		want = 1
	}
	if len(r.sessions) != want {
		t.Errorf("%d sessions, want %d", len(r.sessions), want)
	}
	if tc.check != nil {
		tc.check(t, r, sum)
	}
}

func equalVerdicts(a, b []Verdict) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
