package audit

import (
	"fmt"
	"net/netip"
	"sort"
	"strings"
	"time"

	"github.com/ftpsniff/ftpsniff/session"
)

// The input of the NAT-pair comparison is built from the session records of
// each capture, as the tracker made them (its control-channel reassembly,
// Telnet handling, TLS and content detection included): the control lines
// of every session with where they sat in the TCP stream and the endpoint
// they announced (session.Session.Events), and the connection attempts
// (data connections' first SYNs, and SYNs between the session's hosts
// that matched no negotiation). Memory is bounded by NATCollector's
// MaxLines.

// NATSide is one capture of a NAT pair reduced to what the comparison
// needs: the FTP control connections with their lines, and the SYNs of the
// connection attempts.
type NATSide struct {
	// File names the capture.
	File string
	// Conns are the control connections in order of their start.
	Conns []*NATConn
	// SYNs are the connection attempts, in time order.
	SYNs []NATSYN
	// Damaged lists read errors after which part of the capture was lost.
	Damaged []error
	// Notes say what the comparison leaves out (sessions beyond the
	// memory bound).
	Notes []string
}

// NATConn is one FTP control connection seen in a capture.
type NATConn struct {
	Client, Server netip.AddrPort
	// First is the time the connection was first seen.
	First time.Time
	// Lines are the lines of both directions in time order.
	Lines []NATLine
}

// NATLine is one control line with where it sits in the TCP stream.
type NATLine struct {
	FromClient bool
	Text       string
	Time       time.Time
	// Seq is the sequence number of the line's first byte; Ack (valid when
	// HasAck) is the acknowledgement number of the segment it started in.
	Seq    uint32
	Ack    uint32
	HasAck bool
	// Endpoint, Implicit and Bad: what the tracker parsed of a negotiation
	// line (see session.ControlEvent).
	Endpoint netip.AddrPort
	Implicit bool
	Bad      bool
	key      string
}

// NATSYN is one TCP connection attempt.
type NATSYN struct {
	Time     time.Time
	Src, Dst netip.AddrPort
}

// NATLinesPerSession is how many control lines per session the tracker
// keeps for the comparison (session.Config.ControlEvents): the first and
// the last half.
const NATLinesPerSession = 4096

// DefaultNATMaxLines bounds the lines a NATCollector keeps in all.
const DefaultNATMaxLines = 1 << 20

// NATCollector gathers one capture's side of a NAT pair from its records
// (it has the methods of output.Writer).
type NATCollector struct {
	// MaxLines bounds the lines kept over all sessions; the sessions beyond
	// it are left out and counted (0: DefaultNATMaxLines).
	MaxLines int
	side     NATSide
	lines    int
	skipped  int
}

// NewNATCollector returns a collector for the capture named file.
func NewNATCollector(file string) *NATCollector {
	return &NATCollector{side: NATSide{File: file}}
}

// Transfer keeps the first SYN of the transfer's data connection.
func (c *NATCollector) Transfer(t *session.Transfer) error {
	if d := t.Data; d != nil && d.SYNs > 0 {
		c.side.SYNs = append(c.side.SYNs, NATSYN{Time: d.FirstSYN, Src: d.Connector, Dst: d.Listener})
	}
	return nil
}

// Session keeps the session's control lines and its unmatched SYNs.
func (c *NATCollector) Session(s *session.Session) error {
	for _, y := range s.UnmatchedSYNs {
		c.side.SYNs = append(c.side.SYNs, NATSYN{Time: y.Time, Src: y.Src, Dst: y.Dst})
	}
	if s.Verdict != "" || len(s.Events) == 0 {
		return nil
	}
	if c.lines+len(s.Events) > c.maxLines() {
		c.skipped++
		return nil
	}
	c.lines += len(s.Events)
	conn := &NATConn{Client: s.Client, Server: s.Server, First: s.Start}
	for _, e := range s.Events {
		l := NATLine{FromClient: e.FromClient, Text: e.Line, Time: e.Time, Seq: e.Seq, Ack: e.Ack, HasAck: e.HasAck,
			Endpoint: e.Endpoint, Implicit: e.EndpointImplicit, Bad: e.EndpointBad}
		l.key = natKey(l.FromClient, l.Text)
		conn.Lines = append(conn.Lines, l)
	}
	sort.SliceStable(conn.Lines, func(i, j int) bool { return conn.Lines[i].Time.Before(conn.Lines[j].Time) })
	c.side.Conns = append(c.side.Conns, conn)
	return nil
}

// maxLines is MaxLines or its default.
func (c *NATCollector) maxLines() int {
	if c.MaxLines <= 0 {
		return DefaultNATMaxLines
	}
	return c.MaxLines
}

// Close notes the run's input errors.
func (c *NATCollector) Close(sum *session.Summary) error {
	for _, e := range sum.InputErrors {
		c.side.Damaged = append(c.side.Damaged, fmt.Errorf("%s", e))
	}
	return nil
}

// Side returns the gathered side, its connections by start time and its
// SYNs by time.
func (c *NATCollector) Side() *NATSide {
	s := &c.side
	if c.skipped > 0 {
		s.Notes = append(s.Notes, fmt.Sprintf("%s: %d control sessions left out of the comparison (more than %d control lines in all)", s.File, c.skipped, c.maxLines()))
		c.skipped = 0
	}
	sort.SliceStable(s.Conns, func(i, j int) bool { return s.Conns[i].First.Before(s.Conns[j].First) })
	sort.SliceStable(s.SYNs, func(i, j int) bool { return s.SYNs[i].Time.Before(s.SYNs[j].Time) })
	return s
}

// natKey is the line's identity for matching across the NAT: the text, but
// only the verb or code of the lines a NAT helper rewrites.
func natKey(fromClient bool, text string) string {
	if fromClient {
		verb, arg, _ := strings.Cut(strings.TrimLeft(text, " \t"), " ")
		if !isVerb(verb) {
			return "C?" + text
		}
		verb = strings.ToUpper(verb)
		switch verb {
		case "PORT", "EPRT":
			return "C:" + verb
		}
		return "C:" + verb + " " + strings.TrimSpace(arg)
	}
	if code := natCode(text); code == "227" || code == "229" {
		return "S:" + code
	}
	return "S:" + text
}

// isVerb reports whether v looks like an FTP command verb (3 or 4 letters).
func isVerb(v string) bool {
	if len(v) < 3 || len(v) > 4 {
		return false
	}
	for i := 0; i < len(v); i++ {
		if c := v[i] | 0x20; c < 'a' || c > 'z' {
			return false
		}
	}
	return true
}

// natCode returns the reply code a line starts with, or "".
func natCode(text string) string {
	if len(text) < 3 {
		return ""
	}
	for i := range 3 {
		if text[i] < '0' || text[i] > '9' {
			return ""
		}
	}
	if len(text) > 3 && text[3] != ' ' && text[3] != '-' {
		return ""
	}
	return text[:3]
}
