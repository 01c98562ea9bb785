package audit

import (
	"strings"
	"testing"
	"time"

	"github.com/ftpsniff/ftpsniff/session"
)

func TestPlaceFirewall(t *testing.T) {
	drop := func() *session.DataConn {
		return &session.DataConn{Listener: ap("198.51.100.10:40000"), SYNs: 7, FirstSYN: t0, LastSYN: t0.Add(7 * time.Second)}
	}
	pdrop := &session.DataConn{Listener: ap("203.0.113.20:40000"), SYNs: 4, FirstSYN: t0, LastSYN: t0.Add(3 * time.Second)}
	rst := func(ttl uint8, from bool) *session.DataConn {
		return &session.DataConn{Listener: ap("198.51.100.10:40000"), RST: &session.RSTInfo{FromListener: from, TTL: ttl}}
	}
	cases := []struct {
		name     string
		tr       *session.Transfer
		cli, srv []uint8
		want     Place
		conf     Confidence
		alt      Place
		evidence string
	}{
		{"active drop, capture on the client host", failedActive(session.Dropped, drop()), []uint8{64}, []uint8{63}, PlaceClientHost, Likely, "", "no router in between"},
		{"active drop, client one hop away", failedActive(session.Dropped, drop()), []uint8{63}, []uint8{64}, PlaceRouter, Possible, PlaceClientHost, "1 router"},
		{"active drop, tcpdump -i any on the router", failedActive(session.Dropped, drop()), []uint8{64, 63}, []uint8{64, 63}, PlaceRouter, Likely, PlaceClientHost, "captured twice"},
		{"active drop, no client packets", failedActive(session.Dropped, drop()), nil, []uint8{64}, PlaceRouter, Possible, PlaceClientHost, "no packet"},
		{"passive drop, capture on the server host", failedPassive(session.Dropped, "203.0.113.20:40000", pdrop), []uint8{63}, []uint8{64}, PlaceServerHost, Likely, "", "server host itself"},
		{"passive drop, server two hops away", failedPassive(session.Dropped, "203.0.113.20:40000", pdrop), []uint8{64}, []uint8{126}, PlaceRouter, Possible, PlaceServerHost, "2 router"},
		{"RST with the client's TTL", failedActive(session.Reset, rst(64, true)), []uint8{64}, []uint8{63}, PlaceClientHost, Certain, "", "client host itself"},
		{"RST forged by a router", failedActive(session.Reset, rst(64, true)), []uint8{63}, []uint8{64}, PlaceRouter, Certain, "", "forged"},
		{"RST from another address", failedActive(session.Reset, rst(64, false)), []uint8{63}, []uint8{64}, PlaceRouter, Certain, "", "other than"},
		{"ICMP from the client itself", failedActive(session.Unreachable, &session.DataConn{Listener: ap("198.51.100.10:40000"), ICMP: &session.ICMPInfo{From: ap("198.51.100.10:0").Addr(), Type: 3, Code: 13}}), []uint8{64}, nil, PlaceClientHost, Certain, "", "itself"},
		{"ICMP from a router", failedActive(session.Unreachable, &session.DataConn{Listener: ap("198.51.100.10:40000"), ICMP: &session.ICMPInfo{From: ap("203.0.113.1:0").Addr(), Type: 3, Code: 13}}), []uint8{63}, nil, PlaceRouter, Certain, "", "a router"},
	}
	cases = append(cases, struct {
		name     string
		tr       *session.Transfer
		cli, srv []uint8
		want     Place
		conf     Confidence
		alt      Place
		evidence string
	}{"active drop, duplicate frames deduplicated", failedActive(session.Dropped, drop()), []uint8{64}, []uint8{64}, PlaceRouter, Likely, PlaceClientHost, "captured twice"})
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := &session.Session{ID: 1, ClientTTLs: c.cli, ServerTTLs: c.srv}
			if strings.Contains(c.name, "deduplicated") {
				s.Flags.Add(session.FlagDuplicateFrames)
			}
			p := placeFirewall(c.tr, s)
			if p == nil {
				t.Fatal("no placement")
			}
			if p.Place != c.want || p.Confidence != c.conf || p.Alternative != c.alt {
				t.Errorf("got %s/%s alt %q, want %s/%s alt %q (%s)", p.Place, p.Confidence, p.Alternative, c.want, c.conf, c.alt, p.Evidence)
			}
			if !strings.Contains(p.Evidence, c.evidence) {
				t.Errorf("evidence %q lacks %q", p.Evidence, c.evidence)
			}
		})
	}
}

func TestHops(t *testing.T) {
	for _, c := range []struct {
		ttl  uint8
		want int
	}{{64, 0}, {63, 1}, {128, 0}, {120, 8}, {255, 0}, {250, 5}, {1, 63}} {
		if got := hops(c.ttl); got != c.want {
			t.Errorf("hops(%d) = %d, want %d", c.ttl, got, c.want)
		}
	}
}
