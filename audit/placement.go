package audit

import (
	"fmt"
	"slices"

	"github.com/ftpsniff/ftpsniff/session"
)

// Place says where the firewall that blocked a connection sits, which
// decides the netfilter hooks a fix goes into.
type Place string

// Firewall places.
const (
	// PlaceRouter: a router or network firewall between client and server
	// (hooks prerouting/forward).
	PlaceRouter Place = "router"
	// PlaceClientHost: the client machine's own firewall (control
	// connection leaves through output, data SYNs arrive through input).
	PlaceClientHost Place = "client-host"
	// PlaceServerHost: the server machine's own firewall (control
	// connection and passive data SYNs arrive through input).
	PlaceServerHost Place = "server-host"
)

// Placement is where the evidence puts the blocking firewall.
type Placement struct {
	Place      Place      `json:"place"`
	Confidence Confidence `json:"confidence"`
	// Evidence says which packets place it.
	Evidence string `json:"evidence"`
	// Alternative is another place the evidence does not rule out (empty
	// when there is none); the recommendation then carries both variants.
	Alternative Place `json:"alternative,omitempty"`
}

// hops is the number of routers a packet crossed, from its TTL and the
// usual initial TTLs (64, 128, 255).
func hops(ttl uint8) int {
	for _, init := range []int{64, 128, 255} {
		if int(ttl) <= init {
			return init - int(ttl)
		}
	}
	return 0
}

// ttlDistance is the smallest hop count among ttls, and whether the TTLs
// show the same host at two distances (a capture on a router with
// tcpdump -i any sees every forwarded packet before and after it is
// routed). It returns -1 when ttls is empty.
func ttlDistance(ttls []uint8) (int, bool) {
	d, two := -1, false
	for i, t := range ttls {
		h := hops(t)
		if d < 0 || h < d {
			d = h
		}
		for _, u := range ttls[i+1:] {
			if int(t)-int(u) == 1 || int(u)-int(t) == 1 {
				two = true
			}
		}
	}
	return d, two
}

// listenerTTLs returns the TTLs of the listening host's own packets: the
// session's side that listens, when the listener is that side's control
// address, plus the data connection's listener TTL.
func listenerTTLs(t *session.Transfer, s *session.Session) []uint8 {
	var out []uint8
	lis := t.Endpoint
	if t.Data != nil && t.Data.Listener.IsValid() {
		lis = t.Data.Listener
	}
	if s != nil {
		switch {
		case t.Mode == session.Active && lis.Addr().Unmap() == t.Client.Addr().Unmap():
			out = append(out, s.ClientTTLs...)
		case t.Mode == session.Passive && lis.Addr().Unmap() == t.Server.Addr().Unmap():
			out = append(out, s.ServerTTLs...)
		}
	}
	if t.Data != nil && t.Data.ListenerTTL != 0 && !slices.Contains(out, t.Data.ListenerTTL) {
		out = append(out, t.Data.ListenerTTL)
	}
	return out
}

// hostPlace is the host firewall of the side that listens in mode m.
func hostPlace(m session.Mode) Place {
	if m == session.Active {
		return PlaceClientHost
	}
	return PlaceServerHost
}

// placeFirewall places the firewall that blocked t's data connection from
// the TTLs of the listener's own packets and of the RST or ICMP error. It
// returns nil when t did not fail at a firewall.
func placeFirewall(t *session.Transfer, s *session.Session) *Placement {
	lt := listenerTTLs(t, s)
	dist, twice := ttlDistance(lt)
	if t.Data != nil && t.Data.Duplicates > 0 || s != nil && s.Flags.Has(session.FlagDuplicateFrames) {
		// Frames captured twice (tcpdump -i any on a router, a SPAN of both
		// sides): the TTL kept is the first copy's, from before routing.
		twice = true
	}
	host := hostPlace(t.Mode)
	side := "client"
	if t.Mode == session.Passive {
		side = "server"
	}
	switch t.Verdict {
	case session.Dropped:
		switch {
		case twice:
			return &Placement{Place: PlaceRouter, Confidence: Likely, Alternative: host,
				Evidence: fmt.Sprintf("the %s's packets appear with TTL %s and the control connection's frames were captured twice (tcpdump -i any or a SPAN on a router): the capture is on a router next to it, which is where the unanswered SYNs most likely died", side, ttlList(lt))}
		case dist == 0:
			return &Placement{Place: host, Confidence: Likely,
				Evidence: fmt.Sprintf("the %s's own packets reach the capture point with TTL %s (no router in between), so the SYNs that passed the capture point unanswered were dropped on the %s host itself", side, ttlList(lt), side)}
		case dist > 0:
			return &Placement{Place: PlaceRouter, Confidence: Possible, Alternative: host,
				Evidence: fmt.Sprintf("the %s's packets reach the capture point with TTL %s (%d router(s) in between): a router there or the %s's own firewall dropped the SYNs; a capture on the %s host settles it (SYN seen there: its host firewall)", side, ttlList(lt), dist, side, side)}
		}
		return &Placement{Place: PlaceRouter, Confidence: Possible, Alternative: host,
			Evidence: fmt.Sprintf("no packet of the %s is in the capture to measure its distance; a capture on the %s host settles it", side, side)}
	case session.Reset:
		if t.Data == nil || t.Data.RST == nil {
			return nil
		}
		r := t.Data.RST
		switch {
		case !r.FromListener:
			return &Placement{Place: PlaceRouter, Confidence: Certain, Evidence: "the RST came from an address other than the listener's"}
		case len(lt) > 0 && !slices.Contains(lt, r.TTL):
			return &Placement{Place: PlaceRouter, Confidence: Certain,
				Evidence: fmt.Sprintf("the RST carries the %s's address with TTL %d, its own packets TTL %s: forged %d hop(s) from the capture point", side, r.TTL, ttlList(lt), hops(r.TTL))}
		case len(lt) > 0:
			return &Placement{Place: host, Confidence: Certain,
				Evidence: fmt.Sprintf("the RST has TTL %d, as the %s's own packets: it was sent by the %s host itself", r.TTL, side, side)}
		case hops(r.TTL) == 0:
			return &Placement{Place: host, Confidence: Likely,
				Evidence: fmt.Sprintf("the RST arrives with TTL %d (no router in between): sent by the %s host", r.TTL, side)}
		}
		return &Placement{Place: PlaceRouter, Confidence: Possible, Alternative: host,
			Evidence: "no packet of the listener is in the capture to compare the RST's TTL with"}
	case session.Unreachable:
		if t.Data == nil || t.Data.ICMP == nil {
			return nil
		}
		ic := t.Data.ICMP
		lis := t.Endpoint
		if t.Data.Listener.IsValid() {
			lis = t.Data.Listener
		}
		if ic.From.Unmap() == lis.Addr().Unmap() {
			return &Placement{Place: host, Confidence: Certain, Evidence: fmt.Sprintf("the ICMP error was sent by the %s %s itself", side, ic.From)}
		}
		return &Placement{Place: PlaceRouter, Confidence: Certain, Evidence: fmt.Sprintf("the ICMP error was sent by %s, a router on the way to the %s", ic.From, side)}
	case session.NotAttempted:
		if failReply(t) == 0 {
			return nil
		}
		other := PlaceServerHost
		if t.Mode == session.Passive {
			other = PlaceClientHost
		}
		if dist == 0 && !twice {
			return &Placement{Place: PlaceRouter, Confidence: Likely, Alternative: other,
				Evidence: fmt.Sprintf("the capture is on the %s's segment (TTL %s) and no SYN reached it: a router on the way blocked it (or the connecting host's own outbound filter)", side, ttlList(lt))}
		}
		return &Placement{Place: PlaceRouter, Confidence: Possible, Alternative: other,
			Evidence: "no SYN reached the capture point: a firewall between the connecting host and the capture point blocked it; a capture next to the connecting host settles where"}
	}
	return nil
}
