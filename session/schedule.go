package session

import (
	"cmp"
	"container/heap"
	"math"
	"slices"
)

// Deciding transfers. Open transfers are decided again only when they
// changed (touch) or when the time their outcome may become known has come
// (a heap of wake times), in the order they were created, so the records
// come out as if every open transfer had been looked at at every check.
// A decided transfer is settled: its record is complete and reported.

// touch marks x changed: the next check decides it again.
func (x *transfer) touch() {
	if !x.dirty && !x.settled {
		x.dirty = true
		t := x.s.t
		t.changed = append(t.changed, x)
	}
}

// checkOpen decides every open transfer whose outcome is known; atEnd means
// the capture is over. Only transfers that changed (touch) or whose wake
// time came are decided again (any other would give the same answer, see
// decide), in the order they were created, so the records come out as if
// every open transfer had been looked at.
func (t *Tracker) checkOpen(atEnd bool) {
	now, inRange := unixNanos(t.now)
	if atEnd || !inRange || t.exhaustive {
		t.checkAll(atEnd)
		return
	}
	due := t.changed
	for len(t.wakes) > 0 && t.wakes[0].at <= now {
		x := heap.Pop(&t.wakes).(wakeEntry).x
		if !x.dirty && !x.settled && x.wake <= now {
			x.dirty = true // taken: not again from a stale entry
			due = append(due, x)
		}
	}
	if len(due) == 0 {
		return
	}
	slices.SortFunc(due, func(a, b *transfer) int { return cmp.Compare(a.rec.ID, b.rec.ID) })
	for _, x := range due {
		t.decideOne(x, false, now)
	}
	clear(due)
	t.changed = due[:0]
	t.pruneOpen()
}

// checkAll decides every open transfer, in creation order.
func (t *Tracker) checkAll(atEnd bool) {
	for _, x := range t.open {
		if !x.settled {
			t.decideOne(x, atEnd, math.MinInt64)
		}
	}
	clear(t.changed)
	t.changed = t.changed[:0]
	t.pruneOpen()
}

// decideOne decides x (not settled) if its outcome is known, and otherwise
// schedules its next check: a wake entry is pushed for every new wake time
// (an entry comes up only once its time has come, when deciding again gives
// a verdict or another wake time), and for one that is already due (now,
// Unix nanoseconds: times outside what they can hold).
func (t *Tracker) decideOne(x *transfer, atEnd bool, now int64) {
	if x.settled {
		return
	}
	x.evidence(&t.ev)
	d := Decide(&t.ev, t.now, atEnd)
	v, reason, ok, wake := d.Verdict, d.Reason, d.Decided, d.Wake
	if ok {
		x.rec.Flags.Union(d.Flags)
		t.settle(x, v, reason)
		t.settledOpen++
		return
	}
	x.dirty = false
	if wake != never && (!x.hasWake || wake != x.wake || wake <= now) {
		heap.Push(&t.wakes, wakeEntry{at: wake, x: x})
		x.hasWake = true
	}
	x.wake = wake
}

// pruneOpen drops settled transfers from t.open once they are half of it.
func (t *Tracker) pruneOpen() {
	if t.settledOpen*2 < len(t.open) {
		return
	}
	kept := t.open[:0]
	for _, x := range t.open {
		if !x.settled {
			kept = append(kept, x)
		}
	}
	clear(t.open[len(kept):])
	t.open = kept
	t.settledOpen = 0
}

// wakeEntry is a transfer's wake time in Tracker.wakes.
type wakeEntry struct {
	at int64
	x  *transfer
}

// wakeHeap orders wake entries by time; entries of transfers that changed
// since are left in it and skipped when they come up.
type wakeHeap []wakeEntry

func (h wakeHeap) Len() int           { return len(h) }
func (h wakeHeap) Less(i, j int) bool { return h[i].at < h[j].at }
func (h wakeHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *wakeHeap) Push(x any)        { *h = append(*h, x.(wakeEntry)) }
func (h *wakeHeap) Pop() any {
	old := *h
	e := old[len(old)-1]
	old[len(old)-1] = wakeEntry{}
	*h = old[:len(old)-1]
	return e
}

// settle fixes the verdict of x and reports it.
func (t *Tracker) settle(x *transfer, v Verdict, reason string) {
	x.settled = true
	x.rec.Verdict = v
	x.rec.Reason = reason
	x.rec.Decided = t.now
	if c := x.conn; c != nil {
		x.data = c.rec
		x.rec.Data = &x.data
		x.evidenceFlags(c)
	}
	if x.rec.Flags.Has(FlagSuperseded) {
		t.sum.Superseded++
	}
	x.rec.Attempts = len(x.conns)
	t.expect.remove(x)
	for _, c := range x.conns {
		if i := slices.Index(c.owners, x); i >= 0 {
			c.owners = slices.Delete(c.owners, i, i+1)
		}
		if len(c.owners) == 0 {
			t.addDecided(c)
		}
	}
	if x.s.current == x {
		x.s.current = nil
	}
	x.s.rec.Verdicts[v]++
	t.sum.Verdicts[v]++
	if t.sink != nil {
		t.sink.Transfer(&x.rec)
	}
}

// evidenceFlags flags what the capture could not show of x's connection c.
func (x *transfer) evidenceFlags(c *dataConn) {
	r := &c.rec
	t := x.s.t
	if r.Established {
		switch {
		case r.SYNs == 0 && r.SYNACK.IsZero():
			x.flag(FlagHandshakeNotCaptured)
		case r.SYNACK.IsZero():
			x.flag(FlagSYNACKNotCaptured)
		}
	}
	if c.oneSided() {
		x.flag(FlagOneSided)
		if !c.sided {
			c.sided = true
			t.noteOneSided(c)
		}
	}
	if c.skewed {
		x.flag(FlagClockSkew)
	}
	if c.dups > 0 {
		x.flag(FlagDuplicateFrames)
	}
}
