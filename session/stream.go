package session

import "time"

// Control-channel reassembly. Each direction of a control connection is
// reassembled on its own: segments in order are handed on at once, straight
// from the packet; segments ahead of a hole are copied and queued (bounded
// per direction and per tracker) until the hole is filled, the peer
// acknowledges the missing bytes (they were lost by the capture, not the
// network), the flush delay passes, or the stream ends; then the hole is
// reported as a gap and delivery resumes after it. Retransmitted and
// overlapping bytes are delivered once, first copy wins. Data connections
// are never reassembled.
//
// The reassembler knows nothing of FTP: it reports to a streamConsumer
// (data, gap), and its owner ends it with end. Queued segments count
// against a segmentPool shared by every stream of a tracker, which also
// lists the streams holding queued data for the timed flush.

// streamConsumer receives what a reassembler delivers, per direction (0:
// from the client, 1: from the server).
type streamConsumer interface {
	// streamData delivers the next bytes of direction dir, which became
	// available at capture time at; seq is the TCP sequence number of b[0]
	// and ack the acknowledgment of the segment that carried it. b is
	// valid only during the call.
	streamData(dir int, b []byte, at time.Time, seq uint32, ack segAck)
	// streamGap reports n bytes of direction dir missing from the capture.
	streamGap(dir int, n int)
}

// Default queue limits: segments per direction, and per tracker. A segment
// is at most one packet's payload, so a direction keeps about 16 x 1,460
// bytes behind a hole on a typical path.
const (
	maxQueuedSegments = 16
	maxQueuedTotal    = 4096
)

// segAck is the acknowledgment number of a segment (valid with ok: the
// ACK flag was set).
type segAck struct {
	n  uint32
	ok bool
}

// segmentPool is the queue budget shared by the reassemblers of a tracker
// and the list of those that hold queued segments.
type segmentPool struct {
	queued  int // segments queued, all streams
	waiting []*reassembler
}

// reassembler reassembles the two directions of one control connection.
type reassembler struct {
	dirs    [2]halfStream
	out     streamConsumer
	pool    *segmentPool
	waiting bool // listed in pool.waiting
	ended   bool
}

// halfStream reassembles one direction of a control connection.
type halfStream struct {
	started bool   // next is known (SYN seen, or data when the capture began mid-stream)
	data    bool   // bytes were delivered or queued
	next    uint32 // sequence number of the next byte to deliver
	queue   []queuedSegment
}

// queuedSegment is a copy of a segment that arrived ahead of its stream.
type queuedSegment struct {
	seq  uint32
	ack  segAck
	data []byte
	seen time.Time // capture time of its arrival
}

// segment takes a segment of direction d: its sequence number, payload and
// SYN flag, captured at time at. It reports whether the direction started
// with this segment's data, without a SYN (the capture began mid-stream).
func (r *reassembler) segment(d int, seq uint32, ack segAck, data []byte, syn bool, at time.Time) (midStream bool) {
	h := &r.dirs[d]
	if syn {
		if !h.data {
			h.started, h.next = true, seq+1
		}
		seq++
	}
	if len(data) == 0 {
		return false
	}
	if !h.started {
		// The capture began after the handshake: start where we are.
		h.started, h.next = true, seq
		midStream = true
	}
	h.data = true
	if seqAfter(seq, h.next) {
		r.enqueue(d, seq, ack, data, at)
		return midStream
	}
	r.deliverNew(d, seq, ack, data, at)
	r.drain(d, at)
	return midStream
}

// deliverNew delivers the bytes of a segment that starts at seq, at or
// before the next byte of direction d, which the stream has not delivered
// yet (none for a retransmission or a keep-alive); they arrived at time at.
func (r *reassembler) deliverNew(d int, seq uint32, ack segAck, data []byte, at time.Time) {
	h := &r.dirs[d]
	old := int64(h.next - seq) // bytes already delivered
	if int64(len(data)) <= old {
		return
	}
	b := data[old:]
	start := h.next
	h.next += uint32(len(b))
	r.out.streamData(d, b, at, start, ack)
}

// drain delivers the queued segments of direction d that the stream has
// reached, in order. They became available at time at (the segment that
// filled the hole arrived then), or, with a zero at (a flush), each at its
// own arrival.
func (r *reassembler) drain(d int, at time.Time) {
	h := &r.dirs[d]
	for len(h.queue) > 0 && !seqAfter(h.queue[0].seq, h.next) {
		q := h.queue[0]
		h.queue = h.queue[1:]
		r.pool.queued--
		when := at
		if when.IsZero() {
			when = q.seen
		}
		r.deliverNew(d, q.seq, q.ack, q.data, when)
	}
	if len(h.queue) == 0 {
		h.queue = nil
	}
}

// enqueue keeps a copy of a segment that arrived ahead of direction d's
// stream, in sequence order. When the direction's or the pool's queue is
// full, the direction skips to its queued data first.
func (r *reassembler) enqueue(d int, seq uint32, ack segAck, data []byte, seen time.Time) {
	h := &r.dirs[d]
	if h.queuedCopy(seq, len(data)) {
		return // a retransmission of a queued segment
	}
	if len(h.queue) >= maxQueuedSegments || r.pool.queued >= maxQueuedTotal {
		r.flushQueue(d, time.Time{}, true)
		switch {
		case !seqAfter(seq, h.next):
			r.deliverNew(d, seq, ack, data, seen)
			return
		case r.pool.queued >= maxQueuedTotal:
			// Other streams hold the whole budget: skip to this segment.
			r.out.streamGap(d, int(seq-h.next))
			h.next = seq
			r.deliverNew(d, seq, ack, data, seen)
			return
		}
	}
	i := h.insertAt(seq)
	h.queue = append(h.queue, queuedSegment{})
	copy(h.queue[i+1:], h.queue[i:])
	h.queue[i] = queuedSegment{seq: seq, ack: ack, data: append([]byte(nil), data...), seen: seen}
	r.pool.queued++
	if !r.waiting {
		r.waiting = true
		r.pool.waiting = append(r.pool.waiting, r)
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
// when all is set): each hole is reported as a gap and delivery resumes
// after it.
func (r *reassembler) flushQueue(d int, before time.Time, all bool) {
	h := &r.dirs[d]
	for len(h.queue) > 0 && (all || h.queue[0].seen.Before(before)) {
		if gap := int32(h.queue[0].seq - h.next); gap > 0 {
			r.out.streamGap(d, int(gap))
			h.next = h.queue[0].seq
		}
		r.drain(d, time.Time{})
	}
}

// flushAll releases every queued segment, reporting the holes.
func (r *reassembler) flushAll() {
	r.flushQueue(0, time.Time{}, true)
	r.flushQueue(1, time.Time{}, true)
}

// end flushes the stream for good: nothing more will be delivered.
func (r *reassembler) end() {
	if r.ended {
		return
	}
	r.flushAll()
	r.ended = true
}

// queuedSegments is the number of segments the stream holds.
func (r *reassembler) queuedSegments() int { return len(r.dirs[0].queue) + len(r.dirs[1].queue) }

// acked notices when direction d's peer acknowledges bytes (up to ack)
// that the capture lacks while later bytes wait behind them: the bytes were
// lost by the capture, not the network, so waiting for a retransmission is
// pointless. The queued bytes are released at once (and the gap reported),
// which keeps commands and replies in their order.
func (r *reassembler) acked(d int, ack uint32) {
	h := &r.dirs[d]
	if len(h.queue) == 0 || !seqAfter(ack, h.next) {
		return
	}
	r.flushQueue(d, time.Time{}, true)
}

// flushBefore releases the queued data of every stream that waited since
// before the capture time before for a hole, and forgets streams with
// nothing queued any more.
func (p *segmentPool) flushBefore(before time.Time) {
	kept := p.waiting[:0]
	for _, r := range p.waiting {
		if !r.ended {
			r.flushQueue(0, before, false)
			r.flushQueue(1, before, false)
		}
		if !r.ended && r.queuedSegments() > 0 {
			kept = append(kept, r)
		} else {
			r.waiting = false
		}
	}
	clear(p.waiting[len(kept):])
	p.waiting = kept
}

// seqAfter reports whether TCP sequence number a comes after b.
func seqAfter(a, b uint32) bool { return int32(a-b) > 0 }
