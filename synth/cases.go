package synth

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"time"
)

// Case is one synthetic scenario and what ftpsniff should report for it.
// The expectations are written by hand from what the scenario is, never
// copied from ftpsniff's output.
type Case struct {
	// Name is a short identifier used in file names (synth-<name>.pcap).
	Name string
	// Description says what the capture shows and why it matters.
	Description string
	// Build produces the capture.
	Build func() (*Capture, error)
	// Expect lists the expected transfers in negotiation order.
	Expect []ExpectTransfer
	// Sessions lists the expected sessions (control connections) in the
	// order they started; nil means not stated, an empty non-nil slice
	// means no FTP session at all.
	Sessions []ExpectSession
	// Summary states what the run's summary must show; nil means not
	// stated.
	Summary *ExpectSummary
	// Large marks a scenario too big to commit: it is built at test time
	// (TestExpectations) and written by ftpsynth only when named with -case.
	Large bool
}

// ExpectTransfer is one transfer ftpsniff should report. In an expect file
// every key is stated: "" and [] mean none, not "don't check".
type ExpectTransfer struct {
	// Mode is "active" or "passive".
	Mode string `json:"mode"`
	// Negotiation is PORT, PASV, EPRT, EPSV, LPRT, LPSV or "hidden".
	Negotiation string `json:"negotiation"`
	// Endpoint is the advertised endpoint "ip:port" ("[v6]:port"); "" when
	// none can be parsed (or none was seen).
	Endpoint string `json:"endpoint"`
	// Command is the transfer command verb (LIST, RETR, ...); "" when no
	// transfer command used the negotiation.
	Command string `json:"command"`
	// Verdict is ok, dropped, reset, unreachable, not-attempted, refused or
	// unknown.
	Verdict string `json:"verdict"`
	// Flags is the exact set of flag names the transfer carries, sorted;
	// empty means none. The names are those of docs/output.md plus the
	// ones listed in FlagGlossary.
	Flags []string `json:"flags"`
	// Evidence lists substrings the verdict's reason must contain (a reply
	// code, "3 SYNs", "RST", "time exceeded", ...).
	Evidence []string `json:"evidence"`
}

// ExpectSession is one session (FTP control connection) ftpsniff should
// report.
type ExpectSession struct {
	// Client is the control connection's client address (no port).
	Client string `json:"client"`
	// Server is the control connection's server endpoint "ip:port".
	Server string `json:"server"`
	// Verdict is "" for a control connection that was established, or
	// dropped, reset or unreachable for one that was blocked.
	Verdict string `json:"verdict"`
	// Flags is the exact set of session flag names, sorted; empty means
	// none.
	Flags []string `json:"flags"`
	// Transfers is how many transfers the session reported.
	Transfers int `json:"transfers"`
	// Anomalies lists substrings each of which some anomaly note of the
	// session must contain (optional).
	Anomalies []string `json:"anomalies,omitempty"`
}

// ExpectSummary states what the final summary must show. Every field is
// optional; an absent (nil) one is not checked.
type ExpectSummary struct {
	// Counts maps a summary counter (snake_case, as in the JSON summary:
	// sessions, transfers, state_limit_drops, duplicates, superseded,
	// one_sided, blocked_sessions, ...) to a condition: "N" (exactly N),
	// ">N", ">=N" or "<=N".
	Counts map[string]string `json:"counts,omitempty"`
	// Flags is the exact set of summary flag names (e.g. clock-jump),
	// sorted; empty means none, nil (null) means not stated.
	Flags []string `json:"flags"`
}

// FlagGlossary defines the flag names the cases expect beyond those
// docs/output.md lists today (the tracker is to implement them).
var FlagGlossary = map[string]string{
	"synack-not-captured":    "transfer: the data connection was established (the connector acknowledged the SYN-ACK or sent data) but the listener's SYN-ACK is not in the capture",
	"one-sided":              "transfer: only one direction of the data connection was captured: packets the other side sent are missing (asymmetric routing), while the control channel is seen both ways",
	"handshake-not-captured": "transfer: the data connection's packets are in the capture but its handshake (SYN and SYN-ACK) happened before the capture saw it",
	"clock-skew":             "transfer: an answer is timestamped before what it answers (SYN-ACK or RST before its SYN), as in a capture merged from two points",
	"superseded":             "transfer: the negotiation was replaced by a later one before any transfer command used it",
	"midstream":              "session: the capture began after the control connection's handshake (JSON mid_stream)",
	"blocked":                "session: a control connection that never got established (its session verdict says how)",
	"duplicate-frames":       "transfer, session, summary: frames of it were captured twice (SPAN, -i any)",
	"resumed":                "session: the control connection was idle past the session timeout and was picked up again",
	"clock-jump":             "summary: a record's timestamp jumped far forward or backward and was not trusted",
	"no-data-connections":    "summary: the capture holds no data-connection packet at all (e.g. taken with the filter 'port 21')",
}

// FileName returns the capture file name for the case: synth-<name> plus
// .pcap, .pcapng, and .gz when gzip-compressed.
func FileName(name string, o Options) string {
	n := "synth-" + name + "." + o.Format.String()
	if o.Gzip {
		n += ".gz"
	}
	return n
}

func ap(a netip.Addr, port uint16) netip.AddrPort { return netip.AddrPortFrom(a, port) }

const listing = "-rw-r--r--    1 0        0            1024 May 14 09:00 README\r\n" +
	"drwxr-xr-x    2 0        0            4096 May 14 09:00 pub\r\n" +
	"-rw-r--r--    1 0        0          524288 May 14 09:00 release-1.2.tar.gz\r\n"

func fileBody(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte('a' + i%26)
	}
	return b
}

// sess is a scripted FTP session used by the cases.
type sess struct {
	c   *Capture
	f   *FTP
	cli netip.Addr
	srv netip.AddrPort
	eph uint16
	exp *[]ExpectTransfer
}

// open starts a session: TCP handshake, unless midstream, then login.
func open(c *Capture, exp *[]ExpectTransfer, cli netip.Addr, srv netip.AddrPort, login bool) *sess {
	s := &sess{c: c, cli: cli, srv: srv, exp: exp, eph: uint16(33000 + c.rng.Intn(20000))}
	s.f = c.FTP(ap(cli, s.nextEph()), srv)
	if login {
		s.f.Handshake()
		s.f.Login("anonymous", "ftpsniff@example.org")
	}
	return s
}

func (s *sess) nextEph() uint16 { s.eph += 7; return s.eph }

// expect records an expected transfer: its flags (nil: none) and the
// substrings its reason must contain.
func (s *sess) expect(mode, neg, endpoint, cmd, verdict string, flags []string, evidence ...string) {
	*s.exp = append(*s.exp, ExpectTransfer{Mode: mode, Negotiation: neg, Endpoint: endpoint, Command: cmd, Verdict: verdict,
		Flags: flagList(flags), Evidence: append([]string{}, evidence...)})
}

// last returns the last expectation recorded, to amend it.
func (s *sess) last() *ExpectTransfer { return &(*s.exp)[len(*s.exp)-1] }

// fl is a flag list.
func fl(names ...string) []string { return names }

// flagList returns a sorted, non-nil copy of names.
func flagList(names []string) []string {
	out := append([]string{}, names...)
	slices.Sort(out)
	return out
}

// payloadFor returns the data and the 150 text for a transfer command.
func payloadFor(xfer string) ([]byte, string) {
	if strings.HasPrefix(xfer, "RETR") {
		name := strings.TrimSpace(strings.TrimPrefix(xfer, "RETR"))
		b := fileBody(700)
		return b, fmt.Sprintf("150 Opening BINARY mode data connection for %s (%d bytes).", name, len(b))
	}
	return []byte(listing), "150 Here comes the directory listing."
}

func verb(xfer string) string {
	v, _, _ := strings.Cut(xfer, " ")
	return v
}

// fate says what happens to a data connection's SYN; nil means the
// connection is established and carries the data.
type fate func(k *Conn)

func dropped(n int) fate { return func(k *Conn) { k.SynUnanswered(n) } }

func reset() fate { return func(k *Conn) { k.SynReset() } }

func icmp(router netip.Addr, code uint8, full bool) fate {
	return func(k *Conn) { k.SynICMP(router, code, full) }
}

// negotiate sends the negotiation command and its reply.
func (s *sess) negotiate(neg, rep string) {
	s.f.Cmd(neg)
	s.f.Reply(rep)
}

// passive runs the data part of a passive transfer: the client connects to
// target (before sending xfer when it succeeds, after when it fails).
func (s *sess) passive(target netip.AddrPort, xfer string, f fate) {
	data, t150 := payloadFor(xfer)
	k := s.c.Conn(ap(s.cli, s.nextEph()), target)
	s.c.Advance(time.Millisecond)
	if f != nil {
		s.f.Cmd(xfer)
		f(k)
		s.c.Advance(500 * time.Millisecond)
		s.f.Reply("425 Failed to establish connection.")
		return
	}
	k.Handshake()
	s.f.Cmd(xfer)
	s.f.Reply(t150)
	k.Send(false, data)
	k.CloseFrom(false)
	s.f.Reply("226 Transfer complete.")
}

// active runs the data part of an active transfer: after xfer the server
// connects from src to target.
func (s *sess) active(src, target netip.AddrPort, xfer string, f fate) {
	data, t150 := payloadFor(xfer)
	s.f.Cmd(xfer)
	s.c.Advance(time.Millisecond)
	k := s.c.Conn(src, target)
	if f != nil {
		f(k)
		s.c.Advance(500 * time.Millisecond)
		s.f.Reply("425 Failed to establish connection.")
		return
	}
	k.Handshake()
	s.f.Reply(t150)
	k.Send(true, data)
	k.CloseFrom(true)
	s.f.Reply("226 Transfer complete.")
}

func pasvReply(a netip.AddrPort) string {
	return "227 Entering Passive Mode (" + PortArg(a) + ")."
}

func epsvReply(port uint16) string {
	return fmt.Sprintf("229 Entering Extended Passive Mode (|||%d|)", port)
}

// pasvOK is PASV + 227 + a successful passive transfer.
func (s *sess) pasvOK(port uint16, xfer string) {
	t := ap(s.srv.Addr(), port)
	s.negotiate("PASV", pasvReply(t))
	s.passive(t, xfer, nil)
	s.expect("passive", "PASV", t.String(), verb(xfer), "ok", nil, "226")
}

// portOK is PORT + 200 + a successful active transfer from port 20.
func (s *sess) portOK(port uint16, xfer string) {
	t := ap(s.cli, port)
	s.negotiate("PORT "+PortArg(t), "200 PORT command successful. Consider using PASV.")
	s.active(ap(s.srv.Addr(), 20), t, xfer, nil)
	s.expect("active", "PORT", t.String(), verb(xfer), "ok", nil, "226")
}

// epsvOK is EPSV + 229 + a successful passive transfer.
func (s *sess) epsvOK(port uint16, xfer string) {
	t := ap(s.srv.Addr(), port)
	s.negotiate("EPSV", epsvReply(port))
	s.passive(t, xfer, nil)
	s.expect("passive", "EPSV", t.String(), verb(xfer), "ok", nil, "226")
}

// eprtOK is EPRT + 200 + a successful active transfer from port 20.
func (s *sess) eprtOK(port uint16, xfer string) {
	t := ap(s.cli, port)
	s.negotiate("EPRT "+ExtArg(t), "200 EPRT command successful. Consider using EPSV.")
	s.active(ap(s.srv.Addr(), 20), t, xfer, nil)
	s.expect("active", "EPRT", t.String(), verb(xfer), "ok", nil, "226")
}

// build wraps a script into a Case.Build function and collects the
// expectations it records.
type script func(c *Capture, exp *[]ExpectTransfer)

func mk(name, desc string, opts Options, sc script) Case {
	if opts.Seed == 0 {
		var h int64
		for _, r := range name {
			h = h*31 + int64(r)
		}
		opts.Seed = h
	}
	var exp []ExpectTransfer
	// Run once to learn the expectations (scripts are deterministic).
	sc(New(opts), &exp)
	return Case{
		Name: name, Description: desc, Expect: exp,
		Build: func() (*Capture, error) {
			c := New(opts)
			var e []ExpectTransfer
			sc(c, &e)
			if err := c.Err(); err != nil {
				return nil, fmt.Errorf("case %s: %w", name, err)
			}
			return c, nil
		},
	}
}

// standard is a login, the given transfers and QUIT on a default session.
func standard(cli netip.Addr, srv netip.AddrPort, body func(s *sess)) script {
	return func(c *Capture, exp *[]ExpectTransfer) {
		s := open(c, exp, cli, srv, true)
		body(s)
		s.f.Quit()
	}
}

// Cases returns every synthetic scenario.
func Cases() []Case {
	// Addresses used by the cases.
	var (
		cli1 = netip.MustParseAddr("198.51.100.10")
		cli2 = netip.MustParseAddr("198.51.100.11")
		rtrC = netip.MustParseAddr("198.51.100.1")
		srv1 = netip.MustParseAddr("203.0.113.20")
		srv2 = netip.MustParseAddr("203.0.113.21")
		rtrS = netip.MustParseAddr("203.0.113.1")
		priv = netip.MustParseAddr("10.0.0.5")
		cli6 = netip.MustParseAddr("2001:db8:100::10")
		srv6 = netip.MustParseAddr("2001:db8:113::20")
		rtC6 = netip.MustParseAddr("2001:db8:100::1")
		rtS6 = netip.MustParseAddr("2001:db8:113::1")
		thrd = netip.MustParseAddr("192.0.2.77")
	)
	eth := Options{}
	s21 := ap(srv1, 21)
	s621 := ap(srv6, 21)
	cases := []Case{
		mk("split-port", "PORT command split over three TCP segments (PORT 198,51, / 100,10,156, / 65\\r\\n); must be reassembled.", eth,
			standard(cli1, s21, func(s *sess) {
				t := ap(cli1, 40001)
				line := "PORT " + PortArg(t) + "\r\n"
				s.f.Raw(true, line, SplitAt(12, 23))
				s.f.Reply("200 PORT command successful. Consider using PASV.")
				s.active(ap(srv1, 20), t, "LIST", nil)
				s.expect("active", "PORT", t.String(), "LIST", "ok", nil, "226")
			})),
		mk("pipelined", "TYPE I and PASV sent in one segment, 200 and 227 replies in one segment.", eth,
			func(c *Capture, exp *[]ExpectTransfer) {
				s := open(c, exp, cli1, s21, false)
				s.f.Handshake()
				s.f.Reply("220 (vsFTPd 3.0.5)")
				s.f.Cmd("USER anonymous")
				s.f.Reply("331 Please specify the password.")
				s.f.Cmd("PASS ftpsniff@example.org")
				s.f.Reply("230 Login successful.")
				t := ap(srv1, 50000)
				s.f.Raw(true, "TYPE I\r\nPASV\r\n")
				s.f.Raw(false, "200 Switching to Binary mode.\r\n"+pasvReply(t)+"\r\n")
				s.passive(t, "RETR release-1.2.tar.gz", nil)
				s.expect("passive", "PASV", t.String(), "RETR", "ok", nil, "226")
				s.f.Quit()
			}),
		mk("multiline-227", "PASV answered by a multi-line 227 (227-listen socket created / 227 Entering Passive Mode (...)).", eth,
			standard(cli1, s21, func(s *sess) {
				t := ap(srv1, 50001)
				s.negotiate("PASV", "227-listen socket created\n"+pasvReply(t))
				s.passive(t, "LIST", nil)
				s.expect("passive", "PASV", t.String(), "LIST", "ok", fl("227-multiline", "multiline-reply"), "226")
			})),
		mk("pasv-variants", "Three 227 spellings: no parentheses, '227 =h,h,h,h,p,p', and digits before the numbers ('Mode v2 (...)').", eth,
			standard(cli1, s21, func(s *sess) {
				// No parentheses; "=h,..." (no parentheses either); "v2" digits
				// before the numbers.
				pasvVariantFlags := [][]string{{"227-no-parens"}, {"227-equals-form", "227-no-parens"}, {"227-digits-before"}}
				for i, f := range []string{"227 Entering Passive Mode %s", "227 =%s", "227 Entering Passive Mode v2 (%s)."} {
					t := ap(srv1, uint16(50002+i))
					s.negotiate("PASV", fmt.Sprintf(f, PortArg(t)))
					s.passive(t, "LIST", nil)
					s.expect("passive", "PASV", t.String(), "LIST", "ok", fl(pasvVariantFlags[i]...), "226")
				}
			})),
		mk("229-for-pasv", "The server answers PASV with 229 (|||port|); the client connects to the control server's address.", eth,
			standard(cli1, s21, func(s *sess) {
				t := ap(srv1, 50005)
				s.negotiate("PASV", epsvReply(50005))
				s.passive(t, "LIST", nil)
				s.expect("passive", "PASV", t.String(), "LIST", "ok", fl("229-for-pasv"), "226")
			})),
		mk("epsv-bang", "EPSV answered with '!' as the delimiter: (!!!50006!).", eth,
			standard(cli1, s21, func(s *sess) {
				t := ap(srv1, 50006)
				s.negotiate("EPSV", "229 Entering Extended Passive Mode (!!!50006!)")
				s.passive(t, "LIST", nil)
				s.expect("passive", "EPSV", t.String(), "LIST", "ok", fl("odd-delimiter"), "226")
			})),
		mk("lprt-lpsv", "LPRT/200 and LPSV/228 over IPv4, then over IPv6 (RFC 1639).", eth,
			func(c *Capture, exp *[]ExpectTransfer) {
				for _, p := range []struct {
					cli netip.Addr
					srv netip.AddrPort
				}{{cli1, s21}, {cli6, s621}} {
					s := open(c, exp, p.cli, p.srv, true)
					t := ap(p.cli, 40002)
					s.negotiate("LPRT "+LongArg(t), "200 LPRT command successful.")
					s.active(ap(p.srv.Addr(), 20), t, "LIST", nil)
					s.expect("active", "LPRT", t.String(), "LIST", "ok", nil, "226")
					u := ap(p.srv.Addr(), 50007)
					s.negotiate("LPSV", "228 Entering Long Passive Mode ("+LongArg(u)+")")
					s.passive(u, "RETR README", nil)
					s.expect("passive", "LPSV", u.String(), "RETR", "ok", nil, "226")
					s.f.Quit()
				}
			}),
		mk("port-out-of-range", "PORT 198,51,100,10,256,22 (port byte > 255) refused with 501; the client falls back to PASV.", eth,
			standard(cli1, s21, func(s *sess) {
				s.negotiate("PORT 198,51,100,10,256,22", "501 Illegal PORT command.")
				s.expect("active", "PORT", "", "", "refused", fl("bad-argument", "port-byte-gt-255"), "501")
				s.pasvOK(50008, "LIST")
			})),
		mk("port-refused", "PORT to the client's port 22 refused by the server: 500 Illegal PORT command.", eth,
			standard(cli1, s21, func(s *sess) {
				t := ap(cli1, 22)
				s.negotiate("PORT "+PortArg(t), "500 Illegal PORT command.")
				s.expect("active", "PORT", t.String(), "", "refused", fl("privileged-port"), "500")
			})),
		mk("nat-private-pasv", "227 advertises the private 10.0.0.5 while the control server is 203.0.113.20. First client connects to 203.0.113.20 (ok); second client connects to 10.0.0.5 and its SYNs go unanswered.", eth,
			func(c *Capture, exp *[]ExpectTransfer) {
				s := open(c, exp, cli1, s21, true)
				t := ap(priv, 50009)
				s.negotiate("PASV", pasvReply(t))
				s.passive(ap(srv1, 50009), "LIST", nil)
				s.expect("passive", "PASV", t.String(), "LIST", "ok", fl("connected-elsewhere", "nat-mismatch", "private-address"), "226")
				s.f.Quit()
				c.Advance(2 * time.Second)
				s2 := open(c, exp, cli2, s21, true)
				t2 := ap(priv, 50010)
				s2.negotiate("PASV", pasvReply(t2))
				s2.passive(t2, "LIST", dropped(4))
				s2.expect("passive", "PASV", t2.String(), "LIST", "dropped", fl("nat-mismatch", "private-address"), "4 SYNs", "425")
				s2.f.Quit()
			}),
		mk("active-nat-client", "PORT carries the client's private 10.1.2.3 (client behind NAT, public 198.51.100.10); the server connects to 198.51.100.10.", eth,
			standard(cli1, s21, func(s *sess) {
				t := ap(netip.MustParseAddr("10.1.2.3"), 40003)
				s.negotiate("PORT "+PortArg(t), "200 PORT command successful. Consider using PASV.")
				s.active(ap(srv1, 20), ap(cli1, 40003), "LIST", nil)
				s.expect("active", "PORT", t.String(), "LIST", "ok", fl("connected-elsewhere", "nat-mismatch", "private-address"), "226")
			})),
		mk("bounce", "FTP bounce: PORT to a third host 192.0.2.77 port 25; the server connects there and sends the file (third-party, privileged port).", eth,
			standard(cli1, s21, func(s *sess) {
				t := ap(thrd, 25)
				s.negotiate("PORT "+PortArg(t), "200 PORT command successful. Consider using PASV.")
				s.active(ap(srv1, 20), t, "RETR mail.txt", nil)
				s.expect("active", "PORT", t.String(), "RETR", "ok", fl("nat-mismatch", "privileged-port", "third-party"), "226")
			})),
		mk("active-non20", "Active mode where the server connects from an ephemeral port (vsftpd connect_from_port_20=NO).", eth,
			standard(cli1, s21, func(s *sess) {
				t := ap(cli1, 40004)
				s.negotiate("PORT "+PortArg(t), "200 PORT command successful. Consider using PASV.")
				s.active(ap(srv1, 41234), t, "LIST", nil)
				s.expect("active", "PORT", t.String(), "LIST", "ok", fl("active-source-not-20"), "226")
			})),
		mk("drop-syn", "Active data connection: 7 SYNs from the server over ~8 s, never answered, then 425 Failed to establish connection.", eth,
			standard(cli1, s21, func(s *sess) {
				t := ap(cli1, 40005)
				s.negotiate("PORT "+PortArg(t), "200 PORT command successful. Consider using PASV.")
				gaps := []time.Duration{time.Second, time.Second, time.Second, time.Second, 2 * time.Second, 2 * time.Second}
				s.active(ap(srv1, 20), t, "LIST", func(k *Conn) { k.SynUnanswered(7, gaps...) })
				s.expect("active", "PORT", t.String(), "LIST", "dropped", nil, "7 SYNs", "425")
			})),
		mk("syn-rst", "Data SYN answered by RST from the listener: active (client refuses) then passive (server refuses).", eth,
			standard(cli1, s21, func(s *sess) {
				t := ap(cli1, 40006)
				s.negotiate("PORT "+PortArg(t), "200 PORT command successful. Consider using PASV.")
				s.active(ap(srv1, 20), t, "LIST", reset())
				s.expect("active", "PORT", t.String(), "LIST", "reset", nil, "RST", "425")
				u := ap(srv1, 50011)
				s.negotiate("PASV", pasvReply(u))
				s.passive(u, "LIST", reset())
				s.expect("passive", "PASV", u.String(), "LIST", "reset", nil, "RST", "425")
			})),
		mk("icmp-v4", "Data SYNs answered by ICMPv4: active SYN gets type 3 code 13 (admin prohibited) from router 198.51.100.1 quoting IP+8 bytes; passive SYN gets type 3 code 3 from 203.0.113.1 quoting the whole TCP header.", eth,
			standard(cli1, s21, func(s *sess) {
				t := ap(cli1, 40007)
				s.negotiate("PORT "+PortArg(t), "200 PORT command successful. Consider using PASV.")
				s.active(ap(srv1, 20), t, "LIST", icmp(rtrC, 13, false))
				s.expect("active", "PORT", t.String(), "LIST", "unreachable", nil, "type 3 code 13", "198.51.100.1", "425")
				u := ap(srv1, 50012)
				s.negotiate("PASV", pasvReply(u))
				s.passive(u, "LIST", icmp(rtrS, 3, true))
				s.expect("passive", "PASV", u.String(), "LIST", "unreachable", nil, "type 3 code 3", "203.0.113.1", "425")
			})),
		mk("icmp-v6", "IPv6: EPSV data SYN answered by ICMPv6 type 1 code 1 from 2001:db8:113::1; EPRT data SYN answered by type 1 code 4 from 2001:db8:100::1 (whole TCP header quoted).", eth,
			standard(cli6, s621, func(s *sess) {
				u := ap(srv6, 50013)
				s.negotiate("EPSV", epsvReply(50013))
				s.passive(u, "LIST", icmp(rtS6, 1, false))
				s.expect("passive", "EPSV", u.String(), "LIST", "unreachable", nil, "type 1 code 1", "2001:db8:113::1", "425")
				t := ap(cli6, 40008)
				s.negotiate("EPRT "+ExtArg(t), "200 EPRT command successful. Consider using EPSV.")
				s.active(ap(srv6, 20), t, "LIST", icmp(rtC6, 4, true))
				s.expect("active", "EPRT", t.String(), "LIST", "unreachable", nil, "type 1 code 4", "2001:db8:100::1", "425")
			})),
		mk("syn-before-reply", "The 227 segment is missing from the capture and its retransmission appears after the data connection's SYN/SYN-ACK/ACK.", eth,
			standard(cli1, s21, func(s *sess) {
				t := ap(srv1, 50014)
				s.f.Cmd("PASV")
				segs := s.f.Raw(false, pasvReply(t)+"\r\n", DropFromCapture(0), NoAck())
				k := s.c.Conn(ap(cli1, s.nextEph()), t)
				s.c.Advance(time.Millisecond)
				k.Handshake()
				s.c.Advance(200 * time.Millisecond)
				s.f.Resend(segs...)
				data, t150 := payloadFor("LIST")
				s.f.Cmd("LIST")
				s.f.Reply(t150)
				k.Send(false, data)
				k.CloseFrom(false)
				s.f.Reply("226 Transfer complete.")
				s.expect("passive", "PASV", t.String(), "LIST", "ok", fl("syn-before-reply"), "226")
			})),
		mk("control-retrans-ooo", "Control channel with a retransmitted PORT, a two-segment PASV reply delivered out of order, and a retransmitted 226.", eth,
			standard(cli1, s21, func(s *sess) {
				t := ap(cli1, 40009)
				s.f.Cmd("PORT "+PortArg(t), Retransmit(0))
				s.f.Reply("200 PORT command successful. Consider using PASV.")
				s.active(ap(srv1, 20), t, "LIST", nil)
				s.expect("active", "PORT", t.String(), "LIST", "ok", nil, "226")
				u := ap(srv1, 50015)
				s.f.Cmd("PASV")
				s.f.Raw(false, pasvReply(u)+"\r\n", SplitAt(20), Swap(0, 1))
				s.passive(u, "RETR README", nil)
				s.expect("passive", "PASV", u.String(), "RETR", "ok", nil, "226")
				s.f.Cmd("NOOP")
				s.f.Reply("200 NOOP ok.", Retransmit(0))
			})),
		mk("midstream", "Capture starts after login: no handshake on the control connection; CWD, PASV transfer, EPSV transfer.", eth,
			func(c *Capture, exp *[]ExpectTransfer) {
				s := open(c, exp, cli1, s21, false)
				s.f.Cmd("CWD /pub")
				s.f.Reply("250 Directory successfully changed.")
				s.pasvOK(50016, "LIST")
				s.epsvOK(50017, "RETR release-1.2.tar.gz")
				s.f.Quit()
			}),
		mk("port-2121", "FTP on port 2121 (detected by content): PASV and PORT transfers.", eth,
			standard(cli1, ap(srv2, 2121), func(s *sess) {
				s.pasvOK(50018, "LIST")
				s.portOK(40010, "RETR README")
			})),
		mk("ftps", "AUTH TLS answered 234, then opaque TLS records on the control channel; two passive data connections carrying TLS are seen (negotiation hidden).", eth,
			func(c *Capture, exp *[]ExpectTransfer) {
				s := open(c, exp, cli1, s21, false)
				s.f.Handshake()
				s.f.Reply("220 (vsFTPd 3.0.5)")
				s.f.Cmd("AUTH TLS")
				s.f.Reply("234 Proceeding with negotiation.")
				s.f.Raw(true, string(tlsRecord(c, 0x16, 0x0301, 517)))
				s.f.Raw(false, string(tlsRecord(c, 0x16, 0x0303, 1200)))
				s.f.Raw(true, string(tlsRecord(c, 0x17, 0x0303, 80)))
				for _, port := range []uint16{50019, 50020} {
					s.f.Raw(true, string(tlsRecord(c, 0x17, 0x0303, 30)))
					s.f.Raw(false, string(tlsRecord(c, 0x17, 0x0303, 70)))
					t := ap(srv1, port)
					k := c.Conn(ap(cli1, s.nextEph()), t)
					k.Handshake()
					s.f.Raw(true, string(tlsRecord(c, 0x17, 0x0303, 30)))
					s.f.Raw(false, string(tlsRecord(c, 0x17, 0x0303, 60)))
					k.Send(true, tlsRecord(c, 0x16, 0x0301, 517))
					k.Send(false, tlsRecord(c, 0x16, 0x0303, 1200))
					k.Send(false, tlsRecord(c, 0x17, 0x0303, 400))
					k.CloseFrom(false)
					s.f.Raw(false, string(tlsRecord(c, 0x17, 0x0303, 40)))
					s.expect("passive", "hidden", t.String(), "", "ok", fl("tls"))
				}
				s.f.Raw(true, string(tlsRecord(c, 0x15, 0x0303, 26)))
				s.f.CloseFrom(true)
			}),
		mk("telnet-iac", "Telnet IAC sequences: RETR of a path holding IAC IAC (a literal 0xFF), aborted with IAC IP IAC DM ABOR; 426 then 226.", eth,
			standard(cli1, s21, func(s *sess) {
				t := ap(srv1, 50021)
				s.negotiate("PASV", pasvReply(t))
				k := s.c.Conn(ap(cli1, s.nextEph()), t)
				k.Handshake()
				s.f.Cmd("RETR caf\xff\xffe.bin")
				s.f.Reply("150 Opening BINARY mode data connection for caf\xff\xffe.bin (100000 bytes).")
				k.Send(false, fileBody(2896))
				s.f.Raw(true, "\xff\xf4\xff\xf2ABOR\r\n")
				k.ResetFrom(false)
				s.f.Reply("426 Failure writing network stream.")
				s.f.Reply("226 ABOR successful.")
				s.expect("passive", "PASV", t.String(), "RETR", "ok", nil, "426")
			})),
		mk("lf-only", "Every client command ends with LF only (no CR).", eth,
			func(c *Capture, exp *[]ExpectTransfer) {
				s := open(c, exp, cli1, s21, false)
				s.f.Handshake()
				s.f.Reply("220 (vsFTPd 3.0.5)")
				for _, l := range []string{"USER anonymous", "PASS ftpsniff@example.org"} {
					s.f.Raw(true, l+"\n")
					if strings.HasPrefix(l, "USER") {
						s.f.Reply("331 Please specify the password.")
					} else {
						s.f.Reply("230 Login successful.")
					}
				}
				t := ap(cli1, 40011)
				s.f.Raw(true, "PORT "+PortArg(t)+"\n")
				s.f.Reply("200 PORT command successful. Consider using PASV.")
				data, t150 := payloadFor("LIST")
				s.f.Raw(true, "LIST\n")
				k := c.Conn(ap(srv1, 20), t)
				k.Handshake()
				s.f.Reply(t150)
				k.Send(true, data)
				k.CloseFrom(true)
				s.f.Reply("226 Directory send OK.")
				s.expect("active", "PORT", t.String(), "LIST", "ok", nil, "226")
				s.f.Raw(true, "QUIT\n")
				s.f.Reply("221 Goodbye.")
				s.f.CloseFrom(false)
			}),
		mk("overlong-line", "A 20 KB command line (SITE + 20000 'A') over 14 segments, answered 500, then a normal PASV transfer.", eth,
			standard(cli1, s21, func(s *sess) {
				s.f.Cmd("SITE " + strings.Repeat("A", 20000))
				s.f.Reply("500 Unknown SITE command.")
				s.pasvOK(50022, "LIST")
			})),
		mk("not-attempted", "PASV accepted with 227 but the client never connects and quits.", eth,
			standard(cli1, s21, func(s *sess) {
				t := ap(srv1, 50023)
				s.negotiate("PASV", pasvReply(t))
				s.c.Advance(2 * time.Second)
				s.expect("passive", "PASV", t.String(), "", "not-attempted", nil, "no SYN")
			})),
		mk("snaplen-truncated", "Written with SnapLen 96 (Ethernet): commands fit, longer replies and data payloads are cut.", Options{SnapLen: 96},
			standard(cli1, s21, func(s *sess) {
				s.portOK(40012, "LIST")
				// The 150 reply was cut by the snap length while the
				// transfer was pending.
				s.last().Flags = fl("control-gap")
			})),
		mk("qinq", "Ethernet with 802.1ad outer tag (200) and 802.1Q inner tag (100).", Options{LinkType: LinkQinQ},
			standard(cli1, s21, func(s *sess) { s.pasvOK(50024, "LIST") })),
		mk("sll", "Linux cooked capture v1 (DLT 113).", Options{LinkType: LinkSLL},
			standard(cli1, s21, func(s *sess) { s.portOK(40013, "LIST") })),
		mk("sll2", "Linux cooked capture v2 (DLT 276).", Options{LinkType: LinkSLL2},
			standard(cli1, s21, func(s *sess) { s.epsvOK(50025, "LIST") })),
		mk("raw-ip", "Raw IP link type (DLT 101), no link header.", Options{LinkType: LinkRaw},
			standard(cli1, s21, func(s *sess) { s.eprtOK(40014, "LIST") })),
		mk("null-loopback", "BSD NULL/loopback encapsulation (DLT 0), IPv4 then IPv6 sessions.", Options{LinkType: LinkNull},
			func(c *Capture, exp *[]ExpectTransfer) {
				standard(cli1, s21, func(s *sess) { s.pasvOK(50026, "LIST") })(c, exp)
				standard(cli6, s621, func(s *sess) { s.epsvOK(50027, "LIST") })(c, exp)
			}),
		mk("ipv6", "IPv6 control and data: EPSV and EPRT transfers.", eth,
			standard(cli6, s621, func(s *sess) {
				s.epsvOK(50028, "LIST")
				s.eprtOK(40015, "RETR README")
			})),
		mk("pcap-ns-bigendian", "Big-endian classic pcap with nanosecond timestamps (magic a1b23c4d).", Options{BigEndian: true, Nanosecond: true},
			standard(cli1, s21, func(s *sess) {
				s.portOK(40016, "LIST")
				s.pasvOK(50029, "RETR README")
			})),
		mk("pcapng-2if-ooo", "pcapng with two interfaces (Ethernet control, Linux SLL data); the data connection's frames are written after later control frames, so timestamps go backwards.", Options{Format: FormatPcapNG},
			func(c *Capture, exp *[]ExpectTransfer) {
				data := c.AddInterface(LinkSLL, 0)
				s := open(c, exp, cli1, s21, true)
				t := ap(srv1, 50030)
				s.negotiate("PASV", pasvReply(t))
				s.f.Cmd("LIST")
				back := c.Now()
				s.f.Reply("150 Here comes the directory listing.")
				after := c.Now()
				c.Advance(back.Sub(after) - 2*time.Millisecond)
				c.UseInterface(data)
				k := c.Conn(ap(cli1, s.nextEph()), t)
				k.Handshake()
				k.Send(false, []byte(listing))
				k.CloseFrom(false)
				c.UseInterface(0)
				s.f.Reply("226 Directory send OK.")
				s.expect("passive", "PASV", t.String(), "LIST", "ok", nil, "226")
				s.epsvIf(data, 50031)
				s.f.Quit()
			}),
		mk("gzip", "gzip-compressed pcap: a PASV transfer and an EPSV transfer whose SYNs are dropped.", Options{Gzip: true},
			standard(cli1, s21, func(s *sess) {
				s.pasvOK(50032, "LIST")
				u := ap(srv1, 50033)
				s.negotiate("EPSV", epsvReply(50033))
				s.passive(u, "LIST", dropped(3))
				s.expect("passive", "EPSV", u.String(), "LIST", "dropped", nil, "3 SYNs", "425")
			})),
	}
	for i, c := range cases {
		switch c.Name {
		case "midstream":
			cases[i] = c.withSessions(sx(cli1, s21, "", 2, "midstream"))
		case "port-2121":
			cases[i] = c.withSessions(sx(cli1, ap(srv2, 2121), "", 2))
		case "ftps":
			cases[i] = c.withSessions(sx(cli1, s21, "", 2, "tls"))
		}
	}
	return append(cases, fieldCases()...)
}

// epsvIf is epsvOK with the data connection on another interface.
func (s *sess) epsvIf(iface int, port uint16) {
	t := ap(s.srv.Addr(), port)
	s.negotiate("EPSV", epsvReply(port))
	s.c.UseInterface(iface)
	k := s.c.Conn(ap(s.cli, s.nextEph()), t)
	k.Handshake()
	s.c.UseInterface(0)
	s.f.Cmd("RETR README")
	data, t150 := payloadFor("RETR README")
	s.f.Reply(t150)
	s.c.UseInterface(iface)
	k.Send(false, data)
	k.CloseFrom(false)
	s.c.UseInterface(0)
	s.f.Reply("226 Transfer complete.")
	s.expect("passive", "EPSV", t.String(), "RETR", "ok", nil, "226")
}

// tlsRecord returns a TLS-looking record: content type, version, length
// and pseudo-random bytes.
func tlsRecord(c *Capture, typ byte, version uint16, n int) []byte {
	b := make([]byte, 5+n)
	b[0], b[1], b[2], b[3], b[4] = typ, byte(version>>8), byte(version), byte(n>>8), byte(n)
	c.rng.Read(b[5:])
	return b
}
