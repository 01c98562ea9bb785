package audit

import (
	"testing"

	"github.com/ftpsniff/ftpsniff/session"
)

func TestInferRanges(t *testing.T) {
	mk := func(id uint64, srv string, port uint16, ok bool) (*session.Transfer, *Finding) {
		ep := ap(srv)
		x := failedPassive(session.OK, ep.Addr().String()+":"+itoa(port), &session.DataConn{Listener: ap(ep.Addr().String() + ":" + itoa(port)), Established: ok})
		x.ID, x.Server = id, ap(ep.Addr().String()+":21")
		if ok {
			return x, nil
		}
		x.Verdict = session.Dropped
		return x, &Finding{TransferID: id, Kind: KindFirewallDrop, Confidence: Likely}
	}
	type tp struct {
		srv  string
		port uint16
		ok   bool
	}
	cases := []struct {
		name    string
		ts      []tp
		server  string
		allowed string
		proven  string
		conf    Confidence
	}{
		{"KB 309816: 1024-5000 in front of 1024-65535", []tp{{"203.0.113.20:21", 1100, true}, {"203.0.113.20:21", 4870, true}, {"203.0.113.20:21", 22736, false}, {"203.0.113.20:21", 60569, false}},
			"203.0.113.20:21", "1024-5000", "1100-4870", Likely},
		{"wide gap around 5000", []tp{{"203.0.113.20:21", 1520, true}, {"203.0.113.20:21", 3064, true}, {"203.0.113.20:21", 5744, false}, {"203.0.113.20:21", 8100, false}},
			"203.0.113.20:21", "1024-5000", "1520-3064", Likely},
		{"gap without a well-known boundary close by", []tp{{"203.0.113.20:21", 20000, true}, {"203.0.113.20:21", 20100, true}, {"203.0.113.20:21", 27000, false}},
			"203.0.113.20:21", "20000-20100", "20000-20100", Likely},
		{"exact boundary", []tp{{"203.0.113.21:21", 4992, true}, {"203.0.113.21:21", 5000, true}, {"203.0.113.21:21", 5001, false}},
			"203.0.113.21:21", "1024-5000", "4992-5000", Likely},
		{"no boundary in the gap", []tp{{"203.0.113.21:21", 40000, true}, {"203.0.113.21:21", 40009, true}, {"203.0.113.21:21", 40015, false}},
			"203.0.113.21:21", "40000-40009", "40000-40009", Likely},
		{"failure inside the working span", []tp{{"203.0.113.21:21", 40000, true}, {"203.0.113.21:21", 40005, false}, {"203.0.113.21:21", 40009, true}},
			"203.0.113.21:21", "40000-40009", "40000-40009", Possible},
		{"nothing worked", []tp{{"203.0.113.21:21", 40015, false}}, "203.0.113.21:21", "0", "0", Possible},
		{"borrowed from a sibling server", []tp{{"203.0.113.21:21", 4992, true}, {"203.0.113.21:21", 5001, false}, {"203.0.113.20:21", 22736, false}},
			"203.0.113.20:21", "1024-5000", "0", Likely},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var ts []*session.Transfer
			by := map[uint64]*Finding{}
			for i, x := range c.ts {
				tr, f := mk(uint64(i+1), x.srv, x.port, x.ok)
				ts = append(ts, tr)
				if f != nil {
					by[tr.ID] = f
				}
			}
			var got *RangeInference
			for _, ri := range InferRanges(ts, by) {
				if ri.Server.String() == c.server {
					got = ri
				}
			}
			if got == nil {
				t.Fatal("no inference")
			}
			if got.Allowed.String() != c.allowed || got.Proven.String() != c.proven || got.Confidence != c.conf {
				t.Errorf("allowed %s proven %s %s, want %s %s %s (%s)", got.Allowed, got.Proven, got.Confidence, c.allowed, c.proven, c.conf, got.Evidence)
			}
		})
	}
}

func itoa(p uint16) string { return PortRange{p, p}.String() }
