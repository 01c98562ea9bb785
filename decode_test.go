package ftpsniff_test

// The end-to-end tests: every capture in testdata/pcaps goes through Run
// and is compared with its golden JSON Lines output; captures that carry a
// ground-truth expect file are checked against it; the shared lab captures
// are checked against their labels and the shared corpus against Zeek.

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/ftpsniff/ftpsniff"
	"github.com/ftpsniff/ftpsniff/decode"
	"github.com/ftpsniff/ftpsniff/output"
	"github.com/ftpsniff/ftpsniff/session"
	"github.com/ftpsniff/ftpsniff/synth"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/pcaps")

// collector is an output.Writer that keeps the records.
type collector struct {
	transfers []session.Transfer
	sessions  []session.Session
	sum       *session.Summary
}

func (c *collector) Transfer(t *session.Transfer) error {
	c.transfers = append(c.transfers, *t)
	return nil
}

func (c *collector) Session(s *session.Session) error {
	c.sessions = append(c.sessions, *s)
	return nil
}

func (c *collector) Close(s *session.Summary) error {
	c.sum = s
	return nil
}

// tee sends records to several writers.
type tee []output.Writer

func (t tee) Transfer(x *session.Transfer) error {
	for _, w := range t {
		if err := w.Transfer(x); err != nil {
			return err
		}
	}
	return nil
}

func (t tee) Session(x *session.Session) error {
	for _, w := range t {
		if err := w.Session(x); err != nil {
			return err
		}
	}
	return nil
}

func (t tee) Close(x *session.Summary) error {
	for _, w := range t {
		if err := w.Close(x); err != nil {
			return err
		}
	}
	return nil
}

// analyse runs files through Run and returns the records and the JSON output.
func analyse(t *testing.T, files ...string) (*collector, []byte, error) {
	t.Helper()
	src, err := decode.OpenFiles(files)
	if err != nil {
		return nil, nil, err
	}
	defer src.Close()
	var js bytes.Buffer
	c := &collector{}
	_, err = ftpsniff.Run(context.Background(), src, ftpsniff.DefaultConfig(), tee{c, output.NewJSON(&js)})
	return c, js.Bytes(), err
}

// captures lists the capture files in dir.
func captures(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range ents {
		n := e.Name()
		if e.IsDir() || !isCapture(n) {
			continue
		}
		out = append(out, filepath.Join(dir, n))
	}
	return out
}

func isCapture(name string) bool {
	for _, suf := range []string{".pcap", ".pcapng", ".cap", ".pcap.gz", ".pcapng.gz"} {
		if strings.HasSuffix(name, suf) {
			return true
		}
	}
	return false
}

// stem strips the capture suffix: lab-x.pcap.gz -> lab-x.
func stem(path string) string {
	b := filepath.Base(path)
	for _, suf := range []string{".pcap.gz", ".pcapng.gz", ".pcapng", ".pcap", ".cap"} {
		if strings.HasSuffix(b, suf) {
			return filepath.Join(filepath.Dir(path), strings.TrimSuffix(b, suf))
		}
	}
	return path
}

// TestGolden runs every project capture through Run and compares the JSON
// Lines output with <name>.golden.jsonl beside it.
func TestGolden(t *testing.T) {
	files := captures(t, "testdata/pcaps")
	if len(files) == 0 {
		t.Fatal("no captures in testdata/pcaps")
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			_, got, err := analyse(t, f)
			if err != nil && !errors.Is(err, ftpsniff.ErrDamagedInput) {
				t.Fatalf("Run: %v", err)
			}
			golden := stem(f) + ".golden.jsonl"
			if *update {
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("no golden output (run go test -run TestGolden -update): %v", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("output differs from %s (rerun with -update after checking):\n%s", golden, lineDiff(want, got))
			}
		})
	}
}

// lineDiff shows the first differing lines.
func lineDiff(want, got []byte) string {
	w := strings.Split(string(want), "\n")
	g := strings.Split(string(got), "\n")
	var b strings.Builder
	shown := 0
	for i := 0; i < len(w) || i < len(g); i++ {
		var a, c string
		if i < len(w) {
			a = w[i]
		}
		if i < len(g) {
			c = g[i]
		}
		if a != c {
			fmt.Fprintf(&b, "line %d:\n  want %s\n  got  %s\n", i+1, a, c)
			if shown++; shown == 5 {
				break
			}
		}
	}
	return b.String()
}

// expectFile is the ground truth written by the lab (lab/mkexpect.py) and
// the synthesizer (cmd/ftpsynth, from synth.Case). A key that is absent is
// not stated (tolerated in lab files only); a key that is present is
// checked, and "" or [] in it means none.
type expectFile struct {
	Scenario  string           `json:"scenario"`
	Transfers []expectTransfer `json:"transfers"`
	// Sessions, in the order they started; absent: not stated.
	Sessions *[]expectSession `json:"sessions"`
	// Summary; absent: not stated.
	Summary *expectSummary `json:"summary"`
}

type expectTransfer struct {
	Mode        string `json:"mode"`
	Negotiation string `json:"negotiation"`
	Verdict     string `json:"verdict"`
	// Endpoint and Command: "" means none.
	Endpoint *string `json:"endpoint"`
	Command  *string `json:"command"`
	// Flags is the exact set of flag names; Evidence lists substrings of
	// the reason.
	Flags    *[]string `json:"flags"`
	Evidence *[]string `json:"evidence"`
}

// expectSession is one session; lab files state client and server only
// (with keys of their own beside them), so every other key may be absent.
type expectSession struct {
	Client    string    `json:"client"`
	Server    string    `json:"server"`
	Verdict   *string   `json:"verdict"`
	Flags     *[]string `json:"flags"`
	Transfers *int      `json:"transfers"`
	// Anomalies lists substrings of the session's anomaly notes.
	Anomalies []string `json:"anomalies"`
}

type expectSummary struct {
	Counts map[string]string `json:"counts"`
	Flags  *[]string         `json:"flags"`
}

// transferFlagNames returns a transfer's flag names. It is the one place
// the expectation harness reads transfer flags (the tracker's flag type
// may change; only this body follows it).
func transferFlagNames(t session.Transfer) []string { return output.FlagNames(t.Flags, t.Notes) }

// sessionFlagNames returns a session's flag names.
func sessionFlagNames(s session.Session) []string { return output.FlagNames(s.Flags, 0) }

// sessionVerdict returns a session's own verdict: "" for a control
// connection that was established, dropped/reset/unreachable for a blocked
// one.
func sessionVerdict(s session.Session) string { return string(s.Verdict) }

// summaryCounts returns the summary's counters by their JSON names. New
// counters (duplicates, superseded, one_sided, blocked_sessions, ...) are
// added here as the summary gains them; an expected counter missing here
// fails the expectation.
func summaryCounts(s *session.Summary) map[string]uint64 {
	return map[string]uint64{
		"packets": s.Packets, "bytes": s.Bytes, "undecoded": s.Undecoded, "truncated": s.Truncated,
		"kernel_drops": s.KernelDrops, "state_limit_drops": s.StateLimitDrops,
		"sessions": uint64(s.Sessions), "transfers": uint64(s.Transfers),
		"superseded": uint64(s.Superseded), "blocked_sessions": uint64(s.Blocked),
		"duplicates": s.Quality.DuplicateFrames, "one_sided": uint64(s.Quality.OneSidedConns),
		"one_sided_pairs": uint64(s.Quality.OneSidedPairs), "control_gaps": uint64(s.Quality.ControlGaps),
		"truncated_ftp": s.Quality.TruncatedFTP, "clock_jumps": uint64(s.Quality.ClockJumps),
		"clock_skews": uint64(s.Quality.ClockSkews),
	}
}

// summaryFlagNames returns the summary's run-wide flag names (e.g.
// clock-jump, no-data-connections).
func summaryFlagNames(s *session.Summary) []string { return output.FlagNames(s.Flags, 0) }

// TestExpectations checks every capture that has a <name>.expect.json, and
// every Large synthetic scenario built at test time: the reported
// transfers, in negotiation order, must match it (mode, negotiation,
// endpoint, command, verdict, exact flags, evidence in the reason), and so
// must the sessions and the summary where it states them.
func TestExpectations(t *testing.T) {
	n := 0
	for _, f := range captures(t, "testdata/pcaps") {
		raw, err := os.ReadFile(stem(f) + ".expect.json")
		if err != nil {
			continue
		}
		n++
		t.Run(filepath.Base(f), func(t *testing.T) {
			checkExpectFile(t, f, raw, strings.HasPrefix(filepath.Base(f), "synth-"))
		})
	}
	if n == 0 {
		t.Fatal("no capture in testdata/pcaps has an expect file")
	}
	for _, c := range synth.Cases() {
		if !c.Large {
			continue
		}
		t.Run("synth-"+c.Name+"(built)", func(t *testing.T) {
			cp, err := c.Build()
			if err != nil {
				t.Fatal(err)
			}
			f := filepath.Join(t.TempDir(), synth.FileName(c.Name, cp.Options()))
			var buf bytes.Buffer
			if _, err := cp.WriteTo(&buf); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(f, buf.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
			ef := map[string]any{"scenario": c.Name, "transfers": c.Expect}
			if c.Sessions != nil {
				ef["sessions"] = c.Sessions
			}
			if c.Summary != nil {
				ef["summary"] = c.Summary
			}
			raw, err := json.Marshal(ef)
			if err != nil {
				t.Fatal(err)
			}
			checkExpectFile(t, f, raw, true)
		})
	}
}

// checkExpectFile runs capture f and checks it against the expect file
// raw; synthetic files must state every transfer key.
func checkExpectFile(t *testing.T, f string, raw []byte, synthetic bool) {
	t.Helper()
	var ef expectFile
	if err := json.Unmarshal(raw, &ef); err != nil {
		t.Fatalf("expect file: %v", err)
	}
	if synthetic {
		for i, w := range ef.Transfers {
			if w.Endpoint == nil || w.Command == nil || w.Flags == nil || w.Evidence == nil {
				t.Fatalf("expect file: transfer %d does not state endpoint, command, flags and evidence", i+1)
			}
		}
		if ef.Sessions != nil {
			for i, w := range *ef.Sessions {
				if w.Verdict == nil || w.Flags == nil || w.Transfers == nil {
					t.Fatalf("expect file: session %d does not state verdict, flags and transfers", i+1)
				}
			}
		}
	}
	c, _, err := analyse(t, f)
	if err != nil && !errors.Is(err, ftpsniff.ErrDamagedInput) {
		t.Fatalf("Run: %v", err)
	}
	got := sortedByTime(c.transfers)
	if len(got) != len(ef.Transfers) {
		t.Errorf("%d transfers reported, %d expected", len(got), len(ef.Transfers))
	}
	for i, want := range ef.Transfers {
		if i >= len(got) {
			break
		}
		checkTransfer(t, i+1, got[i], want)
	}
	if ef.Sessions != nil {
		checkSessions(t, c, *ef.Sessions)
	}
	if ef.Summary != nil {
		checkSummary(t, c.sum, ef.Summary)
	}
}

func checkTransfer(t *testing.T, n int, g session.Transfer, want expectTransfer) {
	t.Helper()
	ep := ""
	if g.Endpoint.IsValid() {
		ep = g.Endpoint.String()
	}
	flags := slices.Clone(transferFlagNames(g))
	slices.Sort(flags)
	var bad []string
	if string(g.Mode) != want.Mode {
		bad = append(bad, "mode")
	}
	if string(g.Negotiation) != want.Negotiation {
		bad = append(bad, "negotiation")
	}
	if want.Endpoint != nil && ep != *want.Endpoint {
		bad = append(bad, "endpoint")
	}
	if want.Command != nil && g.Command != *want.Command {
		bad = append(bad, "command")
	}
	if string(g.Verdict) != want.Verdict {
		bad = append(bad, "verdict")
	}
	if want.Flags != nil && !slices.Equal(flags, sortedCopy(*want.Flags)) {
		bad = append(bad, "flags")
	}
	if want.Evidence != nil {
		for _, e := range *want.Evidence {
			if !strings.Contains(g.Reason, e) {
				bad = append(bad, fmt.Sprintf("evidence %q", e))
			}
		}
	}
	if len(bad) == 0 {
		return
	}
	w := func(p *string) string {
		if p == nil {
			return "(any)"
		}
		return fmt.Sprintf("%q", *p)
	}
	wl := func(p *[]string) string {
		if p == nil {
			return "(any)"
		}
		return fmt.Sprintf("%q", *p)
	}
	t.Errorf("transfer %d: %s differ:\n  got  %s %s %q %q %s flags %q reason %q\n  want %s %s %s %s %s flags %s evidence %s", n, strings.Join(bad, ", "),
		g.Mode, g.Negotiation, ep, g.Command, g.Verdict, flags, g.Reason,
		want.Mode, want.Negotiation, w(want.Endpoint), w(want.Command), want.Verdict, wl(want.Flags), wl(want.Evidence))
}

func sortedCopy(s []string) []string {
	out := slices.Clone(s)
	slices.Sort(out)
	return out
}

// checkSessions compares the reported sessions, in the order they started,
// with the expected ones.
func checkSessions(t *testing.T, c *collector, want []expectSession) {
	t.Helper()
	got := slices.Clone(c.sessions)
	slices.SortStableFunc(got, func(a, b session.Session) int {
		if d := a.Start.Compare(b.Start); d != 0 {
			return d
		}
		return cmp.Compare(a.ID, b.ID)
	})
	if len(got) != len(want) {
		t.Errorf("%d sessions reported, %d expected", len(got), len(want))
	}
	for i, w := range want {
		if i >= len(got) {
			break
		}
		g := got[i]
		n := 0
		for _, x := range c.transfers {
			if x.SessionID == g.ID {
				n++
			}
		}
		flags := sortedCopy(sessionFlagNames(g))
		cl := g.Client.Addr().String()
		if cl != w.Client || g.Server.String() != w.Server ||
			w.Verdict != nil && sessionVerdict(g) != *w.Verdict ||
			w.Flags != nil && !slices.Equal(flags, sortedCopy(*w.Flags)) ||
			w.Transfers != nil && n != *w.Transfers {
			wv, wf, wt := "(any)", "(any)", "(any)"
			if w.Verdict != nil {
				wv = fmt.Sprintf("%q", *w.Verdict)
			}
			if w.Flags != nil {
				wf = fmt.Sprintf("%q", *w.Flags)
			}
			if w.Transfers != nil {
				wt = strconv.Itoa(*w.Transfers)
			}
			t.Errorf("session %d:\n  got  client %s server %s verdict %q flags %q transfers %d\n  want client %s server %s verdict %s flags %s transfers %s",
				i+1, cl, g.Server, sessionVerdict(g), flags, n, w.Client, w.Server, wv, wf, wt)
		}
		for _, a := range w.Anomalies {
			if !slices.ContainsFunc(g.Anomalies, func(x string) bool { return strings.Contains(x, a) }) {
				t.Errorf("session %d: no anomaly contains %q (anomalies %q)", i+1, a, g.Anomalies)
			}
		}
	}
}

// checkSummary checks the summary's counters, flags and notes.
func checkSummary(t *testing.T, s *session.Summary, want *expectSummary) {
	t.Helper()
	if s == nil {
		t.Error("no summary")
		return
	}
	counts := summaryCounts(s)
	keys := slices.Sorted(maps.Keys(want.Counts))
	for _, k := range keys {
		cond := want.Counts[k]
		v, ok := counts[k]
		if !ok {
			t.Errorf("summary: want %s %s, but the summary has no such counter", k, cond)
			continue
		}
		if !countHolds(v, cond) {
			t.Errorf("summary: got %s %d, want %s", k, v, cond)
		}
	}
	if want.Flags != nil {
		got := sortedCopy(summaryFlagNames(s))
		if !slices.Equal(got, sortedCopy(*want.Flags)) {
			t.Errorf("summary: got flags %q, want %q", got, *want.Flags)
		}
	}
}

// countHolds evaluates a count condition "N", ">N", ">=N" or "<=N".
func countHolds(v uint64, cond string) bool {
	op := strings.TrimRight(cond, "0123456789")
	n, err := strconv.ParseUint(cond[len(op):], 10, 64)
	if err != nil {
		return false
	}
	switch op {
	case "":
		return v == n
	case ">":
		return v > n
	case ">=":
		return v >= n
	case "<=":
		return v <= n
	}
	return false
}

// sortedByTime orders transfers by negotiation time (then id), the order of
// the expect files.
func sortedByTime(in []session.Transfer) []session.Transfer {
	out := append([]session.Transfer(nil), in...)
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && less(out[j], out[j-1]); j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}

func less(a, b session.Transfer) bool {
	if !a.Time.Equal(b.Time) {
		return a.Time.Before(b.Time)
	}
	return a.ID < b.ID
}
