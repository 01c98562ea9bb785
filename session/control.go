package session

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/ftpsniff/ftpsniff/decode"
	"github.com/ftpsniff/ftpsniff/session/ftp"
)

// maxAnomalies bounds the human-readable notes kept per session.
const maxAnomalies = 20

// pendingCmd is a command waiting for its final reply.
type pendingCmd struct {
	verb, arg string
	time      time.Time
	xfer      *transfer // negotiation or transfer command it belongs to
	isXferCmd bool      // LIST, RETR, ... (x is the negotiation it used)
}

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

	split    [2]*ftp.LineSplitter // [client, server]
	replies  ftp.ReplyAssembler
	tls      [2]tlsSkipper
	lineTime time.Time // capture time of the data being parsed
	lineWire WireInfo  // how the line being parsed sat in its segment
	// carryAtStart says, per direction, that the partial line the splitter
	// holds began at the start of a segment.
	carryAtStart [2]bool

	pending   []pendingCmd
	transfers []*transfer // every transfer, in negotiation order
	current   *transfer   // latest negotiation not yet used by a transfer command
	authSent  bool        // AUTH TLS/SSL waiting for 234
	greeted   bool

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
	// fitsHiddenData); quitSent says the client sent QUIT.
	lastClientData time.Time
	quitSent       bool
	resumed        bool // picked up again after idling (not mid-stream)
}

func (t *Tracker) makeSession(k flowKey, now time.Time, how string) *session {
	t.nextSession++
	s := &session{
		t:        t,
		key:      k,
		idle:     heapSlot{idx: -1},
		lastSeen: now,
		split:    [2]*ftp.LineSplitter{ftp.NewLineSplitter(t.cfg.MaxLine), ftp.NewLineSplitter(t.cfg.MaxLine)},
	}
	s.idle.owner = s
	s.stream = reassembler{out: s, pool: &t.segs}
	s.replies.Intern = t.interned.intern
	s.replies.ReuseLines = true // replies' Lines are not kept (see reply)
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
		mid := s.stream.segment(dirIndex(fromClient), p.TCP.Seq, p.Payload, fl.Has(decode.SYN), p.Time)
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
func (s *session) streamData(dir int, b []byte, at time.Time) {
	s.lineTime = at
	s.feed(dir == 0, b)
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
	d := dirIndex(fromClient)
	s.split[d].Gap()
	if !fromClient {
		s.replies.Reset()
	}
	// A negotiation may have been lost: say so on the open ones.
	for _, x := range s.transfers {
		if !x.settled {
			x.flag(FlagControlGap)
		}
	}
}

// feed parses reassembled control bytes.
func (s *session) feed(fromClient bool, data []byte) {
	d := dirIndex(fromClient)
	if s.rec.TLS {
		data = s.tls[d].skip(data)
		if data == nil {
			return
		}
		// Clear text again after TLS (CCC): parse from here on.
		s.flag(FlagCCC)
		s.tls[d].clear = true
	}
	// Bytes are fed one segment at a time: the first line of a segment
	// starts where the line carried over from earlier segments started (if
	// any), later lines start inside the segment.
	carried := s.split[d].Buffered() > 0
	startAt := !carried || s.carryAtStart[d]
	first := true
	s.split[d].Feed(data, func(line []byte, f ftp.LineFlags) {
		s.lineWire = WireInfo{AtSegmentStart: first && startAt, OneSegment: !(first && carried), LFOnly: f&ftp.FlagLFOnly != 0}
		first = false
		if fromClient {
			s.clientLine(line, f)
		} else {
			s.serverLine(line, f)
		}
	})
	s.carryAtStart[d] = first && startAt
}

// flushLines hands over half lines left at the end of the stream.
func (s *session) flushLines() {
	s.split[0].Flush(func(line []byte, f ftp.LineFlags) { s.clientLine(line, f) })
	s.split[1].Flush(func(line []byte, f ftp.LineFlags) { s.serverLine(line, f) })
}

func (s *session) lineFlags(f ftp.LineFlags, client bool) {
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

// clientLine handles one command line.
func (s *session) clientLine(line []byte, f ftp.LineFlags) {
	s.lineFlags(f, true)
	if len(line) == 0 {
		return
	}
	cmd, ok := ftp.ParseCommand(line)
	if !ok {
		s.flag(FlagInvalidCommand)
		s.anomaly("not an FTP command: %q", clip(string(line), 60))
		return
	}
	s.rec.Commands++
	now := s.lineTime
	pc := pendingCmd{verb: cmd.Verb, arg: cmd.Arg, time: now}
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
		pc.arg = ""
	case "QUIT":
		s.quitSent = true
	case "AUTH":
		a := strings.ToUpper(strings.TrimSpace(cmd.Arg))
		if strings.HasPrefix(a, "TLS") || strings.HasPrefix(a, "SSL") {
			s.authSent = true
		}
	case "PORT", "EPRT", "LPRT", "PASV", "EPSV", "LPSV":
		if cmd.Verb == "EPSV" && strings.EqualFold(strings.TrimSpace(cmd.Arg), "ALL") {
			break
		}
		pc.xfer = s.negotiate(cmd, now)
	case "LIST", "NLST", "MLSD", "RETR", "STOR", "STOU", "APPE":
		pc.isXferCmd = true
		pc.xfer = s.useNegotiation(cmd, now)
	}
	if len(s.pending) >= s.t.cfg.MaxPendingCommands {
		s.flag(FlagTooManyPendingCommands)
		s.dropPending(1)
	}
	s.pending = append(s.pending, pc)
}

// serverLine handles one reply line.
func (s *session) serverLine(line []byte, f ftp.LineFlags) {
	s.lineFlags(f, false)
	r, done, err := s.replies.Line(line)
	if err != nil {
		if len(line) == 0 {
			return
		}
		s.flag(FlagInvalidReply)
		s.anomaly("invalid reply line: %v", err)
		return
	}
	if !done {
		return
	}
	if r.Broken {
		s.flag(FlagBrokenMultiline)
	}
	s.reply(r)
}

// reply pairs a complete reply with the oldest pending command.
func (s *session) reply(r ftp.Reply) {
	s.rec.Replies++
	now := s.lineTime
	text := r.Text()
	rep := Reply{Time: now, Code: r.Code, Text: clip(text, 512)}
	if r.Code == 220 && !s.greeted && s.rec.Replies == 1 {
		// The greeting, also when a pipelining client sent USER before it.
		s.greeted = true
		s.rec.Greeting = clip(firstLineText(r), 200)
		return
	}
	if (r.Code == 227 || r.Code == 229 || r.Code == 228) && (s.finFrom[0] || s.quitSent) {
		// After the client said goodbye: not a negotiation.
		if len(s.pending) == 0 {
			s.flag(FlagUnsolicitedReply)
		}
		s.anomaly("%d reply after the client closed: %q", r.Code, clip(firstLineText(r), 60))
		return
	}
	if len(s.pending) == 0 {
		if r.Code == 227 || r.Code == 229 || r.Code == 228 {
			// A passive reply whose command was not seen (mid-stream or gap).
			s.passiveReply(nil, r, rep)
			return
		}
		if r.Code != 421 {
			s.flag(FlagUnsolicitedReply)
		}
		return
	}
	s.skipUnanswered(r.Code)
	pc := &s.pending[0]
	prelim := r.Code >= 100 && r.Code < 200
	switch {
	case pc.isXferCmd:
		if pc.xfer != nil {
			pc.xfer.transferReply(rep, !prelim)
		}
	case pc.verb == "PORT" || pc.verb == "EPRT" || pc.verb == "LPRT":
		if pc.xfer != nil {
			pc.xfer.activeReply(rep)
		}
	case pc.verb == "PASV" || pc.verb == "EPSV" || pc.verb == "LPSV":
		if pc.xfer != nil || r.Code == 227 || r.Code == 228 || r.Code == 229 {
			// (EPSV ALL has no transfer: its 200 creates none.)
			s.passiveReply(pc.xfer, r, rep)
		}
	case pc.verb == "SYST" && r.Code == 215:
		s.rec.System = clip(firstLineText(r), 200)
	case pc.verb == "AUTH" && r.Code == 234 && s.authSent:
		s.startTLS()
	}
	if !prelim {
		s.dropPending(1)
	}
}

// replyVerbs lists, for reply codes that only answer particular commands,
// which ones. It lets pairing recover when replies were lost in a gap.
var replyVerbs = map[int][]string{
	221: {"QUIT", "REIN"},
	227: {"PASV", "EPSV"},
	228: {"LPSV"},
	229: {"EPSV", "PASV"},
	215: {"SYST"},
	331: {"USER"},
	332: {"USER", "PASS"},
	234: {"AUTH"},
	257: {"PWD", "XPWD", "MKD", "XMKD"},
	150: {"LIST", "NLST", "MLSD", "RETR", "STOR", "STOU", "APPE"},
	125: {"LIST", "NLST", "MLSD", "RETR", "STOR", "STOU", "APPE"},
}

// dropPending removes the n oldest pending commands, keeping the slice's
// storage for the next ones (usually one or two are pending).
func (s *session) dropPending(n int) {
	m := copy(s.pending, s.pending[n:])
	clear(s.pending[m:])
	s.pending = s.pending[:m]
}

// skipUnanswered drops pending commands whose replies were evidently lost:
// when the reply's code cannot answer the oldest pending command but can
// answer a later one, the commands before that one are skipped.
func (s *session) skipUnanswered(code int) {
	verbs := replyVerbs[code]
	if verbs == nil || slices.Contains(verbs, s.pending[0].verb) {
		return
	}
	for i := 1; i < len(s.pending); i++ {
		if slices.Contains(verbs, s.pending[i].verb) {
			if s.rec.Gaps > 0 {
				// Replies lost in a capture gap; without one, the server
				// simply did not answer the commands skipped.
				s.flag(FlagLostReplies)
			}
			s.dropPending(i)
			return
		}
	}
}

// firstLineText is the text of a reply's first line without its code.
func firstLineText(r ftp.Reply) string {
	if len(r.Lines) == 0 {
		return ""
	}
	l := r.Lines[0]
	if len(l) >= 4 {
		l = l[4:]
	} else {
		l = ""
	}
	return strings.TrimSpace(l)
}

// startTLS marks the session encrypted: from here on the control bytes are
// TLS records, and data connections between the two hosts are reported
// without their (invisible) negotiations.
func (s *session) startTLS() {
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

// tlsSkipper walks TLS record headers in one direction of an encrypted
// control channel, to notice when clear text resumes (CCC).
type tlsSkipper struct {
	hdr   [5]byte
	nhdr  int
	left  int // bytes of the current record body still to skip
	clear bool
}

// skip consumes TLS records from b and returns the clear-text remainder, or
// nil while the bytes are still TLS.
func (k *tlsSkipper) skip(b []byte) []byte {
	if k.clear {
		return b
	}
	for len(b) > 0 {
		if k.left > 0 {
			n := min(k.left, len(b))
			k.left -= n
			b = b[n:]
			continue
		}
		k.hdr[k.nhdr] = b[0]
		if k.nhdr == 0 && (b[0] < 20 || b[0] > 24) {
			return b // not a TLS record type: clear text
		}
		if k.nhdr == 1 && b[0] != 3 {
			// Clear text after all; its first byte (taken for a record
			// type, perhaps in an earlier segment) belongs to it.
			k.nhdr = 0
			return append([]byte{k.hdr[0]}, b...)
		}
		k.nhdr++
		b = b[1:]
		if k.nhdr == 5 {
			k.nhdr = 0
			k.left = int(k.hdr[3])<<8 | int(k.hdr[4])
		}
	}
	return nil
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
