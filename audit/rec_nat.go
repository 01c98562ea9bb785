package audit

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/ftpsniff/ftpsniff/session"
)

// recNAT: the server advertises an address clients cannot reach. The fix
// is the server's (or its NAT's) address setting, never a rule opening
// ports on that address.
func recNAT(r *Recommendation, g []*Finding, in recInput) {
	pub := r.Server.Addr().Unmap()
	adv := g[0].Endpoint.Addr().Unmap()
	own := false
	for _, f := range g {
		if f.HasKind(KindNATPrivate) && f.Endpoint.Addr().Unmap() == pub {
			own = true
		}
	}
	target := pub.String()
	if session.Classify(pub).NonPublic() {
		target = "the public address clients connect to"
	}
	switch {
	case own:
		r.Why = fmt.Sprintf("the server advertises its own %s address %s in its PASV replies while clients are public: behind NAT it must advertise %s (EPSV also avoids the problem)", session.Classify(pub), pub, target)
	case session.Classify(adv).NonPublic():
		r.Why = fmt.Sprintf("the server advertises %s in its PASV replies, but clients reach it at %s: nothing routes there. Make it advertise %s (EPSV also avoids the problem)", adv, pub, pub)
	default:
		r.Why = fmt.Sprintf("the server advertises %s in its PASV replies, but clients reach it at %s: a wrong masquerade/pasv address. Make it advertise %s; no firewall rule for %s helps", adv, pub, pub, adv)
	}
	r.Opens = 0
	if !session.Classify(pub).NonPublic() {
		r.serverSettings(addressSettings(pub.String()))
	} else {
		r.ServerFix = append(r.ServerFix, "set the server's passive (masquerade) address to the public address clients connect to")
	}
	if session.Classify(adv) == session.ClassUnspecified && r.Software == SoftwareVsftpd {
		r.ServerFix = append(r.ServerFix, "vsftpd advertises 0,0,0,0 to IPv4 clients of a dual-stack listener (listen_ipv6=YES) even with pasv_address set: run it with listen=YES, listen_ipv6=NO (and a second instance for IPv6)")
	}
	if session.Classify(adv).NonPublic() && session.Classify(adv) != session.ClassUnspecified && !session.Classify(pub).NonPublic() {
		fam, ipt := famMatch(pub)
		t := fmt.Sprintf("%s %s", in.tgt.Family, in.tgt.Table)
		r.Alternatives = append(r.Alternatives, RuleSet{
			Place: PlaceRouter,
			When:  fmt.Sprintf("the server's own address is %s and the NAT device in front of it is Linux: its FTP helper (nf_nat_ftp) rewrites the 227", adv),
			NFT: []string{
				fmt.Sprintf("# ftpsniff audit: on the NAT device, let nf_nat_ftp rewrite the 227 of %s", r.Server),
				fmt.Sprintf("add ct helper %s ftpsniff-ftp { type \"ftp\" protocol tcp; l3proto %s; }", t, helperL3(in.tgt.Family, pub)),
				fmt.Sprintf("add chain %s ftpsniff-nathelper { type filter hook prerouting priority mangle; policy accept; }", t),
				fmt.Sprintf("add rule %s ftpsniff-nathelper %s daddr %s tcp dport %d ct helper set \"ftpsniff-ftp\"", t, fam, pub, r.Server.Port()),
			},
			IPTables: []string{fmt.Sprintf("%s -t raw -A PREROUTING -p tcp -d %s --dport %d -j CT --helper ftp   # with nf_nat_ftp loaded", ipt, pub, r.Server.Port())},
		})
	}
}

// recClientNAT: a client behind NAT uses active mode and its NAT has no
// FTP helper, so the PORT names an address the server cannot reach.
func recClientNAT(r *Recommendation, g []*Finding, in recInput) {
	srv := r.Server.Addr().Unmap()
	var priv []string
	for _, f := range g {
		a := f.Endpoint.Addr().Unmap().String()
		if !strings.Contains(strings.Join(priv, ","), a) {
			priv = append(priv, a)
		}
	}
	r.Why = fmt.Sprintf("%d active transfer(s) to %s: the client behind NAT advertises its private address %s in PORT/EPRT and its NAT does not rewrite it. Attach the FTP helper on the client's NAT device to the control port %d (with nf_nat_ftp it rewrites PORT/EPRT and opens the data connection back), or use passive mode (EPSV)", len(g), r.Server, strings.Join(priv, ", "), r.Server.Port())
	fam, ipt := famMatch(srv)
	t := fmt.Sprintf("%s %s", in.tgt.Family, in.tgt.Table)
	r.Place, r.When = PlaceRouter, "on the client's NAT device (the router that masquerades the client)"
	r.NFT = []string{
		fmt.Sprintf("# ftpsniff audit: on the client's NAT device, FTP helper + nf_nat_ftp for %s (rewrites PORT/EPRT)", r.Server),
		fmt.Sprintf("add ct helper %s ftpsniff-ftp { type \"ftp\" protocol tcp; l3proto %s; }", t, helperL3(in.tgt.Family, srv)),
		fmt.Sprintf("add chain %s ftpsniff-nathelper { type filter hook prerouting priority filter; policy accept; }", t),
		fmt.Sprintf("add rule %s ftpsniff-nathelper %s daddr %s tcp dport %d ct helper set \"ftpsniff-ftp\"", t, fam, srv, r.Server.Port()),
		fmt.Sprintf("insert rule %s %s ct state related %s saddr %s tcp dport 1024-65535 accept", t, in.tgt.Chain, fam, srv),
	}
	r.IPTables = []string{
		fmt.Sprintf("%s -t raw -A PREROUTING -p tcp -d %s --dport %d -j CT --helper ftp   # with nf_nat_ftp loaded", ipt, srv, r.Server.Port()),
		fmt.Sprintf("%s -I FORWARD -m conntrack --ctstate RELATED -m helper --helper ftp -p tcp -s %s --dport 1024:65535 -j ACCEPT", ipt, srv),
	}
	r.ServerFix = []string{"or: clients use passive mode (EPSV/PASV), which needs no helper on the client's NAT"}
}

// recNATPool: the data connection came from another address of the
// client's NAT pool than the control connection and the server refused it.
func recNATPool(r *Recommendation, g []*Finding, in recInput) {
	srv := r.Server.Addr().Unmap()
	var pool []netip.Addr
	for _, f := range g {
		pool = append(pool, f.Client.Addr())
		for _, t := range in.transfers {
			if t.ID == f.TransferID && t.Data != nil {
				pool = append(pool, t.Data.Connector.Addr())
			}
		}
	}
	pool = uniqAddrs(pool)
	lo, hi := pool[0], pool[len(pool)-1]
	rng := lo.String()
	if lo != hi {
		rng += "-" + hi.String()
	}
	r.Why = fmt.Sprintf("%d passive data connection(s) to %s came from another address of the client's NAT pool (%s) than their control connection, and the server refused them (\"425 Security: Bad IP\"): make the NAT map each inside host to one pool address (persistent); the observed pool addresses are %s (the configured pool may be larger: use it)", len(g), r.Server, addrSet(pool), rng)
	fam := "ip"
	ipt := "iptables"
	if !srv.Is4() {
		fam, ipt = "ip6", "ip6tables"
	}
	r.Place, r.When = PlaceRouter, "on the client's NAT device (its pool SNAT rule)"
	r.NFT = []string{
		fmt.Sprintf("# ftpsniff audit: on the client's NAT device, one pool address per inside host towards %s (runs before the existing pool SNAT)", srv),
		fmt.Sprintf("add table %s ftpsniff-nat", fam),
		fmt.Sprintf("add chain %s ftpsniff-nat postrouting { type nat hook postrouting priority srcnat - 1; policy accept; }", fam),
		fmt.Sprintf("add rule %s ftpsniff-nat postrouting %s daddr %s snat to %s persistent", fam, fam, srv, rng),
	}
	r.IPTables = []string{fmt.Sprintf("%s -t nat -I POSTROUTING -d %s -j SNAT --to-source %s --persistent", ipt, srv, rng)}
	r.ServerFix = []string{"or, at a security cost (any host may then connect to a passive port it learns of), relax the server's same-address check:"}
	r.serverSettings(promiscuousSettings)
}
