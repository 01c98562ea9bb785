package audit

import (
	"fmt"
	"net/netip"

	"github.com/ftpsniff/ftpsniff/session"
)

// wideOpen is the port count above which a recommendation says that it
// opens a very wide range.
const wideOpen = 10000

// pinMinPorts is the size of an allowed range that is always worth pinning
// the server into instead of opening more ports.
const pinMinPorts = 100

// recPassiveRange fixes passive connections blocked inbound to the server:
// pin the server's passive range inside what the firewall is inferred to
// allow, or open exactly the server's range, whichever is the smaller change.
func recPassiveRange(r *Recommendation, g []*Finding, place Place, in recInput) {
	lo, hi := uint16(65535), uint16(0)
	for _, f := range g {
		if p := f.Endpoint.Port(); p != 0 {
			lo, hi = min(lo, p), max(hi, p)
		}
	}
	for _, t := range in.transfers {
		if t.Server != r.Server || t.Mode != session.Passive || t.Verdict == session.Refused {
			continue
		}
		if p := dataPort(t); p != 0 {
			lo, hi = min(lo, p), max(hi, p)
		}
	}
	if span, n := in.fold.passiveSpan(r.Server); n > 0 {
		lo, hi = min(lo, span.Lo), max(hi, span.Hi)
	}
	if hi == 0 {
		return
	}
	srv := r.Server.Addr().Unmap()
	seen := PortRange{lo, hi}
	tls := in.summary != nil && in.summary.TLSSessions > 0
	ri := in.ranges
	open := []PortRange{seen}
	why := fmt.Sprintf("%d passive data connection(s) client → %s were blocked inbound to the server side; the server advertised ports %s", len(g), srv, seen)
	if ri != nil && ri.Confidence != Possible {
		pin := ri.Allowed
		var extra []PortRange
		if seen.Lo < pin.Lo {
			extra = append(extra, PortRange{seen.Lo, pin.Lo - 1})
		}
		if seen.Hi > pin.Hi {
			extra = append(extra, PortRange{pin.Hi + 1, seen.Hi})
		}
		n := 0
		for _, e := range extra {
			n += e.Count()
		}
		pinIt := pin.Count() >= min(pinMinPorts, seen.Count()) || n == 0
		why += ". " + sentence(ri.Evidence)
		r.Options = []Option{
			{Action: "pin-server-range", Range: pin, Opens: 0, Chosen: pinIt,
				Text: fmt.Sprintf("pin the server's passive range to %s, which the firewall allows (%s): opens 0 new ports, the server keeps %d%s", pin, ri.Confidence, pin.Count(), provenNote(ri))},
			{Action: "open-firewall-range", Range: seen, Opens: n, Chosen: !pinIt,
				Text: fmt.Sprintf("open the rest of the server's range (%s) on the firewall: opens %d more port(s)%s", Ranges(extra), n, wideNote(n))},
		}
		if pinIt {
			r.Why = why + fmt.Sprintf(". The smaller change: pin the server's passive range to %s (opens nothing); opening the rest of its range instead would open %d port(s)%s", pin, n, wideNote(n))
			r.serverSettings(rangeSettings(pin))
			r.Place, r.When = place, "server setting only: the firewall stays as it is"
			return
		}
		open = extra
		why += fmt.Sprintf(". The smaller change: open the %d port(s) %s; pinning the server to %s would leave it only %d port(s)", n, Ranges(extra), pin, pin.Count())
	} else {
		if seen.Lo == seen.Hi && in.software == SoftwareProFTPD && seen.Hi < 65535 {
			// ProFTPD's PassivePorts wants min < max.
			seen.Hi++
			open = []PortRange{seen}
		}
		n := seen.Count()
		why += fmt.Sprintf("; open exactly that range to the server (%d port(s))%s", n, wideNote(n))
		if tls {
			why += "; with TLS on the control channel no FTP helper can open them, so a static range is the only firewall fix"
		} else {
			why += " or attach the FTP helper to the control port"
		}
		why += ". The server's configured range may be wider than what was observed: pin it to this range too"
		r.Options = []Option{{Action: "open-firewall-range", Range: seen, Opens: n, Chosen: true, Text: fmt.Sprintf("open %s on the firewall: %d port(s)%s", seen, n, wideNote(n))}}
		r.serverSettings(rangeSettings(seen))
	}
	r.Why = why
	for _, o := range open {
		r.Opens += o.Count()
	}
	r.fill(g, place, func(p Place) RuleSet { return rangeRules(r.Server, open, p, in.tgt) })
}

// provenNote names the span seen working when the pin goes beyond it.
func provenNote(ri *RangeInference) string {
	if ri.Worked == 0 || ri.Allowed == ri.Proven {
		return ""
	}
	return fmt.Sprintf("; ports %s were seen working: pin to those if unsure", ri.Proven)
}

func wideNote(n int) string {
	if n > wideOpen {
		return " — a very wide opening: prefer pinning the server's range to a small one"
	}
	return ""
}

// rangeRules accept new connections to the server's ports in rs at place p.
func rangeRules(server netip.AddrPort, rs []PortRange, p Place, tgt NFTTarget) RuleSet {
	srv := server.Addr().Unmap()
	fam, ipt := famMatch(srv)
	t := fmt.Sprintf("%s %s", tgt.Family, tgt.Table)
	chain, iptChain := tgt.Chain, "FORWARD"
	switch p {
	case PlaceServerHost:
		chain, iptChain = tgt.InputChain, "INPUT"
	case PlaceClientHost:
		// The client's own output filter blocked its SYNs.
		chain, iptChain = tgt.OutputChain, "OUTPUT"
	}
	set := Ranges(rs).String()
	if len(rs) > 1 {
		set = "{ " + joinRanges(rs, ", ") + " }"
	}
	out := RuleSet{Place: p, When: placeWhen(p)}
	out.NFT = []string{
		fmt.Sprintf("# ftpsniff audit: static passive range for %s (%s)", server, p),
		fmt.Sprintf("insert rule %s %s %s daddr %s tcp dport %s ct state new accept", t, chain, fam, srv, set),
	}
	for _, r := range rs {
		out.IPTables = append(out.IPTables, fmt.Sprintf("%s -I %s -p tcp -d %s --dport %d:%d -m conntrack --ctstate NEW -j ACCEPT", ipt, iptChain, srv, r.Lo, r.Hi))
	}
	return out
}

func joinRanges(rs []PortRange, sep string) string {
	s := ""
	for i, r := range rs {
		if i > 0 {
			s += sep
		}
		s += r.String()
	}
	return s
}

func recServerRange(r *Recommendation, e Effective, in recInput) {
	r.Why = fmt.Sprintf("the server advertised passive ports outside the range the firewall allows (%s, %s): move the server's passive range inside it; the firewall needs no change (opens 0 ports)", e.Passive, e.Scope)
	if len(e.Passive) > 0 {
		r.serverSettings(rangeSettings(e.Passive[0]))
	}
}
