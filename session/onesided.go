package session

import "net/netip"

// One-sided capture points. Asymmetric routing, a one-way SPAN or a capture
// filter can leave one direction of the data connections out of the
// capture. A connection that shows data or acknowledgments from one side
// only proves it: it is counted, and the host pair is remembered, because
// on such a path the absence of a SYN is no evidence that none was sent.

// noteOneSided records c (established, only one direction captured).
func (t *Tracker) noteOneSided(c *dataConn) {
	t.sum.Quality.OneSidedConns++
	t.sum.Flags.Add(FlagOneSided)
	k := pairKey(c.key.src.Addr().Unmap(), c.key.dst.Addr().Unmap())
	if _, ok := t.oneSided[k]; ok || len(t.oneSided) >= t.cfg.MaxSessions {
		return
	}
	if t.oneSided == nil {
		t.oneSided = make(map[[2]netip.Addr]bool)
	}
	t.oneSided[k] = true
	t.sum.Quality.OneSidedPairs++
}

// pairOneSided reports whether the data path between s's hosts was seen to
// be one-sided.
func (t *Tracker) pairOneSided(s *session) bool {
	if len(t.oneSided) == 0 {
		return false
	}
	return t.oneSided[pairKey(s.key.src.Addr().Unmap(), s.key.dst.Addr().Unmap())]
}
