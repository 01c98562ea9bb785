package session

import (
	"time"

	"github.com/ftpsniff/ftpsniff/decode"
)

// The capture clock. The tracker's clock is the latest capture timestamp
// seen; it never runs backwards. A single record whose timestamp lies far
// from its neighbours (a corrupt record: the year 2100, or a day back) must
// not move it. A packet more than clockJumpLimit ahead of the clock is held
// until the next packet: if that one lies near it, the capture really moved
// on (a quiet link, the next file of a day) and both are taken as they
// are; otherwise the held packet is taken at the clock's time. A packet
// more than clockJumpLimit behind the clock is taken at the clock's time
// too. Each record not believed is counted in the summary, which is
// flagged clock-jump.

// clockJumpLimit is the largest step the clock takes on one packet's word.
const clockJumpLimit = time.Hour

// holdJump reports whether p (whose Time is set) jumps far ahead of the
// clock and was held until the next packet.
func (t *Tracker) holdJump(p *decode.Packet) bool {
	if t.first.IsZero() || !p.Time.After(t.jumpAt) {
		return false
	}
	cp := copyPacket(p)
	t.held = &cp
	return true
}

// releaseHeld takes the held packet, believing its time if next (a time,
// zero at the end of the capture) lies near it.
func (t *Tracker) releaseHeld(next time.Time) {
	h := t.held
	t.held = nil
	if d := next.Sub(h.Time); !next.IsZero() && d >= -clockJumpLimit && d <= clockJumpLimit {
		t.setNow(h.Time)
	} else {
		t.clockJump(h)
	}
	t.dispatch(h)
}

// clock moves the capture clock for p (whose Time is set and not held) and
// runs the timers that came due.
func (t *Tracker) clock(p *decode.Packet) {
	switch {
	case t.first.IsZero():
		t.first = p.Time
		t.setNow(p.Time)
	case p.Time.After(t.now):
		t.setNow(p.Time)
	case t.now.Sub(p.Time) > clockJumpLimit:
		t.clockJump(p)
	case p.Time.Before(t.first):
		t.first = p.Time
	}
}

// setNow moves the clock forward to now and runs the timers due.
func (t *Tracker) setNow(now time.Time) {
	if !now.After(t.now) {
		return
	}
	t.now = now
	t.jumpAt = now.Add(clockJumpLimit)
	if !t.now.Before(t.nextTick) {
		t.runTimers()
	}
}

// clockJump takes p at the clock's time and counts it.
func (t *Tracker) clockJump(p *decode.Packet) {
	t.sum.Quality.ClockJumps++
	t.sum.Flags.Add(FlagClockJump)
	p.Time = t.now
}
