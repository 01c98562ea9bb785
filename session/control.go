package session

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/reassembly"

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
	closeHow string
	finFrom  [2]bool // [fromClient, fromServer]
	ended    bool

	split    [2]*ftp.LineSplitter // [client, server]
	replies  ftp.ReplyAssembler
	tls      [2]tlsSkipper
	lineTime time.Time // capture time of the data being parsed
	lineWire WireInfo  // how the line being parsed sat in its segment
	flags    map[string]bool

	pending   []pendingCmd
	transfers []*transfer // every transfer, in negotiation order
	current   *transfer   // latest negotiation not yet used by a transfer command
	authSent  bool        // AUTH TLS/SSL waiting for 234
	greeted   bool
	firstDir  netip.AddrPort // source of the first packet the assembler saw

	// next and maxEnd track, per direction [client, server], the next
	// sequence number the assembler expects and the end of the furthest
	// segment seen, to notice missing bytes the peer already acknowledged.
	next, maxEnd [2]uint32
	seqKnown     [2]bool
	lastFlush    time.Time
	isn          uint32 // the client's SYN sequence number, if synSeen
	synSeen      bool

	// st is the reassembly stream feeding this session; endSession detaches
	// it so the assembler's connection no longer keeps the session alive.
	st *stream
}

func (t *Tracker) makeSession(k flowKey, now time.Time, how string) *session {
	t.nextSession++
	s := &session{
		t:        t,
		key:      k,
		lastSeen: now,
		flags:    make(map[string]bool),
		split:    [2]*ftp.LineSplitter{ftp.NewLineSplitter(t.cfg.MaxLine), ftp.NewLineSplitter(t.cfg.MaxLine)},
	}
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

func (s *session) flag(f string) { s.flags[f] = true }

func (s *session) anomaly(format string, args ...any) {
	if len(s.rec.Anomalies) < maxAnomalies {
		s.rec.Anomalies = append(s.rec.Anomalies, fmt.Sprintf(format, args...))
	}
}

// finishRecord fills the derived fields of the session record.
func (s *session) finishRecord() {
	s.rec.Flags = s.rec.Flags[:0]
	for f := range s.flags {
		s.rec.Flags = append(s.rec.Flags, f)
	}
	sort.Strings(s.rec.Flags)
}

// ctx is the AssemblerContext: a fresh one per packet, as the assembler keeps
// a pointer to it with queued data.
type ctx struct{ ci gopacket.CaptureInfo }

func (c *ctx) GetCaptureInfo() gopacket.CaptureInfo { return c.ci }

// control feeds a control-channel packet; fromClient says its direction.
func (t *Tracker) control(s *session, p *decode.Packet, fromClient bool) {
	if p.Time.After(s.lastSeen) {
		s.lastSeen = p.Time
	}
	if p.Time.After(s.rec.End) {
		s.rec.End = p.Time
	}
	fl := p.TCP.Flags
	if fromClient && fl.Has(decode.SYN) && !fl.Has(decode.ACK) {
		s.isn, s.synSeen = p.TCP.Seq, true
	}
	if fl.Has(decode.RST) {
		s.flag("control-reset")
		if s.closedAt.IsZero() {
			s.closedAt, s.closeHow = p.Time, "rst"
		}
	}
	if fl.Has(decode.FIN) {
		if fromClient {
			s.finFrom[0] = true
		} else {
			s.finFrom[1] = true
		}
		if s.finFrom[0] && s.finFrom[1] && s.closedAt.IsZero() {
			s.closedAt, s.closeHow = p.Time, "fin"
		}
	}
	if p.Fragment {
		s.flag("ip-fragments")
		return
	}
	if p.Truncated && len(p.Payload) > 0 {
		s.flag("snaplen-truncated")
	}
	if fl.Has(decode.ACK) {
		t.ackedGap(s, fromClient, p)
	}
	if len(p.Payload) == 0 && fl&(decode.SYN|decode.FIN|decode.RST) == 0 {
		// A bare ACK carries no stream data and the assembler would only
		// note it: spare it the work (about half of a control channel).
		return
	}
	tcp := t.tcpLayer(p)
	var et gopacket.EndpointType = layers.EndpointIPv4
	var src, dst []byte
	if p.Src.Is6() {
		et = layers.EndpointIPv6
		a, b := p.Src.As16(), p.Dst.As16()
		src, dst = a[:], b[:]
	} else {
		a, b := p.Src.As4(), p.Dst.As4()
		src, dst = a[:], b[:]
	}
	netFlow := gopacket.NewFlow(et, src, dst)
	t.pending = s
	c := t.newCtx(gopacket.CaptureInfo{Timestamp: p.Time, CaptureLength: p.CapLen, Length: p.WireLen})
	t.assembler.AssembleWithContext(netFlow, tcp, c)
	t.pending = nil
}

// tcpLayer fills the tracker's reusable layers.TCP from p. It decodes a
// header rebuilt in a reused buffer, so the layer's unexported port fields
// (which the assembler's TransportFlow reads) are set without allocating.
// The assembler copies what it keeps, so reuse is safe.
func (t *Tracker) tcpLayer(p *decode.Packet) *layers.TCP {
	b := t.tcpBuf[:0]
	b = binary.BigEndian.AppendUint16(b, p.TCP.SrcPort)
	b = binary.BigEndian.AppendUint16(b, p.TCP.DstPort)
	b = binary.BigEndian.AppendUint32(b, p.TCP.Seq)
	b = binary.BigEndian.AppendUint32(b, p.TCP.Ack)
	b = append(b, 5<<4, byte(p.TCP.Flags))
	b = binary.BigEndian.AppendUint16(b, p.TCP.Window)
	b = append(b, 0, 0, 0, 0) // checksum, urgent pointer
	b = append(b, p.Payload...)
	t.tcpBuf = b
	if err := t.tcpL.DecodeFromBytes(b, gopacket.NilDecodeFeedback); err != nil {
		// Cannot happen for a well-formed 20-byte header; keep the fields.
		t.tcpL.Payload = p.Payload
	}
	return &t.tcpL
}

// newCtx returns a fresh AssemblerContext (the assembler keeps a pointer to
// it with queued data), carved from a slab to spare an allocation a packet.
func (t *Tracker) newCtx(ci gopacket.CaptureInfo) *ctx {
	if len(t.ctxSlab) == 0 {
		t.ctxSlab = make([]ctx, 256)
	}
	c := &t.ctxSlab[0]
	t.ctxSlab = t.ctxSlab[1:]
	c.ci = ci
	return c
}

// streamFactory hands the assembler the session being fed.
type streamFactory struct{ t *Tracker }

func (f *streamFactory) New(netFlow, tcpFlow gopacket.Flow, tcp *layers.TCP, ac reassembly.AssemblerContext) reassembly.Stream {
	s := f.t.pending
	if s == nil {
		return nil // a connection the tracker did not ask for: ignore it
	}
	src, _ := netip.AddrFromSlice(netFlow.Src().Raw())
	s.firstDir = netip.AddrPortFrom(src, uint16(tcp.SrcPort))
	st := &stream{s: s}
	s.st = st
	return st
}

// stream is the reassembly.Stream of one control connection. s is nil once
// the session ended: the stream then ignores everything, and the assembler
// drops the connection at the next flush that closes it.
type stream struct{ s *session }

func (st *stream) Accept(tcp *layers.TCP, ci gopacket.CaptureInfo, dir reassembly.TCPFlowDirection, nextSeq reassembly.Sequence, start *bool, ac reassembly.AssemblerContext) bool {
	s := st.s
	if s == nil {
		return false
	}
	if !*start && nextSeq == -1 && !tcp.SYN && len(tcp.Payload) > 0 {
		// The capture began after the handshake: start where we are.
		*start = true
		s.rec.MidStream = true
	}
	d := 1
	if (dir == reassembly.TCPDirClientToServer) == (s.firstDir == s.key.src) {
		d = 0
	}
	end := tcp.Seq + uint32(len(tcp.Payload))
	if tcp.SYN || tcp.FIN {
		end++
	}
	switch {
	case nextSeq == -1 && (tcp.SYN || *start):
		s.next[d], s.maxEnd[d], s.seqKnown[d] = end, end, true
	case nextSeq == -1:
	case uint32(nextSeq) == tcp.Seq || seqAfter(uint32(nextSeq), tcp.Seq) && seqAfter(end, uint32(nextSeq)):
		if seqAfter(end, s.next[d]) || !s.seqKnown[d] {
			s.next[d] = end
		}
		s.seqKnown[d] = true
	}
	if seqAfter(end, s.maxEnd[d]) {
		s.maxEnd[d] = end
	}
	if nextSeq != -1 && seqAfter(tcp.Seq, uint32(nextSeq)) {
		s.t.lastQueued = ci.Timestamp // ahead of the stream: queued
	}
	return true
}

// seqAfter reports whether TCP sequence number a comes after b.
func seqAfter(a, b uint32) bool { return int32(a-b) > 0 }

// ackedGap notices when the peer acknowledges bytes of the other direction
// that the capture lacks while later bytes wait behind them: the bytes were
// lost by the capture, not the network, so waiting for a retransmission is
// pointless. The queued bytes are released at once (and the gap reported),
// which keeps commands and replies in their order.
func (t *Tracker) ackedGap(s *session, fromClient bool, p *decode.Packet) {
	o := 1 // the other direction
	if !fromClient {
		o = 0
	}
	if !s.seqKnown[o] || !seqAfter(s.maxEnd[o], s.next[o]) || !seqAfter(p.TCP.Ack, s.next[o]) {
		return
	}
	if p.Time.Sub(s.lastFlush) < 10*time.Millisecond {
		return
	}
	s.lastFlush = p.Time
	t.assembler.FlushWithOptions(reassembly.FlushOptions{T: p.Time.Add(time.Nanosecond)})
	s.next[o] = s.maxEnd[o]
}

func (st *stream) ReassembledSG(sg reassembly.ScatterGather, ac reassembly.AssemblerContext) {
	s := st.s
	if s == nil {
		return
	}
	dir, _, _, skip := sg.Info()
	// dir is relative to the first packet the assembler saw.
	fromFirst := dir == reassembly.TCPDirClientToServer
	fromClient := fromFirst == (s.firstDir == s.key.src)
	n, _ := sg.Lengths()
	if skip > 0 {
		s.gap(fromClient, skip)
	}
	if n == 0 {
		return
	}
	data := sg.Fetch(n)
	s.lineTime = sg.CaptureInfo(n - 1).Timestamp
	if s.lineTime.IsZero() && ac != nil {
		s.lineTime = ac.GetCaptureInfo().Timestamp
	}
	s.feed(fromClient, data)
}

func (st *stream) ReassemblyComplete(ac reassembly.AssemblerContext) bool {
	// While the session lives, let the flush remove it, so late ACKs do not
	// start a new stream; once it ended, nothing more is wanted.
	return st.s == nil
}

// gap records missing bytes in one direction of the control channel.
func (s *session) gap(fromClient bool, n int) {
	s.rec.Gaps++
	s.rec.GapBytes += int64(n)
	s.flag("control-gap")
	d := 1
	if fromClient {
		d = 0
	}
	s.split[d].Gap()
	if !fromClient {
		s.replies.Reset()
	}
	// A negotiation may have been lost: say so on the open ones.
	for _, x := range s.transfers {
		if !x.settled {
			x.flag("control-gap")
		}
	}
}

// feed parses reassembled control bytes.
func (s *session) feed(fromClient bool, data []byte) {
	d := 1
	if fromClient {
		d = 0
	}
	if s.rec.TLS {
		data = s.tls[d].skip(data)
		if data == nil {
			return
		}
		// Clear text again after TLS (CCC): parse from here on.
		s.flag("ccc")
		s.tls[d].clear = true
	}
	// Lines are delivered per segment when the stream is in order: the first
	// line of a chunk starts the segment unless bytes were carried over.
	carried := s.split[d].Buffered() > 0
	first := true
	s.split[d].Feed(data, func(line []byte, f ftp.LineFlags) {
		s.lineWire = WireInfo{AtSegmentStart: first && !carried, OneSegment: !(first && carried), LFOnly: f&ftp.FlagLFOnly != 0}
		first = false
		if fromClient {
			s.clientLine(line, f)
		} else {
			s.serverLine(line, f)
		}
	})
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
		s.flag("overlong-line")
		s.anomaly("%s line longer than %d bytes (truncated)", side, s.t.cfg.MaxLine)
	}
	if f&ftp.FlagTelnet != 0 {
		s.flag("telnet-iac")
	}
	if f&ftp.FlagLFOnly != 0 {
		s.flag("lf-only")
	}
	if f&ftp.FlagPartial != 0 {
		s.flag("partial-line")
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
		s.flag("invalid-command")
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
		s.flag("too-many-pending-commands")
		s.pending = s.pending[1:]
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
		s.flag("invalid-reply")
		s.anomaly("invalid reply line: %v", err)
		return
	}
	if !done {
		return
	}
	if r.Broken {
		s.flag("broken-multiline")
	}
	s.reply(r)
}

// reply pairs a complete reply with the oldest pending command.
func (s *session) reply(r ftp.Reply) {
	s.rec.Replies++
	now := s.lineTime
	text := r.Text()
	rep := Reply{Time: now, Code: r.Code, Text: clip(text, 512)}
	if len(s.pending) == 0 {
		if r.Code == 220 && !s.greeted {
			s.greeted = true
			s.rec.Greeting = clip(firstLineText(r), 200)
			return
		}
		if r.Code == 227 || r.Code == 229 || r.Code == 228 {
			// A passive reply whose command was not seen (mid-stream or gap).
			s.passiveReply(nil, r, rep)
			return
		}
		if r.Code != 421 {
			s.flag("unsolicited-reply")
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
		s.passiveReply(pc.xfer, r, rep)
	case pc.verb == "SYST" && r.Code == 215:
		s.rec.System = clip(firstLineText(r), 200)
	case pc.verb == "AUTH" && r.Code == 234 && s.authSent:
		s.startTLS()
	}
	if !prelim {
		s.pending = s.pending[1:]
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
			s.flag("lost-replies")
			s.pending = s.pending[i:]
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
	s.flag("tls")
	for _, x := range s.transfers {
		if !x.settled {
			x.flag("tls")
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
			return b
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
