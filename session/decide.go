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
func (x *Evidence) decide(now time.Time, atEnd bool) (v Verdict, reason string, ok bool, wake int64) {
	cfg := &x.Timing
	final := atEnd || x.SessionEnded
	if x.Refusal != nil {
		return Refused, replyNote(x.Refusal) + " to " + string(x.Negotiation), true, 0
	}
	if !x.Accepted && !x.EndpointKnown {
		// Still waiting for the reply to the negotiation.
		switch {
		case x.AwaitingReply && final:
			return Unknown, "no reply to " + string(x.Negotiation) + " was seen", true, 0
		case x.BadArgument && x.Replied:
			return Unknown, "server accepted a " + string(x.Negotiation) + " whose argument ftpsniff rejects", true, 0
		case x.BadReply:
			if x.hasWaited(now, final) {
				return Unknown, "the " + string(x.Negotiation) + " reply could not be parsed; the data endpoint is unknown", true, 0
			}
			wake = wakeAt(x.Time, cfg.ExpectTimeout)
			if x.Final != nil {
				wake = min(wake, wakeAt(x.FinalAt, cfg.SettleGrace))
			}
			return "", "", false, wake
		case final:
			return Unknown, "the negotiation's outcome is not in the capture", true, 0
		}
		if now.Sub(x.Time) > cfg.ExpectTimeout {
			return Unknown, "no usable reply to " + string(x.Negotiation) + " within " + dur(cfg.ExpectTimeout), true, 0
		}
		return "", "", false, wakeAt(x.Time, cfg.ExpectTimeout) + 1
	}
	if !x.HasConn {
		return x.decideNoConn(now, final, atEnd)
	}
	c := &x.Conn
	r := c.DataConn
	if r.Established {
		// Wait for the end of the connection or the final reply, to count bytes.
		if !final && !(r.Closed && x.Final != nil) && !(x.Final != nil && now.Sub(x.FinalAt) > cfg.DropWait) {
			if x.Final != nil {
				return "", "", false, wakeAt(x.FinalAt, cfg.DropWait) + 1
			}
			return "", "", false, never
		}
		if x.Final != nil && x.Final.Code == 425 {
			return Refused, fmt.Sprintf("connection established, then %s", replyNote(x.Final)), true, 0
		}
		return OK, x.okReason(x.Final), true, 0
	}
	v, reason, ok, wake = x.decideFailed(c, now, final, atEnd)
	if ok && v == Dropped && x.Final != nil && x.Final.Code >= 200 && x.Final.Code < 300 {
		// The server says the transfer completed: the capture, not the
		// network, lacks the packets that show the connection. (A RST or
		// an ICMP error is evidence of its own, and stays the verdict.)
		return Unknown, reason + ": the capture misses the packets that show the data connection", true, 0
	}
	return v, reason, ok, wake
}

// decideFailed decides a transfer whose data connection c was attempted
// but shows no sign of being established; its results are decide's.
func (x *Evidence) decideFailed(c *ConnEvidence, now time.Time, final, atEnd bool) (Verdict, string, bool, int64) {
	cfg := &x.Timing
	r := c.DataConn
	switch {
	case r.ICMP != nil:
		if !final && x.Final == nil && now.Sub(r.ICMP.Time) < cfg.SYNGrace {
			return "", "", false, wakeAt(r.ICMP.Time, cfg.SYNGrace)
		}
		return Unreachable, join(fmt.Sprintf("SYN answered by %s from %s", icmpName(r.ICMP), r.ICMP.From), replyNote(x.Final)), true, 0
	case r.RST != nil && r.RST.FromListener:
		if !final && x.Final == nil && now.Sub(r.RST.Time) < cfg.SYNGrace {
			return "", "", false, wakeAt(r.RST.Time, cfg.SYNGrace)
		}
		return Reset, join(fmt.Sprintf("SYN answered by RST from %s after %s", c.Listener.Addr(), dur(r.RST.Time.Sub(r.FirstSYN))), replyNote(x.Final)), true, 0
	case !r.SYNACK.IsZero():
		// SYN-ACK seen, never acknowledged: the return path lost it.
		if !final && x.Final == nil && now.Sub(r.LastSeen) < cfg.DropWait {
			return "", "", false, wakeAt(r.LastSeen, cfg.DropWait)
		}
		return Dropped, join("SYN-ACK from the listener was never acknowledged (return path dropped)", replyNote(x.Final)), true, 0
	case r.SYNs == 0:
		// Packets of the connection without SYN, RST or ACK evidence.
		return Unknown, "the data connection's packets do not show whether it was established", true, 0
	}
	// SYNs, no answer.
	waited := now.Sub(r.LastSYN)
	if !final && x.Final == nil && waited < cfg.DropWait {
		return "", "", false, wakeAt(r.LastSYN, cfg.DropWait)
	}
	switch {
	case x.Final != nil && x.Final.Code == 425 && (r.SYNs >= 2 || x.FinalAt.Sub(r.LastSYN) >= cfg.SYNGrace):
		return Dropped, join(synEvidence(r), replyNote(x.Final)), true, 0
	case x.Final != nil && x.Final.Code == 425:
		// One SYN, and the server gave up before it would have sent it
		// again: the SYN was refused (a RST or an ICMP error this
		// capture does not hold), not dropped.
		x.flag(FlagOneSided)
		return Unknown, join(fmt.Sprintf("1 SYN, no SYN-ACK, and the failure reported %s later without a retransmission (refused by a RST or ICMP error not in the capture?)", dur(x.FinalAt.Sub(r.LastSYN))), replyNote(x.Final)), true, 0
	case r.SYNs >= 2:
		// The connector retransmitted without progress: its SYNs (or the
		// answers) were lost on the way.
		return Dropped, join(synEvidence(r), replyNote(x.Final)), true, 0
	case atEnd && x.Final == nil && waited < cfg.SYNGrace:
		return Unknown, fmt.Sprintf("capture ended %s after the only SYN, before any answer", dur(waited)), true, 0
	}
	// One SYN and no retransmission: a connector whose SYN is lost sends
	// it again, so the answer was most likely not captured.
	x.flag(FlagOneSided)
	return Unknown, join("1 SYN and no retransmission; its answer is not in the capture", replyNote(x.Final)), true, 0
}

// hasWaited reports whether a transfer with no connection has waited long
// enough for one.
func (x *Evidence) hasWaited(now time.Time, final bool) bool {
	cfg := &x.Timing
	if final {
		return true
	}
	if x.Final != nil && now.Sub(x.FinalAt) >= cfg.SettleGrace {
		return true
	}
	return now.Sub(x.LastEvent) >= cfg.ExpectTimeout
}

// decideNoConn decides a transfer for which no SYN was seen; its results
// are decide's.
func (x *Evidence) decideNoConn(now time.Time, final, atEnd bool) (Verdict, string, bool, int64) {
	cfg := &x.Timing
	last := x.LastEvent
	switch {
	case x.Final != nil:
		if now.Sub(x.FinalAt) < cfg.SettleGrace && !final {
			return "", "", false, wakeAt(x.FinalAt, cfg.SettleGrace)
		}
		reply := replyNote(x.Final)
		if x.Final.Code >= 200 && x.Final.Code < 300 {
			x.flag(FlagDataNotCaptured)
			return Unknown, "no data connection in the capture, but " + reply + " (the capture point did not see it)", true, 0
		}
		if p := x.Prelim; p != nil && x.Final.Code != 425 {
			x.flag(FlagDataNotCaptured)
			return Unknown, "no data connection in the capture, but " + replyNote(p) + " before " + reply, true, 0
		}
		if !final {
			// Whether the capture sees this data path at all is known
			// best when the session is over.
			return "", "", false, never
		}
		if x.PairOneSided {
			return x.unseenPath(reply)
		}
		return NotAttempted, join("no SYN seen", reply), true, 0
	case x.Superseded:
		if now.Sub(x.Time) < cfg.SettleGrace && !final {
			return "", "", false, wakeAt(x.Time, cfg.SettleGrace)
		}
		x.flag(FlagSuperseded)
		return NotAttempted, "no SYN seen; superseded by a later negotiation before any transfer command", true, 0
	}
	due := final || now.Sub(last) >= cfg.ExpectTimeout
	if !due {
		return "", "", false, wakeAt(last, cfg.ExpectTimeout)
	}
	switch {
	case !x.Replied && x.Negotiation != Hidden:
		x.flag(FlagUnanswered)
		return Unknown, "the server never answered " + string(x.Negotiation) + " in the capture", true, 0
	case x.Prelim != nil:
		x.flag(FlagDataNotCaptured)
		return Unknown, "no data connection in the capture, but " + replyNote(x.Prelim) + " (the server had or was opening it)", true, 0
	case x.PairOneSided:
		return x.unseenPath("")
	case x.SessionEnded && !atEnd:
		return NotAttempted, "no SYN seen before the control connection closed", true, 0
	case atEnd:
		if !x.SessionClosed && now.Sub(last) < cfg.ExpectTimeout {
			return Unknown, fmt.Sprintf("capture ended %s after the negotiation, before any data connection", dur(now.Sub(last))), true, 0
		}
		return NotAttempted, "no SYN seen before the control connection closed", true, 0
	}
	return NotAttempted, "no SYN seen within " + dur(cfg.ExpectTimeout) + " of the negotiation", true, 0
}

// unseenPath decides a transfer without a data connection in a capture
// that misses one direction of the data path between the session's hosts:
// its attempt may have gone by unseen.
func (x *Evidence) unseenPath(reply string) (Verdict, string, bool, int64) {
	x.flag(FlagOneSided)
	return Unknown, join("no SYN seen, but this capture holds only one direction of other data connections between these hosts (one-sided), so the attempt may not be in it", reply), true, 0
}

// okReason describes an established connection; reply is the final reply
// to the transfer command, if any.
func (x *Evidence) okReason(reply *Reply) string {
	c := &x.Conn
	r := c.DataConn
	b := x.scratch[:0]
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
	b = append(b, ", "...)
	b = appendBytes(b, r.BytesToListener, c.FromConnector == 0, c.Acked[1], c.AckSeen[1], side(x.Mode, false))
	b = append(b, ", "...)
	b = appendBytes(b, r.BytesToConnector, c.FromListener == 0, c.Acked[0], c.AckSeen[0], side(x.Mode, true))
	if x.Attempts > 1 {
		b = append(b, ", "...)
		b = strconv.AppendInt(b, int64(x.Attempts), 10)
		b = append(b, " connection attempts"...)
	}
	if reply != nil {
		b = append(b, "; "...)
		b = appendReplyNote(b, reply)
	}
	x.scratch = b
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
func side(mode Mode, toConnector bool) string {
	if (mode == Active) == toConnector {
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
			n = "code " + strconv.Itoa(int(i.Code))
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
			n = "code " + strconv.Itoa(int(i.Code))
		}
		return fmt.Sprintf("ICMPv6 destination unreachable (%s, type %d code %d)", n, i.Type, i.Code)
	}
	n = map[uint8]string{0: "net unreachable", 1: "host unreachable", 2: "protocol unreachable", 3: "port unreachable", 4: "fragmentation needed", 9: "net administratively prohibited", 10: "host administratively prohibited", 13: "administratively prohibited", 14: "host precedence violation", 15: "precedence cutoff"}[i.Code]
	if n == "" {
		n = "code " + strconv.Itoa(int(i.Code))
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
