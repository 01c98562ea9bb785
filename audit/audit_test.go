package audit

import (
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/ftpsniff/ftpsniff/session"
)

var t0 = time.Date(2026, 11, 24, 17, 0, 0, 0, time.UTC)

func ap(s string) netip.AddrPort { return netip.MustParseAddrPort(s) }

// port builds an active PORT transfer from client 198.51.100.10.
func port(line, ep string) *session.Transfer {
	return &session.Transfer{ID: 1, SessionID: 1, Client: ap("198.51.100.10:40000"), Server: ap("203.0.113.20:21"),
		Mode: session.Active, Negotiation: session.Negotiation(strings.Fields(line)[0]), NegotiationLine: line, Endpoint: ap(ep), Time: t0,
		NegotiationReply: &session.Reply{Code: 200, Text: "200 PORT command successful."},
		Wire:             &session.WireInfo{AtSegmentStart: true, OneSegment: true}, Verdict: session.OK}
}

// pasv builds a passive transfer answered by reply.
func pasv(neg, reply, ep string) *session.Transfer {
	code := 227
	if strings.HasPrefix(reply, "229") {
		code = 229
	}
	return &session.Transfer{ID: 2, SessionID: 1, Client: ap("198.51.100.10:40000"), Server: ap("203.0.113.20:21"),
		Mode: session.Passive, Negotiation: session.Negotiation(neg), NegotiationLine: neg, Endpoint: ap(ep), Time: t0,
		NegotiationReply: &session.Reply{Code: code, Text: reply},
		Wire:             &session.WireInfo{AtSegmentStart: true, OneSegment: true}, Verdict: session.OK}
}

func TestModelHelper(t *testing.T) {
	type mod func(*session.Transfer)
	cases := []struct {
		name   string
		tr     *session.Transfer
		mod    mod
		hc     HelperConfig
		ctx    HelperContext
		want   HelperOutcome
		reason string
	}{
		{"PORT ok", port("PORT 198,51,100,10,156,64", "198.51.100.10:40000"), nil, DefaultHelperConfig(), HelperContext{}, HelperExpects, ""},
		{"PORT lower case", port("port 198,51,100,10,156,64", "198.51.100.10:40000"), nil, DefaultHelperConfig(), HelperContext{}, HelperExpects, ""},
		{"EPRT v4", port("EPRT |1|198.51.100.10|40000|", "198.51.100.10:40000"), nil, DefaultHelperConfig(), HelperContext{}, HelperExpects, ""},
		{"EPRT port 0", port("EPRT |1|198.51.100.10|0|", "198.51.100.10:0"), nil, DefaultHelperConfig(), HelperContext{}, HelperDrops, "port is 0"},
		{"EPRT wrong AF", port("EPRT |2|::1|40000|", "[::1]:40000"), nil, DefaultHelperConfig(), HelperContext{}, HelperDrops, "address family"},
		{"PORT LF only", port("PORT 198,51,100,10,156,64", "198.51.100.10:40000"), func(x *session.Transfer) { x.Wire.LFOnly = true }, DefaultHelperConfig(), HelperContext{}, HelperDrops, "CR"},
		{"PORT spaces after commas", port("PORT 198, 51,100,10,156,64", "198.51.100.10:40000"), nil, DefaultHelperConfig(), HelperContext{}, HelperDrops, "six"},
		{"PORT octet > 255", port("PORT 198,51,100,10,256,22", "198.51.100.10:22"), nil, DefaultHelperConfig(), HelperContext{}, HelperDrops, "above 255"},
		{"PORT third host, loose=0", port("PORT 192,0,2,7,156,64", "192.0.2.7:40000"), nil, DefaultHelperConfig(), HelperContext{}, HelperIgnores, "loose=0"},
		{"PORT third host, loose=1", port("PORT 192,0,2,7,156,64", "192.0.2.7:40000"), nil, HelperConfig{Ports: []uint16{21}, Loose: true}, HelperContext{}, HelperExpects, ""},
		{"PORT rejected by server still opens", port("PORT 198,51,100,10,0,21", "198.51.100.10:21"), func(x *session.Transfer) {
			x.NegotiationReply = &session.Reply{Code: 500, Text: "500 Illegal PORT command."}
		}, DefaultHelperConfig(), HelperContext{}, HelperExpects, "rejected"},
		{"control port 2121", port("PORT 198,51,100,10,156,64", "198.51.100.10:40000"), func(x *session.Transfer) { x.Server = ap("203.0.113.20:2121") }, DefaultHelperConfig(), HelperContext{}, HelperIgnores, "not among"},
		{"control port 2121 configured", port("PORT 198,51,100,10,156,64", "198.51.100.10:40000"), func(x *session.Transfer) { x.Server = ap("203.0.113.20:2121") }, HelperConfig{Ports: []uint16{21, 2121}}, HelperContext{}, HelperExpects, ""},
		{"not at segment start", port("PORT 198,51,100,10,156,64", "198.51.100.10:40000"), func(x *session.Transfer) { x.Wire.AtSegmentStart = false }, DefaultHelperConfig(), HelperContext{}, HelperIgnores, "segment starts"},
		{"split over segments", port("PORT 198,51,100,10,156,64", "198.51.100.10:40000"), func(x *session.Transfer) { x.Wire.OneSegment = false }, DefaultHelperConfig(), HelperContext{}, HelperDrops, "partial"},
		{"TLS", port("PORT 198,51,100,10,156,64", "198.51.100.10:40000"), nil, DefaultHelperConfig(), HelperContext{TLS: true}, HelperIgnores, "encrypted"},
		{"LPRT", port("LPRT 4,4,198,51,100,10,2,156,64", "198.51.100.10:40000"), nil, DefaultHelperConfig(), HelperContext{}, HelperIgnores, "RFC 1639"},
		{"227 ok", pasv("PASV", "227 Entering Passive Mode (203,0,113,20,156,64).", "203.0.113.20:40000"), nil, DefaultHelperConfig(), HelperContext{}, HelperExpects, ""},
		{"227 no parens", pasv("PASV", "227 203,0,113,20,156,64", "203.0.113.20:40000"), nil, DefaultHelperConfig(), HelperContext{}, HelperExpects, ""},
		{"227 digit before the address", pasv("PASV", "227 Entering Passive Mode v2 (203,0,113,20,156,64)", "203.0.113.20:40000"), nil, DefaultHelperConfig(), HelperContext{}, HelperDrops, "first digit"},
		{"227 private address", pasv("PASV", "227 Entering Passive Mode (10,2,0,20,156,64).", "10.2.0.20:40000"), nil, DefaultHelperConfig(), HelperContext{}, HelperIgnores, "loose=0"},
		{"227 multi-line", pasv("PASV", "227-listen socket created\n227 Entering Passive Mode (203,0,113,20,156,64).", "203.0.113.20:40000"), func(x *session.Transfer) { x.Wire.AtSegmentStart = false }, DefaultHelperConfig(), HelperContext{}, HelperIgnores, "multi-line"},
		{"229 ok", pasv("EPSV", "229 Entering Extended Passive Mode (|||40000|)", "203.0.113.20:40000"), nil, DefaultHelperConfig(), HelperContext{}, HelperExpects, ""},
		{"229 bang delimiter", pasv("EPSV", "229 Entering Extended Passive Mode (!!!40000!)", "203.0.113.20:40000"), nil, DefaultHelperConfig(), HelperContext{}, HelperExpects, ""},
		{"229 for PASV", pasv("PASV", "229 Entering Extended Passive Mode (|||40000|)", "203.0.113.20:40000"), nil, DefaultHelperConfig(), HelperContext{}, HelperExpects, ""},
		{"229 bad delimiters", pasv("EPSV", "229 Entering Extended Passive Mode (|1|40000|)", "203.0.113.20:40000"), nil, DefaultHelperConfig(), HelperContext{}, HelperDrops, "delimiters"},
		{"reply 500", pasv("PASV", "500 no", "203.0.113.20:40000"), func(x *session.Transfer) { x.NegotiationReply.Code = 500 }, DefaultHelperConfig(), HelperContext{}, HelperIgnores, "500"},
		{"second negotiation before use", port("PORT 198,51,100,10,156,64", "198.51.100.10:40000"), func(x *session.Transfer) {
			x.Data = &session.DataConn{FirstSYN: t0.Add(2 * time.Second)}
		}, DefaultHelperConfig(), HelperContext{NextExpectation: t0.Add(time.Second)}, HelperEvicted, "max_expected=1"},
		{"SYN after 300 s", port("PORT 198,51,100,10,156,64", "198.51.100.10:40000"), func(x *session.Transfer) {
			x.Data = &session.DataConn{FirstSYN: t0.Add(301 * time.Second)}
		}, DefaultHelperConfig(), HelperContext{}, HelperExpired, "timeout"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if c.mod != nil {
				c.mod(c.tr)
			}
			v := ModelHelper(c.tr, c.hc, c.ctx)
			if v.Outcome != c.want {
				t.Fatalf("outcome %s, want %s (%v)", v.Outcome, c.want, v.Reasons)
			}
			if c.reason != "" && !strings.Contains(strings.Join(v.Reasons, "; "), c.reason) {
				t.Errorf("reasons %q lack %q", v.Reasons, c.reason)
			}
			if c.reason == "" && len(v.Reasons) > 0 {
				t.Errorf("unexpected reasons %q", v.Reasons)
			}
		})
	}
}

func failedActive(v session.Verdict, d *session.DataConn) *session.Transfer {
	x := port("PORT 198,51,100,10,156,64", "198.51.100.10:40000")
	x.Verdict = v
	x.Data = d
	return x
}

func failedPassive(v session.Verdict, ep string, d *session.DataConn) *session.Transfer {
	a := netip.MustParseAddrPort(ep)
	x := pasv("PASV", "227 Entering Passive Mode ("+strings.ReplaceAll(a.Addr().String(), ".", ",")+",156,64).", ep)
	x.Verdict = v
	x.Data = d
	return x
}

func TestDiagnose(t *testing.T) {
	cli := netip.MustParseAddr("198.51.100.10")
	fw := netip.MustParseAddr("203.0.113.1")
	dropped := &session.DataConn{Connector: ap("203.0.113.20:20"), Listener: ap("198.51.100.10:40000"), SYNs: 7, FirstSYN: t0, LastSYN: t0.Add(7 * time.Second)}
	sess := &session.Session{ID: 1, ClientTTLs: []uint8{63}, ServerTTLs: []uint8{64}}
	allow5000 := &Effective{Scope: "default", Passive: Ranges{{1024, 5000}}, Active: true, Control: []uint16{21}}
	noActive := &Effective{Scope: "default", Active: false, Control: []uint16{21}}
	cases := []struct {
		name     string
		tr       *session.Transfer
		policy   *Effective
		want     Kind
		also     []Kind
		contains string
	}{
		{"active dropped, helper would work", failedActive(session.Dropped, dropped), nil, KindFirewallDrop, []Kind{KindHelperNotApplied}, "inbound to the client side"},
		{"RST from the listener's host", failedActive(session.Reset, &session.DataConn{Listener: ap("198.51.100.10:40000"), RST: &session.RSTInfo{FromListener: true, TTL: 63}}), nil, KindRejectRST, nil, "host firewall"},
		{"RST forged with another TTL", failedActive(session.Reset, &session.DataConn{Listener: ap("198.51.100.10:40000"), RST: &session.RSTInfo{FromListener: true, TTL: 64}}), nil, KindRejectRST, nil, "forged"},
		{"RST not from listener", failedActive(session.Reset, &session.DataConn{Listener: ap("198.51.100.10:40000"), RST: &session.RSTInfo{FromListener: false, TTL: 64}}), nil, KindRejectRST, nil, "middlebox"},
		{"passive RST from server = closed port", failedPassive(session.Reset, "203.0.113.20:40000", &session.DataConn{Listener: ap("203.0.113.20:40000"), RST: &session.RSTInfo{FromListener: true, TTL: 64}}), nil, KindClosedPort, nil, "nothing listened"},
		{"ICMP admin prohibited from router", failedActive(session.Unreachable, &session.DataConn{Listener: ap("198.51.100.10:40000"), ICMP: &session.ICMPInfo{From: fw, Type: 3, Code: 13}}), nil, KindRejectICMP, nil, "not by the listener"},
		{"ICMP port unreachable from listener", failedActive(session.Unreachable, &session.DataConn{Listener: ap("198.51.100.10:40000"), ICMP: &session.ICMPInfo{From: cli, Type: 3, Code: 3}}), nil, KindClosedPort, nil, "no socket"},
		{"ICMP host unreachable from router", failedActive(session.Unreachable, &session.DataConn{Listener: ap("198.51.100.10:40000"), ICMP: &session.ICMPInfo{From: fw, Type: 3, Code: 1}}), nil, KindNoRoute, nil, "no route"},
		{"ICMPv6 admin prohibited", failedActive(session.Unreachable, &session.DataConn{Listener: ap("198.51.100.10:40000"), ICMP: &session.ICMPInfo{From: fw, V6: true, Type: 1, Code: 1}}), nil, KindRejectICMP, nil, "administratively"},
		{"server advertises private address", failedPassive(session.Dropped, "10.2.0.20:40000", &session.DataConn{Listener: ap("10.2.0.20:40000"), SYNs: 4, FirstSYN: t0, LastSYN: t0.Add(3 * time.Second)}), nil, KindNATPrivate, []Kind{KindHelperMiss}, "set pasv_address"},
		{"passive port outside the policy", failedPassive(session.Dropped, "203.0.113.20:36208", &session.DataConn{Listener: ap("203.0.113.20:36208"), SYNs: 4, FirstSYN: t0, LastSYN: t0.Add(3 * time.Second)}), allow5000, KindOutsideRange, []Kind{KindFirewallDrop}, "Port 36208 is outside the allowed 1024-5000"},
		{"active not allowed by the policy", failedActive(session.Dropped, dropped), noActive, KindFirewallDrop, []Kind{KindPolicyActive}, "not allowed"},
		{"not attempted", failedActive(session.NotAttempted, nil), nil, KindNotAttempted, nil, "before the capture point"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			hv := ModelHelper(c.tr, DefaultHelperConfig(), HelperContext{})
			f := Diagnose(c.tr, Input{Session: sess, Helper: hv, Policy: c.policy})
			if f == nil {
				t.Fatal("no finding")
			}
			if f.Kind != c.want {
				t.Errorf("kind %s (%v), want %s\n%s", f.Kind, f.Kinds, c.want, f.Explanation)
			}
			for _, k := range c.also {
				if !f.HasKind(k) {
					t.Errorf("kinds %v lack %s", f.Kinds, k)
				}
			}
			if !strings.Contains(f.Explanation, c.contains) {
				t.Errorf("explanation lacks %q:\n%s", c.contains, f.Explanation)
			}
		})
	}
}

func TestClassifyAddress(t *testing.T) {
	cases := []struct {
		name string
		tr   *session.Transfer
		want []Kind
		text string
	}{
		{"own address", port("PORT 198,51,100,10,156,64", "198.51.100.10:40000"), nil, ""},
		{"client behind NAT", port("PORT 192,168,1,20,156,64", "192.168.1.20:40000"), []Kind{KindClientNATActive}, "client behind NAT uses active mode"},
		{"bounce", port("PORT 192,0,2,7,156,64", "192.0.2.7:40000"), []Kind{KindBounce}, "FTP bounce: PORT to a third host"},
		{"privileged port", port("PORT 198,51,100,10,0,25", "198.51.100.10:25"), []Kind{KindPrivilegedPort}, "PORT to a privileged port 25"},
		{"server private", pasv("PASV", "227 (10,2,0,20,156,64)", "10.2.0.20:40000"), []Kind{KindNATPrivate}, "server advertises its private address"},
		{"server unspecified", pasv("PASV", "227 (0,0,0,0,156,64)", "0.0.0.0:40000"), []Kind{KindUnspecifiedAddr}, "unspecified"},
		{"server third address", pasv("PASV", "227 (192,0,2,9,156,64)", "192.0.2.9:40000"), []Kind{KindServerAdvertises}, "not its control address"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ks, text := classifyAddress(c.tr)
			if len(ks) != len(c.want) || (len(ks) > 0 && ks[0] != c.want[0]) {
				t.Fatalf("kinds %v, want %v", ks, c.want)
			}
			if !strings.Contains(text, c.text) {
				t.Errorf("text %q lacks %q", text, c.text)
			}
		})
	}
}

func TestParsePolicy(t *testing.T) {
	const src = `# test
[default]
passive = 1024-5000
active = no
helper = yes
control = 21,2121
[server 203.0.113.20]
passive = 40000-40019
active = yes
[server 192.0.2.0/24]
control = 990
`
	p, err := ParsePolicy(strings.NewReader(src), "p")
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		server  string
		scope   string
		passive string
		active  bool
		control string
	}{
		{"198.51.100.1:21", "default", "1024-5000", false, "21,2121"},
		{"203.0.113.20:21", "server 203.0.113.20", "40000-40019", true, "21,2121"},
		{"192.0.2.5:990", "server 192.0.2.0/24", "1024-5000", false, "990"},
	}
	for _, c := range cases {
		e := p.For(ap(c.server))
		if e.Scope != c.scope || e.Passive.String() != c.passive || e.Active != c.active || joinPorts(e.Control) != c.control || e.Helper == nil || !*e.Helper {
			t.Errorf("%s: %+v", c.server, e)
		}
	}
	bad := []string{"[weird]\n", "passive = x\n", "active = maybe\n", "[server nope]\n", "color = red\n", "passive 1-2\n", "[default\n"}
	for _, b := range bad {
		if _, err := ParsePolicy(strings.NewReader(b), "bad"); err == nil {
			t.Errorf("%q: no error", b)
		} else if !strings.HasPrefix(err.Error(), "bad:1:") {
			t.Errorf("%q: error %q has no position", b, err)
		}
	}
}

func TestAnalyzeRecommendations(t *testing.T) {
	drop := func(id uint64, ep string) *session.Transfer {
		x := failedPassive(session.Dropped, ep, &session.DataConn{Listener: ap(ep), SYNs: 4, FirstSYN: t0, LastSYN: t0.Add(3 * time.Second)})
		x.ID = id
		return x
	}
	act := failedActive(session.Dropped, &session.DataConn{Connector: ap("203.0.113.20:20"), Listener: ap("198.51.100.10:40000"), SYNs: 7, FirstSYN: t0, LastSYN: t0.Add(7 * time.Second)})
	act.ID = 9
	act.SessionID = 2
	cases := []struct {
		name    string
		ts      []*session.Transfer
		policy  *Policy
		kind    string
		nft     string
		srvFix  string
		failOn  []string
		matches int
	}{
		{"passive static range", []*session.Transfer{drop(1, "203.0.113.20:40012"), drop(2, "203.0.113.20:40015")}, nil, RecPassiveRange, "tcp dport 40012-40015 ct state new accept", "pasv_min_port=40012 pasv_max_port=40015", []string{"dropped"}, 2},
		{"active helper", []*session.Transfer{act}, nil, RecHelper, `ct helper set "ftpsniff-ftp"`, "passive mode", []string{"reset"}, 0},
		{"policy range -> server fix", []*session.Transfer{drop(1, "203.0.113.20:36208")}, &Policy{Default: Rule{Passive: Ranges{{1024, 5000}}}}, RecServerRange, "", "pasv_min_port=1024 pasv_max_port=5000", []string{"policy"}, 1},
		{"NAT private", []*session.Transfer{drop(1, "10.2.0.20:40000")}, nil, RecNAT, "ct helper set", "pasv_address=203.0.113.20", []string{"nat"}, 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg := DefaultConfig()
			cfg.Policy = c.policy
			rep := Analyze(c.ts, nil, cfg)
			if len(rep.Recommendations) != 1 {
				t.Fatalf("%d recommendations: %+v", len(rep.Recommendations), rep.Recommendations)
			}
			r := rep.Recommendations[0]
			if r.Kind != c.kind {
				t.Errorf("kind %s, want %s", r.Kind, c.kind)
			}
			nft := r.NFT
			for _, a := range r.Alternatives {
				nft = append(nft, a.NFT...)
			}
			if !strings.Contains(strings.Join(nft, "\n"), c.nft) {
				t.Errorf("nft lacks %q:\n%s", c.nft, strings.Join(r.NFT, "\n"))
			}
			if !strings.Contains(strings.Join(r.ServerFix, "\n"), c.srvFix) {
				t.Errorf("server fix lacks %q: %q", c.srvFix, r.ServerFix)
			}
			if n := len(rep.Matches(c.failOn)); n != c.matches {
				t.Errorf("--fail-on %v matched %d, want %d", c.failOn, n, c.matches)
			}
		})
	}
}

func TestSummarize(t *testing.T) {
	var ts []*session.Transfer
	for i, p := range []string{"40000", "40010", "40019", "40005"} {
		x := failedPassive(session.OK, "203.0.113.20:"+p, &session.DataConn{Listener: ap("203.0.113.20:" + p), FirstSYN: t0.Add(time.Duration(i*20) * time.Second)})
		ts = append(ts, x)
	}
	ts[3].Verdict = session.Dropped
	a := failedActive(session.OK, &session.DataConn{Connector: ap("203.0.113.20:20"), FirstSYN: t0.Add(400 * time.Second)})
	ts = append(ts, a)
	ss := Summarize(ts, []*session.Session{{ID: 1, Server: ap("203.0.113.20:21"), TLS: true}})
	if len(ss) != 1 {
		t.Fatalf("%d summaries", len(ss))
	}
	s := ss[0]
	if s.Passive == nil || s.Passive.Min != 40000 || s.Passive.Max != 40019 || s.Passive.Count != 4 {
		t.Errorf("passive %+v", s.Passive)
	}
	if s.ActiveFrom20 != 1 || s.ByMode[session.Passive].Failed != 1 || s.Negotiations["PASV"] != 4 || s.Shares["PORT"] != 0.2 {
		t.Errorf("summary %+v", s)
	}
	if s.Latency.Over30 != 3 || s.Latency.Over300 != 1 {
		t.Errorf("latency %+v", s.Latency)
	}
	if s.TLSSessions != 1 || len(s.Notes) == 0 {
		t.Errorf("tls %d notes %v", s.TLSSessions, s.Notes)
	}
}

// TestControlFindingPlace: the ICMP error's sender places the firewall of a
// blocked control connection.
func TestControlFindingPlace(t *testing.T) {
	s := &session.Session{ID: 1, Client: ap("198.51.100.10:40000"), Server: ap("203.0.113.20:21"), Verdict: session.Unreachable,
		Reason: "SYN to the control port answered by ICMP"}
	s.ControlICMP = &session.ICMPInfo{From: netip.MustParseAddr("203.0.113.20"), Type: 3, Code: 13, TTL: 63}
	if f := controlFinding(s); f == nil || f.Firewall == nil || f.Firewall.Place != PlaceServerHost {
		t.Fatalf("from the server: %+v", f)
	}
	s.ControlICMP.From = netip.MustParseAddr("198.51.100.1")
	if f := controlFinding(s); f.Firewall.Place != PlaceRouter {
		t.Fatalf("from a router: %+v", f.Firewall)
	}
}
