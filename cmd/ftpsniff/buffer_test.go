package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ftpsniff/ftpsniff/synth"
)

// countingWriter records what is written to it and in how many calls.
type countingWriter struct {
	bytes.Buffer
	writes int
}

func (c *countingWriter) Write(p []byte) (int, error) {
	c.writes++
	return c.Buffer.Write(p)
}

func (c *countingWriter) WriteString(s string) (int, error) {
	c.writes++
	return c.Buffer.WriteString(s)
}

// failingWriter fails every write.
type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

// damagedCapture writes a synthesized control-heavy capture (about 2,000
// transfers, over 256 KiB of JSON) cut in the middle of its last packet,
// and returns its path and bytes.
func damagedCapture(t *testing.T) (string, []byte) {
	t.Helper()
	var b bytes.Buffer
	if _, err := synth.Generate(&b, synth.GenOptions{Capture: synth.Options{Seed: 7}, Size: 6 << 20, Profile: synth.ProfileControl}); err != nil {
		t.Fatal(err)
	}
	data := b.Bytes()[:b.Len()-5]
	path := filepath.Join(t.TempDir(), "damaged.pcap")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return path, data
}

// runPiped runs the CLI with args reading the capture from a pipe on stdin
// (which streams: no output buffering).
func runPiped(t *testing.T, data []byte, args ...string) (int, *countingWriter, string) {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		_, _ = w.Write(data)
		w.Close()
	}()
	defer r.Close()
	var out countingWriter
	var errb bytes.Buffer
	code := run(context.Background(), append(args, "-r", "-"), r, &out, &errb)
	return code, &out, errb.String()
}

// TestBufferedOutputCompleteOnDamagedInput: reading a damaged file, the
// buffered report is complete (byte for byte what the unbuffered, streamed
// run over a pipe writes, summary included), comes in few writes, and the
// exit status is 3.
func TestBufferedOutputCompleteOnDamagedInput(t *testing.T) {
	path, data := damagedCapture(t)
	for _, tc := range []struct {
		format string
		last   string // the end of the report
	}{
		{"json", `"input_errors":["`},
		{"text", "summary: 1 input error\nsummary: input error: "},
		{"table", "1 input error\n  "},
	} {
		t.Run(tc.format, func(t *testing.T) {
			var out countingWriter
			var errb bytes.Buffer
			code := run(context.Background(), []string{"-r", path, "-F", tc.format}, nil, &out, &errb)
			if code != exitDamaged {
				t.Fatalf("exit %d, want %d; stderr %s", code, exitDamaged, errb.String())
			}
			if !strings.Contains(errb.String(), "damaged.pcap") {
				t.Errorf("stderr does not name the damaged file: %q", errb.String())
			}
			pcode, piped, perr := runPiped(t, data, "-F", tc.format)
			if pcode != exitDamaged {
				t.Fatalf("piped: exit %d, want %d; stderr %s", pcode, exitDamaged, perr)
			}
			got := out.String()
			// The input errors name the input ("-" when piped); the rest is equal.
			want := strings.ReplaceAll(piped.String(), "-: ", filepath.Base(path)+": ")
			got = strings.ReplaceAll(got, path+": ", filepath.Base(path)+": ")
			if got != want {
				t.Errorf("buffered report (%d bytes) differs from the streamed one (%d bytes)", len(got), len(want))
			}
			if !strings.Contains(lastLines(got, 2), tc.last) {
				t.Errorf("report does not end with the summary: ...%s", lastLines(got, 3))
			}
			if tc.format != "table" {
				if max := len(got)/outputBufferSize + 1; out.writes > max || out.writes >= piped.writes {
					t.Errorf("%d writes to stdout (streamed: %d), want at most %d", out.writes, piped.writes, max)
				}
				if len(got) <= outputBufferSize {
					t.Errorf("report of %d bytes does not exercise a full buffer", len(got))
				}
			}
		})
	}
}

// lastLines returns the last n lines of s.
func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

// TestStreams: live capture and a pipe on stdin stream; files and a
// regular file on stdin are buffered.
func TestStreams(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	f, err := os.Open(capture)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cases := []struct {
		name  string
		o     options
		stdin io.Reader
		want  bool
	}{
		{"file", options{reads: []string{capture}}, nil, false},
		{"live", options{live: liveOptions{iface: "eth0"}}, nil, true},
		{"stdin pipe", options{reads: []string{"-"}}, r, true},
		{"stdin regular file", options{reads: []string{"-"}}, f, false},
		{"stdin in memory", options{reads: []string{"-"}}, bytes.NewReader(nil), false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := streams(&tc.o, tc.stdin); got != tc.want {
				t.Errorf("streams = %v, want %v", got, tc.want)
			}
		})
	}
}

// TestOutputWriteError: when stdout cannot be written, the exit status is
// 1 and stderr says so, whether or not the input was damaged.
func TestOutputWriteError(t *testing.T) {
	path, _ := damagedCapture(t)
	for _, in := range []string{capture, path} {
		for _, format := range []string{"json", "text", "table"} {
			var errb bytes.Buffer
			code := run(context.Background(), []string{"-r", in, "-F", format}, nil, failingWriter{}, &errb)
			if code != exitInput || !strings.Contains(errb.String(), "writing output") || !strings.Contains(errb.String(), "disk full") {
				t.Errorf("%s %s: exit %d, stderr %q; want exit %d and the write error", filepath.Base(in), format, code, errb.String(), exitInput)
			}
		}
	}
}
