package session

import (
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/ftpsniff/ftpsniff/decode"
)

// TestSessionsFound: no session vanishes, and nothing else becomes one.
func TestSessionsFound(t *testing.T) {
	cases := []evidenceCase{
		{
			name: "a session on 2121 while another is live; its SYN is captured",
			build: func(s *script) {
				a := s.conn("198.51.100.10:40000", "203.0.113.20:21")
				a.login()
				b := s.conn("198.51.100.10:40100", "203.0.113.20:2121")
				b.login()
				d := s.conn("198.51.100.10:40101", "203.0.113.20:40015")
				pasvRetr(b, 40015, d, "data")
				b.close()
				a.close()
			},
			verdicts: []Verdict{OK},
			sessions: 2,
			check: func(t *testing.T, r *recorder, sum Summary) {
				for _, s := range r.sessions {
					if s.Server.Port() == 2121 && (s.MidStream || s.Greeting == "" || s.DetectedBy != "content") {
						t.Errorf("2121 session: %+v", s)
					}
				}
			},
		},
		{
			name: "an odd-port session joined after the greeting",
			build: func(s *script) {
				c := s.conn("198.51.100.10:40000", "203.0.113.20:2121")
				c.cl("TYPE I\r\n")
				c.sv("200 Switching to Binary mode.\r\n")
				d := s.conn("198.51.100.10:40001", "203.0.113.20:40015")
				pasvRetr(c, 40015, d, "data")
				c.close()
			},
			verdicts: []Verdict{OK},
			check: func(t *testing.T, r *recorder, sum Summary) {
				if !r.sessions[0].MidStream || r.sessions[0].DetectedBy != "content" {
					t.Errorf("session %+v", r.sessions[0])
				}
			},
		},
		{
			name: "SMTP, POP3 and SSH between the same hosts are not FTP",
			build: func(s *script) {
				m := s.conn("198.51.100.10:40000", "203.0.113.20:587")
				m.handshake()
				m.sv("220 mail.example.org ESMTP\r\n")
				m.cl("EHLO client\r\n")
				m.sv("250-mail.example.org\r\n250 AUTH PLAIN LOGIN\r\n")
				m.cl("AUTH LOGIN\r\n")
				m.sv("334 VXNlcm5hbWU6\r\n")
				m.close()
				p := s.conn("198.51.100.10:40001", "203.0.113.20:110")
				p.handshake()
				p.sv("+OK POP3 ready\r\n")
				p.cl("USER bob\r\n")
				p.sv("+OK\r\n")
				p.cl("LIST\r\n")
				p.sv("+OK 1 messages\r\n")
				p.close()
				h := s.conn("198.51.100.10:40002", "203.0.113.20:22")
				h.handshake()
				h.sv("SSH-2.0-OpenSSH_9.2\r\n")
				h.cl("SSH-2.0-OpenSSH_9.2\r\n")
				h.close()
			},
			sessions: -1,
		},
		{
			name: "a session idle past the timeout resumes",
			build: func(s *script) {
				c := s.conn("198.51.100.10:40000", "203.0.113.20:2121")
				c.login()
				s.wait(16 * time.Minute)
				d := s.conn("198.51.100.10:40001", "203.0.113.20:40015")
				pasvRetr(c, 40015, d, "data")
				c.close()
			},
			verdicts: []Verdict{OK},
			sessions: 2,
			check: func(t *testing.T, r *recorder, sum Summary) {
				if r.sessions[0].Closed != ClosedIdle || !r.sessions[1].Flags.Has(FlagResumed) {
					t.Errorf("sessions %v %v / %v", r.sessions[0].Closed, r.sessions[0].Flags, r.sessions[1].Flags)
				}
			},
		},
		{
			name: "control connection dropped",
			build: func(s *script) {
				for range 3 {
					s.tcp(netip.MustParseAddrPort("198.51.100.10:40000"), netip.MustParseAddrPort("203.0.113.20:21"), 9, 0, decode.SYN, "")
					s.wait(time.Second)
				}
			},
			check: func(t *testing.T, r *recorder, sum Summary) {
				if s := r.sessions[0]; s.Verdict != Dropped || !s.Flags.Has(FlagBlocked) || sum.Blocked != 1 {
					t.Errorf("session %s %q, blocked %d", s.Verdict, s.Reason, sum.Blocked)
				}
			},
		},
		{
			name: "control connection reset",
			build: func(s *script) {
				s.tcp(netip.MustParseAddrPort("198.51.100.10:40000"), netip.MustParseAddrPort("203.0.113.20:21"), 9, 0, decode.SYN, "")
				s.tcp(netip.MustParseAddrPort("203.0.113.20:21"), netip.MustParseAddrPort("198.51.100.10:40000"), 0, 10, decode.RST|decode.ACK, "")
			},
			check: func(t *testing.T, r *recorder, sum Summary) {
				if s := r.sessions[0]; s.Verdict != Reset {
					t.Errorf("session %s %q", s.Verdict, s.Reason)
				}
			},
		},
		{
			name: "control connection unreachable",
			build: func(s *script) {
				k := flowKey{netip.MustParseAddrPort("198.51.100.10:40000"), netip.MustParseAddrPort("203.0.113.20:21")}
				s.tcp(k.src, k.dst, 9, 0, decode.SYN, "")
				s.icmp(netip.MustParseAddr("198.51.100.1"), k.src.Addr(), 13, k, 9)
			},
			check: func(t *testing.T, r *recorder, sum Summary) {
				if s := r.sessions[0]; s.Verdict != Unreachable {
					t.Errorf("session %s %q", s.Verdict, s.Reason)
				}
			},
		},
		{
			name: "FXP: one data connection answers two negotiations",
			build: func(s *script) {
				a := s.conn("198.51.100.10:40000", "203.0.113.20:21")
				a.login()
				b := s.conn("198.51.100.10:40001", "203.0.113.30:21")
				b.login()
				a.cl("PASV\r\n")
				a.sv("227 Entering Passive Mode (203,0,113,20,156,79).\r\n")
				b.cl("PORT 203,0,113,20,156,79\r\n")
				b.sv("200 PORT command successful.\r\n")
				a.cl("STOR f\r\n")
				b.cl("RETR f\r\n")
				d := s.conn("203.0.113.30:20", "203.0.113.20:40015")
				d.handshake()
				b.sv("150 Opening data connection.\r\n")
				a.sv("150 Ok to send data.\r\n")
				d.cl("data")
				d.close()
				b.sv("226 Transfer complete.\r\n")
				a.sv("226 Transfer complete.\r\n")
				a.close()
				b.close()
			},
			verdicts: []Verdict{OK, OK},
			sessions: 2,
			check: func(t *testing.T, r *recorder, sum Summary) {
				if r.transfers[0].Data == nil || r.transfers[1].Data == nil || r.transfers[0].Data.Connector != r.transfers[1].Data.Connector {
					t.Errorf("data connections %+v / %+v", r.transfers[0].Data, r.transfers[1].Data)
				}
			},
		},
		{
			name: "a busy link beside a session keeps no state",
			build: func(s *script) {
				c := s.conn("198.51.100.10:40000", "203.0.113.20:21")
				c.login()
				for i := range 10000 {
					src := netip.AddrPortFrom(netip.AddrFrom4([4]byte{192, 0, 2, byte(i)}), uint16(1024+i))
					s.tcp(src, netip.MustParseAddrPort("198.51.100.99:443"), 1, 0, decode.SYN, "")
				}
				d := s.conn("198.51.100.10:40001", "203.0.113.20:40015")
				pasvRetr(c, 40015, d, "data")
				c.close()
			},
			cfg:      func(c *Config) { c.MaxUnclaimedSYNs = 100 },
			verdicts: []Verdict{OK},
			check: func(t *testing.T, r *recorder, sum Summary) {
				if sum.StateLimitDrops != 0 {
					t.Errorf("state limit drops %d", sum.StateLimitDrops)
				}
			},
		},
		{
			name: "FTPS: only connections that fit a data connection are hidden transfers",
			build: func(s *script) {
				c := s.conn("198.51.100.10:40000", "203.0.113.20:21")
				c.login()
				c.cl("AUTH TLS\r\n")
				c.sv("234 Proceed with negotiation.\r\n")
				c.cl("\x17\x03\x03\x00\x05hello")
				d := s.conn("198.51.100.10:40001", "203.0.113.20:40015")
				d.handshake()
				d.sv("\x17\x03\x03\x00\x02hi")
				d.close()
				ssh := s.conn("198.51.100.10:40002", "203.0.113.20:22")
				ssh.handshake()
				s.wait(5 * time.Minute)
				web := s.conn("198.51.100.10:40003", "203.0.113.20:8443")
				web.handshake()
				late := s.conn("198.51.100.10:40004", "203.0.113.20:40016")
				late.handshake()
				c.close()
			},
			verdicts: []Verdict{OK},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r, sum := runCase(tc)
			if tc.sessions < 0 {
				if len(r.sessions) != 0 || len(r.transfers) != 0 {
					t.Fatalf("%d sessions %+v", len(r.sessions), r.sessions)
				}
				return
			}
			checkEvidence(t, tc, r, sum)
		})
	}
}

// TestControlEvents: a session keeps its first and last control lines when
// asked, with the password masked and the lines between counted.
func TestControlEvents(t *testing.T) {
	s := newScript()
	c := s.conn("198.51.100.10:40000", "203.0.113.20:21")
	c.login()
	for range 10 {
		c.cl("NOOP\r\n")
		c.sv("200 NOOP ok.\r\n")
	}
	c.cl("QUIT\r\n")
	c.sv("221 Goodbye.\r\n")
	c.close()
	cfg := DefaultConfig()
	cfg.ControlEvents = 6
	r := run(t, s, cfg)
	ev := r.sessions[0].Events
	var lines []string
	for _, e := range ev {
		lines = append(lines, e.Line)
	}
	want := []string{"220 (vsFTPd 3.0.3)", "USER anonymous", "331 Please specify the password.", "200 NOOP ok.", "QUIT", "221 Goodbye."}
	if strings.Join(lines, "|") != strings.Join(want, "|") || r.sessions[0].EventsOmitted != 21 {
		t.Errorf("events %q, %d omitted", lines, r.sessions[0].EventsOmitted)
	}
	if !ev[1].FromClient || ev[0].FromClient || !ev[0].Time.Before(ev[1].Time) {
		t.Errorf("directions or times: %+v", ev[:2])
	}
	cfg.ControlEvents = 0
	if r := run(t, s, cfg); len(r.sessions[0].Events) != 0 {
		t.Errorf("events kept without being asked")
	}
}
