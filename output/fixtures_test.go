package output

import (
	"net/netip"
	"time"

	"github.com/ftpsniff/ftpsniff/session"
	"github.com/ftpsniff/ftpsniff/session/ftp"
)

// run is a sequence of records in decision order, as the tracker emits them.
type run struct {
	transfers map[uint64][]*session.Transfer // by session ID
	sessions  []*session.Session             // in end order
	summary   *session.Summary
}

// feed hands a run to w in decision order: each session's transfers, then
// the session, then Close.
func (r run) feed(w Writer) error {
	for _, s := range r.sessions {
		for _, t := range r.transfers[s.ID] {
			if err := w.Transfer(t); err != nil {
				return err
			}
		}
		if err := w.Session(s); err != nil {
			return err
		}
	}
	return w.Close(r.summary)
}

var t0 = time.Date(2026, 11, 24, 17, 7, 58, 0, time.UTC)

// at returns t0 plus ms milliseconds.
func at(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }

func ap(s string) netip.AddrPort { return netip.MustParseAddrPort(s) }

// sampleRun builds realistic records: an IPv4 session with dropped, reset,
// unreachable, refused and not-attempted transfers, an IPv6 session with a
// passive EPSV transfer that worked, and a TLS session whose negotiation was
// hidden.
func sampleRun() run {
	c4, s4 := ap("198.51.100.10:47520"), ap("203.0.113.20:21")
	c6, s6 := ap("[2001:db8::10]:50112"), ap("[2001:db8::20]:21")
	ct, st := ap("198.51.100.11:40022"), ap("203.0.113.21:21")

	dropped := &session.Transfer{
		ID: 1, SessionID: 1, Client: c4, Server: s4, Mode: session.Active,
		Negotiation: "PORT", NegotiationLine: "PORT 198,51,100,10,201,135",
		NegotiationReply: &session.Reply{Time: at(2212), Code: 200, Text: "200 PORT command successful. Consider using PASV."},
		Endpoint:         ap("198.51.100.10:51591"), Time: at(2200),
		Command: "LIST", CommandTime: at(2300),
		Replies: []session.Reply{
			{Time: at(2310), Code: 150, Text: "150 Here comes the directory listing."},
			{Time: at(10400), Code: 425, Text: "425 Failed to establish connection."},
		},
		Verdict: session.Dropped, Reason: "7 SYNs over 8.0 s, no SYN-ACK; server replied 425",
		Flags: session.FlagsOf(),
		Data: &session.DataConn{
			Connector: ap("203.0.113.20:20"), Listener: ap("198.51.100.10:51591"),
			SYNs: 7, FirstSYN: at(2315), LastSYN: at(10315), LastSeen: at(10315),
		},
		Attempts: 1, Decided: at(10400),
	}
	reset := &session.Transfer{
		ID: 2, SessionID: 1, Client: c4, Server: s4, Mode: session.Active,
		Negotiation: "PORT", NegotiationLine: "PORT 198,51,100,10,201,140",
		NegotiationReply: &session.Reply{Time: at(11012), Code: 200, Text: "200 PORT command successful. Consider using PASV."},
		Endpoint:         ap("198.51.100.10:51596"), Time: at(11000),
		Command: "RETR", CommandArg: "my file\x1b[31m.txt", CommandTime: at(11100),
		Replies: []session.Reply{
			{Time: at(11110), Code: 425, Text: "425 Failed to establish connection."},
		},
		Verdict: session.Reset, Reason: "SYN answered by RST from the listener after 0.3 ms; server replied 425",
		Flags: session.FlagsOf(), Notes: ftp.NoteCmdLowercase,
		Data: &session.DataConn{
			Connector: ap("203.0.113.20:20"), Listener: ap("198.51.100.10:51596"),
			SYNs: 1, FirstSYN: at(11105), LastSYN: at(11105), LastSeen: at(11105),
			RST: &session.RSTInfo{Time: at(11105), FromListener: true, BeforeEstablished: true, TTL: 250},
		},
		Attempts: 1, Decided: at(11110),
	}
	unreachable := &session.Transfer{
		ID: 3, SessionID: 1, Client: c4, Server: s4, Mode: session.Active,
		Negotiation: "EPRT", NegotiationLine: "EPRT |1|198.51.100.10|51600|",
		NegotiationReply: &session.Reply{Time: at(12010), Code: 200, Text: "200 EPRT command successful. Consider using EPSV."},
		Endpoint:         ap("198.51.100.10:51600"), Time: at(12000),
		Command: "NLST", CommandTime: at(12100),
		Replies: []session.Reply{
			{Time: at(12130), Code: 425, Text: "425 Failed to establish connection."},
		},
		Verdict: session.Unreachable,
		Reason:  "ICMP destination unreachable (administratively prohibited) from 192.0.2.1 quoting the SYN",
		Flags:   session.FlagsOf(),
		Data: &session.DataConn{
			Connector: ap("203.0.113.20:20"), Listener: ap("198.51.100.10:51600"),
			SYNs: 1, FirstSYN: at(12105), LastSYN: at(12105), LastSeen: at(12106),
			ICMP: &session.ICMPInfo{Time: at(12106), From: netip.MustParseAddr("192.0.2.1"), Type: 3, Code: 13, TTL: 254},
		},
		Attempts: 1, Decided: at(12130),
	}
	refused := &session.Transfer{
		ID: 4, SessionID: 1, Client: c4, Server: s4, Mode: session.Active,
		Negotiation: "PORT", NegotiationLine: "PORT 10,0,0,5,17,1",
		NegotiationReply: &session.Reply{Time: at(13010), Code: 500, Text: "500 Illegal PORT command."},
		Endpoint:         ap("10.0.0.5:4353"), Time: at(13000),
		Replies: []session.Reply{},
		Verdict: session.Refused, Reason: "server replied 500 to PORT",
		Flags:    session.FlagsOf(session.FlagNATMismatch, session.FlagPrivateAddress),
		Attempts: 0, Decided: at(13010),
	}
	notAttempted := &session.Transfer{
		ID: 5, SessionID: 1, Client: c4, Server: s4, Mode: session.Passive,
		Negotiation: "PASV", NegotiationLine: "PASV",
		NegotiationReply: &session.Reply{Time: at(14010), Code: 227, Text: "227 Entering Passive Mode 203,0,113,20,195,80"},
		Endpoint:         ap("203.0.113.20:50000"), Time: at(14000),
		Command: "RETR", CommandArg: "pub/README", CommandTime: at(14050),
		Replies: []session.Reply{
			{Time: at(24060), Code: 425, Text: "425 Failed to establish connection."},
		},
		Verdict: session.NotAttempted, Reason: "no SYN to 203.0.113.20:50000 seen in 10.0 s; server replied 425",
		Flags: session.FlagsOf(), Notes: ftp.Note227NoParens,
		Attempts: 0, Decided: at(24060),
	}
	s1 := &session.Session{
		ID: 1, Client: c4, Server: s4, Start: at(0), End: at(25500),
		Greeting: "(vsFTPd 3.0.3)", System: "UNIX Type: L8", User: "anonymous", Password: "********",
		DetectedBy: "port", Commands: 14, Replies: 16,
		Verdicts: map[session.Verdict]int{session.Dropped: 1, session.Reset: 1, session.Unreachable: 1,
			session.Refused: 1, session.NotAttempted: 1},
		Flags: session.FlagsOf(), Anomalies: []string{}, Closed: session.ClosedFIN,
	}

	epsv := &session.Transfer{
		ID: 6, SessionID: 2, Client: c6, Server: s6, Mode: session.Passive,
		Negotiation: "EPSV", NegotiationLine: "EPSV",
		NegotiationReply: &session.Reply{Time: at(3050), Code: 229, Text: "229 Entering Extended Passive Mode (|||50001|)"},
		Endpoint:         ap("[2001:db8::20]:50001"), Time: at(3040),
		Command: "RETR", CommandArg: "pub/ubuntu-26.04-live-server-amd64.iso", CommandTime: at(3100),
		Replies: []session.Reply{
			{Time: at(3120), Code: 150, Text: "150 Opening BINARY mode data connection for pub/ubuntu-26.04-live-server-amd64.iso (2147483648 bytes)."},
			{Time: at(9800), Code: 226, Text: "226 Transfer complete."},
		},
		Verdict: session.OK, Reason: "established; 2147483648 bytes to client",
		Flags: session.FlagsOf(),
		Data: &session.DataConn{
			Connector: ap("[2001:db8::10]:38402"), Listener: ap("[2001:db8::20]:50001"),
			SYNs: 1, FirstSYN: at(3105), LastSYN: at(3105), SYNACK: at(3106), Established: true,
			BytesToConnector: 2147483648, BytesToListener: 0, LastSeen: at(9790), Closed: true,
		},
		Attempts: 1, Decided: at(9800),
	}
	s2 := &session.Session{
		ID: 2, Client: c6, Server: s6, Start: at(1000), End: at(30000),
		Greeting: "ProFTPD Server (Debian) [2001:db8::20]\nWelcome to the mirror.", User: "ftp", Password: "********",
		DetectedBy: "port", Commands: 9, Replies: 10,
		Verdicts:  map[session.Verdict]int{session.OK: 1},
		Anomalies: []string{"overlong reply line (1200 bytes)"},
		Closed:    session.ClosedIdle,
	}

	hidden := &session.Transfer{
		ID: 7, SessionID: 3, Client: ct, Server: st, Mode: session.Passive,
		Negotiation: "hidden", Endpoint: ap("203.0.113.21:40001"), Time: at(5000),
		Verdict: session.OK, Reason: "data connection seen; control channel encrypted",
		Flags: session.FlagsOf(session.FlagTLS),
		Data: &session.DataConn{
			Connector: ap("198.51.100.11:40100"), Listener: ap("203.0.113.21:40001"),
			SYNs: 2, FirstSYN: at(4900), LastSYN: at(5900), SYNACK: at(5901), Established: true,
			BytesToConnector: 1234, BytesToListener: 0, LastSeen: at(6000), Closed: true,
		},
		Attempts: 1, Decided: at(6000),
	}
	s3 := &session.Session{
		ID: 3, Client: ct, Server: st, Start: at(500), End: at(61000),
		Greeting: "FileZilla Server 1.8.0", TLS: true, Gaps: 1, GapBytes: 1448, MidStream: true,
		DetectedBy: "content", Commands: 2, Replies: 3,
		Verdicts: map[session.Verdict]int{session.OK: 1},
		Flags:    session.FlagsOf(session.FlagTLS), Closed: session.ClosedCaptureEnd,
	}

	return run{
		transfers: map[uint64][]*session.Transfer{
			1: {dropped, reset, unreachable, refused, notAttempted},
			2: {epsv},
			3: {hidden},
		},
		sessions: []*session.Session{s1, s2, s3},
		summary: &session.Summary{
			Packets: 1843211, Bytes: 2151234567, Truncated: 2,
			Sessions: 3, Transfers: 7,
			Verdicts: map[session.Verdict]int{session.Dropped: 1, session.Reset: 1, session.Unreachable: 1,
				session.Refused: 1, session.NotAttempted: 1, session.OK: 2},
			First: at(0), Last: at(61000),
			InputErrors: []string{"capture.pcap: unexpected EOF after packet 1843211"},
		},
	}
}

// emptyRun is a run that saw no FTP at all.
func emptyRun() run {
	return run{summary: &session.Summary{Packets: 10, Bytes: 1500, Verdicts: map[session.Verdict]int{}}}
}

// multiDayRun is a run crossing midnight UTC.
func multiDayRun() run {
	r := sampleRun()
	s := *r.summary
	s.Last = time.Date(2026, 11, 25, 0, 10, 0, 0, time.UTC)
	r.summary = &s
	return r
}
