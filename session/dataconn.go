package session

import (
	"container/heap"
	"net/netip"
	"slices"
	"time"

	"github.com/ftpsniff/ftpsniff/decode"
)

// dataConn is a tracked data connection: handshake, evidence and counters
// only (data connections are never reassembled).
type dataConn struct {
	key flowKey // connector -> listener
	isn uint32
	rec DataConn
	// owners are the negotiations the connection answers: one, or two for
	// a server-to-server (FXP) transfer; empty while unclaimed.
	owners []*transfer
	ownBuf [1]*transfer
	ack    bool // the connector acknowledged the SYN-ACK
	// packets counts the packets seen on the connection; fromConnector and
	// fromListener count them per direction (duplicates excluded).
	packets                     uint32
	fromConnector, fromListener uint32
	dups                        uint32 // frames captured twice
	skewed                      bool   // a SYN-ACK or RST was timestamped before the SYN
	sided                       bool   // counted as one-sided (noteOneSided)
	// ackBase and ackMax are the first and the highest acknowledgment
	// number each side sent ([0] the connector's); acked the payload
	// bytes that acknowledgments cover ([0]: acknowledged by the
	// connector), for a direction whose packets were not captured.
	ackBase, ackMax [2]uint32
	ackSeen         [2]bool
	acked           [2]uint64
	dup             dupFilter
	// quiet places a decided connection in Tracker.decided, by when it
	// goes quiet.
	quiet heapSlot
}

// newDataConn starts tracking the connection from k.src (the connector) to
// k.dst (the listener).
func (t *Tracker) newDataConn(k flowKey, isn uint32) *dataConn {
	c := &dataConn{key: k, isn: isn, quiet: heapSlot{idx: -1}}
	c.quiet.owner = c
	c.owners = c.ownBuf[:0]
	c.rec.Connector, c.rec.Listener = k.src, k.dst
	t.setFlow(k, nil, c)
	t.dataConns++
	return c
}

// dataSYN handles a SYN that belongs to no known connection, given the
// negotiations it answers (expectTable.match): attach it to them, or keep
// it a while in case the negotiation is parsed later.
func (t *Tracker) dataSYN(k flowKey, p *decode.Packet, xs [2]*transfer, n int) bool {
	if n == 0 && len(t.live) == 0 {
		return false
	}
	if n == 0 {
		if s := t.tlsSessionFor(k); s != nil && s.fitsHiddenData(k, p.Time) {
			if x := t.hiddenTransfer(s, k, p); x != nil {
				xs[0], n = x, 1
			}
		}
	}
	if n == 0 && !t.mayBeData(k) {
		return false // between hosts no FTP session involves: not ours
	}
	if n == 0 && len(t.unclaimed) >= t.cfg.MaxUnclaimedSYNs {
		t.sum.StateLimitDrops++
		return false
	}
	c := t.newDataConn(k, p.TCP.Seq)
	t.dataPacket(c, p, true)
	t.applyEarly(c)
	for _, x := range xs[:n] {
		t.attach(x, c)
	}
	if n == 0 {
		t.addUnclaimed(c)
	}
	return true
}

// addUnclaimed keeps c, which matched no negotiation yet.
func (t *Tracker) addUnclaimed(c *dataConn) {
	t.unclaimed = append(t.unclaimed, c)
	if t.unclaimedPairs == nil {
		t.unclaimedPairs = make(map[[2]netip.Addr]int)
	}
	t.unclaimedPairs[pairKey(c.key.src.Addr(), c.key.dst.Addr())]++
}

// unclaimedGone notes that c left the unclaimed list.
func (t *Tracker) unclaimedGone(c *dataConn) {
	pk := pairKey(c.key.src.Addr(), c.key.dst.Addr())
	if n := t.unclaimedPairs[pk]; n <= 1 {
		delete(t.unclaimedPairs, pk)
	} else {
		t.unclaimedPairs[pk] = n - 1
	}
}

// dataMidstream handles a packet without SYN on an unknown connection: a
// data connection whose handshake happened before the capture began (or
// was not captured) is recognised by its endpoints. It reports whether the
// packet was taken.
func (t *Tracker) dataMidstream(k flowKey, p *decode.Packet) bool {
	if t.expect.empty() || p.TCP.Flags.Has(decode.RST) {
		return false
	}
	fromConnector := true
	xs, n := t.expect.match(k)
	if n == 0 {
		k = k.reverse()
		fromConnector = false
		if xs, n = t.expect.match(k); n == 0 {
			return false
		}
	}
	c := t.newDataConn(k, 0)
	t.dataPacket(c, p, fromConnector)
	for _, x := range xs[:n] {
		t.attach(x, c)
	}
	return true
}

// mayBeData reports whether a SYN from k.src to k.dst that matches no
// negotiation yet may still be a data connection: it joins the hosts of a
// live session (a negotiation not parsed yet, a NAT-translated endpoint).
// SYNs between other hosts (a busy link's web traffic) are not kept.
func (t *Tracker) mayBeData(k flowKey) bool {
	if len(t.pairs[pairKey(k.src.Addr(), k.dst.Addr())]) > 0 {
		return true
	}
	// A server-to-server (FXP) or NAT case: one end is a host of a live
	// session and the other advertised by one.
	return t.expect.expects(k.dst)
}

// attach makes c a data connection of x.
func (t *Tracker) attach(x *transfer, c *dataConn) {
	if !slices.Contains(c.owners, x) {
		c.owners = append(c.owners, x)
	}
	x.touch()
	x.conns = append(x.conns, c)
	if x.conn == nil || !x.conn.rec.Established {
		x.conn = c
	}
	if !x.rec.Endpoint.IsValid() {
		return
	}
	if unmapAP(c.key.dst) != unmapAP(x.rec.Endpoint) {
		x.flag(FlagConnectedElsewhere) // e.g. to the control address instead of a private one
	}
	if x.rec.Mode == Active && c.key.src.Port() != 20 {
		x.flag(FlagActiveSourceNot20)
	}
	if c.rec.SYNs == 0 {
		return // seen without its SYN: no timing to judge
	}
	known := x.rec.Time // when the endpoint became known on the wire
	if x.rec.Mode == Passive && x.rec.NegotiationReply != nil {
		known = x.rec.NegotiationReply.Time
	}
	if c.rec.FirstSYN.Before(known) {
		x.flag(FlagSYNBeforeReply) // matched retroactively
	}
	if c.rec.FirstSYN.Sub(x.rec.Time) > 300e9 {
		x.flag(FlagLateSYN)
	}
}

// claimUnclaimed matches SYNs seen before x's endpoint was known.
func (t *Tracker) claimUnclaimed(x *transfer) {
	kept := t.unclaimed[:0]
	for _, c := range t.unclaimed {
		if len(c.owners) == 0 && x.score(c.key) > 0 && c.rec.FirstSYN.Sub(x.rec.Time) > -t.cfg.UnclaimedTTL {
			t.attach(x, c)
			t.unclaimedGone(c)
			continue
		}
		kept = append(kept, c)
	}
	for i := len(kept); i < len(t.unclaimed); i++ {
		t.unclaimed[i] = nil
	}
	t.unclaimed = kept
}

// noteUnmatched records on s a connection attempt between its hosts that
// matched no negotiation.
func (s *session) noteUnmatched(c *dataConn) {
	if c.rec.SYNs == 0 || len(s.rec.UnmatchedSYNs) >= MaxUnmatchedSYNs {
		return
	}
	for _, y := range s.rec.UnmatchedSYNs {
		if y.Src == c.key.src && y.Dst == c.key.dst && y.Time.Equal(c.rec.FirstSYN) {
			return
		}
	}
	s.rec.UnmatchedSYNs = append(s.rec.UnmatchedSYNs, SYNInfo{Time: c.rec.FirstSYN, Src: c.key.src, Dst: c.key.dst})
}

// dropUnclaimed forgets the unclaimed connection c: its packets belong to
// something else (a control connection recognised by its content).
func (t *Tracker) dropUnclaimed(c *dataConn) {
	if i := slices.Index(t.unclaimed, c); i >= 0 {
		t.unclaimed = slices.Delete(t.unclaimed, i, i+1)
		t.unclaimedGone(c)
	}
	t.clearFlow(c.key, nil, c)
}

// expireUnclaimed forgets SYNs that no negotiation claimed in time, and data
// connections whose transfer was decided and that have gone quiet (closed
// or never established: after UnclaimedTTL; still open: after ControlIdle).
func (t *Tracker) expireUnclaimed() {
	kept := t.unclaimed[:0]
	for _, c := range t.unclaimed {
		if len(c.owners) == 0 && t.now.Sub(c.rec.LastSeen) > t.cfg.UnclaimedTTL {
			if l := t.pairs[pairKey(c.key.src.Addr(), c.key.dst.Addr())]; len(l) > 0 {
				l[len(l)-1].noteUnmatched(c)
			}
			t.unclaimedGone(c)
			t.clearFlow(c.key, nil, c)
			continue
		}
		kept = append(kept, c)
	}
	clear(t.unclaimed[len(kept):])
	t.unclaimed = kept
	t.expireEarly()
	if t.exhaustive {
		for _, slot := range slices.Clone(t.decided) {
			c := slot.owner.(*dataConn)
			idle := t.now.Sub(c.rec.LastSeen)
			if idle > t.cfg.UnclaimedTTL && (c.rec.Closed || !c.rec.Established || idle > t.cfg.ControlIdle) {
				t.forgetDecided(c)
			}
		}
		return
	}
	for len(t.decided) > 0 && t.decided[0].at.Before(t.now) {
		c := t.decided[0].owner.(*dataConn)
		if q := t.quietAfter(c); q.Before(t.now) {
			t.forgetDecided(c)
		} else {
			c.quiet.at = q // it saw packets since: later
			heap.Fix(&t.decided, 0)
		}
	}
}

// quietAfter is when decided connection c goes quiet unless it sees more
// packets: UnclaimedTTL after its last packet once it closed (or never got
// established), ControlIdle after it while it stays open.
func (t *Tracker) quietAfter(c *dataConn) time.Time {
	d := t.cfg.UnclaimedTTL
	if c.rec.Established && !c.rec.Closed {
		d = max(d, t.cfg.ControlIdle)
	}
	return c.rec.LastSeen.Add(d)
}

// forgetDecided drops a decided connection that went quiet.
func (t *Tracker) forgetDecided(c *dataConn) {
	if c.quiet.idx >= 0 {
		heap.Remove(&t.decided, c.quiet.idx)
	}
	t.clearFlow(c.key, nil, c)
}

// addDecided keeps c, whose transfers have their verdicts, until it goes quiet.
func (t *Tracker) addDecided(c *dataConn) {
	if c.quiet.idx >= 0 {
		return
	}
	c.quiet.at = t.quietAfter(c)
	heap.Push(&t.decided, &c.quiet)
}

// decidedChanged notes a packet on a decided connection. Its place in the
// heap may only be early (a later quiet time is found when it comes up,
// see expireUnclaimed): it moves only when it may go quiet sooner (it
// closed, or the packet's time went backwards).
func (t *Tracker) decidedChanged(c *dataConn) {
	if c.quiet.idx < 0 {
		return
	}
	if q := t.quietAfter(c); q.Before(c.quiet.at) {
		c.quiet.at = q
		heap.Fix(&t.decided, c.quiet.idx)
	}
}

// dataPacket updates a data connection's evidence and counters;
// fromConnector says the packet's direction. It reports whether the packet
// is FTP evidence.
func (t *Tracker) dataPacket(c *dataConn, p *decode.Packet, fromConnector bool) bool {
	dir := uint8(1)
	if fromConnector {
		dir = 0
	}
	fl := p.TCP.Flags
	if c.dup.seen(p, dir) {
		c.dups++
		c.rec.Duplicates++
		t.sum.Quality.DuplicateFrames++
		t.sum.Flags.Add(FlagDuplicateFrames)
		for _, x := range c.owners {
			x.flag(FlagDuplicateFrames)
		}
		return c.packets <= evidencePackets || fl&(decode.SYN|decode.FIN|decode.RST) != 0
	}
	r := &c.rec
	if r.FirstSeen.IsZero() || p.Time.Before(r.FirstSeen) {
		r.FirstSeen = p.Time
	}
	if p.Time.After(r.LastSeen) || r.LastSeen.IsZero() {
		r.LastSeen = p.Time
	}
	c.packets++
	for _, x := range c.owners {
		x.touch()
	}
	n := uint64(max(p.PayloadLen, len(p.Payload)))
	if !fl.Has(decode.RST) {
		if fromConnector && r.ConnectorTTL == 0 {
			r.ConnectorTTL = p.TTL
		} else if !fromConnector && r.ListenerTTL == 0 {
			r.ListenerTTL = p.TTL
		}
	}
	syn := fl.Has(decode.SYN)
	if fromConnector {
		c.fromConnector++
		if syn && !fl.Has(decode.ACK) {
			if r.SYNs == 0 {
				r.FirstSYN = p.Time
				c.isn = p.TCP.Seq
				if !r.SYNACK.IsZero() && !c.skewed && r.SYNACK.Sub(p.Time) > -skewTolerance {
					// Its SYN-ACK came first: merged captures.
					c.skewed = true
					t.sum.Quality.ClockSkews++
				}
			}
			r.SYNs++
			r.LastSYN = p.Time
			if p.TCP.Seq != c.isn && r.SYNs > 1 && !r.SYNACK.IsZero() {
				// A new connection on the same 4-tuple: start over.
				c.isn = p.TCP.Seq
			}
		}
		if fl.Has(decode.ACK) && !r.SYNACK.IsZero() && !syn {
			c.ack = true
		}
		r.BytesToListener += n
	} else {
		c.fromListener++
		if syn && fl.Has(decode.ACK) && r.SYNACK.IsZero() {
			r.SYNACK = p.Time
		}
		r.BytesToConnector += n
	}
	// Evidence that the connection got established, from whichever side
	// the capture holds: a packet other than SYN or RST (the connector's
	// ACK of the SYN-ACK, data either way, an acknowledgment of the
	// listener's data, a FIN) exists only on an established connection.
	if !r.Established && !syn && !fl.Has(decode.RST) && (fl.Has(decode.ACK) || n > 0 || fl.Has(decode.FIN)) {
		r.Established = true
	}
	if fl.Has(decode.RST) {
		if r.RST == nil {
			r.RST = &RSTInfo{Time: p.Time, FromListener: !fromConnector, BeforeEstablished: !r.Established, TTL: p.TTL}
		}
		if r.Established {
			r.Closed = true
		}
	}
	if fl.Has(decode.FIN) && r.Established {
		r.Closed = true
	}
	if fl.Has(decode.ACK) && !fl.Has(decode.RST) {
		// (A SYN-ACK's acknowledgment is the connector's first byte.)
		c.noteAck(dir, p.TCP.Ack, fl.Has(decode.FIN))
	}
	if r.Closed && !c.sided && c.oneSided() {
		// A whole connection with one direction missing: the capture
		// point sees one side of this path.
		c.sided = true
		t.noteOneSided(c)
	}
	if len(c.owners) == 0 {
		t.decidedChanged(c)
	}
	return c.packets <= evidencePackets || fl&(decode.SYN|decode.FIN|decode.RST) != 0
}

// noteAck records an acknowledgment number sent in direction dir.
func (c *dataConn) noteAck(dir uint8, ack uint32, fin bool) {
	if !c.ackSeen[dir] {
		c.ackSeen[dir], c.ackBase[dir], c.ackMax[dir] = true, ack, ack
		return
	}
	if seqAfter(ack, c.ackMax[dir]) {
		c.ackMax[dir] = ack
	}
	n := uint64(c.ackMax[dir] - c.ackBase[dir])
	if n > 0 && (fin || c.rec.Closed) {
		n-- // the peer's FIN takes a sequence number
	}
	c.acked[dir] = n
}

// evidencePackets is how many packets of a data connection count as FTP
// evidence (for --ftp-only recording).
const evidencePackets = 8

// oneSided reports whether only one direction of c was captured although
// c shows more than a lone SYN.
func (c *dataConn) oneSided() bool {
	return c.rec.Established && (c.fromConnector == 0 || c.fromListener == 0)
}
