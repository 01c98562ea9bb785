package session

import (
	"net/netip"
	"slices"
)

// The expectation table. A negotiation (PORT, PASV, ...) announces where
// its data connection will go; until it has its verdict it waits in the
// table, indexed by every endpoint its SYN may reach: the advertised one,
// and the same port on the control peer that should listen (the
// advertised address may be private, or translated by a NAT). A
// connection is matched to the negotiations it fits best; it may satisfy
// two of them (a server-to-server FXP transfer answers a PASV on one
// server and a PORT on the other).

// expectTable holds the negotiations waiting for data connections.
type expectTable struct {
	byEndpoint map[netip.AddrPort][]*transfer
}

// add indexes x by the endpoints its data connection may reach.
func (e *expectTable) add(x *transfer) {
	if e.byEndpoint == nil {
		e.byEndpoint = make(map[netip.AddrPort][]*transfer)
	}
	keys, n := x.listenKeys()
	for _, k := range keys[:n] {
		e.byEndpoint[k] = append(e.byEndpoint[k], x)
	}
	x.indexed = true
}

// remove takes x out of the table.
func (e *expectTable) remove(x *transfer) {
	if !x.indexed {
		return
	}
	keys, n := x.listenKeys()
	for _, k := range keys[:n] {
		l := e.byEndpoint[k]
		if i := slices.Index(l, x); i >= 0 {
			l = slices.Delete(l, i, i+1)
		}
		if len(l) == 0 {
			delete(e.byEndpoint, k)
		} else {
			e.byEndpoint[k] = l
		}
	}
	x.indexed = false
}

// empty reports whether no negotiation waits.
func (e *expectTable) empty() bool { return len(e.byEndpoint) == 0 }

// expects reports whether a negotiation waits for a connection to ap.
func (e *expectTable) expects(ap netip.AddrPort) bool {
	_, ok := e.byEndpoint[unmapAP(ap)]
	return ok
}

// match finds the open negotiations a connection from k.src to k.dst
// answers: the best one, and a second one of another session when the
// connection is a server-to-server (FXP) transfer that answers both a
// passive negotiation (with the listener) and an active one (with the
// connector), each advertising exactly k.dst.
func (e *expectTable) match(k flowKey) (xs [2]*transfer, n int) {
	var best *transfer
	bestScore := 0
	cands := e.byEndpoint[netip.AddrPortFrom(k.dst.Addr().Unmap(), k.dst.Port())]
	for _, x := range cands {
		sc := x.score(k)
		if sc > bestScore || sc == bestScore && sc > 0 && x.rec.Time.After(best.rec.Time) {
			best, bestScore = x, sc
		}
	}
	if best == nil {
		return xs, 0
	}
	xs[0], n = best, 1
	dst := netip.AddrPortFrom(k.dst.Addr().Unmap(), k.dst.Port())
	if unmapAP(best.rec.Endpoint) != dst {
		return xs, n
	}
	var fxp *transfer
	for _, x := range cands {
		if x.s == best.s || x.rec.Mode == best.rec.Mode || unmapAP(x.rec.Endpoint) != dst || x.score(k) == 0 {
			continue
		}
		if fxp == nil || x.rec.Time.After(fxp.rec.Time) {
			fxp = x
		}
	}
	if fxp != nil {
		xs[1], n = fxp, 2
	}
	return xs, n
}

// unmapAP returns ap with an IPv4-mapped IPv6 address in its IPv4 form.
func unmapAP(ap netip.AddrPort) netip.AddrPort {
	return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
}

// score rates how well a connection from k.src to k.dst fits negotiation x
// (0 = not).
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

// listenKeys are the endpoints a data SYN for x may be sent to (the first
// n of keys): the advertised one, and the same port on the control peer
// that should listen (the advertised address may be private or translated).
func (x *transfer) listenKeys() (keys [2]netip.AddrPort, n int) {
	ep := x.rec.Endpoint
	adv := netip.AddrPortFrom(ep.Addr().Unmap(), ep.Port())
	peer := x.s.key.src.Addr()
	if x.rec.Mode == Passive {
		peer = x.s.key.dst.Addr()
	}
	real := netip.AddrPortFrom(peer.Unmap(), ep.Port())
	if real == adv {
		return [2]netip.AddrPort{adv}, 1
	}
	return [2]netip.AddrPort{adv, real}, 2
}
