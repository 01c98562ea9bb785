package audit

import (
	"fmt"
	"net/netip"

	"github.com/ftpsniff/ftpsniff/session"
)

// recHelper attaches the FTP helper to the control port actually used, in
// the hooks of the firewall's place, and accepts RELATED from the server.
func recHelper(r *Recommendation, g []*Finding, place Place, in recInput) {
	var clients []netip.Addr
	ctrl := r.Server.Port()
	for _, f := range g {
		clients = append(clients, f.Client.Addr())
	}
	clients = uniqAddrs(clients)
	srv := r.Server.Addr().Unmap()
	var cl []netip.Addr
	for _, c := range clients {
		if c.Is4() == srv.Is4() {
			cl = append(cl, c)
		}
	}
	if len(cl) == 0 {
		cl = clients
	}
	r.Why = fmt.Sprintf("%d active data connection(s) %s → client were blocked inbound to the client side; the FTP helper would have opened each one: attach it to the control port %d actually used and accept RELATED from this server to these clients only", len(g), srv, ctrl)
	if ctrl != 21 {
		r.Why += fmt.Sprintf(". The helper must be bound to tcp/%d (ct helper set on dport %d): a helper on port 21 never sees this control connection", ctrl, ctrl)
		if worked21(in.transfers, srv) || in.fold.activeWorked(netip.AddrPortFrom(srv, 21)) {
			r.Why += "; the capture shows active transfers on control port 21 working (the helper works there) while those on this port fail"
		}
	}
	r.Opens = 0
	r.fill(g, place, func(p Place) RuleSet { return helperRules(r.Server, cl, p, in.tgt) })
	r.ServerFix = []string{"or make the clients use passive mode (EPSV), which needs no inbound rule on the client side"}
}

// worked21 reports whether an active transfer to srv on control port 21
// worked.
func worked21(ts []*session.Transfer, srv netip.Addr) bool {
	for _, t := range ts {
		if t.Mode == session.Active && t.Server.Port() == 21 && t.Server.Addr().Unmap() == srv && t.Verdict == session.OK {
			return true
		}
	}
	return false
}

// helperRules are the helper rules for a firewall at place p.
func helperRules(server netip.AddrPort, cl []netip.Addr, p Place, tgt NFTTarget) RuleSet {
	srv := server.Addr().Unmap()
	ctrl := server.Port()
	fam, ipt := famMatch(srv)
	t := fmt.Sprintf("%s %s", tgt.Family, tgt.Table)
	obj := fmt.Sprintf("add ct helper %s ftpsniff-ftp { type \"ftp\" protocol tcp; l3proto %s; }", t, helperL3(tgt.Family, srv))
	rs := RuleSet{Place: p, When: placeWhen(p)}
	switch p {
	case PlaceClientHost:
		rs.NFT = []string{
			fmt.Sprintf("# ftpsniff audit: FTP helper for %s on the client host (control leaves through output, data SYNs arrive through input)", server),
			obj,
			fmt.Sprintf("add chain %s ftpsniff-helper-out { type filter hook output priority filter - 1; policy accept; }", t),
			fmt.Sprintf("add rule %s ftpsniff-helper-out %s daddr %s tcp dport %d ct helper set \"ftpsniff-ftp\"", t, fam, srv, ctrl),
			fmt.Sprintf("insert rule %s %s ct state related %s saddr %s tcp dport 1024-65535 accept", t, tgt.InputChain, fam, srv),
		}
		rs.IPTables = []string{
			fmt.Sprintf("%s -t raw -A OUTPUT -p tcp -d %s --dport %d -j CT --helper ftp", ipt, srv, ctrl),
			fmt.Sprintf("%s -I INPUT -m conntrack --ctstate RELATED -m helper --helper ftp -p tcp -s %s --dport 1024:65535 -j ACCEPT", ipt, srv),
		}
	case PlaceServerHost:
		// Active mode: the control connection arrives through input, the
		// server's data SYN leaves through output.
		rs.NFT = []string{
			fmt.Sprintf("# ftpsniff audit: FTP helper for %s on the server host (control arrives through input, active data SYNs leave through output)", server),
			obj,
			fmt.Sprintf("add chain %s ftpsniff-helper-in { type filter hook input priority filter - 1; policy accept; }", t),
			fmt.Sprintf("add rule %s ftpsniff-helper-in %s daddr %s tcp dport %d ct helper set \"ftpsniff-ftp\"", t, fam, srv, ctrl),
			fmt.Sprintf("insert rule %s %s ct state related %s saddr %s %s daddr %s accept", t, tgt.OutputChain, fam, srv, fam, addrSet(cl)),
		}
		rs.IPTables = []string{
			fmt.Sprintf("%s -t raw -A PREROUTING -p tcp -d %s --dport %d -j CT --helper ftp", ipt, srv, ctrl),
			fmt.Sprintf("%s -I OUTPUT -m conntrack --ctstate RELATED -m helper --helper ftp -p tcp -s %s -j ACCEPT", ipt, srv),
		}
	default:
		rs.NFT = []string{
			fmt.Sprintf("# ftpsniff audit: FTP helper for %s on the router (active mode)", server),
			obj,
			fmt.Sprintf("add chain %s ftpsniff-helper { type filter hook prerouting priority filter; policy accept; }", t),
			fmt.Sprintf("add rule %s ftpsniff-helper %s saddr %s %s daddr %s tcp dport %d ct helper set \"ftpsniff-ftp\"", t, fam, addrSet(cl), fam, srv, ctrl),
			fmt.Sprintf("insert rule %s %s ct state related %s saddr %s %s daddr %s tcp dport 1024-65535 accept", t, tgt.Chain, fam, srv, fam, addrSet(cl)),
		}
		for _, c := range cl {
			rs.IPTables = append(rs.IPTables,
				fmt.Sprintf("%s -t raw -A PREROUTING -p tcp -s %s -d %s --dport %d -j CT --helper ftp", ipt, c, srv, ctrl),
				fmt.Sprintf("%s -I FORWARD -m conntrack --ctstate RELATED -m helper --helper ftp -p tcp -s %s -d %s --dport 1024:65535 -j ACCEPT", ipt, srv, c))
		}
	}
	return rs
}

// recControl opens the control port to the server at the firewall's place.
func recControl(r *Recommendation, g []*Finding, place Place, in recInput) {
	srv := r.Server.Addr().Unmap()
	fam, ipt := famMatch(srv)
	r.Why = fmt.Sprintf("%d control connection(s) to %s never got established (%s): open tcp/%d to the server; the data connections then need their own rules (passive range or helper)", len(g), r.Server, g[0].Verdict, r.Server.Port())
	r.Opens = 1
	r.fill(g, place, func(p Place) RuleSet {
		t := fmt.Sprintf("%s %s", in.tgt.Family, in.tgt.Table)
		rs := RuleSet{Place: p, When: placeWhen(p)}
		if p == PlaceServerHost {
			rs.NFT = []string{
				fmt.Sprintf("# ftpsniff audit: FTP control port of %s on the server host", r.Server),
				fmt.Sprintf("insert rule %s %s %s daddr %s tcp dport %d ct state new accept", t, in.tgt.InputChain, fam, srv, r.Server.Port()),
			}
			rs.IPTables = []string{fmt.Sprintf("%s -I INPUT -p tcp -d %s --dport %d -m conntrack --ctstate NEW -j ACCEPT", ipt, srv, r.Server.Port())}
			return rs
		}
		rs.NFT = []string{
			fmt.Sprintf("# ftpsniff audit: FTP control port of %s on the router", r.Server),
			fmt.Sprintf("insert rule %s %s %s daddr %s tcp dport %d ct state new accept", t, in.tgt.Chain, fam, srv, r.Server.Port()),
		}
		rs.IPTables = []string{fmt.Sprintf("%s -I FORWARD -p tcp -d %s --dport %d -m conntrack --ctstate NEW -j ACCEPT", ipt, srv, r.Server.Port())}
		return rs
	})
}
