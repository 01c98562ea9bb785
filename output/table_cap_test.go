package output

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/ftpsniff/ftpsniff/session"
)

// bulkRun builds a run of n transfers spread over sessions of 20, with
// mostly ok verdicts, times drawn from a narrow range (so that many are
// equal) and some twins (equal verdict, time and ID: arrival order decides).
func bulkRun(n int, seed uint64) run {
	r := rand.New(rand.NewPCG(seed, 99))
	weights := []struct {
		v session.Verdict
		w int
	}{{session.OK, 850}, {session.Unknown, 60}, {session.Dropped, 40}, {session.Reset, 15},
		{session.Unreachable, 10}, {session.Refused, 15}, {session.NotAttempted, 10}}
	verdict := func() session.Verdict {
		x := r.IntN(1000)
		for _, w := range weights {
			if x < w.w {
				return w.v
			}
			x -= w.w
		}
		return session.OK
	}
	out := run{transfers: map[uint64][]*session.Transfer{}}
	sum := &session.Summary{Packets: uint64(40 * n), Bytes: uint64(4000 * n), Verdicts: map[session.Verdict]int{}}
	var s *session.Session
	for i := range n {
		if i%20 == 0 {
			id := uint64(len(out.sessions) + 1)
			start := at(r.IntN(3_600_000))
			s = &session.Session{ID: id, Client: ap("198.51.100.10:40000"), Server: ap("203.0.113.20:21"),
				Start: start, End: start.Add(time.Minute), Verdicts: map[session.Verdict]int{}, Closed: "fin"}
			out.sessions = append(out.sessions, s)
		}
		id, v, tm := uint64(i+1), verdict(), at(r.IntN(600_000)/100*100)
		if prev := out.transfers[s.ID]; i%7 == 0 && len(prev) > 0 {
			// A twin of the previous transfer (same verdict, time and ID):
			// only arrival order tells them apart.
			p := prev[len(prev)-1]
			id, v, tm = p.ID, p.Verdict, p.Time
		}
		tr := &session.Transfer{
			ID: id, SessionID: s.ID, Client: s.Client, Server: s.Server, Mode: session.Passive,
			Negotiation: "PASV", Endpoint: netip.AddrPortFrom(s.Server.Addr(), uint16(40000+i%1000)),
			Time: tm, Command: "RETR", CommandArg: fmt.Sprintf("f%d", i),
			Verdict: v, Reason: "synthetic " + string(v),
		}
		out.transfers[s.ID] = append(out.transfers[s.ID], tr)
		s.Verdicts[v]++
		sum.Verdicts[v]++
		sum.Transfers++
	}
	sum.Sessions = len(out.sessions)
	sum.First, sum.Last = at(0), at(3_700_000)
	out.summary = sum
	return out
}

// referenceOrder is the table order of every eligible transfer by the
// former unbounded code: a stable sort of all of them in arrival order.
func referenceOrder(r run, failuresOnly bool) []*session.Transfer {
	var all []*session.Transfer
	for _, s := range r.sessions {
		for _, tr := range r.transfers[s.ID] {
			if failuresOnly && !tr.Verdict.Failed() {
				continue
			}
			all = append(all, tr)
		}
	}
	sort.SliceStable(all, func(i, j int) bool {
		a, b := all[i], all[j]
		if ra, rb := verdictRank(a.Verdict), verdictRank(b.Verdict); ra != rb {
			return ra < rb
		}
		if !a.Time.Equal(b.Time) {
			return a.Time.Before(b.Time)
		}
		return a.ID < b.ID
	})
	return all
}

// TestTableBoundedRows feeds up to 100,000 transfers and 5,000 sessions: the
// writer keeps at most MaxRows of each, its kept transfers are exactly the
// first MaxRows of the unbounded order, and the lines under the tables
// count what was left out, per verdict.
func TestTableBoundedRows(t *testing.T) {
	big, small := bulkRun(100_000, 1), bulkRun(3_000, 1)
	tests := []struct {
		name string
		run  run
		opts TableOptions
		rows int // expected bound; -1: everything
	}{
		{"default", big, TableOptions{}, DefaultMaxRows},
		{"max 50", big, TableOptions{MaxRows: 50}, 50},
		{"failures only", big, TableOptions{FailuresOnly: true, MaxRows: 700}, 700},
		{"max 1", big, TableOptions{MaxRows: 1, Width: -1}, 1},
		{"unlimited", small, TableOptions{MaxRows: -1, Width: -1}, -1},
		{"default, below the cap", bulkRun(900, 3), TableOptions{}, -1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := tc.run
			var b bytes.Buffer
			w := NewTable(&b, tc.opts)
			tw := w.(*tableWriter)
			maxKept := 0
			for _, s := range r.sessions {
				for _, tr := range r.transfers[s.ID] {
					if err := w.Transfer(tr); err != nil {
						t.Fatal(err)
					}
					maxKept = max(maxKept, len(tw.transfers.items))
				}
				if err := w.Session(s); err != nil {
					t.Fatal(err)
				}
			}
			if tc.rows >= 0 && (maxKept > tc.rows || len(tw.sessions.items) > tc.rows) {
				t.Errorf("kept %d transfers and %d sessions, want at most %d", maxKept, len(tw.sessions.items), tc.rows)
			}
			ref := referenceOrder(r, tc.opts.FailuresOnly)
			want := ref
			if tc.rows >= 0 {
				want = ref[:tc.rows]
			}
			got := tw.sortedTransfers()
			if len(got) != len(want) {
				t.Fatalf("%d rows kept, want %d", len(got), len(want))
			}
			for i := range want {
				// The writer keeps copies; CommandArg is unique in bulkRun.
				if got[i].CommandArg != want[i].CommandArg {
					t.Fatalf("row %d: transfer %d (%s, %v, seen #%d), want transfer %d (%s, %v)", i,
						got[i].ID, got[i].Verdict, got[i].Time, i, want[i].ID, want[i].Verdict, want[i].Time)
				}
			}
			if err := w.Close(r.summary); err != nil {
				t.Fatal(err)
			}
			out := b.String()

			// The omission line counts, per verdict, what the unbounded
			// table would have shown beyond the kept rows.
			left := map[session.Verdict]int{}
			for _, tr := range ref[len(want):] {
				left[tr.Verdict]++
			}
			wantLine := ""
			if n := len(ref) - len(want); n > 0 {
				wantLine = fmt.Sprintf("... %d more transfers not shown (%s); --format json or --format text lists every one\n", n, countsPhrase(left))
				if !strings.Contains(out, "\n"+wantLine+"\nFTP sessions\n") {
					t.Errorf("no line %q under the transfers table:\n%s", wantLine, tail(out, 30))
				}
			} else if strings.Contains(out, "more transfers not shown") {
				t.Errorf("omission line with nothing left out:\n%s", tail(out, 30))
			}

			// Sessions: those with failures are kept first, then the
			// earliest; with FailuresOnly, only those with failures.
			pool := r.sessions
			if tc.opts.FailuresOnly {
				pool = nil
				for _, s := range r.sessions {
					if _, f := countTotals(s.Verdicts); f > 0 {
						pool = append(pool, s)
					}
				}
			}
			if tc.rows >= 0 && len(pool) > tc.rows {
				failed := 0
				for _, s := range pool {
					if _, f := countTotals(s.Verdicts); f > 0 {
						failed++
					}
				}
				keptFailed := 0
				for _, k := range tw.sessions.items {
					if k.failed {
						keptFailed++
					}
				}
				if want := min(failed, tc.rows); keptFailed != want {
					t.Errorf("kept %d sessions with failures, want %d (of %d)", keptFailed, want, failed)
				}
				n := len(pool) - tc.rows
				var detail string
				switch f, ok := failed-keptFailed, n-(failed-keptFailed); {
				case f > 0 && ok > 0:
					detail = fmt.Sprintf("%d with failed transfers, %d without", f, ok)
				case f > 0:
					detail = fmt.Sprintf("%d with failed transfers", f)
				default:
					detail = fmt.Sprintf("%d without failed transfers", ok)
				}
				line := fmt.Sprintf("... %d more sessions not shown (%s); --format json or --format text lists every one\n", n, detail)
				if !strings.Contains(out, "\n"+line+"\nVerdicts\n") {
					t.Errorf("no line %q under the sessions table:\n%s", line, tail(out, 30))
				}
			}

			// The verdicts and the summary count everything.
			for _, c := range orderedCounts(r.summary.Verdicts, false) {
				row := fmt.Sprintf("\n%-13s  %-9d  %s\n", c.Verdict, c.Count, VerdictMeaning(c.Verdict))
				if !strings.Contains(out, row) {
					t.Errorf("verdicts table lacks %q", row)
				}
			}
			if s := fmt.Sprintf("\n%d packets, %d bytes, %d sessions, %d transfers (", r.summary.Packets, r.summary.Bytes, len(r.sessions), r.summary.Transfers); !strings.Contains(out, s) {
				t.Errorf("summary lacks %q", s)
			}
		})
	}
}

// tail returns the last n lines of s.
func tail(s string, n int) string {
	lines := strings.Split(s, "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

// TestTableCapSmall checks the lines under capped tables on the fixture
// run, exactly.
func TestTableCapSmall(t *testing.T) {
	tests := []struct {
		name  string
		opts  TableOptions
		lines []string // must appear, in this order
		not   []string
	}{
		{"max 2", TableOptions{MaxRows: 2, Width: -1}, []string{
			"17:08:00.200  #1 ", // dropped
			"17:08:09.000  #1 ", // reset
			"... 5 more transfers not shown (1 unreachable, 1 refused, 1 not-attempted, 2 ok); --format json or --format text lists every one\n\nFTP sessions\n",
			"\n#3 ", // kept: session 1 (failures) and the earliest other, session 3
			"... 1 more session not shown (1 without failed transfers); --format json or --format text lists every one\n\nVerdicts\n",
		}, []string{"\n#2 "}},
		{"max 1 failures only", TableOptions{MaxRows: 1, FailuresOnly: true, Width: -1}, []string{
			"... 4 more transfers not shown (1 reset, 1 unreachable, 1 refused, 1 not-attempted); --format json or --format text lists every one\n",
			"\n#1 ",
		}, []string{"\n#2 ", "\n#3 ", "more sessions not shown"}},
		{"max 7: nothing left out", TableOptions{MaxRows: 7}, nil, []string{"not shown"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := sampleRun().feed(NewTable(&b, tc.opts)); err != nil {
				t.Fatal(err)
			}
			out, rest := b.String(), b.String()
			for _, l := range tc.lines {
				i := strings.Index(rest, l)
				if i < 0 {
					t.Fatalf("output lacks %q (in order):\n%s", l, out)
				}
				rest = rest[i+len(l):]
			}
			for _, l := range tc.not {
				if strings.Contains(out, l) {
					t.Errorf("output has %q:\n%s", l, out)
				}
			}
		})
	}
}

// TestTopN checks the bounded heap against a full sort on random input.
func TestTopN(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	less := func(a, b int) bool { return a < b }
	for _, n := range []int{0, 1, 2, 3, 10, 100, -1} {
		for _, size := range []int{0, 1, 5, 99, 1000} {
			h := topN[int]{n: n, less: less}
			var all []int
			for range size {
				x := r.IntN(50)
				all = append(all, x)
				h.add(x)
			}
			sort.Ints(all)
			want := all
			if n >= 0 && n < len(all) {
				want = all[:n]
			}
			if got := h.sorted(less); fmt.Sprint(got) != fmt.Sprint(want) && !(len(got) == 0 && len(want) == 0) {
				t.Errorf("n=%d size=%d: got %v, want %v", n, size, got, want)
			}
		}
	}
}

// BenchmarkTableTransfer measures keeping one transfer in a full table
// writer (the steady state of a large capture).
func BenchmarkTableTransfer(b *testing.B) {
	r := bulkRun(100_000, 2)
	var all []*session.Transfer
	for _, s := range r.sessions {
		all = append(all, r.transfers[s.ID]...)
	}
	w := NewTable(&bytes.Buffer{}, TableOptions{})
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if err := w.Transfer(all[i%len(all)]); err != nil {
			b.Fatal(err)
		}
		i++
	}
}
