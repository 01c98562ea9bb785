package session

import (
	"net/netip"
	"time"

	"github.com/ftpsniff/ftpsniff/session/ftp"
)

// Verdict is the outcome of one negotiated data connection.
type Verdict string

// The verdicts, exactly as they appear in every output.
const (
	// OK: the data connection was established.
	OK Verdict = "ok"
	// Dropped: SYNs were sent and never answered.
	Dropped Verdict = "dropped"
	// Reset: the SYN was answered by a TCP RST.
	Reset Verdict = "reset"
	// Unreachable: an ICMP or ICMPv6 error quoting the SYN came back.
	Unreachable Verdict = "unreachable"
	// NotAttempted: negotiated and accepted, but no SYN was ever seen.
	NotAttempted Verdict = "not-attempted"
	// Refused: the peer refused the negotiation or the data connection.
	Refused Verdict = "refused"
	// Unknown: the capture does not show the outcome.
	Unknown Verdict = "unknown"
)

// Verdicts lists every verdict, failures first, in report order.
var Verdicts = []Verdict{Dropped, Reset, Unreachable, Refused, NotAttempted, Unknown, OK}

// Failed reports whether v is a failure of the data connection.
func (v Verdict) Failed() bool {
	switch v {
	case Dropped, Reset, Unreachable, Refused, NotAttempted:
		return true
	}
	return false
}

// Mode is the FTP data connection mode.
type Mode string

// Data connection modes.
const (
	Active  Mode = "active"  // the server connects to the client (PORT, EPRT, LPRT)
	Passive Mode = "passive" // the client connects to the server (PASV, EPSV, LPSV)
)

// Negotiation names the command that negotiated a data connection.
type Negotiation string

// The negotiations, exactly as they appear in every output.
const (
	PORT Negotiation = "PORT"
	EPRT Negotiation = "EPRT"
	LPRT Negotiation = "LPRT"
	PASV Negotiation = "PASV"
	EPSV Negotiation = "EPSV"
	LPSV Negotiation = "LPSV"
	// Hidden: the control channel was encrypted; only the data
	// connection was seen.
	Hidden Negotiation = "hidden"
)

// Detection says how a control session was recognised.
type Detection string

// How sessions are recognised, exactly as they appear in every output.
const (
	ByPort        Detection = "port"         // port 21 or --ports
	ByContent     Detection = "content"      // what the two sides said
	ByKnownServer Detection = "known-server" // an FTP server endpoint seen before
	ByResume      Detection = "resumed"      // a session that idled out spoke again
)

// CloseReason says how a control session ended.
type CloseReason string

// How sessions end, exactly as they appear in every output.
const (
	ClosedFIN        CloseReason = "fin"         // FIN both ways
	ClosedRST        CloseReason = "rst"         // a RST
	ClosedIdle       CloseReason = "idle"        // no packet for ControlIdle
	ClosedCaptureEnd CloseReason = "capture-end" // the capture ended first
)

// Reply is one FTP reply (all lines of a multi-line reply joined by "\n").
type Reply struct {
	Time time.Time
	Code int
	Text string
}

// DataConn summarises a tracked data connection: its handshake and byte
// counts (data connections are never reassembled).
type DataConn struct {
	// Connector sent the SYN; Listener received it.
	Connector, Listener netip.AddrPort
	SYNs                int
	FirstSYN, LastSYN   time.Time
	// SYNACK is the time of the first SYN-ACK from the listener (zero if none).
	SYNACK time.Time
	// Established is set when the connector acknowledged the SYN-ACK or data flowed.
	Established bool
	// RST describes the first RST seen on the connection, if any.
	RST *RSTInfo
	// ICMP describes an ICMP error quoting the SYN, if any.
	ICMP *ICMPInfo
	// BytesToListener and BytesToConnector count TCP payload bytes.
	BytesToListener, BytesToConnector uint64
	// FirstSeen and LastSeen are the times of the first and the last
	// packet captured on the connection.
	FirstSeen, LastSeen time.Time
	// Closed is set when FIN or RST ended an established connection.
	Closed bool
	// Duplicates counts frames of the connection captured twice (SPAN of
	// both directions, tcpdump -i any on a router), counted once.
	Duplicates int
	// ConnectorTTL and ListenerTTL are the IP TTL (hop limit) of the first
	// non-RST packet seen from each end (0: none seen): what a RST's or an
	// ICMP error's TTL is compared with to place its sender.
	ConnectorTTL, ListenerTTL uint8
}

// RSTInfo describes a RST on a data connection.
type RSTInfo struct {
	Time time.Time
	// FromListener is true when the listener side sent it.
	FromListener bool
	// BeforeEstablished is true when it came before the handshake completed.
	BeforeEstablished bool
	TTL               uint8
}

// ICMPInfo describes an ICMP error quoting a data connection's SYN.
type ICMPInfo struct {
	Time       time.Time
	From       netip.Addr
	V6         bool
	Type, Code uint8
	TTL        uint8
}

// Transfer is one negotiation (PORT, EPRT, LPRT, PASV, EPSV, LPSV) and what
// followed it: the transfer command that used it, its replies, the data
// connection and the verdict.
type Transfer struct {
	ID        uint64
	SessionID uint64
	// Client and Server are the control channel's endpoints.
	Client, Server netip.AddrPort
	Mode           Mode
	// Negotiation is PORT, PASV, EPRT, EPSV, LPRT or LPSV; Hidden when the
	// control channel was encrypted and only the data connection was seen.
	Negotiation Negotiation
	// NegotiationLine is the command line that negotiated (password-free).
	NegotiationLine string
	// NegotiationReply is the reply to the negotiation command, if seen.
	NegotiationReply *Reply
	// Endpoint is the advertised endpoint (invalid when none could be parsed).
	Endpoint netip.AddrPort
	// Time is when the negotiation was made (command or reply time).
	Time time.Time
	// Command is the transfer command that used the negotiation (LIST,
	// NLST, MLSD, RETR, STOR, STOU, APPE), with its argument.
	Command, CommandArg string
	CommandTime         time.Time
	// Replies are the replies to the transfer command (1xx, then final).
	Replies []Reply
	Verdict Verdict
	Reason  string
	// Flags are anomaly and context markers (names in docs/output.md).
	Flags Flags
	// Notes are the parser quirks of the negotiation's line (see ftp.Notes).
	Notes ftp.Notes
	// Data is the data connection that matched, if any.
	Data *DataConn
	// Attempts counts data connections (distinct 4-tuples) matched to this
	// negotiation, including Data.
	Attempts int
	// Decided is the capture time at which the verdict was reached.
	Decided time.Time
	// Wire describes how the line carrying the endpoint (the PORT/EPRT/LPRT
	// command, or the last line of the 227/228/229 reply) sat in the TCP
	// segments: what a firewall's FTP helper, which parses single segments,
	// would have seen. Nil when no such line was seen.
	Wire *WireInfo
}

// WireInfo describes how a control line was segmented.
type WireInfo struct {
	// AtSegmentStart: the line began at the first byte of a segment.
	AtSegmentStart bool
	// OneSegment: the whole line, with its terminator, was in one segment.
	OneSegment bool
	// LFOnly: the line ended with LF without CR.
	LFOnly bool
}

// Session is one FTP control connection.
type Session struct {
	ID             uint64
	Client, Server netip.AddrPort
	Start, End     time.Time
	// Greeting is the server's 220 text; System the 215 reply to SYST;
	// Features the 211 reply to FEAT, one feature a line (without the
	// reply's first and last lines).
	Greeting, System, Features string
	User                       string
	// Password is the PASS argument, masked unless configured otherwise.
	Password string
	// TLS is set when AUTH TLS/SSL was answered by 234.
	TLS bool
	// Gaps counts missing stretches in the control stream; GapBytes their size.
	Gaps     int
	GapBytes int64
	// MidStream is set when the capture started after the TCP handshake.
	MidStream bool
	// DetectedBy says how the session was recognised.
	DetectedBy Detection
	Commands   int
	Replies    int
	// Verdicts counts this session's transfers per verdict.
	Verdicts map[Verdict]int
	// Flags are anomaly markers.
	Flags Flags
	// Anomalies are human-readable notes (bounded), e.g. an overlong line.
	Anomalies []string
	// Closed says how the session ended.
	Closed CloseReason
	// ClientTTLs and ServerTTLs are the distinct IP TTLs (hop limits) of
	// the non-RST control packets from each side (at most MaxTTLs each).
	ClientTTLs, ServerTTLs []uint8
	// Events are the session's control lines (commands and the first line
	// of each reply) with their capture times, when Config.ControlEvents
	// asks for them: the first and the last ControlEvents/2, with
	// EventsOmitted counting those between. PASS arguments are masked
	// unless ShowPasswords.
	Events        []ControlEvent
	EventsOmitted int
	// UnmatchedSYNs are connection attempts between the session's hosts
	// that matched no negotiation (at most MaxUnmatchedSYNs): a data
	// connection to an endpoint nobody advertised, e.g. after a NAT
	// rewrote the advertisement wrongly.
	UnmatchedSYNs []SYNInfo
	// Verdict and Reason are set for a blocked control connection (its SYNs
	// went unanswered, or were answered by RST or ICMP): Dropped, Reset or
	// Unreachable, with the evidence. Empty for a session that got going.
	Verdict Verdict
	Reason  string
	// ControlRST and ControlICMP are the RST and the ICMP error that
	// answered a blocked control connection's SYN, when seen (with the TTL
	// and sender that place the firewall).
	ControlRST  *RSTInfo
	ControlICMP *ICMPInfo
}

// ControlEvent is one control line of a session, as it was on the wire
// (Telnet bytes removed, PASS's argument masked unless ShowPasswords).
type ControlEvent struct {
	Time       time.Time
	FromClient bool
	Line       string
	// Continued says the line continues a multi-line reply.
	Continued bool
	// Seq is the TCP sequence number of the line's first byte; Ack (when
	// HasAck) the acknowledgment number of the segment it began in: where
	// a NAT that rewrites the line must adjust the stream.
	Seq, Ack uint32
	HasAck   bool
	// Endpoint is the endpoint the line announced (a PORT, EPRT or LPRT
	// command, or the last line of a 227/228/229 reply), when valid;
	// EndpointImplicit says a 229 gave only the port (the address is the
	// server's); EndpointBad that the line should have carried one but it
	// could not be parsed.
	Endpoint         netip.AddrPort
	EndpointImplicit bool
	EndpointBad      bool
}

// SYNInfo is one connection attempt: its first SYN's time and endpoints.
type SYNInfo struct {
	Time     time.Time
	Src, Dst netip.AddrPort
}

// MaxUnmatchedSYNs bounds Session.UnmatchedSYNs.
const MaxUnmatchedSYNs = 32

// MaxTTLs bounds the distinct TTLs kept per side of a session.
const MaxTTLs = 4

// addTTL adds ttl to the distinct values in l (bounded by MaxTTLs).
func addTTL(l []uint8, ttl uint8) []uint8 {
	for _, v := range l {
		if v == ttl {
			return l
		}
	}
	if len(l) >= MaxTTLs {
		return l
	}
	return append(l, ttl)
}

// Summary is what a whole run found.
type Summary struct {
	Packets, Bytes uint64
	// Undecoded frames and Truncated frames (snap length).
	Undecoded, Truncated uint64
	// KernelDrops is reported by live sources.
	KernelDrops     uint64
	Sessions        int
	Transfers       int
	Verdicts        map[Verdict]int
	First, Last     time.Time
	InputErrors     []string
	StateLimitDrops uint64
	// Superseded counts the negotiations replaced by a later one before any
	// transfer command used them (counted in Verdicts too).
	Superseded int
	// Blocked counts control connections that never got established
	// (sessions with a Verdict); they are in Sessions too.
	Blocked int
	// Quality says what the capture could not show.
	Quality CaptureQuality
	// Flags are run-wide markers (FlagNoDataConnections, FlagClockJump,
	// FlagDuplicateFrames, FlagOneSided).
	Flags Flags
}

// CaptureQuality measures how complete the capture was.
type CaptureQuality struct {
	// DuplicateFrames counts frames seen twice (SPAN, -i any), not counted again.
	DuplicateFrames uint64
	// OneSidedConns counts data connections of which only one direction
	// was captured; OneSidedPairs the host pairs whose data connections
	// all showed one direction only.
	OneSidedConns, OneSidedPairs int
	// ControlGaps counts missing stretches in control streams, GapBytes their size.
	ControlGaps     int
	ControlGapBytes int64
	// TruncatedFTP counts frames of FTP connections cut short by the snap
	// length (FTP lines or headers lost).
	TruncatedFTP uint64
	// ClockJumps counts timestamps far from their neighbours (ignored for the clock).
	ClockJumps int
	// ClockSkews counts SYN-ACKs and RSTs timestamped before their SYN.
	ClockSkews int
}
