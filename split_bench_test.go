package ftpsniff_test

// Several -r files are one time-ordered stream: a synth capture split into
// two files (at a record boundary in the middle of many live sessions)
// gives the same records as the unsplit file, whatever the order the files
// are named in.

import (
	"bytes"
	"context"
	"encoding/binary"
	"os"
	"path/filepath"
	"testing"

	"github.com/ftpsniff/ftpsniff"
	"github.com/ftpsniff/ftpsniff/decode"
	"github.com/ftpsniff/ftpsniff/output"
	"github.com/ftpsniff/ftpsniff/synth"
)

// splitPcap cuts a little-endian pcap at the first record boundary at or
// after frac of its length; both halves get the file header.
func splitPcap(t *testing.T, data []byte, frac float64) (a, b []byte) {
	t.Helper()
	if len(data) < 24 || binary.LittleEndian.Uint32(data) != 0xa1b2c3d4 && binary.LittleEndian.Uint32(data) != 0xa1b23c4d {
		t.Fatalf("not a little-endian pcap")
	}
	want := int(float64(len(data)) * frac)
	off := 24
	for off < want {
		off += 16 + int(binary.LittleEndian.Uint32(data[off+8:]))
	}
	a = data[:off]
	b = append(append([]byte(nil), data[:24]...), data[off:]...)
	return a, b
}

func runFilesJSON(t *testing.T, names ...string) []byte {
	t.Helper()
	src, err := decode.OpenFiles(names)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	var out bytes.Buffer
	if _, err := ftpsniff.Run(context.Background(), src, ftpsniff.DefaultConfig(), output.NewJSON(&out)); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

func TestSplitFilesSameOutput(t *testing.T) {
	var buf bytes.Buffer
	st, err := synth.Generate(&buf, synth.GenOptions{Capture: synth.Options{Seed: 5}, Size: 4 << 20, Profile: synth.ProfileControl, Sessions: 50})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	whole := filepath.Join(dir, "whole.pcap")
	if err := os.WriteFile(whole, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	want := runFilesJSON(t, whole)
	if bytes.Count(want, []byte(`"type":"transfer"`)) < 100 {
		t.Fatalf("too few transfers to be a test (%d sessions generated)", st.Sessions)
	}
	for _, frac := range []float64{0.31, 0.5, 0.77} {
		a, b := splitPcap(t, buf.Bytes(), frac)
		fa, fb := filepath.Join(dir, "a.pcap"), filepath.Join(dir, "b.pcap")
		if err := os.WriteFile(fa, a, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(fb, b, 0o644); err != nil {
			t.Fatal(err)
		}
		for _, order := range [][]string{{fa, fb}, {fb, fa}} {
			got := runFilesJSON(t, order...)
			if !bytes.Equal(got, want) {
				gl, wl := bytes.Split(got, []byte("\n")), bytes.Split(want, []byte("\n"))
				for i := 0; i < len(gl) && i < len(wl); i++ {
					if !bytes.Equal(gl[i], wl[i]) {
						t.Fatalf("split at %.2f, files %v: line %d differs:\n got %s\nwant %s", frac, order, i+1, gl[i], wl[i])
					}
				}
				t.Fatalf("split at %.2f, files %v: %d lines, want %d", frac, order, len(gl), len(wl))
			}
		}
	}
}
