package session

import (
	"net/netip"
	"strings"
	"testing"
	"time"
)

// TestDecide calls the pure decision on hand-made evidence: each rule of
// what may be said from what the capture shows.
func TestDecide(t *testing.T) {
	t0 := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
	at := func(s float64) time.Time { return t0.Add(time.Duration(s * float64(time.Second))) }
	d := DefaultConfig()
	base := func() Evidence {
		return Evidence{
			Timing: Timing{SYNGrace: d.SYNGrace, DropWait: d.DropWait, ExpectTimeout: d.ExpectTimeout, SettleGrace: d.SettleGrace},
			Mode:   Passive, Negotiation: PASV, EndpointKnown: true, Time: at(0), LastEvent: at(0.1),
			Replied: true, Accepted: true,
		}
	}
	reply := func(code int, text string, s float64) *Reply { return &Reply{Code: code, Text: text, Time: at(s)} }
	syns := func(n int, first, last float64) ConnEvidence {
		return ConnEvidence{DataConn: &DataConn{SYNs: n, FirstSYN: at(first), LastSYN: at(last), LastSeen: at(last),
			Listener: netip.MustParseAddrPort("203.0.113.20:40015")}, FromConnector: uint32(n)}
	}
	cases := []struct {
		name    string
		ev      func() Evidence
		now     float64
		atEnd   bool
		decided bool
		verdict Verdict
		reason  string
		flags   []Flag
	}{
		{"SYNs retransmitted, no answer, no reply yet: wait", func() Evidence {
			e := base()
			e.HasConn, e.Conn = true, syns(3, 0.2, 2.2)
			return e
		}, 3, false, false, "", "", nil},
		{"SYNs retransmitted, no answer: dropped", func() Evidence {
			e := base()
			e.HasConn, e.Conn = true, syns(3, 0.2, 2.2)
			return e
		}, 40, false, true, Dropped, "3 SYNs over 2.0 s", nil},
		{"unanswered SYNs next to 226: unknown, never dropped", func() Evidence {
			e := base()
			e.HasConn, e.Conn = true, syns(2, 0.2, 1.2)
			e.Final, e.FinalAt = reply(226, "226 Transfer complete.", 1.5), at(1.5)
			return e
		}, 40, false, true, Unknown, "226 Transfer complete.: the capture misses", nil},
		{"one SYN, no retransmission: unknown", func() Evidence {
			e := base()
			e.HasConn, e.Conn = true, syns(1, 0.2, 0.2)
			return e
		}, 60, false, true, Unknown, "1 SYN and no retransmission", []Flag{FlagOneSided}},
		{"one SYN then a quick 425: refused unseen, unknown", func() Evidence {
			e := base()
			e.HasConn, e.Conn = true, syns(1, 0.2, 0.2)
			e.Final, e.FinalAt = reply(425, "425 Failed to establish connection.", 0.3), at(0.3)
			return e
		}, 2, false, true, Unknown, "without a retransmission", []Flag{FlagOneSided}},
		{"one SYN then a 425 after the connect timeout: dropped", func() Evidence {
			e := base()
			e.HasConn, e.Conn = true, syns(1, 0.2, 0.2)
			e.Final, e.FinalAt = reply(425, "425 Failed to establish connection.", 8.2), at(8.2)
			return e
		}, 9, false, true, Dropped, "425", nil},
		{"RST next to 226 stays reset", func() Evidence {
			e := base()
			c := syns(1, 0.2, 0.2)
			c.RST = &RSTInfo{Time: at(0.3), FromListener: true, BeforeEstablished: true}
			e.HasConn, e.Conn = true, c
			e.Final, e.FinalAt = reply(226, "226 Closing data connection", 0.4), at(0.4)
			return e
		}, 9, false, true, Reset, "RST from 203.0.113.20", nil},
		{"established from the connector's side only", func() Evidence {
			e := base()
			c := syns(1, 0.2, 0.2)
			c.Established, c.Closed, c.FromConnector = true, true, 5
			c.Acked, c.AckSeen = [2]uint64{4096, 0}, [2]bool{true, false}
			e.HasConn, e.Conn = true, c
			e.Final, e.FinalAt = reply(226, "226 Transfer complete.", 0.5), at(0.5)
			return e
		}, 1, false, true, OK, "SYN-ACK not captured; the connector's packets show the connection), 0 bytes to server, ~4096 bytes to client", nil},
		{"no SYN, 226: unknown, data not captured", func() Evidence {
			e := base()
			e.Final, e.FinalAt = reply(226, "226 Transfer complete.", 0.5), at(0.5)
			return e
		}, 5, false, true, Unknown, "226", []Flag{FlagDataNotCaptured}},
		{"no SYN, 150 then 451: unknown", func() Evidence {
			e := base()
			e.Prelim = reply(150, "150 Opening BINARY mode data connection.", 0.4)
			e.Final, e.FinalAt = reply(451, "451 Local error.", 0.5), at(0.5)
			e.SessionEnded = true
			return e
		}, 5, false, true, Unknown, "150", []Flag{FlagDataNotCaptured}},
		{"no SYN, 425: waits for the session's end", func() Evidence {
			e := base()
			e.Final, e.FinalAt = reply(425, "425 Failed to establish connection.", 0.5), at(0.5)
			return e
		}, 5, false, false, "", "", nil},
		{"no SYN, 425, session over: not attempted", func() Evidence {
			e := base()
			e.Final, e.FinalAt = reply(425, "425 Failed to establish connection.", 0.5), at(0.5)
			e.SessionEnded = true
			return e
		}, 5, false, true, NotAttempted, "no SYN seen; server replied 425", nil},
		{"no SYN, 425, one-sided path: unknown", func() Evidence {
			e := base()
			e.Final, e.FinalAt = reply(425, "425 Failed to establish connection.", 0.5), at(0.5)
			e.SessionEnded, e.PairOneSided = true, true
			return e
		}, 5, false, true, Unknown, "one-sided", []Flag{FlagOneSided}},
		{"the wait runs from the last control event", func() Evidence {
			e := base()
			e.LastEvent = at(100)
			return e
		}, 200, false, false, "", "", nil},
		{"negotiation never answered", func() Evidence {
			e := base()
			e.Mode, e.Negotiation, e.Replied, e.Accepted = Active, PORT, false, false
			return e
		}, 200, false, true, Unknown, "never answered PORT", []Flag{FlagUnanswered}},
		{"superseded", func() Evidence {
			e := base()
			e.Superseded = true
			return e
		}, 2, false, true, NotAttempted, "superseded", []Flag{FlagSuperseded}},
		{"refused", func() Evidence {
			e := base()
			e.Mode, e.Negotiation, e.Accepted = Active, PORT, false
			e.Refusal = reply(500, "500 Illegal PORT command.", 0.1)
			return e
		}, 1, false, true, Refused, "500 Illegal PORT command. to PORT", nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ev := tc.ev()
			got := Decide(&ev, at(tc.now), tc.atEnd)
			if got.Decided != tc.decided || got.Verdict != tc.verdict {
				t.Fatalf("Decide = %v %s %q, want %v %s", got.Decided, got.Verdict, got.Reason, tc.decided, tc.verdict)
			}
			if !strings.Contains(got.Reason, tc.reason) {
				t.Errorf("reason %q lacks %q", got.Reason, tc.reason)
			}
			if got.Flags != FlagsOf(tc.flags...) {
				t.Errorf("flags %v, want %v", got.Flags, FlagsOf(tc.flags...))
			}
		})
	}
}
