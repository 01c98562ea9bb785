package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ftpsniff/ftpsniff/synth"
)

// TestCommittedCasesMatchGenerator regenerates every committed scenario
// and requires testdata/pcaps to hold exactly what ftpsynth -cases writes:
// the captures and their expect files (the ground truth lives in
// synth/cases.go, never in an edited JSON file). Scenarios marked Large
// are built at test time instead and must not be committed.
func TestCommittedCasesMatchGenerator(t *testing.T) {
	dir := t.TempDir()
	if err := writeCases(dir, nil); err != nil {
		t.Fatal(err)
	}
	const committed = "../../testdata/pcaps"
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	written := map[string]bool{}
	for _, e := range ents {
		written[e.Name()] = true
		got, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		want, err := os.ReadFile(filepath.Join(committed, e.Name()))
		if err != nil {
			t.Errorf("%s is not committed (go run ./cmd/ftpsynth -cases testdata/pcaps): %v", e.Name(), err)
			continue
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s differs from the generator's output (go run ./cmd/ftpsynth -cases testdata/pcaps)", e.Name())
		}
	}
	large := map[string]bool{}
	for _, c := range synth.Cases() {
		if c.Large {
			large[c.Name] = true
		}
	}
	cents, err := os.ReadDir(committed)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range cents {
		n := e.Name()
		if !strings.HasPrefix(n, "synth-") || strings.HasSuffix(n, ".golden.jsonl") {
			continue
		}
		if !written[n] {
			t.Errorf("%s is committed but no scenario writes it", n)
		}
		for name := range large {
			if strings.HasPrefix(n, "synth-"+name+".") {
				t.Errorf("%s belongs to a Large scenario, which is built at test time", n)
			}
		}
	}
}
