package session

import (
	"time"

	"github.com/ftpsniff/ftpsniff/decode"
)

// Control-channel reassembly. Each direction of a control connection is
// reassembled on its own: segments in order are parsed at once, straight
// from the packet; segments ahead of a hole are copied and queued (bounded
// per direction and per tracker) until the hole is filled, the peer
// acknowledges the missing bytes (they were lost by the capture, not the
// network), GapFlush passes, or the session ends; then the hole is reported
// as a gap and parsing resumes after it. Retransmitted and overlapping
// bytes are delivered once, first copy wins. Data connections are never
// reassembled.

// Queue limits: maxQueuedSegments per direction, maxQueuedTotal per tracker.
// A segment is at most one packet's payload, so a direction keeps about
// 16 x 1,460 bytes behind a hole on a typical path.
const (
	maxQueuedSegments = 16
	maxQueuedTotal    = 4096
)

// halfStream reassembles one direction of a control connection.
type halfStream struct {
	started bool   // next is known (SYN seen, or data when the capture began mid-stream)
	data    bool   // bytes were delivered or queued
	next    uint32 // sequence number of the next byte to parse
	queue   []queuedSegment
}

// queuedSegment is a copy of a segment that arrived ahead of its stream.
type queuedSegment struct {
	seq  uint32
	data []byte
	seen time.Time // capture time of its arrival
}

// segment feeds a control segment with payload or SYN to direction d (0:
// from the client) of s.
func (t *Tracker) segment(s *session, d int, p *decode.Packet) {
	h := &s.dirs[d]
	seq, data := p.TCP.Seq, p.Payload
	if p.TCP.Flags.Has(decode.SYN) {
		if !h.data {
			h.started, h.next = true, seq+1
		}
		seq++
	}
	if len(data) == 0 {
		return
	}
	if !h.started {
		// The capture began after the handshake: start where we are.
		h.started, h.next = true, seq
		if !s.synSeen && !s.resumed {
			// Not for a SYN-ACK that was lost or merged out of order.
			s.rec.MidStream = true
			s.flag(FlagMidStream)
		}
	}
	h.data = true
	if seqAfter(seq, h.next) {
		t.enqueue(s, d, seq, data, p.Time)
		return
	}
	t.deliverNew(s, d, seq, data, p.Time)
	t.drain(s, d, p.Time)
}

// deliverNew parses the bytes of a segment that starts at seq, at or before
// the next byte of direction d, which the stream has not parsed yet (none
// for a retransmission or a keep-alive); they arrived at time at.
func (t *Tracker) deliverNew(s *session, d int, seq uint32, data []byte, at time.Time) {
	h := &s.dirs[d]
	old := int64(h.next - seq) // bytes already parsed
	if int64(len(data)) <= old {
		return
	}
	b := data[old:]
	h.next += uint32(len(b))
	s.lineTime = at
	s.feed(d == 0, b)
}

// drain parses the queued segments of direction d that the stream has
// reached, in order. They became parseable at time at (the segment that
// filled the hole arrived then), or, with a zero at (a flush), each at its
// own arrival.
func (t *Tracker) drain(s *session, d int, at time.Time) {
	h := &s.dirs[d]
	for len(h.queue) > 0 && !seqAfter(h.queue[0].seq, h.next) {
		q := h.queue[0]
		h.queue = h.queue[1:]
		t.queued--
		when := at
		if when.IsZero() {
			when = q.seen
		}
		t.deliverNew(s, d, q.seq, q.data, when)
	}
	if len(h.queue) == 0 {
		h.queue = nil
	}
}

// enqueue keeps a copy of a segment that arrived ahead of direction d's
// stream, in sequence order. When the direction's or the tracker's queue
// is full, the direction skips to its queued data first.
func (t *Tracker) enqueue(s *session, d int, seq uint32, data []byte, seen time.Time) {
	h := &s.dirs[d]
	if h.queuedCopy(seq, len(data)) {
		return // a retransmission of a queued segment
	}
	if len(h.queue) >= maxQueuedSegments || t.queued >= maxQueuedTotal {
		t.flushQueue(s, d, time.Time{}, true)
		switch {
		case !seqAfter(seq, h.next):
			t.deliverNew(s, d, seq, data, seen)
			return
		case t.queued >= maxQueuedTotal:
			// Other sessions hold the whole budget: skip to this segment.
			s.gap(d == 0, int(seq-h.next))
			h.next = seq
			t.deliverNew(s, d, seq, data, seen)
			return
		}
	}
	i := h.insertAt(seq)
	h.queue = append(h.queue, queuedSegment{})
	copy(h.queue[i+1:], h.queue[i:])
	h.queue[i] = queuedSegment{seq: seq, data: append([]byte(nil), data...), seen: seen}
	t.queued++
	if !s.reordering {
		s.reordering = true
		t.reorder = append(t.reorder, s)
	}
}

// insertAt is where a segment starting at seq goes in the queue (after
// those starting at or before it).
func (h *halfStream) insertAt(seq uint32) int {
	i := len(h.queue)
	for i > 0 && int32(h.queue[i-1].seq-seq) > 0 {
		i--
	}
	return i
}

// queuedCopy reports whether a queued segment starting at seq already holds
// at least n bytes.
func (h *halfStream) queuedCopy(seq uint32, n int) bool {
	i := h.insertAt(seq)
	return i > 0 && h.queue[i-1].seq == seq && len(h.queue[i-1].data) >= n
}

// flushQueue gives up waiting for the holes in front of direction d's
// queued segments that arrived before the capture time before (all of them
// when all is set): each hole is reported as a gap and parsing resumes
// after it.
func (t *Tracker) flushQueue(s *session, d int, before time.Time, all bool) {
	h := &s.dirs[d]
	for len(h.queue) > 0 && (all || h.queue[0].seen.Before(before)) {
		if gap := int32(h.queue[0].seq - h.next); gap > 0 {
			s.gap(d == 0, int(gap))
			h.next = h.queue[0].seq
		}
		t.drain(s, d, time.Time{})
	}
}

// flushAll releases every queued segment of s, reporting the holes.
func (t *Tracker) flushAll(s *session) {
	t.flushQueue(s, 0, time.Time{}, true)
	t.flushQueue(s, 1, time.Time{}, true)
}

// flushReordered releases the queued data of every session that waited
// longer than GapFlush for a hole, and forgets sessions with nothing
// queued any more.
func (t *Tracker) flushReordered() {
	before := t.now.Add(-t.cfg.GapFlush)
	kept := t.reorder[:0]
	for _, s := range t.reorder {
		if !s.ended {
			t.flushQueue(s, 0, before, false)
			t.flushQueue(s, 1, before, false)
		}
		if !s.ended && len(s.dirs[0].queue)+len(s.dirs[1].queue) > 0 {
			kept = append(kept, s)
		} else {
			s.reordering = false
		}
	}
	clear(t.reorder[len(kept):])
	t.reorder = kept
}

// ackedGap notices when the peer acknowledges bytes of the other direction
// that the capture lacks while later bytes wait behind them: the bytes were
// lost by the capture, not the network, so waiting for a retransmission is
// pointless. The queued bytes are released at once (and the gap reported),
// which keeps commands and replies in their order.
func (t *Tracker) ackedGap(s *session, fromClient bool, p *decode.Packet) {
	o := dirIndex(!fromClient) // the other direction
	h := &s.dirs[o]
	if len(h.queue) == 0 || !seqAfter(p.TCP.Ack, h.next) {
		return
	}
	t.flushQueue(s, o, time.Time{}, true)
}

// seqAfter reports whether TCP sequence number a comes after b.
func seqAfter(a, b uint32) bool { return int32(a-b) > 0 }
