package audit

import (
	"fmt"
	"net/netip"
	"slices"
	"sort"
	"strings"

	"github.com/ftpsniff/ftpsniff/session"
)

// NFTTarget names the existing nftables table and filter chain the emitted
// rules go into (the data-connection rules are inserted at its top).
type NFTTarget struct {
	Family, Table, Chain string
}

// DefaultNFTTarget is "inet filter forward".
func DefaultNFTTarget() NFTTarget {
	return NFTTarget{Family: "inet", Table: "filter", Chain: "forward"}
}

// Recommendation kinds.
const (
	RecHelper       = "helper"        // attach the FTP conntrack helper, accept RELATED
	RecPassiveRange = "passive-range" // open a static passive range
	RecServerRange  = "server-range"  // move the server's passive range inside the policy
	RecNAT          = "nat-address"   // make the server advertise its public address
	RecClosedPort   = "closed-port"   // the server advertised ports nobody listens on
	RecUsePassive   = "use-passive"   // clients should not use active mode here
)

// Recommendation is the minimal change that lets the observed sessions of
// one server work.
type Recommendation struct {
	Server netip.AddrPort `json:"server"`
	Kind   string         `json:"kind"`
	Why    string         `json:"why"`
	// Transfers are the IDs of the failed transfers this fixes.
	Transfers []uint64 `json:"transfers"`
	// NFT is an nft -f script; IPTables the equivalent commands.
	NFT      []string `json:"nft,omitempty"`
	IPTables []string `json:"iptables,omitempty"`
	// Server lists server-side settings (vsftpd, proftpd, IIS).
	ServerFix []string `json:"server_fix,omitempty"`
}

func famMatch(a netip.Addr) (nft, ipt string) {
	if a.Unmap().Is4() {
		return "ip", "iptables"
	}
	return "ip6", "ip6tables"
}

func addrSet(as []netip.Addr) string {
	if len(as) == 1 {
		return as[0].String()
	}
	s := make([]string, len(as))
	for i, a := range as {
		s[i] = a.String()
	}
	return "{ " + strings.Join(s, ", ") + " }"
}

func uniqAddrs(as []netip.Addr) []netip.Addr {
	out := []netip.Addr{}
	for _, a := range as {
		a = a.Unmap()
		if !slices.Contains(out, a) {
			out = append(out, a)
		}
	}
	slices.SortFunc(out, func(a, b netip.Addr) int { return a.Compare(b) })
	return out
}

// Recommend chooses, per server, the smallest change that lets the failed
// transfers in findings work, from what failed and why.
func Recommend(findings []*Finding, transfers []*session.Transfer, servers []*ServerSummary, pol *Policy, tgt NFTTarget) []*Recommendation {
	if tgt.Family == "" {
		tgt = DefaultNFTTarget()
	}
	bySrv := map[netip.AddrPort][]*Finding{}
	var order []netip.AddrPort
	for _, f := range findings {
		if !f.Failed() {
			continue
		}
		if _, ok := bySrv[f.Server]; !ok {
			order = append(order, f.Server)
		}
		bySrv[f.Server] = append(bySrv[f.Server], f)
	}
	sort.Slice(order, func(i, j int) bool { return order[i].Compare(order[j]) < 0 })
	summ := map[netip.AddrPort]*ServerSummary{}
	for _, s := range servers {
		summ[s.Server] = s
	}
	var out []*Recommendation
	for _, srv := range order {
		fs := bySrv[srv]
		groups := map[string][]*Finding{}
		for _, f := range fs {
			groups[recKind(f)] = append(groups[recKind(f)], f)
		}
		for _, k := range []string{RecNAT, RecServerRange, RecClosedPort, RecHelper, RecPassiveRange, RecUsePassive} {
			g := groups[k]
			if len(g) == 0 {
				continue
			}
			r := &Recommendation{Server: srv, Kind: k}
			for _, f := range g {
				r.Transfers = append(r.Transfers, f.TransferID)
			}
			switch k {
			case RecNAT:
				recNAT(r, g, tgt)
			case RecServerRange:
				recServerRange(r, pol.For(srv))
			case RecClosedPort:
				r.Why = fmt.Sprintf("%d passive connection(s) were reset by the server itself: it advertised ports nothing listened on (a broken server, or a stale proxy/NAT mapping); no firewall rule helps", len(g))
				r.ServerFix = []string{"check that the server's passive listener is up when it answers PASV/EPSV, and that any proxy or DNAT maps the advertised ports to it"}
			case RecHelper:
				recHelper(r, g, tgt)
			case RecPassiveRange:
				recPassiveRange(r, g, transfers, summ[srv], tgt)
			case RecUsePassive:
				r.Why = "active mode fails here and the FTP helper cannot fix it (" + strings.Join(g[0].Helper.Reasons, "; ") + "): use passive mode (EPSV) with a static passive range on the server side"
				r.ServerFix = []string{"clients: use passive mode (EPSV/PASV), e.g. curl without -P, lftp set ftp:passive-mode on"}
			}
			out = append(out, r)
		}
	}
	return out
}

func recKind(f *Finding) string {
	switch {
	case f.HasKind(KindNATPrivate) || f.HasKind(KindUnspecifiedAddr):
		return RecNAT
	case f.HasKind(KindOutsideRange):
		return RecServerRange
	case f.Kind == KindClosedPort:
		return RecClosedPort
	case f.Verdict == session.Refused || f.Verdict == session.Unknown || (f.Verdict == session.NotAttempted && !f.HasKind(KindFirewallDrop)):
		return ""
	case f.Mode == session.Active && f.HasKind(KindPolicyActive):
		return RecUsePassive
	case f.Mode == session.Active && f.Helper.Outcome.Opens():
		return RecHelper
	case f.Mode == session.Active:
		return RecUsePassive
	default:
		return RecPassiveRange
	}
}

func recHelper(r *Recommendation, g []*Finding, tgt NFTTarget) {
	var clients []netip.Addr
	ctrl := g[0].Server.Port()
	for _, f := range g {
		clients = append(clients, f.Client.Addr())
	}
	clients = uniqAddrs(clients)
	srv := r.Server.Addr().Unmap()
	r.Why = fmt.Sprintf("%d active data connection(s) %s → client were blocked inbound to the client side; the FTP helper would have opened each one: attach it to the control port %d and accept RELATED from this server to these clients only", len(g), srv, ctrl)
	fam, ipt := famMatch(srv)
	var cl4 []netip.Addr
	for _, c := range clients {
		if c.Is4() == srv.Is4() {
			cl4 = append(cl4, c)
		}
	}
	if len(cl4) == 0 {
		cl4 = clients
	}
	t := fmt.Sprintf("%s %s", tgt.Family, tgt.Table)
	r.NFT = []string{
		fmt.Sprintf("# ftpsniff audit: FTP helper for %s (active mode)", r.Server),
		fmt.Sprintf("add ct helper %s ftpsniff-ftp { type \"ftp\" protocol tcp; l3proto %s; }", t, helperL3(tgt.Family, srv)),
		fmt.Sprintf("add chain %s ftpsniff-helper { type filter hook prerouting priority filter; policy accept; }", t),
		fmt.Sprintf("add rule %s ftpsniff-helper %s saddr %s %s daddr %s tcp dport %d ct helper set \"ftpsniff-ftp\"", t, fam, addrSet(cl4), fam, srv, ctrl),
		fmt.Sprintf("insert rule %s %s ct state related %s saddr %s %s daddr %s tcp dport 1024-65535 accept", t, tgt.Chain, fam, srv, fam, addrSet(cl4)),
	}
	for _, c := range cl4 {
		r.IPTables = append(r.IPTables,
			fmt.Sprintf("%s -t raw -A PREROUTING -p tcp -s %s -d %s --dport %d -j CT --helper ftp", ipt, c, srv, ctrl),
			fmt.Sprintf("%s -I FORWARD -m conntrack --ctstate RELATED -m helper --helper ftp -p tcp -s %s -d %s --dport 1024:65535 -j ACCEPT", ipt, srv, c))
	}
	r.ServerFix = []string{"or make the clients use passive mode (EPSV), which needs no inbound rule on the client side"}
}

func helperL3(family string, a netip.Addr) string {
	if family == "inet" {
		return "inet"
	}
	if a.Is4() {
		return "ip"
	}
	return "ip6"
}

func recPassiveRange(r *Recommendation, g []*Finding, transfers []*session.Transfer, s *ServerSummary, tgt NFTTarget) {
	lo, hi := uint16(65535), uint16(0)
	for _, t := range transfers {
		if t.Server != r.Server || t.Mode != session.Passive {
			continue
		}
		if p := dataPort(t); p != 0 && t.Verdict != session.Refused {
			lo, hi = min(lo, p), max(hi, p)
		}
	}
	if hi == 0 {
		return
	}
	srv := r.Server.Addr().Unmap()
	fam, ipt := famMatch(srv)
	rng := PortRange{lo, hi}
	why := fmt.Sprintf("%d passive data connection(s) client → %s were blocked inbound to the server side; the server used passive ports %s", len(g), srv, rng)
	if s != nil && s.TLSSessions > 0 {
		why += "; with TLS on the control channel no FTP helper can open them, so a static range is the only firewall fix"
	} else {
		why += "; open exactly that range to the server (or attach the FTP helper to the control port)"
	}
	r.Why = why + ". If the server's configured range is wider than what was observed, pin it to this range first"
	t := fmt.Sprintf("%s %s", tgt.Family, tgt.Table)
	r.NFT = []string{
		fmt.Sprintf("# ftpsniff audit: static passive range for %s", r.Server),
		fmt.Sprintf("insert rule %s %s %s daddr %s tcp dport %s ct state new accept", t, tgt.Chain, fam, srv, rng),
	}
	r.IPTables = []string{fmt.Sprintf("%s -I FORWARD -p tcp -d %s --dport %d:%d -m conntrack --ctstate NEW -j ACCEPT", ipt, srv, lo, hi)}
	r.ServerFix = serverRangeFix(rng)
}

func serverRangeFix(rng PortRange) []string {
	return []string{
		fmt.Sprintf("vsftpd: pasv_min_port=%d pasv_max_port=%d", rng.Lo, rng.Hi),
		fmt.Sprintf("proftpd: PassivePorts %d %d", rng.Lo, rng.Hi),
		fmt.Sprintf("IIS: appcmd set config /section:system.ftpServer/firewallSupport /lowDataChannelPort:%d /highDataChannelPort:%d", rng.Lo, rng.Hi),
	}
}

func recServerRange(r *Recommendation, e Effective) {
	r.Why = fmt.Sprintf("the server advertised passive ports outside the range the firewall allows (%s, %s): move the server's passive range inside it; the firewall needs no change", e.Passive, e.Scope)
	if len(e.Passive) > 0 {
		r.ServerFix = serverRangeFix(e.Passive[0])
	}
}

func recNAT(r *Recommendation, g []*Finding, tgt NFTTarget) {
	pub := r.Server.Addr().Unmap()
	priv := g[0].Endpoint.Addr()
	r.Why = fmt.Sprintf("the server advertises %s in its PASV replies, but clients reach it at %s: nothing routes there. Make it advertise %s (EPSV also avoids the problem), or let the NAT's FTP helper rewrite the 227", priv, pub, pub)
	r.ServerFix = []string{
		fmt.Sprintf("vsftpd: pasv_address=%s", pub),
		fmt.Sprintf("proftpd: MasqueradeAddress %s", pub),
		fmt.Sprintf("IIS: appcmd set config /section:system.applicationHost/sites /siteDefaults.ftpServer.firewallSupport.externalIp4Address:%s", pub),
	}
	fam, ipt := famMatch(pub)
	t := fmt.Sprintf("%s %s", tgt.Family, tgt.Table)
	r.NFT = []string{
		fmt.Sprintf("# ftpsniff audit: on the NAT device, let nf_nat_ftp rewrite the 227 of %s", r.Server),
		fmt.Sprintf("add ct helper %s ftpsniff-ftp { type \"ftp\" protocol tcp; l3proto %s; }", t, helperL3(tgt.Family, pub)),
		fmt.Sprintf("add chain %s ftpsniff-nathelper { type filter hook prerouting priority mangle; policy accept; }  # before DNAT", t),
		fmt.Sprintf("add rule %s ftpsniff-nathelper %s daddr %s tcp dport %d ct helper set \"ftpsniff-ftp\"", t, fam, pub, r.Server.Port()),
	}
	r.IPTables = []string{fmt.Sprintf("%s -t raw -A PREROUTING -p tcp -d %s --dport %d -j CT --helper ftp   # with nf_nat_ftp loaded", ipt, pub, r.Server.Port())}
}
