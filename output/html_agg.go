package output

import (
	"net/netip"
	"sort"
	"time"

	"github.com/ftpsniff/ftpsniff/session"
)

// The HTML report's per-server charts are aggregated as records arrive: a
// server's memory is a few counters, its port buckets in use (at most
// portBuckets) and its time buckets (at most maxTimeBuckets), whatever the
// number of transfers.

// portBucketWidth is the number of ports one bar of a port chart counts.
const portBucketWidth = 128

// portBuckets is the number of port buckets covering 0-65535.
const portBuckets = 65536 / portBucketWidth

// Port chart series: passive or active, ok or failed.
const (
	seriesPassiveOK = iota
	seriesPassiveFailed
	seriesActiveOK
	seriesActiveFailed
	seriesCount
)

// maxTimeBuckets bounds a server's failure timeline; when a new time falls
// outside, the bucket width doubles and neighbours merge.
const maxTimeBuckets = 96

// serverKey identifies a server by address (its data ports are shared by
// every control port it listens on).
type serverKey = netip.Addr

// serverAgg is one server's aggregate.
type serverAgg struct {
	addr      netip.Addr
	control   map[uint16]int // control port -> sessions
	sessions  int
	transfers int
	failed    int
	// modes counts transfers per negotiation (PORT, PASV, ...).
	modes map[session.Negotiation]int
	// verdicts counts transfers per verdict.
	verdicts map[session.Verdict]int
	// ports counts data ports per bucket and series.
	ports map[uint16]*[seriesCount]uint32
	// lo and hi are the lowest and highest port of each series (lo > hi:
	// none).
	lo, hi [seriesCount]uint16
	seen   [seriesCount]bool
	// timeline counts ok and failed transfers over time.
	timeline timeHist
}

// serverAggs is the set of server aggregates.
type serverAggs struct {
	m    map[serverKey]*serverAgg
	last *serverAgg // the last one looked up (runs of one server's records)
}

// get returns a's aggregate, creating it.
func (sa *serverAggs) get(a netip.Addr) *serverAgg {
	a = a.Unmap()
	if sa.last != nil && sa.last.addr == a {
		return sa.last
	}
	s := sa.m[a]
	if s == nil {
		s = &serverAgg{addr: a, control: map[uint16]int{}, modes: map[session.Negotiation]int{},
			verdicts: map[session.Verdict]int{}, ports: map[uint16]*[seriesCount]uint32{}}
		sa.m[a] = s
	}
	sa.last = s
	return s
}

// add counts a transfer.
func (sa *serverAggs) add(t *session.Transfer) {
	if !t.Server.IsValid() {
		return
	}
	s := sa.get(t.Server.Addr())
	s.transfers++
	failed := t.Verdict.Failed()
	if failed {
		s.failed++
	}
	s.modes[t.Negotiation]++
	s.verdicts[t.Verdict]++
	if p, ok := dataPort(t); ok {
		series := seriesPassiveOK
		if t.Mode == session.Active {
			series = seriesActiveOK
		}
		if failed {
			series++
		}
		bk := p / portBucketWidth
		c := s.ports[bk]
		if c == nil {
			c = new([seriesCount]uint32)
			s.ports[bk] = c
		}
		c[series]++
		if !s.seen[series] || p < s.lo[series] {
			s.lo[series] = p
		}
		if !s.seen[series] || p > s.hi[series] {
			s.hi[series] = p
		}
		s.seen[series] = true
	}
	// Transfers whose outcome the capture does not show are left out of
	// the timeline (it shows ok against failed).
	if t.Verdict == session.OK || failed {
		s.timeline.add(t.Time, failed)
	}
}

// session counts a session on its server.
func (sa *serverAggs) session(x *session.Session) {
	if !x.Server.IsValid() {
		return
	}
	s := sa.get(x.Server.Addr())
	s.sessions++
	s.control[x.Server.Port()]++
}

// dataPort returns the data port a transfer used: the advertised port,
// else the listener's port of its data connection.
func dataPort(t *session.Transfer) (uint16, bool) {
	if t.Endpoint.IsValid() && t.Endpoint.Port() != 0 {
		return t.Endpoint.Port(), true
	}
	if t.Data != nil && t.Data.Listener.IsValid() {
		return t.Data.Listener.Port(), true
	}
	return 0, false
}

// sorted returns the servers with the most failed transfers first, then
// the most transfers, then by address.
func (sa *serverAggs) sorted() []*serverAgg {
	out := make([]*serverAgg, 0, len(sa.m))
	for _, s := range sa.m {
		out = append(out, s)
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.failed != b.failed {
			return a.failed > b.failed
		}
		if a.transfers != b.transfers {
			return a.transfers > b.transfers
		}
		return a.addr.Less(b.addr)
	})
	return out
}

// timeHist counts ok and failed events in time buckets of a width that
// doubles whenever the buckets would exceed maxTimeBuckets.
type timeHist struct {
	width  time.Duration // 0: nothing counted yet
	origin time.Time     // bucket i covers [origin+i*width, origin+(i+1)*width)
	lo, hi int64         // bucket indexes in use
	counts map[int64]*[2]uint32
}

// add counts one event at ts.
func (h *timeHist) add(ts time.Time, failed bool) {
	if ts.IsZero() {
		return
	}
	if h.width == 0 {
		h.width = time.Second
		h.origin = ts.Truncate(time.Second)
		h.counts = map[int64]*[2]uint32{}
		h.lo, h.hi = 0, 0
	}
	i := h.index(ts)
	for (max(h.hi, i) - min(h.lo, i) + 1) > maxTimeBuckets {
		h.coarsen()
		i = h.index(ts)
	}
	h.lo, h.hi = min(h.lo, i), max(h.hi, i)
	c := h.counts[i]
	if c == nil {
		c = new([2]uint32)
		h.counts[i] = c
	}
	if failed {
		c[1]++
	} else {
		c[0]++
	}
}

// index is the bucket of ts (floor division, so times before the origin
// get negative indexes).
func (h *timeHist) index(ts time.Time) int64 {
	d := ts.Sub(h.origin)
	i := int64(d / h.width)
	if d < 0 && d%h.width != 0 {
		i--
	}
	return i
}

// coarsen doubles the bucket width, merging neighbouring buckets.
func (h *timeHist) coarsen() {
	merged := make(map[int64]*[2]uint32, len(h.counts)/2+1)
	floor2 := func(i int64) int64 {
		if i < 0 {
			return (i - 1) / 2
		}
		return i / 2
	}
	for i, c := range h.counts {
		j := floor2(i)
		m := merged[j]
		if m == nil {
			m = new([2]uint32)
			merged[j] = m
		}
		m[0] += c[0]
		m[1] += c[1]
	}
	h.counts = merged
	h.lo, h.hi = floor2(h.lo), floor2(h.hi)
	h.width *= 2
}
