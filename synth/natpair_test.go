package synth

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"
)

var updateNATPair = flag.Bool("natpair-update", false, "rewrite testdata/pcaps/natpair-* from NATPairCases")

// TestNATPairCaptures builds every NAT-pair case and checks that the
// committed captures are what the cases produce (regenerate with
// go test ./synth -run TestNATPairCaptures -natpair-update).
func TestNATPairCaptures(t *testing.T) {
	dir := filepath.Join("..", "testdata", "pcaps")
	seen := map[string]bool{}
	for _, tc := range NATPairCases() {
		t.Run(tc.Name, func(t *testing.T) {
			if seen[tc.Name] {
				t.Fatalf("duplicate case name %q", tc.Name)
			}
			seen[tc.Name] = true
			if len(tc.Expect) == 0 || tc.Description == "" {
				t.Fatal("case needs a description and expected verdicts")
			}
			in, out, err := tc.Build()
			if err != nil {
				t.Fatal(err)
			}
			inName, outName := NATPairFileNames(tc.Name)
			for _, f := range []struct {
				name string
				c    *Capture
			}{{inName, in}, {outName, out}} {
				var buf bytes.Buffer
				if _, err := f.c.WriteTo(&buf); err != nil {
					t.Fatal(err)
				}
				if buf.Len() > 64<<10 {
					t.Errorf("%s is %d bytes; keep NAT-pair captures small", f.name, buf.Len())
				}
				path := filepath.Join(dir, f.name)
				if *updateNATPair {
					if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
						t.Fatal(err)
					}
					continue
				}
				want, err := os.ReadFile(path)
				if err != nil {
					t.Fatalf("%v (run with -natpair-update)", err)
				}
				if !bytes.Equal(want, buf.Bytes()) {
					t.Errorf("%s differs from what the case builds (rerun with -natpair-update after checking)", path)
				}
			}
			// Deterministic: a second build is byte-identical.
			in2, _, err := tc.Build()
			if err != nil {
				t.Fatal(err)
			}
			var a, b bytes.Buffer
			if _, err := in.WriteTo(&a); err != nil {
				t.Fatal(err)
			}
			if _, err := in2.WriteTo(&b); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(a.Bytes(), b.Bytes()) {
				t.Error("two builds differ")
			}
		})
	}
}
