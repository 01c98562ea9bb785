package audit

import (
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ftpsniff/ftpsniff/session"
)

// recCase builds a run and names what its one recommendation must and must
// not contain.
type recCase struct {
	name     string
	ts       []*session.Transfer
	ss       []*session.Session
	kind     string
	place    Place
	nft      []string // every one must be in the NFT lines
	notNFT   []string // none may be
	settings []string // "directive=value" in Settings
	fix      string   // in ServerFix
	opens    int
}

func vsftpdSession(id uint64, cli, srv []uint8) *session.Session {
	return &session.Session{ID: id, Client: ap("198.51.100.10:40000"), Server: ap("203.0.113.20:21"), Greeting: "220 (vsFTPd 3.0.3)", ClientTTLs: cli, ServerTTLs: srv}
}

func TestRecommendByPlace(t *testing.T) {
	activeDrop := func() *session.Transfer {
		return failedActive(session.Dropped, &session.DataConn{Connector: ap("203.0.113.20:20"), Listener: ap("198.51.100.10:40000"), SYNs: 7, FirstSYN: t0, LastSYN: t0.Add(7 * time.Second)})
	}
	passiveDrop := func(id uint64, p string) *session.Transfer {
		x := failedPassive(session.Dropped, "203.0.113.20:"+p, &session.DataConn{Listener: ap("203.0.113.20:" + p), SYNs: 4, FirstSYN: t0, LastSYN: t0.Add(3 * time.Second)})
		x.ID = id
		return x
	}
	on2121 := activeDrop()
	on2121.Server = ap("203.0.113.20:2121")
	ok21 := failedActive(session.OK, &session.DataConn{Established: true})
	ok21.ID, ok21.SessionID = 7, 2
	wrongMasq := passiveDrop(1, "40000")
	wrongMasq.Endpoint = ap("192.0.2.99:40000")
	wrongMasq.Data.Listener = ap("192.0.2.99:40000")
	clientNAT := failedActive(session.Refused, nil)
	clientNAT.NegotiationLine, clientNAT.Endpoint = "PORT 10,1,0,10,156,64", ap("10.1.0.10:40000")
	clientNAT.NegotiationReply = &session.Reply{Code: 500, Text: "500 Illegal PORT command."}
	pool := failedPassive(session.Refused, "203.0.113.20:40000", &session.DataConn{Connector: ap("198.51.100.11:50000"), Listener: ap("203.0.113.20:40000"), Established: true})
	pool.Replies = []session.Reply{{Code: 425, Text: "425 Security: Bad IP connecting."}}
	cases := []recCase{
		{name: "client host firewall: output + input hooks", ts: []*session.Transfer{activeDrop()}, ss: []*session.Session{vsftpdSession(1, []uint8{64}, []uint8{63})},
			kind: RecHelper, place: PlaceClientHost,
			nft:    []string{"hook output", "ip daddr 203.0.113.20 tcp dport 21 ct helper set", "insert rule inet filter input ct state related ip saddr 203.0.113.20"},
			notNFT: []string{"prerouting", "forward"}},
		{name: "router: prerouting + forward", ts: []*session.Transfer{activeDrop()}, ss: []*session.Session{vsftpdSession(1, []uint8{64, 63}, []uint8{64})},
			kind: RecHelper, place: PlaceRouter, nft: []string{"hook prerouting", "insert rule inet filter forward ct state related"}, notNFT: []string{"hook output"}},
		{name: "server host firewall: passive range in input", ts: []*session.Transfer{passiveDrop(1, "40015")}, ss: []*session.Session{vsftpdSession(1, []uint8{63}, []uint8{64})},
			kind: RecPassiveRange, place: PlaceServerHost, nft: []string{"insert rule inet filter input ip daddr 203.0.113.20 tcp dport 40015 ct state new accept"}, notNFT: []string{"forward"}, opens: 1,
			settings: []string{"pasv_min_port=40015", "pasv_max_port=40015"}},
		{name: "control port 2121", ts: []*session.Transfer{on2121, ok21}, ss: []*session.Session{vsftpdSession(1, []uint8{64, 63}, []uint8{64})},
			kind: RecHelper, place: PlaceRouter, nft: []string{"tcp dport 2121 ct helper set"}, notNFT: []string{"dport 21 "}, fix: "passive mode"},
		{name: "wrong masquerade address: server setting, no rule", ts: []*session.Transfer{wrongMasq}, ss: []*session.Session{vsftpdSession(1, []uint8{63}, []uint8{64})},
			kind: RecNAT, settings: []string{"pasv_address=203.0.113.20"}},
		{name: "client NAT, active, no helper", ts: []*session.Transfer{clientNAT}, ss: []*session.Session{vsftpdSession(1, []uint8{63}, []uint8{64})},
			kind: RecClientNAT, place: PlaceRouter, nft: []string{"tcp dport 21 ct helper set"}, fix: "passive mode"},
		{name: "NAT pool without persistence", ts: []*session.Transfer{pool}, ss: []*session.Session{vsftpdSession(1, []uint8{63}, []uint8{64})},
			kind: RecNATPool, place: PlaceRouter, nft: []string{"snat to 198.51.100.10-198.51.100.11 persistent", "priority srcnat - 1"}, settings: []string{"pasv_promiscuous=YES"}},
	}
	runRecCases(t, cases)
}

func runRecCases(t *testing.T, cases []recCase) {
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rep := Analyze(c.ts, c.ss, DefaultConfig())
			if len(rep.Recommendations) != 1 {
				for _, f := range rep.Findings {
					t.Log(f.Kind, f.Kinds, f.Confidence, f.Explanation)
				}
				t.Fatalf("%d recommendations", len(rep.Recommendations))
			}
			r := rep.Recommendations[0]
			if r.Kind != c.kind || r.Place != c.place {
				t.Errorf("kind %s place %q, want %s %q: %s", r.Kind, r.Place, c.kind, c.place, r.Why)
			}
			nft := strings.Join(r.NFT, "\n")
			for _, s := range c.nft {
				if !strings.Contains(nft, s) {
					t.Errorf("nft lacks %q:\n%s", s, nft)
				}
			}
			for _, s := range c.notNFT {
				if strings.Contains(nft, s) {
					t.Errorf("nft has %q:\n%s", s, nft)
				}
			}
			if c.kind == RecNAT && len(r.NFT) > 0 {
				t.Errorf("a wrong advertised address got firewall rules:\n%s", nft)
			}
			var got []string
			for _, s := range r.Settings {
				got = append(got, s.Directive+"="+s.Value)
			}
			for _, s := range c.settings {
				if !slices.Contains(got, s) {
					t.Errorf("settings %v lack %s", got, s)
				}
			}
			if len(c.ss) > 0 && strings.Contains(c.ss[0].Greeting, "vsFTPd") {
				for _, s := range r.Settings {
					if s.Software != SoftwareVsftpd {
						t.Errorf("setting for %s on a vsftpd server: %s", s.Software, s.Text)
					}
				}
			}
			if c.fix != "" && !strings.Contains(strings.Join(r.ServerFix, "\n"), c.fix) {
				t.Errorf("server fix lacks %q: %q", c.fix, r.ServerFix)
			}
			if r.Opens != c.opens {
				t.Errorf("opens %d, want %d", r.Opens, c.opens)
			}
		})
	}
}

func TestRecommendRangePinOrOpen(t *testing.T) {
	var ts []*session.Transfer
	id := uint64(0)
	add := func(srv string, p uint16, ok bool) {
		id++
		ep := netip.AddrPortFrom(ap(srv).Addr(), p)
		x := failedPassive(session.OK, ep.String(), &session.DataConn{Listener: ep, Established: ok, SYNs: 4, FirstSYN: t0, LastSYN: t0.Add(3 * time.Second)})
		x.ID, x.Server = id, ap(srv)
		if !ok {
			x.Verdict = session.Dropped
		}
		ts = append(ts, x)
	}
	for _, p := range []uint16{1031, 2400, 4870} {
		add("203.0.113.20:21", p, true)
	}
	for _, p := range []uint16{22736, 60569, 38375} {
		add("203.0.113.20:21", p, false)
	}
	for _, p := range []uint16{40000, 40004} {
		add("203.0.113.21:21", p, true)
	}
	for _, p := range []uint16{40012, 40019} {
		add("203.0.113.21:21", p, false)
	}
	rep := Analyze(ts, nil, DefaultConfig())
	by := map[string]*Recommendation{}
	for _, r := range rep.Recommendations {
		by[r.Server.String()] = r
	}
	// 1024-5000 in front of a server using up to 60569: pin (opens nothing).
	r := by["203.0.113.20:21"]
	if r == nil || len(r.NFT) != 0 || r.Opens != 0 || !strings.Contains(strings.Join(r.ServerFix, "\n"), "pasv_min_port=1024 pasv_max_port=5000") {
		t.Fatalf("203.0.113.20: %+v", r)
	}
	if len(r.Options) != 2 || !r.Options[0].Chosen || r.Options[1].Opens != 60569-5000 {
		t.Errorf("options %+v", r.Options)
	}
	// 40000-40004 allowed, server uses up to 40019: pinning would leave 5
	// ports, opening the rest opens 15.
	r = by["203.0.113.21:21"]
	if r == nil || r.Opens != 15 || !strings.Contains(strings.Join(r.NFT, "\n"), "tcp dport 40005-40019") {
		t.Fatalf("203.0.113.21: %+v", r)
	}
}

func TestNotFirewallFaults(t *testing.T) {
	fileErr := failedActive(session.NotAttempted, nil)
	fileErr.Replies = []session.Reply{{Code: 550, Text: "550 Failed to open file."}}
	var scan []*session.Transfer
	for i := 0; i < 12; i++ {
		x := failedActive(session.Reset, &session.DataConn{Listener: ap("192.0.2.7:" + itoa(uint16(20+i))), RST: &session.RSTInfo{FromListener: true, TTL: 60}})
		x.ID, x.Endpoint = uint64(i+1), ap("192.0.2.7:"+itoa(uint16(20+i)))
		scan = append(scan, x)
	}
	cases := []struct {
		name string
		ts   []*session.Transfer
		kind Kind
	}{
		{"550 after an accepted negotiation", []*session.Transfer{fileErr}, KindFileError},
		{"nmap bounce scan", scan, KindBounceScan},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rep := Analyze(c.ts, nil, DefaultConfig())
			if len(rep.Recommendations) != 0 {
				t.Errorf("recommendations for a non-firewall finding: %+v", rep.Recommendations[0])
			}
			for _, f := range rep.Findings {
				if f.Kind != c.kind {
					t.Errorf("kind %s, want %s: %s", f.Kind, c.kind, f.Explanation)
				}
			}
			if len(rep.Groups) != 1 || rep.Groups[0].Count != len(c.ts) {
				t.Errorf("groups %+v", rep.Groups)
			}
		})
	}
}

func TestControlBlocked(t *testing.T) {
	mk := func(v session.Verdict) *session.Session {
		return &session.Session{ID: 3, Client: ap("198.51.100.10:40000"), Server: ap("203.0.113.20:2121"), Verdict: v, Reason: "3 SYNs over 3s, no answer"}
	}
	cases := []struct {
		v     session.Verdict
		recs  int
		conf  Confidence
		place Place
	}{
		{session.Dropped, 1, Likely, PlaceRouter},
		{session.Unreachable, 1, Likely, PlaceRouter},
		{session.Reset, 0, Possible, ""},
		{"", 0, "", ""},
	}
	for _, c := range cases {
		t.Run(string(c.v), func(t *testing.T) {
			rep := Analyze(nil, []*session.Session{mk(c.v)}, DefaultConfig())
			if c.v == "" {
				if len(rep.Findings) != 0 {
					t.Fatalf("findings for an established session: %+v", rep.Findings[0])
				}
				return
			}
			if len(rep.Findings) != 1 || rep.Findings[0].Kind != KindControlBlocked || rep.Findings[0].Confidence != c.conf || rep.Blocked != 1 {
				t.Fatalf("findings %+v", rep.Findings)
			}
			if len(rep.Recommendations) != c.recs {
				t.Fatalf("%d recommendations", len(rep.Recommendations))
			}
			if c.recs == 1 {
				r := rep.Recommendations[0]
				if r.Place != c.place || !strings.Contains(strings.Join(r.NFT, "\n"), "tcp dport 2121 ct state new accept") || len(r.Alternatives) != 1 || r.Alternatives[0].Place != PlaceServerHost {
					t.Errorf("recommendation %+v", r)
				}
			}
			if len(rep.Matches([]string{"control"})) != 1 {
				t.Error("--fail-on control does not match")
			}
		})
	}
}

func TestRecommendEdgeCases(t *testing.T) {
	// ProFTPD refuses PassivePorts with min == max: one observed port is
	// widened to two.
	one := failedPassive(session.Dropped, "203.0.113.20:40014", &session.DataConn{Listener: ap("203.0.113.20:40014"), SYNs: 3, FirstSYN: t0, LastSYN: t0.Add(2 * time.Second)})
	pro := &session.Session{ID: 1, Client: ap("198.51.100.10:40000"), Server: ap("203.0.113.20:21"), Greeting: "220 ProFTPD Server (lab)", ClientTTLs: []uint8{63}, ServerTTLs: []uint8{64}}
	// A client inside its NAT advertises its own private address to a
	// public server: a client-NAT finding although no translation is seen.
	inside := failedActive(session.Dropped, &session.DataConn{Listener: ap("10.1.0.10:40000"), SYNs: 7, FirstSYN: t0, LastSYN: t0.Add(7 * time.Second)})
	inside.Client, inside.Endpoint, inside.NegotiationLine = ap("10.1.0.10:50000"), ap("10.1.0.10:40000"), "PORT 10,1,0,10,156,64"
	runRecCases(t, []recCase{
		{name: "ProFTPD, one port", ts: []*session.Transfer{one}, ss: []*session.Session{pro}, kind: RecPassiveRange, place: PlaceServerHost,
			nft: []string{"tcp dport 40014-40015 ct state new accept"}, settings: []string{"PassivePorts=40014 40015"}, opens: 2},
		{name: "client NAT seen from inside", ts: []*session.Transfer{inside}, kind: RecClientNAT, place: PlaceRouter, nft: []string{"ct helper set"}},
	})
}

func TestPassiveResetPlace(t *testing.T) {
	mk := func(ports []uint16, resetFrom int) []*session.Transfer {
		var ts []*session.Transfer
		for i, p := range ports {
			ep := netip.AddrPortFrom(ap("203.0.113.20:21").Addr(), p)
			x := failedPassive(session.OK, ep.String(), &session.DataConn{Listener: ep, Established: true})
			x.ID = uint64(i + 1)
			if i >= resetFrom {
				x.Verdict = session.Reset
				x.Data = &session.DataConn{Listener: ep, RST: &session.RSTInfo{FromListener: true, TTL: 64}}
			}
			ts = append(ts, x)
		}
		return ts
	}
	ss := []*session.Session{vsftpdSession(1, []uint8{63}, []uint8{64})}
	cases := []struct {
		name  string
		ts    []*session.Transfer
		kind  Kind
		place Place
		rec   string
	}{
		{"resets beyond a port boundary: server host firewall", mk([]uint16{4000, 4500, 5005, 5009}, 2), KindRejectRST, PlaceServerHost, RecPassiveRange},
		{"resets among working ports: closed port", mk([]uint16{40000, 40010, 40004, 40006}, 2), KindClosedPort, "", RecClosedPort},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rep := Analyze(c.ts, ss, DefaultConfig())
			for _, f := range rep.Findings {
				if f.Kind != c.kind || placeOf(f) != c.place {
					t.Errorf("finding %s at %q, want %s at %q", f.Kind, placeOf(f), c.kind, c.place)
				}
			}
			if len(rep.Recommendations) != 1 || rep.Recommendations[0].Kind != c.rec {
				t.Fatalf("recommendations %+v", rep.Recommendations)
			}
		})
	}
}

func TestAlternativeHooks(t *testing.T) {
	// Passive, no SYN at the capture point, 425: a router or the client's
	// own output filter blocked it.
	p := failedPassive(session.NotAttempted, "203.0.113.20:40015", nil)
	p.Replies = []session.Reply{{Code: 425, Text: "425 Failed to establish connection."}}
	// Active, no SYN, 425, capture on the client's segment: a router or
	// the server's own output filter.
	a := failedActive(session.NotAttempted, nil)
	a.Replies = []session.Reply{{Code: 425, Text: "425 Failed to establish connection."}}
	cases := []struct {
		name       string
		tr         *session.Transfer
		cli, srv   []uint8
		primary    string
		alternate  string
		altPlace   Place
		wantRecKnd string
	}{
		{"passive: client output", p, []uint8{64}, []uint8{63}, "insert rule inet filter forward ip daddr 203.0.113.20 tcp dport 40015", "insert rule inet filter output ip daddr 203.0.113.20 tcp dport 40015", PlaceClientHost, RecPassiveRange},
		{"active: server output", a, []uint8{64}, []uint8{63}, "insert rule inet filter forward ct state related", "insert rule inet filter output ct state related ip saddr 203.0.113.20", PlaceServerHost, RecHelper},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rep := Analyze([]*session.Transfer{c.tr}, []*session.Session{vsftpdSession(1, c.cli, c.srv)}, DefaultConfig())
			if len(rep.Recommendations) != 1 {
				t.Fatalf("%d recommendations", len(rep.Recommendations))
			}
			r := rep.Recommendations[0]
			if r.Kind != c.wantRecKnd || r.Place != PlaceRouter || !strings.Contains(strings.Join(r.NFT, "\n"), c.primary) {
				t.Errorf("primary %s at %s:\n%s", r.Kind, r.Place, strings.Join(r.NFT, "\n"))
			}
			if len(r.Alternatives) != 1 || r.Alternatives[0].Place != c.altPlace || !strings.Contains(strings.Join(r.Alternatives[0].NFT, "\n"), c.alternate) {
				t.Errorf("alternatives %+v", r.Alternatives)
			}
		})
	}
}
