package session

import (
	"net/netip"

	"github.com/ftpsniff/ftpsniff/decode"
)

// icmp matches an ICMP error to the connection whose SYN it quotes: a data
// connection, or a control connection that never got established. An
// error quoting any other connection is not evidence.
func (t *Tracker) icmp(p *decode.Packet) bool {
	q := &p.ICMP
	if q.Proto != 6 || !q.HasPorts {
		return false
	}
	k := flowKey{netip.AddrPortFrom(q.Src, q.SrcPort), netip.AddrPortFrom(q.Dst, q.DstPort)}
	ref := t.flow(k)
	if s := ref.s; s != nil && s.key == k {
		return t.controlICMP(s, p)
	}
	c := ref.c
	if c == nil || c.key != k {
		return false
	}
	if c.rec.Established || c.rec.ICMP != nil || q.HasSeq && c.rec.SYNs > 0 && q.Seq != c.isn || !isFailureICMP(q) {
		return true // about a data connection: evidence, but not a verdict
	}
	c.rec.ICMP = &ICMPInfo{Time: p.Time, From: p.Src, V6: q.V6, Type: q.Type, Code: q.Code, TTL: p.TTL}
	if p.Time.After(c.rec.LastSeen) {
		c.rec.LastSeen = p.Time
	}
	for _, x := range c.owners {
		x.touch()
	}
	if len(c.owners) == 0 {
		t.decidedChanged(c)
	}
	return true
}

// controlICMP records an ICMP error quoting the client's SYN of a control
// connection not (yet) established.
func (t *Tracker) controlICMP(s *session, p *decode.Packet) bool {
	q := &p.ICMP
	if s.established() || s.icmp != nil || !isFailureICMP(q) || q.HasSeq && s.synSeen && q.Seq != s.isn {
		return true
	}
	s.icmp = &ICMPInfo{Time: p.Time, From: p.Src, V6: q.V6, Type: q.Type, Code: q.Code, TTL: p.TTL}
	return true
}

// isFailureICMP reports whether the ICMP error says the SYN did not reach
// its destination: destination unreachable (ICMPv4 type 3, ICMPv6 type 1)
// or time exceeded (ICMPv4 type 11, ICMPv6 type 3: a routing loop, or a
// TTL too small for the path).
func isFailureICMP(q *decode.ICMPError) bool {
	if q.V6 {
		return q.Type == 1 || q.Type == 3
	}
	return q.Type == 3 || q.Type == 11
}
