package session

import (
	"fmt"
	"strings"
	"time"
)

// decide returns the verdict of x if its outcome is known at now; atEnd
// says the capture is over, so nothing more will come.
func (x *transfer) decide(now time.Time, atEnd bool) (Verdict, string, bool) {
	cfg := &x.s.t.cfg
	final := atEnd || x.sessionEnded
	reply := replyNote(x.final)
	if x.refusedBy != nil {
		return Refused, replyNote(x.refusedBy) + " to " + x.rec.Negotiation, true
	}
	if !x.accepted && !x.rec.Endpoint.IsValid() {
		// Still waiting for the reply to the negotiation.
		switch {
		case x.awaitingReply && final:
			return Unknown, "no reply to " + x.rec.Negotiation + " was seen", true
		case x.flags["bad-argument"] && x.rec.NegotiationReply != nil:
			return Unknown, "server accepted a " + x.rec.Negotiation + " whose argument ftpsniff rejects", true
		case x.flags["bad-reply"]:
			if x.hasWaited(now, final) {
				return Unknown, "the " + x.rec.Negotiation + " reply could not be parsed; the data endpoint is unknown", true
			}
			return "", "", false
		case final:
			return Unknown, "the negotiation's outcome is not in the capture", true
		}
		if now.Sub(x.rec.Time) > cfg.ExpectTimeout {
			return Unknown, "no usable reply to " + x.rec.Negotiation + " within " + dur(cfg.ExpectTimeout), true
		}
		return "", "", false
	}
	c := x.conn
	if c == nil {
		return x.decideNoConn(now, final, atEnd, reply)
	}
	r := &c.rec
	switch {
	case r.Established:
		// Wait for the end of the connection or the final reply, to count bytes.
		if !final && !(r.Closed && x.final != nil) && !(x.final != nil && now.Sub(x.finalAt) > cfg.DropWait) {
			return "", "", false
		}
		if x.final != nil && x.final.Code == 425 {
			return Refused, fmt.Sprintf("connection established, then %s", reply), true
		}
		return OK, x.okReason(reply), true
	case r.ICMP != nil:
		if !final && x.final == nil && now.Sub(r.ICMP.Time) < cfg.SYNGrace {
			return "", "", false
		}
		return Unreachable, join(fmt.Sprintf("SYN answered by %s from %s", icmpName(r.ICMP), r.ICMP.From), reply), true
	case r.RST != nil && r.RST.FromListener:
		if !final && x.final == nil && now.Sub(r.RST.Time) < cfg.SYNGrace {
			return "", "", false
		}
		return Reset, join(fmt.Sprintf("SYN answered by RST from %s after %s", c.key.dst.Addr(), dur(r.RST.Time.Sub(r.FirstSYN))), reply), true
	case !r.SYNACK.IsZero():
		// SYN-ACK seen, never acknowledged: the return path lost it.
		if !final && x.final == nil && now.Sub(r.LastSeen) < cfg.DropWait {
			return "", "", false
		}
		return Dropped, join("SYN-ACK from the listener was never acknowledged (return path dropped)", reply), true
	default:
		// SYNs, no answer.
		waited := now.Sub(r.LastSYN)
		if !final && x.final == nil && waited < cfg.DropWait {
			return "", "", false
		}
		if atEnd && x.final == nil && r.SYNs < 2 && waited < cfg.SYNGrace {
			return Unknown, fmt.Sprintf("capture ended %s after the only SYN, before any answer", dur(waited)), true
		}
		return Dropped, join(synEvidence(r), reply), true
	}
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
	return now.Sub(x.rec.Time) >= cfg.ExpectTimeout
}

// decideNoConn decides a transfer for which no SYN was seen.
func (x *transfer) decideNoConn(now time.Time, final, atEnd bool, reply string) (Verdict, string, bool) {
	cfg := &x.s.t.cfg
	switch {
	case x.final != nil:
		if now.Sub(x.finalAt) < cfg.SettleGrace && !final {
			return "", "", false
		}
		if x.final.Code >= 200 && x.final.Code < 300 {
			x.flag("data-not-captured")
			return Unknown, "no data connection in the capture, but " + reply + " (the capture point did not see it)", true
		}
		return NotAttempted, join("no SYN seen", reply), true
	case x.superseded:
		if now.Sub(x.rec.Time) < cfg.SettleGrace && !final {
			return "", "", false
		}
		return NotAttempted, "no SYN seen; superseded by a later negotiation before any transfer command", true
	case x.sessionEnded && !atEnd:
		return NotAttempted, "no SYN seen before the control connection closed", true
	case atEnd:
		if x.s.closedAt.IsZero() && now.Sub(x.rec.Time) < cfg.ExpectTimeout {
			return Unknown, fmt.Sprintf("capture ended %s after the negotiation, before any data connection", dur(now.Sub(x.rec.Time))), true
		}
		return NotAttempted, "no SYN seen before the control connection closed", true
	case now.Sub(x.rec.Time) >= cfg.ExpectTimeout:
		return NotAttempted, "no SYN seen within " + dur(cfg.ExpectTimeout) + " of the negotiation", true
	}
	return "", "", false
}

// okReason describes an established connection.
func (x *transfer) okReason(reply string) string {
	r := &x.conn.rec
	var b strings.Builder
	fmt.Fprintf(&b, "connected in %s", dur(r.SYNACK.Sub(r.FirstSYN)))
	if r.SYNACK.IsZero() {
		b.Reset()
		b.WriteString("connection seen without its handshake")
	}
	if r.SYNs > 1 {
		fmt.Fprintf(&b, " after %d SYNs", r.SYNs)
	}
	fmt.Fprintf(&b, ", %d bytes to %s, %d bytes to %s", r.BytesToListener, side(x, false), r.BytesToConnector, side(x, true))
	if len(x.conns) > 1 {
		fmt.Fprintf(&b, ", %d connection attempts", len(x.conns))
	}
	return join(b.String(), reply)
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

// icmpName names an ICMP destination-unreachable code.
func icmpName(i *ICMPInfo) string {
	var n string
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
func dur(d time.Duration) string {
	switch {
	case d < 0:
		return "0 s"
	case d < time.Millisecond:
		return fmt.Sprintf("%d µs", d.Microseconds())
	case d < time.Second:
		return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond))
	}
	return fmt.Sprintf("%.1f s", d.Seconds())
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
