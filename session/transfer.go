package session

import (
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ftpsniff/ftpsniff/session/ftp"
)

// transfer is the live state behind a Transfer record.
type transfer struct {
	rec Transfer
	s   *session

	awaitingReply bool // PASV/EPSV/LPSV sent, reply not parsed yet
	accepted      bool // the server accepted the negotiation (2xx)
	refusedBy     *Reply
	used          bool // a transfer command used it
	final         *Reply
	finalAt       time.Time
	superseded    bool
	sessionEnded  bool
	indexed       bool
	settled       bool
	// dirty says x or one of its connections changed since it was last
	// decided; wake is when time alone may decide it (see decide).
	dirty   bool
	wake    int64
	hasWake bool // an entry for wake was pushed to Tracker.wakes

	conn  *dataConn   // the connection the verdict is about
	conns []*dataConn // every connection matched

	// Storage the record points into, to spare allocations: the data
	// connection's record as decided, the first replies, the first conns.
	data     DataConn
	negReply Reply    // what NegotiationReply points to
	wire     WireInfo // what Wire points to
	refReply Reply    // what refusedBy points to
	replyBuf [2]Reply
	connBuf  [1]*dataConn
}

func (x *transfer) flag(f Flag) { x.rec.Flags.Add(f) }

// newTransfer registers a negotiation in session s.
func (s *session) newTransfer(mode Mode, neg Negotiation, line string, now time.Time) *transfer {
	t := s.t
	if len(s.transfers) >= t.cfg.MaxTransfersPerSession {
		// Decided negotiations no longer count against the cap.
		s.transfers = slices.DeleteFunc(s.transfers, func(x *transfer) bool { return x.settled })
	}
	if len(s.transfers) >= t.cfg.MaxTransfersPerSession {
		if !s.rec.Flags.Has(FlagTransferCap) {
			s.anomaly("more than %d undecided negotiations: later ones are not tracked", t.cfg.MaxTransfersPerSession)
		}
		s.flag(FlagTransferCap)
		t.sum.StateLimitDrops++
		return nil
	}
	// A new negotiation replaces one that was never used.
	if c := s.current; c != nil && !c.settled && !c.used {
		c.superseded = true
		c.touch()
	}
	t.nextXfer++
	x := &transfer{
		s: s,
		rec: Transfer{
			ID:              t.nextXfer,
			SessionID:       s.rec.ID,
			Client:          s.key.src,
			Server:          s.key.dst,
			Mode:            mode,
			Negotiation:     neg,
			NegotiationLine: clip(line, 200),
			Time:            now,
		},
	}
	if s.rec.TLS {
		x.flag(FlagTLS)
	}
	x.rec.Replies = x.replyBuf[:0]
	x.conns = x.connBuf[:0]
	s.transfers = append(s.transfers, x)
	s.current = x
	t.open = append(t.open, x)
	x.touch()
	t.sum.Transfers++
	return x
}

// negotiate handles PORT, EPRT, LPRT, PASV, EPSV and LPSV commands.
func (s *session) negotiate(cmd ftp.Command, now time.Time, wire WireInfo) *transfer {
	line := cmd.Verb
	if cmd.Arg != "" {
		line += " " + cmd.Arg
	}
	switch cmd.Verb {
	case "PASV", "EPSV", "LPSV":
		x := s.newTransfer(Passive, Negotiation(cmd.Verb), line, now)
		if x != nil {
			x.awaitingReply = true
		}
		return x
	}
	x := s.newTransfer(Active, Negotiation(cmd.Verb), line, now)
	if x == nil {
		return nil
	}
	var ep netip.AddrPort
	var notes ftp.Notes
	var err error
	switch cmd.Verb {
	case "PORT":
		ep, notes, err = ftp.ParsePORT(cmd.Arg)
	case "EPRT":
		ep, notes, err = ftp.ParseEPRT(cmd.Arg)
	case "LPRT":
		ep, notes, err = ftp.ParseLPRT(cmd.Arg)
	}
	x.rec.Notes |= notes
	if err != nil {
		x.flag(FlagBadArgument)
		s.flag(FlagBadArgument)
		s.anomaly("%s: %v", cmd.Verb, err)
		s.markEndpoint(true, netip.AddrPort{}, false, true)
		return x
	}
	s.markEndpoint(true, ep, false, false)
	x.wire = wire
	x.rec.Wire = &x.wire
	x.setEndpoint(ep)
	return x
}

// setEndpoint records the advertised endpoint, classifies it and starts
// matching data connections to it.
func (x *transfer) setEndpoint(ep netip.AddrPort) {
	x.rec.Endpoint = ep
	x.touch()
	s := x.s
	peer := s.key.src.Addr() // who should have been advertised
	if x.rec.Mode == Passive {
		peer = s.key.dst.Addr()
	}
	adv := ep.Addr().Unmap()
	if adv != peer.Unmap() {
		x.flag(FlagNATMismatch)
		switch c := Classify(adv); {
		case c.NonPublic():
			x.flag(FlagPrivateAddress)
		default:
			x.flag(FlagThirdParty)
		}
	}
	if ep.Port() < 1024 {
		x.flag(FlagPrivilegedPort)
	}
	t := s.t
	t.expect.add(x)
	t.claimUnclaimed(x)
}

// activeReply handles the reply to PORT, EPRT or LPRT.
func (x *transfer) activeReply(r Reply) {
	x.touch()
	x.negReply = r
	x.rec.NegotiationReply = &x.negReply
	switch {
	case r.Code >= 200 && r.Code < 300:
		x.accepted = true
	case r.Code >= 400:
		x.refReply = r
		x.refusedBy = &x.refReply
	}
}

// passiveReply handles the reply to PASV, EPSV or LPSV (x is nil when the
// command was not seen).
func (s *session) passiveReply(x *transfer, r ftp.Reply, rep Reply, wire WireInfo) {
	if x == nil {
		if r.Code < 200 || r.Code >= 300 {
			return
		}
		neg := map[int]Negotiation{227: PASV, 228: LPSV, 229: EPSV}[r.Code]
		x = s.newTransfer(Passive, neg, "", rep.Time)
		if x == nil {
			return
		}
		x.flag(FlagCommandNotSeen)
	}
	x.awaitingReply = false
	x.touch()
	x.negReply = rep
	x.rec.NegotiationReply = &x.negReply
	if r.Code >= 400 {
		x.refReply = rep
		x.refusedBy = &x.refReply
		return
	}
	if r.Code < 200 || r.Code >= 300 {
		return
	}
	x.accepted = true
	text := r.Text()
	var ep netip.AddrPort
	var notes ftp.Notes
	var err error
	implicit := false
	switch r.Code {
	case 227:
		ep, notes, err = ftp.Parse227(text)
		if x.rec.Negotiation == EPSV {
			x.flag(Flag227ForEPSV)
		}
	case 229:
		var port uint16
		var addr netip.Addr
		port, addr, notes, err = ftp.Parse229(text)
		if err == nil {
			if !addr.IsValid() {
				implicit = true
				addr = s.key.dst.Addr()
			}
			ep = netip.AddrPortFrom(addr, port)
		}
		if x.rec.Negotiation == PASV {
			x.flag(Flag229ForPASV)
		}
	case 228:
		ep, notes, err = ftp.Parse228(text)
	default:
		x.flag(FlagUnexpectedReply)
		return
	}
	if r.Multiline {
		x.flag(FlagMultilineReply)
	}
	x.rec.Notes |= notes
	x.wire = wire
	x.rec.Wire = &x.wire
	if err != nil {
		x.flag(FlagBadReply)
		s.flag(FlagBadReply)
		s.anomaly("%d reply: %v", r.Code, err)
		s.markEndpoint(false, netip.AddrPort{}, false, true)
		return
	}
	s.markEndpoint(false, ep, implicit, false)
	x.setEndpoint(ep)
}

// useNegotiation ties a transfer command to the latest unused negotiation.
func (s *session) useNegotiation(cmd ftp.Command, now time.Time) *transfer {
	x := s.current
	if x == nil || x.used || x.settled {
		if !s.rec.TLS {
			s.flag(FlagTransferWithoutNegotiation)
		}
		return nil
	}
	x.used = true
	x.touch()
	x.rec.Command = cmd.Verb
	x.rec.CommandArg = clip(cmd.Arg, 256)
	x.rec.CommandTime = now
	s.current = nil
	return x
}

// transferReply records a reply to the transfer command; final says it
// ends the command.
func (x *transfer) transferReply(r Reply, final bool) {
	x.touch()
	if len(x.rec.Replies) < 8 {
		x.rec.Replies = append(x.rec.Replies, r)
	}
	if final && x.final == nil {
		x.final = &x.rec.Replies[len(x.rec.Replies)-1]
		x.finalAt = r.Time
	}
}

// replyNote renders a reply for a reason, e.g. "server replied 425 Failed
// to establish connection."
func replyNote(r *Reply) string {
	if r == nil {
		return ""
	}
	return string(appendReplyNote(nil, r))
}

// appendReplyNote appends replyNote(r) (r not nil) to b.
func appendReplyNote(b []byte, r *Reply) []byte {
	txt := r.Text
	if i := strings.IndexByte(txt, '\n'); i >= 0 {
		txt = txt[:i]
	}
	if len(txt) > 4 && txt[3] == ' ' || len(txt) > 4 && txt[3] == '-' {
		txt = txt[4:]
	}
	b = append(b, "server replied "...)
	b = strconv.AppendInt(b, int64(r.Code), 10)
	b = append(b, ' ')
	return append(b, clip(strings.TrimSpace(txt), 80)...)
}
