package audit

import (
	"fmt"
	"net/netip"
	"sort"

	"github.com/ftpsniff/ftpsniff/session"
)

// Group is a set of findings with the same server, direction, cause,
// verdict and firewall place, with one explanation for all of them.
type Group struct {
	Server     netip.AddrPort  `json:"server"`
	Mode       session.Mode    `json:"mode,omitempty"`
	Direction  string          `json:"direction"`
	Kind       Kind            `json:"kind"`
	Verdict    session.Verdict `json:"verdict"`
	Place      Place           `json:"place,omitempty"`
	Confidence Confidence      `json:"confidence"`
	// Ports is the span of the data ports (zero for control connections).
	Ports PortRange `json:"ports"`
	Count int       `json:"count"`
	// Transfers and Sessions are the IDs in the group.
	Transfers []uint64 `json:"transfers,omitempty"`
	Sessions  []uint64 `json:"sessions,omitempty"`
	// Explanation is the group's diagnosis in one sentence; Example the
	// full explanation of its first finding.
	Explanation string `json:"explanation"`
	Example     string `json:"example"`
}

// GroupFindings groups findings by server, direction, cause, verdict and
// firewall place, in the order of their first finding; servers gives the
// inferred ranges the explanations cite.
func GroupFindings(fs []*Finding, servers []*ServerSummary) []*Group {
	type key struct {
		srv     netip.AddrPort
		mode    session.Mode
		kind    Kind
		verdict session.Verdict
		place   Place
		conf    Confidence
	}
	inf := map[netip.AddrPort]*RangeInference{}
	for _, s := range servers {
		if s.Allowed != nil {
			inf[s.Server] = s.Allowed
		}
	}
	by := map[key]*Group{}
	var out []*Group
	for _, f := range fs {
		k := key{f.Server, f.Mode, f.Kind, f.Verdict, placeOf(f), f.Confidence}
		if ri := inf[f.Server]; ri != nil && f.Mode == session.Passive && ri.Confidence != Possible {
			// Split at the inferred boundary: in range vs beyond it.
			if p := f.Endpoint.Port(); p > ri.Allowed.Hi || p < ri.Allowed.Lo {
				k.conf = "beyond"
			}
		}
		g := by[k]
		if g == nil {
			g = &Group{Server: f.Server, Mode: f.Mode, Direction: f.Direction, Kind: f.Kind, Verdict: f.Verdict, Place: placeOf(f),
				Confidence: f.Confidence, Ports: PortRange{65535, 0}, Example: f.Explanation}
			by[k] = g
			out = append(out, g)
		}
		g.Count++
		if f.TransferID != 0 {
			g.Transfers = append(g.Transfers, f.TransferID)
		} else {
			g.Sessions = append(g.Sessions, f.SessionID)
		}
		if p := f.Endpoint.Port(); p != 0 {
			g.Ports.Lo, g.Ports.Hi = min(g.Ports.Lo, p), max(g.Ports.Hi, p)
		}
	}
	for _, g := range out {
		if g.Ports.Hi == 0 {
			g.Ports = PortRange{}
		}
		g.Explanation = groupText(g, inf[g.Server])
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Server.Compare(out[j].Server) < 0 })
	return out
}

func groupText(g *Group, ri *RangeInference) string {
	ports := ""
	if g.Ports.Hi != 0 {
		ports = " port(s) " + g.Ports.String()
	}
	s := fmt.Sprintf("%d transfer(s) with %s%s: %s (%s, %s)", g.Count, g.Server, ports, g.Kind, g.Verdict, g.Confidence)
	switch g.Mode {
	case session.Passive:
		s = fmt.Sprintf("%d passive data connection(s) client → %s%s: %s (%s, %s)", g.Count, g.Server.Addr(), ports, g.Kind, g.Verdict, g.Confidence)
	case session.Active:
		s = fmt.Sprintf("%d active data connection(s) %s → client%s: %s (%s, %s)", g.Count, g.Server.Addr(), ports, g.Kind, g.Verdict, g.Confidence)
	}
	if g.Kind == KindBounceScan {
		s = fmt.Sprintf("%d PORT/EPRT probe(s) through %s to port(s) %s: FTP bounce scan (a security finding: no rule opens anything for it)", g.Count, g.Server, g.Ports)
	}
	if g.Kind == KindControlBlocked {
		s = fmt.Sprintf("%d control connection(s) to %s: %s (%s)", g.Count, g.Server, g.Verdict, g.Confidence)
	}
	if g.Place != "" {
		s += "; firewall: " + string(g.Place)
	}
	if ri != nil && g.Mode == session.Passive && ri.Worked > 0 && ri.Confidence != Possible {
		if g.Ports.Lo > ri.Allowed.Hi {
			s += fmt.Sprintf("; ports ≤ %d fine (%d worked)", ri.Allowed.Hi, ri.Worked)
		} else if g.Ports.Hi < ri.Allowed.Lo {
			s += fmt.Sprintf("; ports ≥ %d fine (%d worked)", ri.Allowed.Lo, ri.Worked)
		}
	}
	return s
}
