package session

import (
	"fmt"
	"net/netip"
	"time"

	"github.com/ftpsniff/ftpsniff/decode"
	"github.com/ftpsniff/ftpsniff/session/ftp"
)

// maxAnomalies bounds the human-readable notes kept per session.
const maxAnomalies = 20

// session is one FTP control connection being followed.
type session struct {
	t   *Tracker
	key flowKey // client -> server
	rec Session

	lastSeen time.Time
	closedAt time.Time
	closeHow CloseReason
	finFrom  [2]bool // [fromClient, fromServer]
	ended    bool

	// conv follows the commands and replies (see conversation.go).
	conv      conversation
	transfers []*transfer // every transfer, in negotiation order
	current   *transfer   // latest negotiation not yet used by a transfer command

	// stream reassembles the two directions [client, server].
	stream reassembler
	// idle places a live session in Tracker.idle, by a time at or
	// before which it cannot have been idle for ControlIdle.
	idle    heapSlot
	isn     uint32 // the client's SYN sequence number, if synSeen
	synSeen bool

	// Handshake evidence, for a control connection that may never get
	// established (see blocked.go).
	syns              int
	firstSYN, lastSYN time.Time
	answered          bool     // a SYN-ACK, or any packet but SYN and RST
	rst               *RSTInfo // a RST from the server before that
	icmp              *ICMPInfo
	dup               dupFilter
	// lastClientData is when the client last sent control bytes (see
	// fitsHiddenData).
	lastClientData time.Time
	resumed        bool // picked up again after idling (not mid-stream)
	// events keeps the control lines when Config.ControlEvents asks.
	events *lineLog
}

func (t *Tracker) makeSession(k flowKey, now time.Time, how Detection) *session {
	t.nextSession++
	s := &session{
		t:        t,
		key:      k,
		idle:     heapSlot{idx: -1},
		lastSeen: now,
	}
	s.idle.owner = s
	s.stream = reassembler{out: s, pool: &t.segs}
	s.conv = newConversation(s, t.cfg.MaxLine, t.cfg.MaxPendingCommands, t.interned.intern, t.cfg.ControlEvents > 0)
	s.rec = Session{
		ID:         t.nextSession,
		Client:     k.src,
		Server:     k.dst,
		Start:      now,
		End:        now,
		DetectedBy: how,
		Verdicts:   make(map[Verdict]int),
	}
	return s
}

func (s *session) flag(f Flag) { s.rec.Flags.Add(f) }

func (s *session) anomaly(format string, args ...any) {
	if len(s.rec.Anomalies) < maxAnomalies {
		s.rec.Anomalies = append(s.rec.Anomalies, fmt.Sprintf(format, args...))
	}
}

// finishRecord fills the derived fields of the session record.
func (s *session) finishRecord() {
	s.rec.Replies = s.conv.nReplies
	if s.events != nil {
		s.rec.Events, s.rec.EventsOmitted = s.events.events()
		s.events = nil
	}
}

// control feeds a control-channel packet; fromClient says its direction.
func (t *Tracker) control(s *session, p *decode.Packet, fromClient bool) {
	dir := uint8(1)
	if fromClient {
		dir = 0
	}
	if s.dup.seen(p, dir) {
		t.sum.Quality.DuplicateFrames++
		t.sum.Flags.Add(FlagDuplicateFrames)
		s.flag(FlagDuplicateFrames)
		return
	}
	if p.Time.After(s.lastSeen) {
		s.lastSeen = p.Time // s.rec.End follows lastSeen (see endSession)
	}
	fl := p.TCP.Flags
	t.handshake(s, p, fromClient)
	if fromClient && fl.Has(decode.SYN) && !fl.Has(decode.ACK) {
		s.isn, s.synSeen = p.TCP.Seq, true
	}
	if fromClient && len(p.Payload) > 0 {
		s.lastClientData = p.Time
	}
	if !fl.Has(decode.RST) && p.TTL != 0 {
		if fromClient {
			s.rec.ClientTTLs = addTTL(s.rec.ClientTTLs, p.TTL)
		} else {
			s.rec.ServerTTLs = addTTL(s.rec.ServerTTLs, p.TTL)
		}
	}
	if fl.Has(decode.RST) {
		s.flag(FlagControlReset)
		if s.closedAt.IsZero() {
			s.closedAt, s.closeHow = p.Time, ClosedRST
			t.noteClosed(s)
		}
	}
	if fl.Has(decode.FIN) {
		if fromClient {
			s.finFrom[0] = true
			s.conv.clientClosed = true
		} else {
			s.finFrom[1] = true
		}
		if s.finFrom[0] && s.finFrom[1] && s.closedAt.IsZero() {
			s.closedAt, s.closeHow = p.Time, ClosedFIN
			t.noteClosed(s)
		}
	}
	if p.Fragment {
		s.flag(FlagIPFragments)
		return
	}
	if p.Truncated && len(p.Payload) > 0 {
		s.flag(FlagSnaplenTruncated)
		t.sum.Quality.TruncatedFTP++
	}
	if fl.Has(decode.ACK) {
		s.stream.acked(dirIndex(!fromClient), p.TCP.Ack)
	}
	if len(p.Payload) > 0 || fl.Has(decode.SYN) {
		ack := segAck{n: p.TCP.Ack, ok: fl.Has(decode.ACK)}
		mid := s.stream.segment(dirIndex(fromClient), p.TCP.Seq, ack, p.Payload, fl.Has(decode.SYN), p.Time)
		if mid && !s.synSeen && !s.resumed {
			// The capture began after the handshake (not merely a
			// SYN-ACK lost or merged out of order).
			s.rec.MidStream = true
			s.flag(FlagMidStream)
		}
	}
}

// dirIndex is the index of a direction in per-direction arrays: 0 for the
// client's, 1 for the server's.
func dirIndex(fromClient bool) int {
	if fromClient {
		return 0
	}
	return 1
}

// streamData takes reassembled control bytes (the reassembler's consumer).
func (s *session) streamData(dir int, b []byte, at time.Time, seq uint32, ack segAck) {
	s.conv.feed(dir == 0, b, at, seq, ack)
}

// streamGap takes a hole in the control stream (the reassembler's consumer).
func (s *session) streamGap(dir int, n int) { s.gap(dir == 0, n) }

// gap records missing bytes in one direction of the control channel.
func (s *session) gap(fromClient bool, n int) {
	s.rec.Gaps++
	s.rec.GapBytes += int64(n)
	s.t.sum.Quality.ControlGaps++
	s.t.sum.Quality.ControlGapBytes += int64(n)
	s.flag(FlagControlGap)
	s.conv.gap(fromClient)
	// A negotiation may have been lost: say so on the open ones.
	for _, x := range s.transfers {
		if !x.settled {
			x.flag(FlagControlGap)
		}
	}
}

// The session is the conversation's convHandler: the events below.

func (s *session) lineQuirks(f ftp.LineFlags, client bool) {
	side := "server"
	if client {
		side = "client"
	}
	if f&ftp.FlagOverlong != 0 {
		s.flag(FlagOverlongLine)
		s.anomaly("%s line longer than %d bytes (truncated)", side, s.t.cfg.MaxLine)
	}
	if f&ftp.FlagTelnet != 0 {
		s.flag(FlagTelnetIAC)
	}
	if f&ftp.FlagLFOnly != 0 {
		s.flag(FlagLFOnly)
	}
	if f&ftp.FlagPartial != 0 {
		s.flag(FlagPartialLine)
	}
}

func (s *session) invalidCommand(line []byte) {
	s.flag(FlagInvalidCommand)
	s.anomaly("not an FTP command: %q", clip(string(line), 60))
}

func (s *session) invalidReply(err error) {
	s.flag(FlagInvalidReply)
	s.anomaly("invalid reply line: %v", err)
}

func (s *session) brokenMultiline() { s.flag(FlagBrokenMultiline) }

func (s *session) command(cmd ftp.Command) {
	s.rec.Commands++
	switch cmd.Verb {
	case "USER":
		if s.rec.User == "" {
			s.rec.User = clip(cmd.Arg, 128)
		}
	case "PASS":
		if s.t.cfg.ShowPasswords {
			s.rec.Password = clip(cmd.Arg, 128)
		} else {
			s.rec.Password = "****"
		}
	}
}

func (s *session) controlLine(fromClient bool, line []byte, pos linePos, cont bool) {
	n := s.t.cfg.ControlEvents
	if n <= 0 {
		return
	}
	if s.events == nil {
		s.events = newLineLog(n)
	}
	if len(line) > 200 {
		line = line[:200]
	}
	if fromClient && len(line) > 5 && asciiPrefixFold(line, "PASS") && line[4] == ' ' && !s.t.cfg.ShowPasswords {
		line = []byte("PASS ****")
	}
	m := lineMeta{at: pos.at.UnixNano(), seq: pos.seq, ack: pos.ack.n}
	if fromClient {
		m.flags |= lineFromClient
	}
	if cont {
		m.flags |= lineContinued
	}
	if pos.ack.ok {
		m.flags |= lineHasAck
	}
	s.events.add(dirIndex(fromClient), m, line)
}

// markEndpoint notes on the last control line of one direction the
// endpoint it announced (or that it could not be parsed).
func (s *session) markEndpoint(fromClient bool, ep netip.AddrPort, implicit, bad bool) {
	if s.events == nil {
		return
	}
	s.events.mark(dirIndex(fromClient), ep, implicit, bad)
}

func (s *session) tooManyPending() { s.flag(FlagTooManyPendingCommands) }

func (s *session) greeting(text string) { s.rec.Greeting = text }

func (s *session) system(text string) { s.rec.System = text }

func (s *session) features(text string) { s.rec.Features = text }

func (s *session) activeReply(x *transfer, r Reply) { x.activeReply(r) }

func (s *session) transferReply(x *transfer, r Reply, final bool) { x.transferReply(r, final) }

func (s *session) unsolicitedReply(r ftp.Reply, afterGoodbye, pending bool) {
	switch {
	case afterGoodbye:
		if !pending {
			s.flag(FlagUnsolicitedReply)
		}
		s.anomaly("%d reply after the client closed: %q", r.Code, clip(firstLineText(r), 60))
	case r.Code != 421:
		s.flag(FlagUnsolicitedReply)
	}
}

func (s *session) lostReplies() { s.flag(FlagLostReplies) }

func (s *session) cleartextAgain() { s.flag(FlagCCC) }

// startTLS marks the session encrypted: from here on the control bytes are
// TLS records, and data connections between the two hosts are reported
// without their (invisible) negotiations.
func (s *session) tlsStarted() {
	s.rec.TLS = true
	s.flag(FlagTLS)
	for _, x := range s.transfers {
		if !x.settled {
			x.flag(FlagTLS)
		}
	}
}

// pairKey identifies the two hosts of a connection, in either direction.
func pairKey(a, b netip.Addr) [2]netip.Addr {
	if b.Less(a) {
		a, b = b, a
	}
	return [2]netip.Addr{a, b}
}

// addPair indexes a live session by its two hosts.
func (t *Tracker) addPair(s *session) {
	k := pairKey(s.key.src.Addr(), s.key.dst.Addr())
	t.pairs[k] = append(t.pairs[k], s)
}

// dropPair removes an ended session from the host-pair index.
func (t *Tracker) dropPair(s *session) {
	k := pairKey(s.key.src.Addr(), s.key.dst.Addr())
	l := t.pairs[k]
	for i, o := range l {
		if o == s {
			l = append(l[:i], l[i+1:]...)
			break
		}
	}
	if len(l) == 0 {
		delete(t.pairs, k)
	} else {
		t.pairs[k] = l
	}
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
