package audit

import (
	"fmt"
	"net/netip"
	"slices"

	"github.com/ftpsniff/ftpsniff/session"
)

// RangeInference is what the passive ports that worked and failed say
// about the port range a firewall in front of one server lets through.
type RangeInference struct {
	Server netip.AddrPort `json:"server"`
	// Worked and Failed count the passive data connections to the server
	// that got through and that a firewall blocked.
	Worked int `json:"worked"`
	Failed int `json:"failed"`
	// Proven is the span of ports seen working (each of them got through).
	Proven PortRange `json:"proven"`
	// Allowed is the inferred allowed range: Proven widened to the usual
	// boundary (1024, 5000, 10000, 49152, 65535, ...) that lies between the
	// ports that worked and the nearest ones that failed; Proven when no
	// such boundary lies there.
	Allowed PortRange `json:"allowed"`
	// ServerRange is the span of ports the server advertised (its
	// configured range is at least this wide).
	ServerRange PortRange  `json:"server_range"`
	Confidence  Confidence `json:"confidence"`
	Evidence    string     `json:"evidence"`
}

// Count is the number of ports in r.
func (r PortRange) Count() int { return int(r.Hi) - int(r.Lo) + 1 }

var (
	// upperBounds and lowerBounds are the usual range boundaries, in order
	// of preference (Windows' 1024-5000, the IANA dynamic range, Linux's
	// ephemeral range, round numbers).
	upperBounds = []int{5000, 65535, 10000, 49151, 32767, 60999, 50000, 40000, 30000, 20000, 65000, 60000}
	lowerBounds = []int{1024, 49152, 32768, 10000, 5000, 1025, 5001, 10001, 20000, 30000, 40000, 50000, 60000, 61000}
)

// famousUpper reports whether b ends a well-known range (Windows'
// 1024-5000, the Linux ephemeral 32768-60999, the IANA dynamic 49152-65535,
// everything): a firewall rule ending there is likely whatever the gap.
func famousUpper(b int) bool {
	switch b {
	case 5000, 60999, 65535:
		return true
	}
	return false
}

// passiveFate says whether a passive transfer's data connection got
// through (1), was blocked by a firewall (-1) or says nothing (0).
func passiveFate(t *session.Transfer, f *Finding) int {
	if t.Mode != session.Passive || dataPort(t) == 0 {
		return 0
	}
	if t.Data != nil && t.Data.Established {
		return 1
	}
	if f == nil || f.Confidence == Possible {
		return 0
	}
	switch f.Kind {
	case KindFirewallDrop, KindRejectRST, KindRejectICMP, KindOutsideRange, KindClosedPort:
		return -1
	}
	return 0
}

// InferRanges infers, per server with passive failures, the port range its
// firewall allows from the ports that worked and failed.
func InferRanges(ts []*session.Transfer, byID map[uint64]*Finding) []*RangeInference {
	return inferRanges(ts, byID, nil)
}

// inferRanges is InferRanges over the kept transfers plus the folded ones
// (their passive ports all worked).
func inferRanges(ts []*session.Transfer, byID map[uint64]*Finding, fold *Folded) []*RangeInference {
	type acc struct {
		ok, bad []uint16
	}
	by := map[netip.AddrPort]*acc{}
	var order []netip.AddrPort
	for _, t := range ts {
		fate := passiveFate(t, byID[t.ID])
		if fate == 0 {
			continue
		}
		if t.Endpoint.IsValid() && t.Endpoint.Addr().Unmap() != t.Server.Addr().Unmap() {
			continue
		}
		a := by[t.Server]
		if a == nil {
			a = &acc{}
			by[t.Server] = a
			order = append(order, t.Server)
		}
		if fate > 0 {
			a.ok = append(a.ok, dataPort(t))
		} else {
			a.bad = append(a.bad, dataPort(t))
		}
	}
	slices.SortFunc(order, func(a, b netip.AddrPort) int { return a.Compare(b) })
	var out []*RangeInference
	for _, srv := range order {
		a := by[srv]
		if len(a.bad) == 0 {
			continue
		}
		ok := a.ok
		extra := 0
		if span, n := fold.passiveSpan(srv); n > 0 {
			ok = append(slices.Clone(ok), span.Lo, span.Hi)
			extra = n - 2
		}
		if ri := inferOne(srv, ok, a.bad, extra); ri != nil {
			out = append(out, ri)
		}
	}
	for _, ri := range out {
		if ri.Worked == 0 {
			borrowSibling(ri, out, by[ri.Server].bad)
		}
	}
	return out
}

// borrowSibling gives a server none of whose passive connections worked
// the inference of a server in the same network (/24, /64) behind the
// same capture point, when all of its blocked ports lie outside it.
func borrowSibling(ri *RangeInference, all []*RangeInference, bad []uint16) {
	net := clientNet(ri.Server.Addr())
	for _, o := range all {
		if o == ri || o.Worked == 0 || o.Confidence == Possible || clientNet(o.Server.Addr()) != net {
			continue
		}
		inside := false
		for _, p := range bad {
			if p >= o.Allowed.Lo && p <= o.Allowed.Hi {
				inside = true
			}
		}
		if inside {
			continue
		}
		ri.Allowed, ri.Confidence = o.Allowed, Likely
		ri.Evidence = fmt.Sprintf("no passive connection to %s got through (%d blocked, ports %s, all outside %s); %s, in the same network, shows the firewall in front of both allowing %s: %s",
			ri.Server.Addr(), ri.Failed, ri.ServerRange, o.Allowed, o.Server.Addr(), o.Allowed, o.Evidence)
		return
	}
}

// inferOne infers srv's range from the ports that worked (ok, standing for
// len(ok)+extra connections) and failed (bad).
func inferOne(srv netip.AddrPort, ok, bad []uint16, extra int) *RangeInference {
	all := append(slices.Clone(ok), bad...)
	slices.Sort(all)
	worked := 0
	if len(ok) > 0 {
		worked = len(ok) + extra
	}
	ri := &RangeInference{Server: srv, Worked: worked, Failed: len(bad), ServerRange: PortRange{all[0], all[len(all)-1]}}
	if len(ok) == 0 {
		ri.Confidence = Possible
		ri.Evidence = fmt.Sprintf("no passive data connection to %s got through (%d blocked, ports %s): the capture does not show which ports the firewall allows", srv.Addr(), len(bad), ri.ServerRange)
		return ri
	}
	slices.Sort(ok)
	ri.Proven = PortRange{ok[0], ok[len(ok)-1]}
	below, above := -1, 65536
	for _, p := range bad {
		switch {
		case p < ri.Proven.Lo:
			below = max(below, int(p))
		case p > ri.Proven.Hi:
			above = min(above, int(p))
		default:
			ri.Confidence = Possible
			ri.Evidence = fmt.Sprintf("port %d failed inside the span %s of ports that worked: not a port-range rule (a rate limit, a helper or another firewall)", p, ri.Proven)
			ri.Allowed = ri.Proven
			return ri
		}
	}
	lo, hi := int(ri.Proven.Lo), int(ri.Proven.Hi)
	// Widen to a usual boundary only when it lies in the gap and is close:
	// no further from the proven span than the span is wide.
	reach := max(hi-lo, 16)
	snappedLo, snappedHi := false, false
	for _, b := range lowerBounds {
		if b <= lo && b > below && lo-b <= reach {
			lo, snappedLo = b, true
			break
		}
	}
	for _, b := range upperBounds {
		if b >= hi && b < above && (b-hi <= reach || famousUpper(b)) {
			hi, snappedHi = b, true
			break
		}
	}
	if hi == 5000 && !snappedLo && below < 1024 && lo >= 1024 {
		// Windows' default dynamic range 1024-5000 (KB 309816): a firewall
		// rule that ends at 5000 usually starts at 1024.
		lo, snappedLo = 1024, true
	}
	ri.Allowed = PortRange{uint16(lo), uint16(hi)}
	ri.Confidence = Likely
	ev := fmt.Sprintf("%d passive connection(s) to %s got through on ports %s; %d were blocked", worked, srv.Addr(), ri.Proven, len(bad))
	if above < 65536 {
		ev += fmt.Sprintf(", the lowest above them on %d", above)
	}
	if below >= 0 {
		ev += fmt.Sprintf(", the highest below them on %d", below)
	}
	ev += fmt.Sprintf(": the firewall allows at least %s", ri.Proven)
	if (snappedLo || snappedHi) && ri.Allowed != ri.Proven {
		ev += fmt.Sprintf(", most likely %s (the usual boundary between the ports that worked and those that failed, e.g. Windows' 1024-5000 of KB 309816)", ri.Allowed)
	}
	ri.Evidence = ev
	return ri
}
