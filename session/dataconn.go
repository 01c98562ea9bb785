package session

import (
	"container/heap"
	"net/netip"
	"slices"
	"time"

	"github.com/ftpsniff/ftpsniff/decode"
)

// dataConn is a tracked data connection: handshake and counters only.
type dataConn struct {
	key   flowKey // connector -> listener
	isn   uint32
	rec   DataConn
	owner *transfer // nil while unclaimed
	ack   bool      // the connector acknowledged the SYN-ACK
	// packets counts the packets seen on the connection.
	packets uint32
	// quiet places a decided connection in Tracker.decided, by when it
	// goes quiet.
	quiet heapSlot
}

// dataSYN handles a SYN that belongs to no known connection: match it to a
// negotiation, or keep it a while in case the negotiation is parsed later.
func (t *Tracker) dataSYN(k flowKey, p *decode.Packet) bool {
	x := t.matchSYN(k)
	if x == nil && len(t.live) == 0 {
		return false
	}
	if x == nil {
		if s := t.tlsSessionFor(k); s != nil {
			x = t.hiddenTransfer(s, k, p)
		}
	}
	if x == nil && len(t.unclaimed) >= t.cfg.MaxUnclaimedSYNs {
		t.sum.StateLimitDrops++
		return false
	}
	c := &dataConn{key: k, isn: p.TCP.Seq, quiet: heapSlot{idx: -1}}
	c.quiet.owner = c
	c.rec.Connector, c.rec.Listener = k.src, k.dst
	t.setFlow(k, nil, c)
	t.dataPacket(c, p, true)
	if x != nil {
		t.attach(x, c)
	} else {
		t.unclaimed = append(t.unclaimed, c)
	}
	return true
}

// matchSYN finds the open negotiation a SYN from k.src to k.dst answers.
func (t *Tracker) matchSYN(k flowKey) *transfer {
	var best *transfer
	bestScore := 0
	for _, x := range t.byEndpoint[netip.AddrPortFrom(k.dst.Addr().Unmap(), k.dst.Port())] {
		sc := x.score(k)
		if sc > bestScore || sc == bestScore && sc > 0 && x.rec.Time.After(best.rec.Time) {
			best, bestScore = x, sc
		}
	}
	return best
}

// score rates how well a SYN from k.src to k.dst fits negotiation x (0 = not).
func (x *transfer) score(k flowKey) int {
	if x.settled || x.refusedBy != nil || k.dst.Port() != x.rec.Endpoint.Port() {
		return 0
	}
	s := x.s
	adv := x.rec.Endpoint.Addr().Unmap()
	dst, src := k.dst.Addr().Unmap(), k.src.Addr().Unmap()
	var listener, connector netip.Addr
	if x.rec.Mode == Passive {
		listener, connector = s.key.dst.Addr().Unmap(), s.key.src.Addr().Unmap()
	} else {
		listener, connector = s.key.src.Addr().Unmap(), s.key.dst.Addr().Unmap()
	}
	sc := 0
	switch dst {
	case adv:
		sc = 4
	case listener:
		sc = 3 // the advertised address was translated (NAT) or private
	default:
		return 0
	}
	if src == connector {
		sc += 4
	} else if dst != adv {
		return 0 // neither end as negotiated: not ours
	}
	if x.conn == nil {
		sc += 2 // prefer negotiations still waiting for a connection
	} else if x.conn.rec.Established {
		return 0
	}
	return sc
}

// attach makes c a data connection of x.
func (t *Tracker) attach(x *transfer, c *dataConn) {
	c.owner = x
	x.touch()
	x.conns = append(x.conns, c)
	if x.conn == nil || !x.conn.rec.Established {
		x.conn = c
	}
	if !x.rec.Endpoint.IsValid() {
		return
	}
	if c.key.dst != x.rec.Endpoint {
		x.flag(FlagConnectedElsewhere) // e.g. to the control address instead of a private one
	}
	known := x.rec.Time // when the endpoint became known on the wire
	if x.rec.Mode == Passive && x.rec.NegotiationReply != nil {
		known = x.rec.NegotiationReply.Time
	}
	if c.rec.FirstSYN.Before(known) {
		x.flag(FlagSYNBeforeReply) // matched retroactively
	}
	if x.rec.Mode == Active && c.key.src.Port() != 20 {
		x.flag(FlagActiveSourceNot20)
	}
	if c.rec.FirstSYN.Sub(x.rec.Time) > 300e9 {
		x.flag(FlagLateSYN)
	}
}

// claimUnclaimed matches SYNs seen before x's endpoint was known.
func (t *Tracker) claimUnclaimed(x *transfer) {
	kept := t.unclaimed[:0]
	for _, c := range t.unclaimed {
		if c.owner == nil && x.score(c.key) > 0 && c.rec.FirstSYN.Sub(x.rec.Time) > -t.cfg.UnclaimedTTL {
			t.attach(x, c)
			continue
		}
		kept = append(kept, c)
	}
	for i := len(kept); i < len(t.unclaimed); i++ {
		t.unclaimed[i] = nil
	}
	t.unclaimed = kept
}

// expireUnclaimed forgets SYNs that no negotiation claimed in time, and data
// connections whose transfer was decided and that have gone quiet (closed
// or never established: after UnclaimedTTL; still open: after ControlIdle).
func (t *Tracker) expireUnclaimed() {
	kept := t.unclaimed[:0]
	for _, c := range t.unclaimed {
		if c.owner == nil && t.now.Sub(c.rec.LastSeen) > t.cfg.UnclaimedTTL {
			t.clearFlow(c.key, nil, c)
			continue
		}
		kept = append(kept, c)
	}
	clear(t.unclaimed[len(kept):])
	t.unclaimed = kept
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

// addDecided keeps c, whose transfer has its verdict, until it goes quiet.
func (t *Tracker) addDecided(c *dataConn) {
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

// tlsSessionFor returns the latest live encrypted session between the
// hosts of k.
func (t *Tracker) tlsSessionFor(k flowKey) *session {
	l := t.pairs[pairKey(k.src.Addr(), k.dst.Addr())]
	for i := len(l) - 1; i >= 0; i-- {
		if l[i].rec.TLS {
			return l[i]
		}
	}
	return nil
}

// hiddenTransfer records a data connection of an encrypted session, whose
// negotiation could not be read.
func (t *Tracker) hiddenTransfer(s *session, k flowKey, p *decode.Packet) *transfer {
	mode := Passive
	if k.src.Addr() == s.key.dst.Addr() {
		mode = Active
	}
	x := s.newTransfer(mode, Hidden, "", p.Time)
	if x == nil {
		return nil
	}
	x.rec.Endpoint = k.dst
	x.accepted = true
	x.used = true
	x.flag(FlagTLS)
	if s.current == x {
		s.current = nil
	}
	return x
}

// dataPacket updates a data connection's counters; fromConnector says the
// packet's direction.
func (t *Tracker) dataPacket(c *dataConn, p *decode.Packet, fromConnector bool) bool {
	r := &c.rec
	r.LastSeen = p.Time
	c.packets++
	if c.owner != nil {
		c.owner.touch()
	}
	fl := p.TCP.Flags
	n := uint64(max(p.PayloadLen, len(p.Payload)))
	if !fl.Has(decode.RST) {
		if fromConnector && r.ConnectorTTL == 0 {
			r.ConnectorTTL = p.TTL
		} else if !fromConnector && r.ListenerTTL == 0 {
			r.ListenerTTL = p.TTL
		}
	}
	if fromConnector {
		if fl.Has(decode.SYN) && !fl.Has(decode.ACK) {
			if r.SYNs == 0 {
				r.FirstSYN = p.Time
			}
			r.SYNs++
			r.LastSYN = p.Time
			if p.TCP.Seq != c.isn && r.SYNs > 1 && !r.SYNACK.IsZero() {
				// A new connection on the same 4-tuple: start over.
				c.isn = p.TCP.Seq
			}
		}
		if fl.Has(decode.ACK) && !r.SYNACK.IsZero() && !fl.Has(decode.SYN) {
			c.ack = true
		}
		r.BytesToListener += n
	} else {
		if fl.Has(decode.SYN) && fl.Has(decode.ACK) && r.SYNACK.IsZero() {
			r.SYNACK = p.Time
		}
		r.BytesToConnector += n
	}
	if !r.Established && (n > 0 && !r.SYNACK.IsZero() || c.ack) {
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
	if c.owner == nil {
		t.decidedChanged(c)
	}
	return c.packets <= evidencePackets || fl&(decode.SYN|decode.FIN|decode.RST) != 0
}

// evidencePackets is how many packets of a data connection count as FTP
// evidence (for --ftp-only recording).
const evidencePackets = 8

// icmp matches an ICMP error to the data connection whose SYN it quotes.
func (t *Tracker) icmp(p *decode.Packet) bool {
	q := &p.ICMP
	if q.Proto != 6 || !q.HasPorts {
		return false
	}
	k := flowKey{netip.AddrPortFrom(q.Src, q.SrcPort), netip.AddrPortFrom(q.Dst, q.DstPort)}
	c := t.flow(k).c
	if c == nil || c.key != k {
		return false
	}
	if c.rec.Established || c.rec.ICMP != nil || q.HasSeq && q.Seq != c.isn || !isUnreachable(q) {
		return true // about a data connection: evidence, but not a verdict
	}
	c.rec.ICMP = &ICMPInfo{Time: p.Time, From: p.Src, V6: q.V6, Type: q.Type, Code: q.Code, TTL: p.TTL}
	c.rec.LastSeen = p.Time
	if c.owner != nil {
		c.owner.touch()
	} else {
		t.decidedChanged(c)
	}
	return true
}

// isUnreachable reports whether the ICMP error says the destination could
// not be reached (ICMPv4 type 3, ICMPv6 type 1).
func isUnreachable(q *decode.ICMPError) bool {
	if q.V6 {
		return q.Type == 1
	}
	return q.Type == 3
}
