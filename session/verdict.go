package session

import (
	"fmt"
	"math"
	"strconv"
	"time"
)

// never is the wake time of a transfer whose verdict waits for an event,
// not for time to pass.
const never = int64(math.MaxInt64)

// wakeAt is the capture time, in Unix nanoseconds, at which a condition
// "now - from >= d" becomes true. Outside the years Unix nanoseconds can
// hold it is math.MinInt64: decide again at every check.
func wakeAt(from time.Time, d time.Duration) int64 {
	ns, ok := unixNanos(from.Add(d))
	if !ok {
		return math.MinInt64
	}
	return ns
}

// unixNanos returns t in Unix nanoseconds, and false when t lies outside
// what an int64 of nanoseconds can hold (1678 to 2262).
func unixNanos(t time.Time) (int64, bool) {
	if y := t.Year(); y < 1680 || y > 2260 {
		return 0, false
	}
	return t.UnixNano(), true
}

// decide returns the verdict of x if its outcome is known at now; atEnd
// says the capture is over, so nothing more will come. When the outcome is
// not known yet, wake is the earliest capture time (Unix nanoseconds) at
// which it can become known without a change to x or its connections
// (never when only such a change can decide it): until then, and until x
// is marked dirty, deciding again would give the same answer.
func (x *transfer) decide(now time.Time, atEnd bool) (v Verdict, reason string, ok bool, wake int64) {
	cfg := &x.s.t.cfg
	final := atEnd || x.sessionEnded
	if x.refusedBy != nil {
		return Refused, replyNote(x.refusedBy) + " to " + string(x.rec.Negotiation), true, 0
	}
	if !x.accepted && !x.rec.Endpoint.IsValid() {
		// Still waiting for the reply to the negotiation.
		switch {
		case x.awaitingReply && final:
			return Unknown, "no reply to " + string(x.rec.Negotiation) + " was seen", true, 0
		case x.rec.Flags.Has(FlagBadArgument) && x.rec.NegotiationReply != nil:
			return Unknown, "server accepted a " + string(x.rec.Negotiation) + " whose argument ftpsniff rejects", true, 0
		case x.rec.Flags.Has(FlagBadReply):
			if x.hasWaited(now, final) {
				return Unknown, "the " + string(x.rec.Negotiation) + " reply could not be parsed; the data endpoint is unknown", true, 0
			}
			wake = wakeAt(x.rec.Time, cfg.ExpectTimeout)
			if x.final != nil {
				wake = min(wake, wakeAt(x.finalAt, cfg.SettleGrace))
			}
			return "", "", false, wake
		case final:
			return Unknown, "the negotiation's outcome is not in the capture", true, 0
		}
		if now.Sub(x.rec.Time) > cfg.ExpectTimeout {
			return Unknown, "no usable reply to " + string(x.rec.Negotiation) + " within " + dur(cfg.ExpectTimeout), true, 0
		}
		return "", "", false, wakeAt(x.rec.Time, cfg.ExpectTimeout) + 1
	}
	c := x.conn
	if c == nil {
		return x.decideNoConn(now, final, atEnd)
	}
	r := &c.rec
	if r.Established {
		// Wait for the end of the connection or the final reply, to count bytes.
		if !final && !(r.Closed && x.final != nil) && !(x.final != nil && now.Sub(x.finalAt) > cfg.DropWait) {
			if x.final != nil {
				return "", "", false, wakeAt(x.finalAt, cfg.DropWait) + 1
			}
			return "", "", false, never
		}
		if x.final != nil && x.final.Code == 425 {
			return Refused, fmt.Sprintf("connection established, then %s", replyNote(x.final)), true, 0
		}
		return OK, x.okReason(x.final), true, 0
	}
	v, reason, ok, wake = x.decideFailed(c, now, final, atEnd)
	if ok && v == Dropped && x.final != nil && x.final.Code >= 200 && x.final.Code < 300 {
		// The server says the transfer completed: the capture, not the
		// network, lacks the packets that show the connection. (A RST or
		// an ICMP error is evidence of its own, and stays the verdict.)
		return Unknown, reason + ": the capture misses the packets that show the data connection", true, 0
	}
	return v, reason, ok, wake
}

// decideFailed decides a transfer whose data connection c was attempted
// but shows no sign of being established; its results are decide's.
func (x *transfer) decideFailed(c *dataConn, now time.Time, final, atEnd bool) (Verdict, string, bool, int64) {
	cfg := &x.s.t.cfg
	r := &c.rec
	switch {
	case r.ICMP != nil:
		if !final && x.final == nil && now.Sub(r.ICMP.Time) < cfg.SYNGrace {
			return "", "", false, wakeAt(r.ICMP.Time, cfg.SYNGrace)
		}
		return Unreachable, join(fmt.Sprintf("SYN answered by %s from %s", icmpName(r.ICMP), r.ICMP.From), replyNote(x.final)), true, 0
	case r.RST != nil && r.RST.FromListener:
		if !final && x.final == nil && now.Sub(r.RST.Time) < cfg.SYNGrace {
			return "", "", false, wakeAt(r.RST.Time, cfg.SYNGrace)
		}
		return Reset, join(fmt.Sprintf("SYN answered by RST from %s after %s", c.key.dst.Addr(), dur(r.RST.Time.Sub(r.FirstSYN))), replyNote(x.final)), true, 0
	case !r.SYNACK.IsZero():
		// SYN-ACK seen, never acknowledged: the return path lost it.
		if !final && x.final == nil && now.Sub(r.LastSeen) < cfg.DropWait {
			return "", "", false, wakeAt(r.LastSeen, cfg.DropWait)
		}
		return Dropped, join("SYN-ACK from the listener was never acknowledged (return path dropped)", replyNote(x.final)), true, 0
	case r.SYNs == 0:
		// Packets of the connection without SYN, RST or ACK evidence.
		return Unknown, "the data connection's packets do not show whether it was established", true, 0
	}
	// SYNs, no answer.
	waited := now.Sub(r.LastSYN)
	if !final && x.final == nil && waited < cfg.DropWait {
		return "", "", false, wakeAt(r.LastSYN, cfg.DropWait)
	}
	switch {
	case x.final != nil && x.final.Code == 425 && (r.SYNs >= 2 || x.finalAt.Sub(r.LastSYN) >= cfg.SYNGrace):
		return Dropped, join(synEvidence(r), replyNote(x.final)), true, 0
	case x.final != nil && x.final.Code == 425:
		// One SYN, and the server gave up before it would have sent it
		// again: the SYN was refused (a RST or an ICMP error this
		// capture does not hold), not dropped.
		x.flag(FlagOneSided)
		return Unknown, join(fmt.Sprintf("1 SYN, no SYN-ACK, and the failure reported %s later without a retransmission (refused by a RST or ICMP error not in the capture?)", dur(x.finalAt.Sub(r.LastSYN))), replyNote(x.final)), true, 0
	case r.SYNs >= 2:
		// The connector retransmitted without progress: its SYNs (or the
		// answers) were lost on the way.
		return Dropped, join(synEvidence(r), replyNote(x.final)), true, 0
	case atEnd && x.final == nil && waited < cfg.SYNGrace:
		return Unknown, fmt.Sprintf("capture ended %s after the only SYN, before any answer", dur(waited)), true, 0
	}
	// One SYN and no retransmission: a connector whose SYN is lost sends
	// it again, so the answer was most likely not captured.
	x.flag(FlagOneSided)
	return Unknown, join("1 SYN and no retransmission; its answer is not in the capture", replyNote(x.final)), true, 0
}

// hasWaited reports whether a transfer with no connection has waited long
// enough for one.
func (x *transfer) hasWaited(now time.Time, final bool) bool {
	cfg := &x.s.t.cfg
	if final {
		return true
	}
	if x.final != nil && now.Sub(x.finalAt) >= cfg.SettleGrace {
		return true
	}
	return now.Sub(x.lastEvent()) >= cfg.ExpectTimeout
}

// lastEvent is the time of the last control event that bears on x's data
// connection: the negotiation, its reply, the transfer command or a reply
// to it. A server may connect long after RETR (tape recall, slow storage):
// the wait for the connection runs from here.
func (x *transfer) lastEvent() time.Time {
	t := x.rec.Time
	if r := x.rec.NegotiationReply; r != nil && r.Time.After(t) {
		t = r.Time
	}
	if x.rec.CommandTime.After(t) {
		t = x.rec.CommandTime
	}
	for i := range x.rec.Replies {
		if x.rec.Replies[i].Time.After(t) {
			t = x.rec.Replies[i].Time
		}
	}
	return t
}

// hasPrelim reports whether the server sent a 1xx reply to the transfer
// command: it had (or was opening) its data connection.
func (x *transfer) hasPrelim() *Reply {
	for i := range x.rec.Replies {
		if r := &x.rec.Replies[i]; r.Code >= 100 && r.Code < 200 {
			return r
		}
	}
	return nil
}

// decideNoConn decides a transfer for which no SYN was seen; its results
// are decide's.
func (x *transfer) decideNoConn(now time.Time, final, atEnd bool) (Verdict, string, bool, int64) {
	cfg := &x.s.t.cfg
	last := x.lastEvent()
	switch {
	case x.final != nil:
		if now.Sub(x.finalAt) < cfg.SettleGrace && !final {
			return "", "", false, wakeAt(x.finalAt, cfg.SettleGrace)
		}
		reply := replyNote(x.final)
		if x.final.Code >= 200 && x.final.Code < 300 {
			x.flag(FlagDataNotCaptured)
			return Unknown, "no data connection in the capture, but " + reply + " (the capture point did not see it)", true, 0
		}
		if p := x.hasPrelim(); p != nil && x.final.Code != 425 {
			x.flag(FlagDataNotCaptured)
			return Unknown, "no data connection in the capture, but " + replyNote(p) + " before " + reply, true, 0
		}
		if !final {
			// Whether the capture sees this data path at all is known
			// best when the session is over.
			return "", "", false, never
		}
		if x.s.t.pairOneSided(x.s) {
			return x.unseenPath(reply)
		}
		return NotAttempted, join("no SYN seen", reply), true, 0
	case x.superseded:
		if now.Sub(x.rec.Time) < cfg.SettleGrace && !final {
			return "", "", false, wakeAt(x.rec.Time, cfg.SettleGrace)
		}
		x.flag(FlagSuperseded)
		return NotAttempted, "no SYN seen; superseded by a later negotiation before any transfer command", true, 0
	}
	due := final || now.Sub(last) >= cfg.ExpectTimeout
	if !due {
		return "", "", false, wakeAt(last, cfg.ExpectTimeout)
	}
	switch {
	case x.rec.NegotiationReply == nil && x.rec.Negotiation != Hidden:
		x.flag(FlagUnanswered)
		return Unknown, "the server never answered " + string(x.rec.Negotiation) + " in the capture", true, 0
	case x.hasPrelim() != nil:
		x.flag(FlagDataNotCaptured)
		return Unknown, "no data connection in the capture, but " + replyNote(x.hasPrelim()) + " (the server had or was opening it)", true, 0
	case x.s.t.pairOneSided(x.s):
		return x.unseenPath("")
	case x.sessionEnded && !atEnd:
		return NotAttempted, "no SYN seen before the control connection closed", true, 0
	case atEnd:
		if x.s.closedAt.IsZero() && now.Sub(last) < cfg.ExpectTimeout {
			return Unknown, fmt.Sprintf("capture ended %s after the negotiation, before any data connection", dur(now.Sub(last))), true, 0
		}
		return NotAttempted, "no SYN seen before the control connection closed", true, 0
	}
	return NotAttempted, "no SYN seen within " + dur(cfg.ExpectTimeout) + " of the negotiation", true, 0
}

// unseenPath decides a transfer without a data connection in a capture
// that misses one direction of the data path between the session's hosts:
// its attempt may have gone by unseen.
func (x *transfer) unseenPath(reply string) (Verdict, string, bool, int64) {
	x.flag(FlagOneSided)
	return Unknown, join("no SYN seen, but this capture holds only one direction of other data connections between these hosts (one-sided), so the attempt may not be in it", reply), true, 0
}

// okReason describes an established connection; reply is the final reply
// to the transfer command, if any.
func (x *transfer) okReason(reply *Reply) string {
	r := &x.conn.rec
	t := x.s.t
	b := t.scratch[:0]
	switch {
	case r.SYNs == 0 && r.SYNACK.IsZero():
		b = append(b, "connection seen without its handshake (handshake not captured)"...)
	case r.SYNACK.IsZero():
		b = append(b, "connected (SYN-ACK not captured; the connector's packets show the connection)"...)
	case r.SYNs == 0:
		b = append(b, "connected (SYN not captured)"...)
	default:
		b = append(b, "connected in "...)
		b = appendDur(b, r.SYNACK.Sub(r.FirstSYN))
	}
	if r.SYNs > 1 {
		b = append(b, " after "...)
		b = strconv.AppendInt(b, int64(r.SYNs), 10)
		b = append(b, " SYNs"...)
	}
	c := x.conn
	b = append(b, ", "...)
	b = appendBytes(b, r.BytesToListener, c.fromConnector == 0, c.acked[1], c.ackSeen[1], side(x, false))
	b = append(b, ", "...)
	b = appendBytes(b, r.BytesToConnector, c.fromListener == 0, c.acked[0], c.ackSeen[0], side(x, true))
	if len(x.conns) > 1 {
		b = append(b, ", "...)
		b = strconv.AppendInt(b, int64(len(x.conns)), 10)
		b = append(b, " connection attempts"...)
	}
	if reply != nil {
		b = append(b, "; "...)
		b = appendReplyNote(b, reply)
	}
	t.scratch = b
	return string(b)
}

// appendBytes appends the bytes sent to one side: the captured payload
// ("4096 bytes to client"), or — when the sender's packets were not
// captured — what the receiver acknowledged ("~4096 bytes to client"), or
// that it is unknown.
func appendBytes(b []byte, counted uint64, unseen bool, acked uint64, ackKnown bool, to string) []byte {
	switch {
	case !unseen:
		b = strconv.AppendUint(b, counted, 10)
	case ackKnown:
		b = append(b, '~')
		b = strconv.AppendUint(b, acked, 10)
	default:
		return append(append(append(b, "bytes to "...), to...), " not captured"...)
	}
	return append(append(b, " bytes to "...), to...)
}

// side names the host at one end of x's data connection: the connector
// (toConnector) or the listener.
func side(x *transfer, toConnector bool) string {
	if (x.rec.Mode == Active) == toConnector {
		return "server"
	}
	return "client"
}

// synEvidence describes unanswered SYNs.
func synEvidence(r *DataConn) string {
	if r.SYNs == 1 {
		return "1 SYN, no SYN-ACK"
	}
	return fmt.Sprintf("%d SYNs over %s, no SYN-ACK", r.SYNs, dur(r.LastSYN.Sub(r.FirstSYN)))
}

// icmpName names an ICMP error by its type and code.
func icmpName(i *ICMPInfo) string {
	var n string
	if i.V6 && i.Type == 3 || !i.V6 && i.Type == 11 {
		n = map[uint8]string{0: "hop limit exceeded in transit", 1: "fragment reassembly time exceeded"}[i.Code]
		if !i.V6 {
			n = map[uint8]string{0: "TTL exceeded in transit", 1: "fragment reassembly time exceeded"}[i.Code]
		}
		if n == "" {
			n = "code " + itoa(int(i.Code))
		}
		v := "ICMP"
		if i.V6 {
			v = "ICMPv6"
		}
		return fmt.Sprintf("%s time exceeded (%s, type %d code %d)", v, n, i.Type, i.Code)
	}
	if i.V6 {
		n = map[uint8]string{0: "no route", 1: "administratively prohibited", 2: "beyond scope", 3: "address unreachable", 4: "port unreachable", 5: "source address failed policy", 6: "reject route"}[i.Code]
		if n == "" {
			n = "code " + itoa(int(i.Code))
		}
		return fmt.Sprintf("ICMPv6 destination unreachable (%s, type %d code %d)", n, i.Type, i.Code)
	}
	n = map[uint8]string{0: "net unreachable", 1: "host unreachable", 2: "protocol unreachable", 3: "port unreachable", 4: "fragmentation needed", 9: "net administratively prohibited", 10: "host administratively prohibited", 13: "administratively prohibited", 14: "host precedence violation", 15: "precedence cutoff"}[i.Code]
	if n == "" {
		n = "code " + itoa(int(i.Code))
	}
	return fmt.Sprintf("ICMP destination unreachable (%s, type %d code %d)", n, i.Type, i.Code)
}

// dur renders a duration for a reason: "8.0 s", "1.2 ms".
func dur(d time.Duration) string { return string(appendDur(nil, d)) }

// appendDur appends dur(d) to b.
func appendDur(b []byte, d time.Duration) []byte {
	switch {
	case d < 0:
		return append(b, "0 s"...)
	case d < time.Millisecond:
		b = strconv.AppendInt(b, d.Microseconds(), 10)
		return append(b, " µs"...)
	case d < time.Second:
		b = strconv.AppendFloat(b, float64(d)/float64(time.Millisecond), 'f', 1, 64)
		return append(b, " ms"...)
	}
	b = strconv.AppendFloat(b, d.Seconds(), 'f', 1, 64)
	return append(b, " s"...)
}

func join(a, b string) string {
	if b == "" {
		return a
	}
	if a == "" {
		return b
	}
	return a + "; " + b
}
