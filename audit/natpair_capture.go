package audit

import (
	"errors"
	"fmt"
	"io"
	"net/netip"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/ftpsniff/ftpsniff/decode"
	"github.com/ftpsniff/ftpsniff/session/ftp"
)

// natMaxLine caps a reassembled control line; longer runs are cut.
const natMaxLine = 4096

// natMaxSegs caps the segments kept per control-connection direction, so a
// hostile capture cannot make the NAT-pair reader hold unbounded memory.
const natMaxSegs = 1 << 16

// NATSide is one capture of a NAT pair reduced to what the comparison
// needs: the FTP control connections with their reassembled lines (each
// with the TCP sequence and acknowledgement numbers of the segment it
// started in) and the SYNs of every TCP connection attempt.
type NATSide struct {
	// File names the capture.
	File string
	// Conns are the control connections in order of their first packet.
	Conns []*NATConn
	// SYNs are the connection attempts (SYN without ACK), in capture order.
	SYNs []NATSYN
	// Damaged lists read errors after which part of the capture was lost.
	Damaged []error
}

// NATConn is one FTP control connection seen in a capture.
type NATConn struct {
	Client, Server netip.AddrPort
	// First is the time of its first packet.
	First time.Time
	// Lines are the reassembled lines of both directions in time order.
	Lines []NATLine

	segs [2][]natSeg
	isn  [2]uint32
	syn  [2]bool
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
	key    string
}

// NATSYN is one TCP connection attempt.
type NATSYN struct {
	Time     time.Time
	Src, Dst netip.AddrPort
}

type natSeg struct {
	t      time.Time
	seq    uint32
	ack    uint32
	hasAck bool
	data   []byte
}

type natConnKey struct{ client, server netip.AddrPort }

// ReadNATSide reads a whole capture for the NAT-pair comparison. Control
// connections are TCP connections with one port in controlPorts (21 when
// empty). Damaged input is recorded in NATSide.Damaged and reading goes on;
// only an error that is not an *decode.InputError is returned.
func ReadNATSide(name string, src decode.Source, controlPorts []uint16) (*NATSide, error) {
	if len(controlPorts) == 0 {
		controlPorts = []uint16{21}
	}
	side := &NATSide{File: name}
	conns := map[natConnKey]*NATConn{}
	var p decode.Packet
	for {
		p.Reset()
		err := src.Next(&p)
		if err == io.EOF {
			break
		}
		if err != nil {
			var ie *decode.InputError
			if errors.As(err, &ie) {
				side.Damaged = append(side.Damaged, err)
				continue
			}
			return side, fmt.Errorf("reading %s: %w", name, err)
		}
		if !p.HasTCP || !p.Src.IsValid() || !p.Dst.IsValid() {
			continue
		}
		src := netip.AddrPortFrom(p.Src, p.TCP.SrcPort)
		dst := netip.AddrPortFrom(p.Dst, p.TCP.DstPort)
		fl := p.TCP.Flags
		if fl.Has(decode.SYN) && !fl.Has(decode.ACK) && len(side.SYNs) < natMaxSegs*4 {
			side.SYNs = append(side.SYNs, NATSYN{Time: p.Time, Src: src, Dst: dst})
		}
		var key natConnKey
		var dir int
		switch {
		case slices.Contains(controlPorts, dst.Port()):
			key, dir = natConnKey{src, dst}, 0
		case slices.Contains(controlPorts, src.Port()):
			key, dir = natConnKey{dst, src}, 1
		default:
			continue
		}
		c := conns[key]
		if c == nil {
			c = &NATConn{Client: key.client, Server: key.server, First: p.Time}
			conns[key] = c
			side.Conns = append(side.Conns, c)
		}
		if fl.Has(decode.SYN) {
			c.isn[dir], c.syn[dir] = p.TCP.Seq+1, true
		}
		if len(p.Payload) == 0 || fl.Has(decode.RST) || len(c.segs[dir]) >= natMaxSegs {
			continue
		}
		c.segs[dir] = append(c.segs[dir], natSeg{t: p.Time, seq: p.TCP.Seq, ack: p.TCP.Ack,
			hasAck: fl.Has(decode.ACK), data: slices.Clone(p.Payload)})
	}
	for _, c := range side.Conns {
		c.assemble()
	}
	return side, nil
}

// assemble reassembles both directions into lines (duplicates and
// overlaps dropped, holes end the line in progress) and merges them by
// time.
func (c *NATConn) assemble() {
	for dir := range 2 {
		c.Lines = append(c.Lines, c.dirLines(dir)...)
		c.segs[dir] = nil
	}
	sort.SliceStable(c.Lines, func(i, j int) bool { return c.Lines[i].Time.Before(c.Lines[j].Time) })
}

func (c *NATConn) dirLines(dir int) []NATLine {
	segs := c.segs[dir]
	if len(segs) == 0 {
		return nil
	}
	base := segs[0].seq
	if c.syn[dir] {
		base = c.isn[dir]
	} else {
		for _, s := range segs {
			if int32(s.seq-base) < 0 {
				base = s.seq
			}
		}
	}
	rel := func(seq uint32) int64 { return int64(int32(seq - base)) }
	order := make([]int, len(segs))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(i, j int) bool { return rel(segs[order[i]].seq) < rel(segs[order[j]].seq) })

	var (
		out   []NATLine
		buf   []byte
		start natLineStart
		next  int64
		begun bool
	)
	emit := func() {
		text := strings.TrimRight(string(buf), "\r\n")
		if text != "" {
			out = append(out, c.newLine(dir == 0, text, start))
		}
		buf = buf[:0]
	}
	for _, i := range order {
		s := segs[i]
		off := rel(s.seq)
		data := s.data
		if begun {
			if off+int64(len(data)) <= next {
				continue // retransmission
			}
			if off < next {
				data = data[next-off:]
				off = next
			}
			if off > next && len(buf) > 0 {
				emit() // hole: the line in progress is incomplete
			}
		}
		begun = true
		for k, b := range data {
			if len(buf) == 0 {
				start = natLineStart{t: s.t, seq: base + uint32(off+int64(k)), ack: s.ack, hasAck: s.hasAck}
			}
			buf = append(buf, b)
			if b == '\n' || len(buf) >= natMaxLine {
				emit()
			}
		}
		next = off + int64(len(data))
	}
	if len(buf) > 0 {
		emit()
	}
	return out
}

type natLineStart struct {
	t      time.Time
	seq    uint32
	ack    uint32
	hasAck bool
}

func (c *NATConn) newLine(fromClient bool, text string, st natLineStart) NATLine {
	l := NATLine{FromClient: fromClient, Text: text, Time: st.t, Seq: st.seq, Ack: st.ack, HasAck: st.hasAck}
	l.key = natKey(fromClient, text)
	return l
}

// natKey is the line's identity for matching across the NAT: the text, but
// only the verb or code of the lines a NAT helper rewrites.
func natKey(fromClient bool, text string) string {
	if fromClient {
		cmd, ok := ftp.ParseCommand([]byte(text))
		if !ok {
			return "C?" + text
		}
		switch cmd.Verb {
		case "PORT", "EPRT":
			return "C:" + cmd.Verb
		}
		return "C:" + cmd.Verb + " " + cmd.Arg
	}
	if code := natCode(text); code == "227" || code == "229" {
		return "S:" + code
	}
	return "S:" + text
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

// ReadNATFile opens and reads one capture file (pcap, pcapng, gzip) with
// ReadNATSide.
func ReadNATFile(name string, controlPorts []uint16) (*NATSide, error) {
	src, err := decode.OpenFiles([]string{name})
	if err != nil {
		return nil, fmt.Errorf("opening %s: %w", name, err)
	}
	defer src.Close()
	return ReadNATSide(name, src, controlPorts)
}
