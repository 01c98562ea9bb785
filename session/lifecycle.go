package session

import (
	"cmp"
	"container/heap"
	"slices"
	"time"
)

// The life of a control session: it goes live, may close (FIN or RST) or
// go idle, and ends — its open transfers are decided, its record reported,
// and its connection remembered a while so that late packets start no new
// session.

// expireSessions ends control sessions idle for longer than ControlIdle and
// sessions whose connection closed a little while ago, in creation order.
// It looks only at the sessions that closed (t.closing) and at those the
// idle heap says may have been idle long enough.
func (t *Tracker) expireSessions() {
	closed := func(s *session) bool { return !s.closedAt.IsZero() && t.now.Sub(s.closedAt) >= t.cfg.SettleGrace }
	var due []*session
	kept := t.closing[:0]
	for _, s := range t.closing {
		switch {
		case s.ended:
		case closed(s):
			due = append(due, s)
		default:
			kept = append(kept, s)
		}
	}
	clear(t.closing[len(kept):])
	t.closing = kept
	if t.exhaustive {
		for _, s := range t.live {
			if !closed(s) && t.now.Sub(s.lastSeen) >= t.cfg.ControlIdle {
				due = append(due, s)
			}
		}
	} else {
		for len(t.idle) > 0 && !t.now.Before(t.idle[0].at) {
			s := t.idle[0].owner.(*session)
			if t.now.Sub(s.lastSeen) >= t.cfg.ControlIdle {
				heap.Pop(&t.idle)
				due = append(due, s)
				continue
			}
			s.idle.at = s.lastSeen.Add(t.cfg.ControlIdle) // active since: later
			heap.Fix(&t.idle, 0)
		}
	}
	due = slices.Compact(slices.SortedFunc(slices.Values(due), func(a, b *session) int { return cmp.Compare(a.rec.ID, b.rec.ID) }))
	for _, s := range due {
		if closed(s) {
			t.endSession(s, s.closeHow)
		} else {
			t.endSession(s, ClosedIdle)
		}
	}
	t.expireCandidates()
	for {
		e, ok := t.endedQ.peek()
		if !ok || t.now.Sub(e.at) < endedMemory {
			break
		}
		t.endedQ.pop()
		if m, ok := t.ended[e.key]; ok && m.at.Equal(e.at) {
			delete(t.ended, e.key)
		}
	}
}

// noteClosed queues a live session whose connection just closed, for
// expireSessions.
func (t *Tracker) noteClosed(s *session) {
	if t.live[s.rec.ID] == s {
		t.closing = append(t.closing, s)
	}
}

// goLive makes s a live session.
func (t *Tracker) goLive(s *session) {
	t.live[s.rec.ID] = s
	s.idle.at = s.lastSeen.Add(t.cfg.ControlIdle)
	heap.Push(&t.idle, &s.idle)
	if !s.closedAt.IsZero() {
		t.noteClosed(s)
	}
}

// liveSessions returns the live sessions that match, in creation order, so
// that what is reported does not depend on map order.
func (t *Tracker) liveSessions(match func(*session) bool) []*session {
	var out []*session
	for _, s := range t.live {
		if match(s) {
			out = append(out, s)
		}
	}
	slices.SortFunc(out, func(a, b *session) int { return cmp.Compare(a.rec.ID, b.rec.ID) })
	return out
}

// endedConn remembers an ended control connection.
type endedConn struct {
	key     flowKey // client -> server
	at      time.Time
	isn     uint32 // the client's SYN sequence number, if synSeen
	synSeen bool
}

// endedRef is an entry of Tracker.endedQ: the canonical key of an ended
// control connection and when it was remembered.
type endedRef struct {
	key flowKey
	at  time.Time
}

// endedMemory is how long late packets of an ended control connection are
// recognised as such.
const endedMemory = 2 * time.Minute

// endSession decides every transfer of s still open, reports s and forgets it.
func (t *Tracker) endSession(s *session, how CloseReason) {
	if s.ended {
		return
	}
	// Bytes still queued behind a hole are parsed (after the gap) rather
	// than lost with the session.
	s.stream.end()
	s.ended = true
	s.rec.Closed = how
	if s.rec.End.IsZero() || s.rec.End.Before(s.lastSeen) {
		s.rec.End = s.lastSeen
	}
	s.conv.flush()
	if pk := pairKey(s.key.src.Addr(), s.key.dst.Addr()); t.unclaimedPairs[pk] > 0 {
		for _, c := range t.unclaimed {
			if len(c.owners) == 0 && pairKey(c.key.src.Addr(), c.key.dst.Addr()) == pk {
				s.noteUnmatched(c)
			}
		}
	}
	t.decideBlocked(s, how)
	if how == ClosedIdle && len(t.idled) < t.cfg.MaxSessions && s.established() {
		t.idled[s.key.canon()] = s.key
	}
	for _, x := range s.transfers {
		if !x.settled {
			x.sessionEnded = true
			x.touch()
		}
	}
	t.checkOpen(how == ClosedCaptureEnd)
	t.clearFlow(s.key, s, nil)
	if how != ClosedIdle && how != ClosedCaptureEnd && len(t.ended) < t.cfg.MaxSessions {
		ck := s.key.canon()
		t.ended[ck] = endedConn{key: s.key, at: t.now, isn: s.isn, synSeen: s.synSeen}
		if t.endedQ.len() >= 2*t.cfg.MaxSessions {
			// Keys remembered again and again: keep only the entries
			// that still name the map's (at most MaxSessions).
			t.endedQ.filter(func(e endedRef) bool { m, ok := t.ended[e.key]; return ok && m.at.Equal(e.at) })
		}
		t.endedQ.push(endedRef{key: ck, at: t.now})
	}
	delete(t.live, s.rec.ID)
	if s.idle.idx >= 0 {
		heap.Remove(&t.idle, s.idle.idx)
	}
	t.dropPair(s)
	s.finishRecord()
	if t.sink != nil {
		t.sink.Session(&s.rec)
	}
}

// Sessions returns the number of control sessions found so far.
func (t *Tracker) Sessions() int { return t.sum.Sessions }

// CaptureLoss tells the tracker that the capture lost packets (kernel
// drops): every transfer still waiting for its verdict is flagged
// "capture-loss", since a missing SYN-ACK or RST may have been among them.
func (t *Tracker) CaptureLoss() {
	for _, x := range t.open {
		if !x.settled {
			x.flag(FlagCaptureLoss)
		}
	}
}
