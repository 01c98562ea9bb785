package session

import "net/netip"

// The flows map: what the tracker follows on each TCP 4-tuple (a control
// session, a data connection, or both for a bounce to port 21), one entry
// for both directions.

// flowKey is a directed TCP 4-tuple.
type flowKey struct {
	src, dst netip.AddrPort
}

func (k flowKey) reverse() flowKey { return flowKey{k.dst, k.src} }

// canon returns k with its endpoints in a fixed order, so one map entry
// serves both directions of a connection.
func (k flowKey) canon() flowKey {
	if k.dst.Compare(k.src) < 0 {
		return k.reverse()
	}
	return k
}

// flowRef is what the tracker follows on one TCP 4-tuple.
type flowRef struct {
	s *session
	c *dataConn
}

// flow returns what the tracker follows on k's connection. The last
// connection looked up is remembered: packets of one connection tend to
// come in runs (a data transfer, a command and its reply and their ACKs).
func (t *Tracker) flow(k flowKey) flowRef {
	if t.lastFlowOK && (k == t.lastFlow || k.src == t.lastFlow.dst && k.dst == t.lastFlow.src) {
		return t.lastRef
	}
	ref := t.flows[k.canon()]
	t.lastFlow, t.lastRef, t.lastFlowOK = k, ref, true
	return ref
}

// setFlow records s (when non-nil) or c on the 4-tuple k.
func (t *Tracker) setFlow(k flowKey, s *session, c *dataConn) {
	t.lastFlowOK = false
	ck := k.canon()
	ref := t.flows[ck]
	if s != nil {
		ref.s = s
	}
	if c != nil {
		ref.c = c
	}
	t.flows[ck] = ref
}

// clearFlow forgets s (when non-nil) or c on the 4-tuple k, if still there.
func (t *Tracker) clearFlow(k flowKey, s *session, c *dataConn) {
	t.lastFlowOK = false
	ck := k.canon()
	ref, ok := t.flows[ck]
	if !ok {
		return
	}
	if s != nil && ref.s == s {
		ref.s = nil
	}
	if c != nil && ref.c == c {
		ref.c = nil
	}
	if ref.s == nil && ref.c == nil {
		delete(t.flows, ck)
	} else {
		t.flows[ck] = ref
	}
}
