package session

import (
	"slices"
	"strings"
	"time"

	"github.com/ftpsniff/ftpsniff/session/ftp"
)

// The FTP conversation. A control connection's reassembled bytes are split
// into lines, lines into commands (client) and replies (server, multi-line
// replies assembled), and replies paired with the commands they answer
// (RFC 959: in order; 1xx replies are preliminary). The conversation knows
// the protocol and nothing of transfers' verdicts: it reports what happens
// as typed events to its convHandler (the session), which returns an
// opaque handle (*transfer) for each negotiation or transfer command, and
// gets the replies to that handle back.

// convHandler receives the events of an FTP conversation.
type convHandler interface {
	// lineQuirks reports the oddities of a line (overlong, Telnet IAC, LF
	// only, partial).
	lineQuirks(f ftp.LineFlags, client bool)
	// invalidCommand and invalidReply report lines that are not FTP.
	invalidCommand(line []byte)
	invalidReply(err error)
	brokenMultiline()
	// command reports every command; negotiate reports PORT, EPRT, LPRT,
	// PASV, EPSV and LPSV (not EPSV ALL) and useNegotiation the transfer
	// commands (LIST, RETR, STOR, ...), each returning its handle (nil
	// when untracked).
	command(cmd ftp.Command)
	// controlLine reports every line, with its capture time and where its
	// first byte sat in the TCP stream; cont says it continues a
	// multi-line reply.
	controlLine(fromClient bool, line []byte, pos linePos, cont bool)
	negotiate(cmd ftp.Command, at time.Time, wire WireInfo) *transfer
	useNegotiation(cmd ftp.Command, at time.Time) *transfer
	tooManyPending()
	// greeting, system, features: the 220 greeting, the 215 reply to SYST
	// and the features the 211 reply to FEAT lists.
	greeting(text string)
	system(text string)
	features(text string)
	// activeReply, passiveReply and transferReply are the replies to
	// negotiations and transfer commands (x is nil for a passive reply
	// whose command was not seen); final says the reply ends the command.
	activeReply(x *transfer, r Reply)
	passiveReply(x *transfer, r ftp.Reply, rep Reply, wire WireInfo)
	transferReply(x *transfer, r Reply, final bool)
	// unsolicitedReply reports a reply no command asked for; afterGoodbye a
	// passive reply after the client's QUIT or FIN (with its command
	// pending or not).
	unsolicitedReply(r ftp.Reply, afterGoodbye, pending bool)
	lostReplies()
	// tlsStarted: AUTH TLS/SSL was accepted (234); cleartextAgain: clear
	// text resumed after TLS (CCC).
	tlsStarted()
	cleartextAgain()
}

// linePos is where a control line sat: its capture time, the TCP sequence
// number of its first byte and the acknowledgment of the segment it began
// in.
type linePos struct {
	at  time.Time
	seq uint32
	ack segAck
}

// pendingCmd is a command waiting for its final reply.
type pendingCmd struct {
	verb, arg string
	time      time.Time
	xfer      *transfer // negotiation or transfer command it belongs to
	isXferCmd bool      // LIST, RETR, ... (xfer is the negotiation it used)
}

// conversation follows one FTP control connection's commands and replies.
type conversation struct {
	h          convHandler
	maxPending int
	wantLines  bool // report every line (controlLine)

	split   [2]*ftp.LineSplitter // [client, server]
	replies ftp.ReplyAssembler
	tls     [2]tlsSkipper
	tlsOn   bool
	// carryAtStart says, per direction, that the partial line the splitter
	// holds began at the start of a segment.
	carryAtStart [2]bool
	lineTime     time.Time // capture time of the data being parsed
	lineWire     WireInfo  // how the line being parsed sat in its segment
	linePos      linePos   // where the line being parsed began
	// carryPos is where the partial line each direction holds began.
	carryPos  [2]linePos
	replyOpen bool // a multi-line reply is being assembled

	pending      []pendingCmd
	nReplies     int
	greeted      bool
	authSent     bool // AUTH TLS/SSL waiting for 234
	quitSent     bool
	clientClosed bool // the client sent FIN
	hadGap       bool // the stream had a gap (replies may be lost)
}

// newConversation returns a conversation reporting to h.
func newConversation(h convHandler, maxLine, maxPending int, intern func([]byte) string, wantLines bool) conversation {
	c := conversation{h: h, maxPending: maxPending, wantLines: wantLines,
		split: [2]*ftp.LineSplitter{ftp.NewLineSplitter(maxLine), ftp.NewLineSplitter(maxLine)}}
	c.replies.Intern = intern
	c.replies.ReuseLines = true // replies' Lines are not kept (see reply)
	return c
}

// feed parses reassembled control bytes of one direction, which became
// available at capture time at.
func (c *conversation) feed(fromClient bool, data []byte, at time.Time, seq uint32, ack segAck) {
	c.lineTime = at
	d := dirIndex(fromClient)
	if c.tlsOn {
		n := len(data)
		data = c.tls[d].skip(data)
		if data == nil {
			return
		}
		seq += uint32(n - len(data))
		// Clear text again after TLS (CCC): parse from here on.
		c.h.cleartextAgain()
		c.tls[d].clear = true
	}
	// Bytes are fed one segment at a time: the first line of a segment
	// starts where the line carried over from earlier segments started (if
	// any), later lines start inside the segment.
	carried := c.split[d].Buffered() > 0
	startAt := !carried || c.carryAtStart[d]
	first := true
	pos := 0 // raw offset in data where the next line begins
	c.split[d].Feed(data, func(line []byte, f ftp.LineFlags) {
		c.lineWire = WireInfo{AtSegmentStart: first && startAt, OneSegment: !(first && carried), LFOnly: f&ftp.FlagLFOnly != 0}
		if first && carried {
			c.linePos = c.carryPos[d]
		} else {
			c.linePos = linePos{at: at, seq: seq + uint32(pos), ack: ack}
		}
		pos = c.split[d].LineEnd()
		first = false
		if fromClient {
			c.clientLine(line, f)
		} else {
			c.serverLine(line, f)
		}
	})
	c.carryAtStart[d] = first && startAt
	if pos < len(data) && !(first && carried) {
		c.carryPos[d] = linePos{at: at, seq: seq + uint32(pos), ack: ack}
	}
}

// gap tells the conversation that bytes of one direction were lost.
func (c *conversation) gap(fromClient bool) {
	c.split[dirIndex(fromClient)].Gap()
	c.hadGap = true
	if !fromClient {
		c.replies.Reset()
	}
}

// flush hands over half lines left at the end of the stream.
func (c *conversation) flush() {
	c.linePos = c.carryPos[0]
	c.split[0].Flush(func(line []byte, f ftp.LineFlags) { c.clientLine(line, f) })
	c.linePos = c.carryPos[1]
	c.split[1].Flush(func(line []byte, f ftp.LineFlags) { c.serverLine(line, f) })
}

// clientLine handles one command line.
func (c *conversation) clientLine(line []byte, f ftp.LineFlags) {
	if f != 0 {
		c.h.lineQuirks(f, true)
	}
	if len(line) == 0 {
		return
	}
	if c.wantLines {
		c.h.controlLine(true, line, c.linePos, false)
	}
	cmd, ok := ftp.ParseCommand(line)
	if !ok {
		c.h.invalidCommand(line)
		return
	}
	c.h.command(cmd)
	now := c.lineTime
	pc := pendingCmd{verb: cmd.Verb, arg: cmd.Arg, time: now}
	switch cmd.Verb {
	case "PASS":
		pc.arg = ""
	case "QUIT":
		c.quitSent = true
	case "AUTH":
		a := strings.ToUpper(strings.TrimSpace(cmd.Arg))
		if strings.HasPrefix(a, "TLS") || strings.HasPrefix(a, "SSL") {
			c.authSent = true
		}
	case "PORT", "EPRT", "LPRT", "PASV", "EPSV", "LPSV":
		if cmd.Verb == "EPSV" && strings.EqualFold(strings.TrimSpace(cmd.Arg), "ALL") {
			break
		}
		pc.xfer = c.h.negotiate(cmd, now, c.lineWire)
	case "LIST", "NLST", "MLSD", "RETR", "STOR", "STOU", "APPE":
		pc.isXferCmd = true
		pc.xfer = c.h.useNegotiation(cmd, now)
	}
	if len(c.pending) >= c.maxPending {
		c.h.tooManyPending()
		c.dropPending(1)
	}
	c.pending = append(c.pending, pc)
}

// serverLine handles one reply line.
func (c *conversation) serverLine(line []byte, f ftp.LineFlags) {
	if f != 0 {
		c.h.lineQuirks(f, false)
	}
	if len(line) > 0 && c.wantLines {
		c.h.controlLine(false, line, c.linePos, c.replyOpen)
	}
	r, done, err := c.replies.Line(line)
	c.replyOpen = err == nil && !done
	if err != nil {
		if len(line) > 0 {
			c.h.invalidReply(err)
		}
		return
	}
	if !done {
		return
	}
	if r.Broken {
		c.h.brokenMultiline()
	}
	c.reply(r)
}

// isPassiveCode reports whether code answers a passive negotiation.
func isPassiveCode(code int) bool { return code == 227 || code == 228 || code == 229 }

// reply pairs a complete reply with the oldest pending command.
func (c *conversation) reply(r ftp.Reply) {
	c.nReplies++
	now := c.lineTime
	rep := Reply{Time: now, Code: r.Code, Text: clip(r.Text(), 512)}
	if r.Code == 220 && !c.greeted && c.nReplies == 1 {
		// The greeting, also when a pipelining client sent USER before it.
		c.greeted = true
		c.h.greeting(clip(firstLineText(r), 200))
		return
	}
	if isPassiveCode(r.Code) && (c.clientClosed || c.quitSent) {
		// After the client said goodbye: not a negotiation.
		c.h.unsolicitedReply(r, true, len(c.pending) > 0)
		return
	}
	if len(c.pending) == 0 {
		if isPassiveCode(r.Code) {
			// A passive reply whose command was not seen (mid-stream or gap).
			c.h.passiveReply(nil, r, rep, c.lineWire)
			return
		}
		c.h.unsolicitedReply(r, false, false)
		return
	}
	c.skipUnanswered(r.Code)
	pc := &c.pending[0]
	prelim := r.Code >= 100 && r.Code < 200
	switch {
	case pc.isXferCmd:
		if pc.xfer != nil {
			c.h.transferReply(pc.xfer, rep, !prelim)
		}
	case pc.verb == "PORT" || pc.verb == "EPRT" || pc.verb == "LPRT":
		if pc.xfer != nil {
			c.h.activeReply(pc.xfer, rep)
		}
	case pc.verb == "PASV" || pc.verb == "EPSV" || pc.verb == "LPSV":
		if pc.xfer != nil || isPassiveCode(r.Code) {
			// (EPSV ALL has no transfer: its 200 creates none.)
			c.h.passiveReply(pc.xfer, r, rep, c.lineWire)
		}
	case pc.verb == "SYST" && r.Code == 215:
		c.h.system(clip(firstLineText(r), 200))
	case pc.verb == "FEAT" && r.Code == 211 && len(r.Lines) > 2:
		var b strings.Builder
		for _, l := range r.Lines[1 : len(r.Lines)-1] {
			b.WriteString(strings.TrimSpace(l))
			b.WriteByte('\n')
		}
		c.h.features(clip(strings.TrimSuffix(b.String(), "\n"), 1024))
	case pc.verb == "AUTH" && r.Code == 234 && c.authSent:
		c.tlsOn = true
		c.h.tlsStarted()
	}
	if !prelim {
		c.dropPending(1)
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
func (c *conversation) dropPending(n int) {
	m := copy(c.pending, c.pending[n:])
	clear(c.pending[m:])
	c.pending = c.pending[:m]
}

// skipUnanswered drops pending commands whose replies were evidently lost:
// when the reply's code cannot answer the oldest pending command but can
// answer a later one, the commands before that one are skipped.
func (c *conversation) skipUnanswered(code int) {
	verbs := replyVerbs[code]
	if verbs == nil || slices.Contains(verbs, c.pending[0].verb) {
		return
	}
	for i := 1; i < len(c.pending); i++ {
		if slices.Contains(verbs, c.pending[i].verb) {
			if c.hadGap {
				// Replies lost in a capture gap; without one, the server
				// simply did not answer the commands skipped.
				c.h.lostReplies()
			}
			c.dropPending(i)
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
