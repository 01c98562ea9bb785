package output

import (
	"bytes"
	"fmt"
	"slices"
	"time"

	"github.com/ftpsniff/ftpsniff/session"
)

// The ladder diagrams of the HTML report. A session's diagram is built from
// its records only: for each transfer, the negotiation and its reply, the
// transfer command and its replies, and the data connection's events (SYNs,
// SYN-ACK, RST, ICMP error, bytes, close) with their times. Control lines
// that belong to no transfer (USER, CWD, ...) are not in the records and
// are not drawn.

// maxLadderTransfers bounds the transfers drawn in one diagram: failures
// are kept first, and the rest are counted in a fold line.
const maxLadderTransfers = 16

// foldGap is the quiet time between two events above which the diagram
// folds the stretch into one marked line.
const foldGap = 10 * time.Second

// ladderSess is a session's diagram material.
type ladderSess struct {
	s         *session.Session    // a copy, set when the session ends
	transfers []*session.Transfer // copies, at most maxLadderTransfers
	folded    map[session.Verdict]int
	failed    bool
}

// add keeps a copy of t, preferring failures when the diagram is full.
func (l *ladderSess) add(t *session.Transfer) {
	if len(l.transfers) < maxLadderTransfers {
		l.transfers = append(l.transfers, ladderCopy(t))
		return
	}
	if t.Verdict.Failed() {
		// Evict the latest transfer that did not fail, if any.
		for i := len(l.transfers) - 1; i >= 0; i-- {
			if !l.transfers[i].Verdict.Failed() {
				l.fold(l.transfers[i].Verdict)
				l.transfers[i] = ladderCopy(t)
				return
			}
		}
	}
	l.fold(t.Verdict)
}

func (l *ladderSess) fold(v session.Verdict) {
	if l.folded == nil {
		l.folded = map[session.Verdict]int{}
	}
	l.folded[v]++
}

// ladderKey orders diagrams: sessions with failures first, then by start.
type ladderKey struct {
	l   *ladderSess
	seq uint64
}

func keepLadder(a, b ladderKey) bool {
	if a.l.failed != b.l.failed {
		return a.l.failed
	}
	return lessLadder(a, b)
}

func lessLadder(a, b ladderKey) bool {
	if !a.l.s.Start.Equal(b.l.s.Start) {
		return a.l.s.Start.Before(b.l.s.Start)
	}
	if a.l.s.ID != b.l.s.ID {
		return a.l.s.ID < b.l.s.ID
	}
	return a.seq < b.seq
}

// ladderKeeper collects the diagrams: transfers wait with their session
// until it ends, then the session is kept if it is among the first
// MaxDiagrams (failures first).
type ladderKeeper struct {
	open         map[uint64]*ladderSess
	kept         topN[ladderKey]
	failuresOnly bool
	seq          uint64
	total        int
	failed       int
	// closed is set once every diagram kept is of a session with
	// failures and no more fit: a session without failures can no longer
	// be kept, so its transfers are only counted until one fails.
	closed bool
}

func newLadderKeeper(n int, failuresOnly bool) ladderKeeper {
	return ladderKeeper{open: map[uint64]*ladderSess{}, kept: topN[ladderKey]{n: n, less: keepLadder},
		failuresOnly: failuresOnly}
}

// transfer adds t to its open session's diagram.
func (k *ladderKeeper) transfer(t *session.Transfer) {
	l := k.open[t.SessionID]
	if l == nil {
		l = &ladderSess{}
		k.open[t.SessionID] = l
	}
	if t.Verdict.Failed() {
		l.failed = true
	}
	if k.closed && !l.failed {
		l.fold(t.Verdict)
		return
	}
	l.add(t)
}

// session ends a session's diagram: it is kept or dropped.
func (k *ladderKeeper) session(s *session.Session) {
	l := k.open[s.ID]
	delete(k.open, s.ID)
	if l == nil {
		l = &ladderSess{}
	}
	if _, f := countTotals(s.Verdicts); f > 0 || s.Verdict.Failed() {
		l.failed = true
	}
	k.total++
	if l.failed {
		k.failed++
	}
	if k.failuresOnly && !l.failed {
		return
	}
	l.s = tableSession(s)
	l.s.Verdict, l.s.Reason = s.Verdict, s.Reason
	l.s.ClientTTLs, l.s.ServerTTLs = append([]uint8(nil), s.ClientTTLs...), append([]uint8(nil), s.ServerTTLs...)
	l.s.Flags = s.Flags
	k.seq++
	key := ladderKey{l: l, seq: k.seq}
	if k.kept.admits(key) {
		l.s.Events, l.s.EventsOmitted = slices.Clone(s.Events), s.EventsOmitted
		k.kept.add(key)
		k.closed = k.kept.n >= 0 && len(k.kept.items) >= k.kept.n && !slices.ContainsFunc(k.kept.items,
			func(x ladderKey) bool { return !x.l.failed })
	}
}

// ladderCopy deep-copies what a diagram draws of t (the tracker and Async
// reuse their records).
func ladderCopy(t *session.Transfer) *session.Transfer {
	c := new(session.Transfer)
	copyTransfer(c, t)
	c.Wire = nil
	if d := c.Data; d != nil {
		d.RST = copyPtr(nil, d.RST)
		d.ICMP = copyPtr(nil, d.ICMP)
	}
	return c
}

// render writes the sessions section.
func (k *ladderKeeper) render(b *bytes.Buffer) {
	b.WriteString(`<section id="sessions"><h2>Sessions</h2>` + "\n")
	keys := k.kept.sorted(keepLadder)
	shownFailed := 0
	for _, key := range keys {
		if key.l.failed {
			shownFailed++
		}
	}
	fmt.Fprintf(b, "<p>%s with failures drawn open; %d without, on demand.", plural(shownFailed, "session"), len(keys)-shownFailed)
	if n := k.total - len(keys); n > 0 {
		f := k.failed - shownFailed
		fmt.Fprintf(b, ` <span class="more">%s not drawn (%d with failures, %d without; --max-rows raises the limit).</span>`,
			plural(n, "more session"), f, n-f)
	}
	b.WriteString("</p>\n")
	for _, key := range keys {
		renderLadder(b, key.l)
	}
	b.WriteString("</section>\n")
}

// renderLadder writes one session's <details> block with its SVG.
func renderLadder(b *bytes.Buffer, l *ladderSess) {
	s := l.s
	cls, open := "ladder", ""
	if l.failed {
		cls, open = "ladder failed", " open"
	}
	fmt.Fprintf(b, `<details class="%s" data-session="%d" id="session-%d"%s><summary>`, cls, s.ID, s.ID, open)
	fmt.Fprintf(b, "<b>#%d</b> %s &rarr; %s, %s", s.ID, esc(addrPort(s.Client)), esc(addrPort(s.Server)), esc(textTime(s.Start)))
	if d := span(s.Start, s.End); d > 0 {
		b.WriteString(" (" + esc(humanDuration(d)) + ")")
	}
	if s.User != "" {
		b.WriteString(", user " + esc(firstLine(s.User)))
	}
	if sw := serverSoftware(s); sw != "" {
		b.WriteString(", " + esc(truncate(sw, 60)))
	}
	if s.Verdict != "" {
		b.WriteString(` <span class="v v-` + esc(string(s.Verdict)) + `">control connection ` + esc(string(s.Verdict)) + "</span>")
	}
	if p := countsPhrase(s.Verdicts); p != "" {
		b.WriteString(": " + esc(p))
	}
	b.WriteString("</summary>\n")
	lad := buildLadder(l)
	lad.svg(b)
	b.WriteString("</details>\n")
}

// lane identifies a vertical line of a diagram.
type lane int

const (
	laneClient lane = iota
	laneServer
	laneOther   // an FXP or bounce target: neither client nor server
	laneCapture // the capture point, between client and server
	laneBeyond  // a middlebox beyond the capture point, towards a lane
)

// ladderRow is one line of a diagram: an arrow, a note or a fold.
type ladderRow struct {
	t        time.Time
	from, to lane
	// unseen: the part of the arrow beyond the capture point was not seen
	// (drawn dashed).
	unseen bool
	// ghost: the capture has none of it (drawn dashed all along).
	ghost bool
	label string
	cls   string // ctl, ok, bad, unk
	note  bool   // a text line, no arrow
	fold  bool   // a folded quiet stretch or left-out transfers
}

// ladder is a laid-out diagram.
type ladder struct {
	s        *session.Session
	rows     []ladderRow
	other    string  // label of the third lane ("" when none)
	capFrac  float64 // where the capture point sits between client and server
	capLabel string
}
