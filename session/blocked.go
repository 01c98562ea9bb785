package session

import (
	"fmt"

	"github.com/ftpsniff/ftpsniff/decode"
)

// Blocked control connections. A client whose SYNs to an FTP server go
// unanswered, or are answered by a RST or an ICMP error, has no session to
// speak of — but it is the failure the engineer is looking for. Such a
// connection is reported as a session with a verdict and its evidence.

// handshake records the evidence of whether s's connection got
// established.
func (t *Tracker) handshake(s *session, p *decode.Packet, fromClient bool) {
	fl := p.TCP.Flags
	switch {
	case fromClient && fl.Has(decode.SYN) && !fl.Has(decode.ACK):
		if s.syns == 0 {
			s.firstSYN = p.Time
		}
		s.syns++
		s.lastSYN = p.Time
	case fl.Has(decode.RST):
		if !fromClient && !s.answered && s.rst == nil {
			s.rst = &RSTInfo{Time: p.Time, FromListener: true, BeforeEstablished: true, TTL: p.TTL}
		}
	default:
		// A SYN-ACK, or any other packet (an ACK, data, a FIN), exists only
		// on a connection the server answered.
		s.answered = true
	}
}

// established reports whether s's connection was answered by the server
// (or the capture began after its handshake).
func (s *session) established() bool { return s.answered || !s.synSeen }

// decideBlocked gives s a verdict when its connection never got going.
func (t *Tracker) decideBlocked(s *session, how CloseReason) {
	if s.established() || s.syns == 0 || s.rec.Verdict != "" {
		return
	}
	v, reason := Dropped, ""
	switch {
	case s.icmp != nil:
		v = Unreachable
		reason = fmt.Sprintf("SYN to the control port answered by %s from %s", icmpName(s.icmp), s.icmp.From)
	case s.rst != nil:
		v = Reset
		reason = fmt.Sprintf("SYN to the control port answered by RST from %s after %s", s.key.dst.Addr(), dur(s.rst.Time.Sub(s.firstSYN)))
	case s.syns >= 2:
		reason = fmt.Sprintf("%d SYNs to the control port over %s, no SYN-ACK", s.syns, dur(s.lastSYN.Sub(s.firstSYN)))
	case how == ClosedCaptureEnd && t.now.Sub(s.lastSYN) < t.cfg.SYNGrace:
		v = Unknown
		reason = fmt.Sprintf("capture ended %s after the only SYN to the control port, before any answer", dur(t.now.Sub(s.lastSYN)))
	default:
		// One SYN, never retransmitted: a client whose SYN is dropped
		// retransmits it, so the answer was most likely not captured.
		v = Unknown
		reason = "1 SYN to the control port and no retransmission; its answer is not in the capture"
		s.flag(FlagOneSided)
	}
	s.rec.Verdict, s.rec.Reason = v, reason
	s.rec.ControlRST, s.rec.ControlICMP = s.rst, s.icmp
	if v.Failed() {
		s.flag(FlagBlocked)
		t.sum.Blocked++
	}
}
