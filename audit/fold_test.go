package audit

import (
	"net/netip"
	"testing"
	"time"

	"github.com/ftpsniff/ftpsniff/session"
)

func TestCollectorFoldsWhatWorked(t *testing.T) {
	ok := func(i int) *session.Transfer {
		p := uint16(40000 + i%20)
		ep := netip.AddrPortFrom(ap("203.0.113.20:21").Addr(), p)
		x := failedPassive(session.OK, ep.String(), &session.DataConn{Connector: ap("198.51.100.10:50000"), Listener: ep, Established: true, FirstSYN: t0.Add(time.Duration(i)*time.Second + 5*time.Millisecond)})
		x.ID, x.Time = uint64(i+1), t0.Add(time.Duration(i)*time.Second)
		return x
	}
	outside := &Policy{Default: Rule{Passive: Ranges{{40000, 40009}}}}
	cases := []struct {
		name   string
		cfg    Config
		n      int
		kept   int
		passed int
	}{
		{"no policy: everything folds", DefaultConfig(), 10000, 0, 10000},
		{"policy 40000-40009: the other half is kept", Config{Helper: DefaultHelperConfig(), NFT: DefaultNFTTarget(), Policy: outside}, 1000, 500, 1000},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			col := NewCollectorFor(c.cfg)
			for i := range c.n {
				if err := col.Transfer(ok(i)); err != nil {
					t.Fatal(err)
				}
			}
			if len(col.Transfers) != c.kept {
				t.Errorf("kept %d transfers whole, want %d", len(col.Transfers), c.kept)
			}
			rep := col.Analyze(c.cfg)
			if rep.Transfers != c.n || len(rep.Servers) != 1 || rep.Servers[0].Passive.Count != c.passed || rep.Servers[0].Latency.Count != c.n {
				t.Fatalf("report: %d transfers, servers %+v", rep.Transfers, rep.Servers)
			}
			if med := rep.Servers[0].Latency.Median; med < 0.0049 || med > 0.0051 {
				t.Errorf("median latency %.4fs, want 0.005s within 2%%", med)
			}
		})
	}
}

func TestFoldedEvictsKept(t *testing.T) {
	// A PORT whose data SYN came after a later negotiation of the same
	// session that worked (and is folded): the helper's expectation was
	// evicted (max_expected=1) although the later transfer is not kept.
	first := failedActive(session.Dropped, &session.DataConn{Listener: ap("198.51.100.10:40000"), SYNs: 2, FirstSYN: t0.Add(3 * time.Second), LastSYN: t0.Add(4 * time.Second)})
	second := failedActive(session.OK, &session.DataConn{Connector: ap("203.0.113.20:20"), Listener: ap("198.51.100.10:40000"), Established: true, FirstSYN: t0.Add(1500 * time.Millisecond)})
	second.ID, second.Time = 2, t0.Add(time.Second)
	for _, order := range [][]*session.Transfer{{first, second}, {second, first}} {
		col := NewCollector()
		for _, x := range order {
			if err := col.Transfer(x); err != nil {
				t.Fatal(err)
			}
		}
		if len(col.Transfers) != 1 {
			t.Fatalf("kept %d", len(col.Transfers))
		}
		rep := col.Analyze(DefaultConfig())
		if len(rep.Findings) != 1 || rep.Findings[0].Helper.Outcome != HelperEvicted {
			t.Errorf("order %d,%d: findings %+v", order[0].ID, order[1].ID, rep.Findings)
		}
	}
}
