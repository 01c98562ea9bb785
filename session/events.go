package session

import (
	"net/netip"
	"time"
)

// A session's control lines (Config.ControlEvents), kept cheaply: the
// bytes of the first half of the lines are appended to one arena, those of
// the last half to another that drops its oldest line as a new one comes
// (compacted now and then); each line's position and time sit in a small
// record without pointers (nothing for the garbage collector to scan), and
// the endpoints some lines announce in a short list beside. The lines
// become ControlEvents once, when the session ends (one string for all
// their text, each line a substring of it).

// lineMeta is what is kept of a line besides its text.
type lineMeta struct {
	at       int64 // capture time, Unix nanoseconds
	seq, ack uint32
	flags    uint8
}

// lineMeta flags.
const (
	lineFromClient = 1 << iota
	lineContinued
	lineHasAck
)

// lineMark is the endpoint a line (by its ordinal) announced.
type lineMark struct {
	ordinal       int
	ep            netip.AddrPort
	implicit, bad bool
}

// lineLog holds a session's control lines while it lives.
type lineLog struct {
	headSize, tailSize int
	// head[i]'s text is arena[headOff[i]:headOff[i+1]].
	head    []lineMeta
	headOff []int32
	arena   []byte
	// tail[i] (i >= tstart) has the text tarena[tailOff[i]:tailOff[i+1]].
	tail    []lineMeta
	tailOff []int32
	tarena  []byte
	tstart  int
	total   int // lines added
	omitted int
	marks   []lineMark
	// last is the ordinal of each direction's latest line kept (-1: none).
	last [2]int
}

// newLineLog keeps up to n lines: the first and the last half.
func newLineLog(n int) *lineLog {
	return &lineLog{headSize: (n + 1) / 2, tailSize: n - (n+1)/2, last: [2]int{-1, -1}}
}

// add records a line (bytes copied) sent in direction d.
func (l *lineLog) add(d int, m lineMeta, line []byte) {
	k := l.total
	l.total++
	if len(l.head) < l.headSize {
		if l.headOff == nil {
			l.headOff = append(make([]int32, 0, 8), 0)
		}
		l.arena = append(l.arena, line...)
		l.headOff = append(l.headOff, int32(len(l.arena)))
		l.head = append(l.head, m)
		l.last[d] = k
		return
	}
	if l.tailSize == 0 {
		l.omitted++
		l.last[d] = -1
		return
	}
	if l.tailOff == nil {
		l.tailOff = []int32{0}
	}
	if len(l.tail)-l.tstart >= l.tailSize {
		l.tstart++ // the oldest of the tail drops out
		l.omitted++
		if l.tstart >= l.tailSize {
			l.compact()
		}
	}
	l.tarena = append(l.tarena, line...)
	l.tailOff = append(l.tailOff, int32(len(l.tarena)))
	l.tail = append(l.tail, m)
	l.last[d] = k
}

// mark notes the endpoint announced by direction d's latest line.
func (l *lineLog) mark(d int, ep netip.AddrPort, implicit, bad bool) {
	if l.last[d] >= 0 {
		l.marks = append(l.marks, lineMark{ordinal: l.last[d], ep: ep, implicit: implicit, bad: bad})
	}
}

// compact moves the live tail lines to the front of their slices and
// forgets the marks of lines no longer kept.
func (l *lineLog) compact() {
	base := l.tailOff[l.tstart]
	l.tarena = l.tarena[:copy(l.tarena, l.tarena[base:])]
	l.tail = l.tail[:copy(l.tail, l.tail[l.tstart:])]
	l.tailOff = l.tailOff[:copy(l.tailOff, l.tailOff[l.tstart:])]
	for i := range l.tailOff {
		l.tailOff[i] -= base
	}
	l.tstart = 0
	// The line being added is counted in total but not in tail yet.
	first := l.total - 1 - len(l.tail) // ordinal of the oldest tail line kept
	kept := l.marks[:0]
	for _, mk := range l.marks {
		if mk.ordinal < l.headSize || mk.ordinal >= first {
			kept = append(kept, mk)
		}
	}
	l.marks = kept
}

// events returns the lines in order as ControlEvents, and how many lines
// between the first and the last half were left out.
func (l *lineLog) events() ([]ControlEvent, int) {
	live := l.tail[l.tstart:]
	n := len(l.head) + len(live)
	if n == 0 {
		return nil, l.omitted
	}
	var tbytes []byte
	if len(live) > 0 {
		tbytes = l.tarena[l.tailOff[l.tstart]:]
	}
	text := string(append(append(make([]byte, 0, len(l.arena)+len(tbytes)), l.arena...), tbytes...))
	out := make([]ControlEvent, 0, n)
	for i, m := range l.head {
		out = append(out, m.event(text[l.headOff[i]:l.headOff[i+1]]))
	}
	shift := int32(len(l.arena))
	if len(live) > 0 {
		shift -= l.tailOff[l.tstart]
	}
	for i, m := range live {
		j := l.tstart + i
		out = append(out, m.event(text[l.tailOff[j]+shift:l.tailOff[j+1]+shift]))
	}
	firstTail := l.total - len(live)
	for _, mk := range l.marks {
		i := -1
		switch {
		case mk.ordinal < len(l.head):
			i = mk.ordinal
		case mk.ordinal >= firstTail:
			i = len(l.head) + mk.ordinal - firstTail
		}
		if i >= 0 && i < len(out) {
			out[i].Endpoint, out[i].EndpointImplicit, out[i].EndpointBad = mk.ep, mk.implicit, mk.bad
		}
	}
	return out, l.omitted
}

// event makes the ControlEvent of a line.
func (m lineMeta) event(line string) ControlEvent {
	return ControlEvent{Time: time.Unix(0, m.at).UTC(), FromClient: m.flags&lineFromClient != 0, Line: line,
		Continued: m.flags&lineContinued != 0, Seq: m.seq, Ack: m.ack, HasAck: m.flags&lineHasAck != 0}
}
