package session

import (
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ftpsniff/ftpsniff/decode"
)

// recorder is a Sink that keeps what it is given.
type recorder struct {
	transfers []Transfer
	sessions  []Session
	flows     []int // tracked connections, sampled (equivalence tests)
}

func (r *recorder) Transfer(t *Transfer) { r.transfers = append(r.transfers, *t) }
func (r *recorder) Session(s *Session)   { r.sessions = append(r.sessions, *s) }

// script builds packets on a fake capture clock.
type script struct {
	now  time.Time
	pkts []decode.Packet
}

func newScript() *script {
	return &script{now: time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)}
}

func (s *script) wait(d time.Duration) { s.now = s.now.Add(d) }

func (s *script) tcp(src, dst netip.AddrPort, seq, ack uint32, fl decode.TCPFlags, payload string) {
	s.now = s.now.Add(time.Millisecond)
	v := uint8(4)
	if src.Addr().Is6() {
		v = 6
	}
	s.pkts = append(s.pkts, decode.Packet{
		Time: s.now, IPVersion: v, Src: src.Addr(), Dst: dst.Addr(), TTL: 64, Proto: 6,
		HasTCP: true, TCP: decode.TCP{SrcPort: src.Port(), DstPort: dst.Port(), Seq: seq, Ack: ack, Flags: fl, Window: 65535},
		Payload: []byte(payload), CapLen: 54 + len(payload), WireLen: 54 + len(payload),
	})
}

func (s *script) icmp(from netip.Addr, to netip.Addr, code uint8, quoted flowKey, seq uint32) {
	s.now = s.now.Add(time.Millisecond)
	s.pkts = append(s.pkts, decode.Packet{
		Time: s.now, IPVersion: 4, Src: from, Dst: to, TTL: 63, Proto: 1, HasICMP: true,
		ICMP: decode.ICMPError{Type: 3, Code: code, Proto: 6, Src: quoted.src.Addr(), Dst: quoted.dst.Addr(),
			SrcPort: quoted.src.Port(), DstPort: quoted.dst.Port(), HasPorts: true, Seq: seq, HasSeq: true},
	})
}

// conn is one scripted TCP connection with sequence numbers kept.
type conn struct {
	s        *script
	c, v     netip.AddrPort
	cseq, vs uint32
}

func (s *script) conn(client, server string) *conn {
	return &conn{s: s, c: netip.MustParseAddrPort(client), v: netip.MustParseAddrPort(server), cseq: 1000, vs: 5000}
}

func (c *conn) handshake() {
	c.s.tcp(c.c, c.v, c.cseq, 0, decode.SYN, "")
	c.s.tcp(c.v, c.c, c.vs, c.cseq+1, decode.SYN|decode.ACK, "")
	c.cseq++
	c.vs++
	c.s.tcp(c.c, c.v, c.cseq, c.vs, decode.ACK, "")
}

// cl sends from the client (connector), sv from the server side.
func (c *conn) cl(data string) {
	c.s.tcp(c.c, c.v, c.cseq, c.vs, decode.ACK|decode.PSH, data)
	c.cseq += uint32(len(data))
}

func (c *conn) sv(data string) {
	c.s.tcp(c.v, c.c, c.vs, c.cseq, decode.ACK|decode.PSH, data)
	c.vs += uint32(len(data))
}

func (c *conn) close() {
	c.s.tcp(c.c, c.v, c.cseq, c.vs, decode.FIN|decode.ACK, "")
	c.cseq++
	c.s.tcp(c.v, c.c, c.vs, c.cseq, decode.FIN|decode.ACK, "")
	c.vs++
	c.s.tcp(c.c, c.v, c.cseq, c.vs, decode.ACK, "")
}

func (c *conn) login() {
	c.handshake()
	c.sv("220 (vsFTPd 3.0.3)\r\n")
	c.cl("USER anonymous\r\n")
	c.sv("331 Please specify the password.\r\n")
	c.cl("PASS secret@example.com\r\n")
	c.sv("230 Login successful.\r\n")
}

func run(t *testing.T, s *script, cfg Config) *recorder {
	t.Helper()
	r := &recorder{}
	tr := NewTracker(cfg, r)
	for i := range s.pkts {
		tr.Packet(&s.pkts[i])
	}
	tr.Close()
	return r
}

func TestTrackerScenarios(t *testing.T) {
	cases := []struct {
		name    string
		build   func(s *script)
		verdict []Verdict
		reason  []string // substrings, per transfer
		flags   []Flag   // flags expected on the first transfer
	}{
		{
			name: "passive ok",
			build: func(s *script) {
				c := s.conn("198.51.100.10:40000", "203.0.113.20:21")
				c.login()
				c.cl("PASV\r\n")
				c.sv("227 Entering Passive Mode (203,0,113,20,156,79).\r\n")
				d := s.conn("198.51.100.10:42650", "203.0.113.20:40015")
				d.handshake()
				c.cl("RETR f\r\n")
				c.sv("150 Opening BINARY mode data connection.\r\n")
				d.sv(strings.Repeat("x", 1000))
				d.close()
				c.sv("226 Transfer complete.\r\n")
				c.cl("QUIT\r\n")
				c.sv("221 Goodbye.\r\n")
				c.close()
			},
			verdict: []Verdict{OK},
			reason:  []string{"1000 bytes to client"},
		},
		{
			name: "active dropped",
			build: func(s *script) {
				c := s.conn("198.51.100.10:40000", "203.0.113.20:21")
				c.login()
				c.cl("PORT 198,51,100,10,201,135\r\n")
				c.sv("200 PORT command successful. Consider using PASV.\r\n")
				c.cl("LIST\r\n")
				k := flowKey{netip.MustParseAddrPort("203.0.113.20:20"), netip.MustParseAddrPort("198.51.100.10:51591")}
				for i := 0; i < 7; i++ {
					s.tcp(k.src, k.dst, 777, 0, decode.SYN, "")
					s.wait(time.Second)
				}
				c.sv("425 Failed to establish connection.\r\n")
				c.close()
			},
			verdict: []Verdict{Dropped},
			reason:  []string{"7 SYNs over 6.0 s, no SYN-ACK; server replied 425"},
		},
		{
			name: "active reset and icmp",
			build: func(s *script) {
				c := s.conn("198.51.100.10:40000", "203.0.113.20:21")
				c.login()
				c.cl("EPRT |1|198.51.100.10|35333|\r\n")
				c.sv("200 EPRT command successful.\r\n")
				c.cl("LIST\r\n")
				k := flowKey{netip.MustParseAddrPort("203.0.113.20:20"), netip.MustParseAddrPort("198.51.100.10:35333")}
				s.tcp(k.src, k.dst, 777, 0, decode.SYN, "")
				s.tcp(k.dst, k.src, 0, 778, decode.RST|decode.ACK, "")
				c.sv("425 Failed to establish connection.\r\n")
				c.cl("PORT 198,51,100,10,200,0\r\n")
				c.sv("200 PORT command successful.\r\n")
				c.cl("RETR x\r\n")
				k2 := flowKey{netip.MustParseAddrPort("203.0.113.20:20"), netip.MustParseAddrPort("198.51.100.10:51200")}
				s.tcp(k2.src, k2.dst, 999, 0, decode.SYN, "")
				s.icmp(netip.MustParseAddr("198.51.100.1"), k2.src.Addr(), 13, k2, 999)
				c.sv("425 Failed to establish connection.\r\n")
				c.close()
			},
			verdict: []Verdict{Reset, Unreachable},
			reason:  []string{"RST from 198.51.100.10", "administratively prohibited"},
		},
		{
			name: "refused and not attempted",
			build: func(s *script) {
				c := s.conn("198.51.100.10:40000", "203.0.113.20:21")
				c.login()
				c.cl("PORT 198,51,100,10,0,22\r\n")
				c.sv("500 Illegal PORT command.\r\n")
				c.cl("PASV\r\n")
				c.sv("227 Entering Passive Mode (203,0,113,20,156,80).\r\n")
				c.cl("QUIT\r\n")
				c.sv("221 Goodbye.\r\n")
				c.close()
				s.wait(5 * time.Second)
			},
			verdict: []Verdict{Refused, NotAttempted},
			reason:  []string{"500 Illegal PORT command", "no SYN seen"},
		},
		{
			name: "syn before the 227 is parsed, nat private address, split command",
			build: func(s *script) {
				c := s.conn("198.51.100.10:40000", "203.0.113.20:21")
				c.login()
				c.cl("PA")
				c.cl("SV\r\n")
				// The data SYN (to the public address) is seen before the 227
				// that advertises the private one.
				d := s.conn("198.51.100.10:42650", "203.0.113.20:40016")
				d.handshake()
				c.sv("227 Entering Passive Mode (10,2,0,20,156,80).\r\n")
				c.cl("LIST\r\n")
				c.sv("150 Here comes the directory listing.\r\n")
				d.sv("drwxr-xr-x 2 0 0 4096 pub\r\n")
				d.close()
				c.sv("226 Directory send OK.\r\n")
				c.close()
			},
			verdict: []Verdict{OK},
			flags:   []Flag{FlagConnectedElsewhere, FlagNATMismatch, FlagPrivateAddress, FlagSYNBeforeReply},
		},
		{
			name: "content detection on 2121 and TLS hidden transfers",
			build: func(s *script) {
				c := s.conn("198.51.100.10:40000", "203.0.113.20:2121")
				c.handshake()
				c.sv("220 FTP server ready\r\n")
				c.cl("AUTH TLS\r\n")
				c.sv("234 Proceed with negotiation.\r\n")
				c.cl("\x16\x03\x01\x00\x05hello")
				c.sv("\x16\x03\x03\x00\x02hi")
				d := s.conn("198.51.100.10:42650", "203.0.113.20:40444")
				d.handshake()
				d.sv("\x17\x03\x03\x00\x04data")
				d.close()
				c.close()
			},
			verdict: []Verdict{OK},
			flags:   []Flag{FlagTLS},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := newScript()
			tc.build(s)
			r := run(t, s, DefaultConfig())
			var got []Verdict
			for _, x := range r.transfers {
				got = append(got, x.Verdict)
			}
			if !slices.Equal(got, tc.verdict) {
				for _, x := range r.transfers {
					t.Logf("%s %s %s %s %v", x.Negotiation, x.Endpoint, x.Verdict, x.Reason, x.Flags)
				}
				t.Fatalf("verdicts %v, want %v", got, tc.verdict)
			}
			for i, sub := range tc.reason {
				if !strings.Contains(r.transfers[i].Reason, sub) {
					t.Errorf("transfer %d reason %q lacks %q", i+1, r.transfers[i].Reason, sub)
				}
			}
			for _, f := range tc.flags {
				if !r.transfers[0].Flags.Has(f) {
					t.Errorf("flags %v lack %v", r.transfers[0].Flags, f)
				}
			}
			if len(r.sessions) != 1 {
				t.Fatalf("%d sessions, want 1", len(r.sessions))
			}
			if p := r.sessions[0].Password; p != "" && p != "****" {
				t.Errorf("password not masked: %q", p)
			}
		})
	}
}
