package ftpsniff_test

// The end-to-end tests: every capture in testdata/pcaps goes through Run
// and is compared with its golden JSON Lines output; captures that carry a
// ground-truth expect file are checked against it; the shared lab captures
// are checked against their labels and the shared corpus against Zeek.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ftpsniff/ftpsniff"
	"github.com/ftpsniff/ftpsniff/decode"
	"github.com/ftpsniff/ftpsniff/output"
	"github.com/ftpsniff/ftpsniff/session"
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

// expectFile is the ground truth written by the lab and the synthesizer.
type expectFile struct {
	Scenario  string           `json:"scenario"`
	Transfers []expectTransfer `json:"transfers"`
}

type expectTransfer struct {
	Mode, Negotiation, Endpoint, Command, Verdict string
}

// TestExpectations checks every capture that has a <name>.expect.json:
// the reported transfers, in negotiation order, must match it.
func TestExpectations(t *testing.T) {
	n := 0
	for _, f := range captures(t, "testdata/pcaps") {
		raw, err := os.ReadFile(stem(f) + ".expect.json")
		if err != nil {
			continue
		}
		n++
		t.Run(filepath.Base(f), func(t *testing.T) {
			var ef expectFile
			if err := json.Unmarshal(raw, &ef); err != nil {
				t.Fatalf("expect file: %v", err)
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
				g := got[i]
				ep := ""
				if g.Endpoint.IsValid() {
					ep = g.Endpoint.String()
				}
				if string(g.Mode) != want.Mode || string(g.Negotiation) != want.Negotiation ||
					(want.Endpoint != "" && ep != want.Endpoint) || (want.Command != "" && g.Command != want.Command) ||
					string(g.Verdict) != want.Verdict {
					t.Errorf("transfer %d: got %s %s %s %s %s (%s), want %s %s %s %s %s", i+1,
						g.Mode, g.Negotiation, ep, g.Command, g.Verdict, g.Reason,
						want.Mode, want.Negotiation, want.Endpoint, want.Command, want.Verdict)
				}
			}
		})
	}
	if n == 0 {
		t.Fatal("no capture in testdata/pcaps has an expect file")
	}
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
