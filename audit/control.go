package audit

import (
	"fmt"

	"github.com/ftpsniff/ftpsniff/session"
)

// controlFinding turns a control connection that never got established
// (Session.Verdict set) into a finding, or returns nil.
func controlFinding(s *session.Session) *Finding {
	switch s.Verdict {
	case session.Dropped, session.Reset, session.Unreachable:
	default:
		return nil
	}
	f := &Finding{
		SessionID: s.ID, Time: s.Start, Client: s.Client, Server: s.Server, Verdict: s.Verdict,
		Kind: KindControlBlocked, Kinds: []Kind{KindControlBlocked},
		Direction: "client → server, control connection inbound to the server side",
		Place:     s.Reason,
	}
	what := ""
	switch s.Verdict {
	case session.Dropped:
		f.Confidence = Likely
		f.Firewall = &Placement{Place: PlaceRouter, Confidence: Possible, Alternative: PlaceServerHost,
			Evidence: "the control SYNs got no answer: a firewall in front of the server or on the server host dropped them (or the server is down); a capture on the server host settles it"}
		what = fmt.Sprintf("the control connection to %s never got an answer: open tcp/%d to the server", s.Server, s.Server.Port())
	case session.Unreachable:
		f.Confidence = Likely
		f.Firewall = &Placement{Place: PlaceRouter, Confidence: Likely, Alternative: PlaceServerHost, Evidence: "an ICMP error answered the control SYN"}
		if i := s.ControlICMP; i != nil {
			if i.From.Unmap() == s.Server.Addr().Unmap() {
				// The server host itself rejected it.
				f.Firewall = &Placement{Place: PlaceServerHost, Confidence: Likely,
					Evidence: fmt.Sprintf("the ICMP error came from the server %s itself (TTL %d): its own firewall rejected the SYN", i.From, i.TTL)}
			} else {
				f.Firewall = &Placement{Place: PlaceRouter, Confidence: Likely,
					Evidence: fmt.Sprintf("the ICMP error came from %s (TTL %d), a router between client and server, not the server", i.From, i.TTL)}
			}
		}
		what = fmt.Sprintf("the control connection to %s was rejected with ICMP: open tcp/%d to the server (or fix the route)", s.Server, s.Server.Port())
	case session.Reset:
		f.Confidence = Possible
		if r := s.ControlRST; r != nil {
			f.Place = fmt.Sprintf("%s; the RST arrived with TTL %d (%d hops from its sender to the capture point)", s.Reason, r.TTL, hops(r.TTL))
		}
		f.SettleBy = "a capture on the server host: a RST with the server's TTL and nothing listening there means a closed port, not a firewall"
		what = fmt.Sprintf("the control connection to %s was reset: nothing listens on tcp/%d, or a firewall rejects it", s.Server, s.Server.Port())
	}
	f.Explanation = fmt.Sprintf("control connection %s → %s %s (%s): %s.", s.Client, s.Server, s.Verdict, s.Reason, what)
	return f
}
