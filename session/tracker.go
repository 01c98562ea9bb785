// Package session holds everything stateful in ftpsniff: control-channel
// reassembly, FTP command and reply parsing, negotiations (expectations),
// data-connection tracking and verdicts. It is driven by a clock made of
// capture timestamps, never the wall clock.
package session

import (
	"net/netip"
	"time"

	"github.com/ftpsniff/ftpsniff/decode"
)

// Sink receives decided records, in decision order.
type Sink interface {
	// Transfer is called once per transfer when its verdict is final.
	Transfer(t *Transfer)
	// Session is called once per session when it ends, after its transfers.
	Session(s *Session)
}

// Tracker follows FTP control channels and their data connections. It is
// not safe for concurrent use: one pipeline goroutine feeds it.
type Tracker struct {
	cfg  Config
	sink Sink

	now      time.Time // capture clock: the latest timestamp seen
	first    time.Time
	nextTick time.Time // when the timers run next (every 250 ms)
	nextGC   time.Time // when the per-second expiry runs next

	ctrlPorts [65536 / 64]uint64 // bitmap of configured control ports

	flows map[flowKey]flowRef // control sessions and data connections by canonical 4-tuple
	// lastFlow (either direction) was looked up last and found lastRef;
	// any change to flows clears lastFlowOK.
	lastFlow    flowKey
	lastRef     flowRef
	lastFlowOK  bool
	live        map[uint64]*session // live sessions by ID
	nextSession uint64
	nextXfer    uint64

	// ended remembers control connections that ended recently (client ->
	// server key, end time), so their late packets start no new session;
	// endedQ holds its keys in the order they were remembered, to forget
	// them in that order.
	ended  map[flowKey]endedConn
	endedQ fifo[endedRef]

	// closing are live sessions whose connection closed (FIN both ways or
	// RST), to be ended SettleGrace later; idle holds every live session
	// by a time at or before which it cannot have been idle for
	// ControlIdle.
	closing []*session
	idle    timeHeap

	// candidates are connections that may be FTP control connections on
	// other ports (see detect.go); early are SYN-ACKs and RSTs timestamped
	// before their SYN (see early.go).
	candidates map[flowKey]*candidate
	// oneSided are the host pairs whose data connections showed one
	// direction only (see onesided.go).
	oneSided map[[2]netip.Addr]bool
	// dataConns counts the data connections tracked; unclaimedPairs the
	// unclaimed ones per host pair (so a session's end looks for its own
	// only when there are some).
	dataConns      int
	unclaimedPairs map[[2]netip.Addr]int
	syns           synRing
	early          map[flowKey]earlyAnswer
	// idled remembers control connections that ended idle, so that a
	// session resuming on one is picked up again (flagged resumed);
	// servers remembers the endpoints of FTP servers seen, so that a
	// control connection to one on any port is recognised from its SYN or
	// its first packet. Both are bounded by MaxSessions.
	idled   map[flowKey]flowKey
	servers map[netip.AddrPort]time.Time
	// held is a packet whose timestamp lies far ahead of the clock, held
	// until the next packet confirms or belies it (see clock.go).
	held *decode.Packet
	// jumpAt is now + clockJumpLimit: a packet after it is held.
	jumpAt time.Time

	unclaimed []*dataConn // SYNs that matched no negotiation yet
	// decided are data connections whose transfer has its verdict: they are
	// kept for their counters until they go quiet (by dataConn.quiet).
	decided timeHeap
	// expect holds the negotiations waiting for data connections (see
	// expect.go).
	expect expectTable
	// open are the transfers awaiting a verdict, in creation order (with
	// up to as many settled ones not yet pruned, counted by settledOpen);
	// changed are those touched since the last check, wakes the others'
	// wake times.
	open        []*transfer
	settledOpen int
	changed     []*transfer
	wakes       wakeHeap
	pairs       map[[2]netip.Addr][]*session // live sessions by host pair

	// segs is the control streams' queue budget (see stream.go).
	segs segmentPool

	// exhaustive (tests only) decides every open transfer at every check
	// and scans every live session for idleness every second, the
	// reference that the dirty/wake shortcuts must match.
	exhaustive bool

	ev       Evidence     // reused to gather a transfer's evidence
	interned *internTable // reply lines seen before

	sum Summary
}

// NewTracker returns a tracker that reports decided records to sink.
func NewTracker(cfg Config, sink Sink) *Tracker {
	d := DefaultConfig()
	if cfg.SYNGrace <= 0 {
		cfg.SYNGrace = d.SYNGrace
	}
	if cfg.DropWait <= 0 {
		cfg.DropWait = d.DropWait
	}
	if cfg.ExpectTimeout <= 0 {
		cfg.ExpectTimeout = d.ExpectTimeout
	}
	if cfg.SettleGrace <= 0 {
		cfg.SettleGrace = d.SettleGrace
	}
	if cfg.ControlIdle <= 0 {
		cfg.ControlIdle = d.ControlIdle
	}
	if cfg.GapFlush <= 0 {
		cfg.GapFlush = d.GapFlush
	}
	if cfg.MaxLine <= 0 {
		cfg.MaxLine = d.MaxLine
	}
	if cfg.MaxSessions <= 0 {
		cfg.MaxSessions = d.MaxSessions
	}
	if cfg.MaxTransfersPerSession <= 0 {
		cfg.MaxTransfersPerSession = d.MaxTransfersPerSession
	}
	if cfg.MaxPendingCommands <= 0 {
		cfg.MaxPendingCommands = d.MaxPendingCommands
	}
	if cfg.MaxUnclaimedSYNs <= 0 {
		cfg.MaxUnclaimedSYNs = d.MaxUnclaimedSYNs
	}
	if cfg.UnclaimedTTL <= 0 {
		cfg.UnclaimedTTL = d.UnclaimedTTL
	}
	t := &Tracker{
		cfg:      cfg,
		sink:     sink,
		flows:    make(map[flowKey]flowRef),
		idled:    make(map[flowKey]flowKey),
		servers:  make(map[netip.AddrPort]time.Time),
		ended:    make(map[flowKey]endedConn),
		live:     make(map[uint64]*session),
		pairs:    make(map[[2]netip.Addr][]*session),
		interned: newInternTable(),
	}
	ports := cfg.ControlPorts
	if ports == nil {
		ports = d.ControlPorts
	}
	for _, p := range ports {
		t.ctrlPorts[p/64] |= 1 << (p % 64)
	}
	t.sum.Verdicts = make(map[Verdict]int)
	return t
}

func (t *Tracker) isCtrlPort(p uint16) bool { return t.ctrlPorts[p/64]&(1<<(p%64)) != 0 }

// Now returns the tracker's capture clock.
func (t *Tracker) Now() time.Time { return t.now }

// Packet feeds one decoded packet. It reports whether the packet is FTP
// evidence: part of a control connection, or one of the first packets (or
// a SYN, FIN or RST) of a data connection.
func (t *Tracker) Packet(p *decode.Packet) bool {
	t.sum.Packets++
	t.sum.Bytes += uint64(p.CapLen)
	if p.Truncated {
		t.sum.Truncated++
	}
	if p.IPVersion == 0 {
		t.sum.Undecoded++
	}
	if !p.Time.IsZero() {
		if t.held != nil {
			t.releaseHeld(p.Time)
		}
		if t.holdJump(p) {
			return true
		}
		t.clock(p)
	}
	return t.dispatch(p)
}

// dispatch hands a packet, its time settled, to the TCP or ICMP handling.
func (t *Tracker) dispatch(p *decode.Packet) bool {
	if p.Fragment && p.Proto == 6 && p.IPVersion != 0 {
		// Fragmented TCP is not reassembled: say so on the sessions
		// between these hosts (their control stream will show a gap).
		for _, s := range t.pairs[pairKey(p.Src, p.Dst)] {
			s.flag(FlagIPFragments)
		}
	}
	switch {
	case p.HasTCP:
		return t.tcp(p)
	case p.HasICMP:
		return t.icmp(p)
	}
	return false
}

// Advance moves the capture clock to now (if later) and runs the timers:
// verdicts that waited for time to pass, idle sessions, queued control data.
// Live captures call it on a ticker so verdicts come while the link is idle.
func (t *Tracker) Advance(now time.Time) {
	if t.held != nil {
		t.releaseHeld(now)
	}
	t.setNow(now)
}

// runTimers runs the timers that are due at t.now (every 250 ms, and some
// every second).
func (t *Tracker) runTimers() {
	t.nextTick = t.now.Add(250 * time.Millisecond)
	if !t.now.Before(t.nextGC) {
		t.nextGC = t.now.Add(time.Second)
		if len(t.segs.waiting) > 0 {
			t.segs.flushBefore(t.now.Add(-t.cfg.GapFlush))
		}
		t.expireSessions()
		t.expireUnclaimed()
	}
	t.checkOpen(false)
}

// Close ends the run: every queued control byte is delivered, every session
// ends and every transfer gets its verdict. It returns the summary.
func (t *Tracker) Close() Summary {
	if t.held != nil {
		t.releaseHeld(time.Time{})
	}
	live := t.liveSessions(func(*session) bool { return true })
	for _, s := range live {
		s.stream.flushAll() // every session's queued bytes before any session ends
	}
	for _, s := range live {
		how := ClosedCaptureEnd
		if !s.closedAt.IsZero() {
			how = s.closeHow
		}
		t.endSession(s, how)
	}
	t.checkOpen(true)
	if t.sum.Transfers > 0 && t.dataConns == 0 {
		// Negotiations but not one data-connection packet: a capture
		// filter (port 21) or a capture point off the data path.
		t.sum.Flags.Add(FlagNoDataConnections)
	}
	t.sum.First, t.sum.Last = t.first, t.now
	return t.sum
}

// tcp dispatches a TCP segment: control channel, known data connection,
// new data connection, or a new control channel.
func (t *Tracker) tcp(p *decode.Packet) bool {
	k := flowKey{netip.AddrPortFrom(p.Src, p.TCP.SrcPort), netip.AddrPortFrom(p.Dst, p.TCP.DstPort)}
	ref := t.flow(k)
	fl := p.TCP.Flags
	syn := fl.Has(decode.SYN) && !fl.Has(decode.ACK)
	if s := ref.s; s != nil {
		fromClient := k == s.key
		if fromClient && syn && !s.closedAt.IsZero() {
			// The client reuses the 4-tuple of a closed control connection.
			t.endSession(s, s.closeHow)
			return t.newSession(k, p, s.rec.DetectedBy) != nil
		}
		t.control(s, p, fromClient)
		return true
	}
	if c := ref.c; c != nil {
		if len(c.owners) == 0 && c.quiet.idx < 0 && len(p.Payload) > 0 && plausibleControl(p.Payload) {
			// An unclaimed SYN does not own its 4-tuple: its payload may
			// show a control connection on another port.
			if t.isKnownServer(k.src) || t.isKnownServer(k.dst) || looksLikeGreeting(p.Payload) || looksLikeFTPCommand(p.Payload) {
				t.dropUnclaimed(c)
				return t.unknownFlow(k, p, syn)
			}
		}
		return t.dataPacket(c, p, k == c.key)
	}
	if p.Fragment {
		return false
	}
	if e, ok := t.ended[k.canon()]; ok && (!syn || e.synSeen && k == e.key && p.TCP.Seq == e.isn) {
		return true // a late or duplicated packet of a control connection that ended
	}
	return t.unknownFlow(k, p, syn)
}

// unknownFlow handles a TCP segment of a connection the tracker does not
// follow yet: a new control connection (by port, by a known server
// endpoint, resumed after idling, or by content), a data connection (its
// SYN, or its packets when its handshake was not captured), or an answer
// timestamped before its SYN.
func (t *Tracker) unknownFlow(k flowKey, p *decode.Packet, syn bool) bool {
	fl := p.TCP.Flags
	var xs [2]*transfer
	n := 0
	if syn {
		xs, n = t.expect.match(k)
	}
	if n > 0 && t.isCtrlPort(p.TCP.DstPort) {
		// A negotiated data connection to a control port (an FTP bounce
		// to port 21): a data connection, not a new session.
		return t.dataSYN(k, p, xs, n)
	}
	if key, ok := t.idledKey(k, syn); ok {
		// A session that idled past ControlIdle speaks again.
		delete(t.idled, k.canon())
		if len(t.live) >= t.cfg.MaxSessions {
			t.sum.StateLimitDrops++
			return false
		}
		s := t.startSession(key, p.Time, ByResume)
		s.resumed = true
		s.flag(FlagResumed)
		t.control(s, p, p.Src == key.src.Addr() && p.TCP.SrcPort == key.src.Port())
		return true
	}
	switch {
	case t.isCtrlPort(p.TCP.DstPort) && (syn || len(p.Payload) > 0):
		return t.newSession(k, p, ByPort) != nil
	case t.isCtrlPort(p.TCP.SrcPort) && len(p.Payload) > 0:
		return t.newSession(k.reverse(), p, ByPort) != nil
	case syn:
		if n == 0 {
			if t.isKnownServer(k.dst) {
				return t.newSession(k, p, ByKnownServer) != nil
			}
			// Perhaps a control connection on another port, recognised
			// by its content later.
			t.syns.add(k, p)
		}
		return t.dataSYN(k, p, xs, n)
	case fl.Has(decode.SYN) || fl.Has(decode.RST):
		// A SYN-ACK of a data connection whose SYN was not captured (or
		// comes later, merged captures), or a RST before its SYN.
		if fl.Has(decode.SYN) && t.dataMidstream(k, p) {
			return true
		}
		return t.keepEarly(k, p)
	}
	if t.dataMidstream(k, p) {
		return true
	}
	if len(p.Payload) == 0 {
		return false
	}
	switch {
	case t.isKnownServer(k.dst):
		return t.newSession(k, p, ByKnownServer) != nil
	case t.isKnownServer(k.src):
		return t.newSession(k.reverse(), p, ByKnownServer) != nil
	}
	return t.detectContent(k, p)
}

// idledKey returns the client->server key of a session that ended idle on
// k's connection, for a packet other than a SYN.
func (t *Tracker) idledKey(k flowKey, syn bool) (flowKey, bool) {
	if syn || len(t.idled) == 0 {
		return flowKey{}, false
	}
	key, ok := t.idled[k.canon()]
	return key, ok
}

// isKnownServer reports whether ap is the endpoint of an FTP server seen
// earlier in the capture (on a port that is not a control port).
func (t *Tracker) isKnownServer(ap netip.AddrPort) bool {
	if len(t.servers) == 0 || t.isCtrlPort(ap.Port()) {
		return false
	}
	_, ok := t.servers[ap]
	return ok
}

// rememberServer notes s's server endpoint as an FTP server's.
func (t *Tracker) rememberServer(s *session) {
	ep := s.key.dst
	if t.isCtrlPort(ep.Port()) {
		return
	}
	if _, ok := t.servers[ep]; !ok && len(t.servers) >= t.cfg.MaxSessions {
		return
	}
	t.servers[ep] = t.now
}

// newSession starts a control session for client->server key k and feeds
// p; how says how it was recognised. It returns nil when the session cap
// is reached.
func (t *Tracker) newSession(k flowKey, p *decode.Packet, how Detection) *session {
	if len(t.live) >= t.cfg.MaxSessions {
		t.sum.StateLimitDrops++
		return nil
	}
	s := t.startSession(k, p.Time, how)
	t.control(s, p, p.Src == k.src.Addr() && p.TCP.SrcPort == k.src.Port())
	return s
}

// startSession makes a live session for client->server key k.
func (t *Tracker) startSession(k flowKey, at time.Time, how Detection) *session {
	s := t.makeSession(k, at, how)
	t.setFlow(k, s, nil)
	t.goLive(s)
	t.addPair(s)
	t.sum.Sessions++
	if how != ByPort {
		t.rememberServer(s)
	}
	return s
}
