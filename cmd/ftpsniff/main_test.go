package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/ftpsniff/ftpsniff/decode"
)

const capture = "../../testdata/pcaps/synth-drop-syn.pcap"

func runCLI(t *testing.T, stdin []byte, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(context.Background(), args, bytes.NewReader(stdin), &out, &errb)
	return code, out.String(), errb.String()
}

func TestExitCodes(t *testing.T) {
	dir := t.TempDir()
	good, err := os.ReadFile(capture)
	if err != nil {
		t.Fatal(err)
	}
	truncated := filepath.Join(dir, "cut.pcap")
	if err := os.WriteFile(truncated, good[:len(good)-7], 0o644); err != nil {
		t.Fatal(err)
	}
	notCapture := filepath.Join(dir, "notes.txt")
	if err := os.WriteFile(notCapture, []byte("hello, this is not a capture\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name    string
		args    []string
		stdin   []byte
		code    int
		stderr  string // substring
		stdoutS string // substring
	}{
		{"ok table", []string{"-r", capture}, nil, exitOK, "", "dropped"},
		{"ok stdin json", []string{"-r", "-", "--format", "json"}, good, exitOK, "", `"verdict":"dropped"`},
		{"help on stdout", []string{"--help"}, nil, exitOK, "", "Exit status:"},
		{"audit help on stdout", []string{"audit", "--help"}, nil, exitOK, "", "--fail-on"},
		{"zero duration", []string{"-r", capture, "--drop-wait", "0s"}, nil, exitUsage, "--drop-wait: 0s is not a positive duration", ""},
		{"negative duration", []string{"-r", capture, "--syn-grace", "-3s"}, nil, exitUsage, "--syn-grace: -3s is not a positive duration", ""},
		{"audit zero duration", []string{"audit", "-r", capture, "--expect-timeout", "0"}, nil, exitUsage, "--expect-timeout", ""},
		{"fail-on without audit", []string{"-r", capture, "--fail-on", "dropped"}, nil, exitUsage, "is an option of ftpsniff audit", ""},
		{"format nft without audit", []string{"-r", capture, "-F", "nft"}, nil, exitUsage, "use ftpsniff audit", ""},
		{"html", []string{"-r", capture, "--format", "html"}, nil, exitOK, "", "<!DOCTYPE html>"},
		{"failures-only json", []string{"-r", "../../testdata/pcaps/lab-active-drop.pcap", "--format", "json", "--failures-only"}, nil, exitOK, "", `"verdicts":{"dropped":2,"reset":0,"unreachable":0,"refused":0,"not-attempted":0,"unknown":0,"ok":1}`},
		{"failures-only -w live", []string{"-i", "lo", "-w", "x.pcapng", "--failures-only"}, nil, exitUsage, "needs capture files", ""},
		{"failures-only -w stdin", []string{"-r", "-", "-w", "x.pcapng", "--failures-only"}, good, exitUsage, "reads its input twice", ""},
		{"no input", nil, nil, exitUsage, "nothing to read", ""},
		{"bad flag", []string{"--no-such-flag"}, nil, exitUsage, "unknown flag", ""},
		{"bad format", []string{"-r", capture, "--format", "xml"}, nil, exitUsage, "unknown format", ""},
		{"bad port", []string{"-r", capture, "--ports", "70000"}, nil, exitUsage, "not a TCP port", ""},
		{"negative max-rows", []string{"-r", capture, "--max-rows", "-1"}, nil, exitUsage, "--max-rows", ""},
		{"max-rows 1", []string{"-r", "../../testdata/pcaps/lab-curl-mixed.pcap", "--max-rows", "1"}, nil, exitOK, "", "... 4 more transfers not shown ("},
		{"max-rows 0", []string{"-r", capture, "--max-rows", "0"}, nil, exitOK, "", "dropped"},
		{"stray argument", []string{"-r", capture, "tcp", "port", "21"}, nil, exitUsage, "unexpected arguments", ""},
		{"two stdins", []string{"-r", "-", "-r", "-"}, nil, exitUsage, "only once", ""},
		{"missing file", []string{"-r", filepath.Join(dir, "nope.pcap")}, nil, exitInput, "nope.pcap", ""},
		{"not a capture", []string{"-r", notCapture}, nil, exitInput, "notes.txt", ""},
		{"truncated", []string{"-r", truncated, "--format", "json"}, nil, exitDamaged, "cut.pcap", `"type":"summary"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errs := runCLI(t, tc.stdin, tc.args...)
			if code != tc.code {
				t.Errorf("exit %d, want %d; stderr: %s", code, tc.code, errs)
			}
			if !strings.Contains(errs, tc.stderr) {
				t.Errorf("stderr %q lacks %q", errs, tc.stderr)
			}
			if !strings.Contains(out, tc.stdoutS) {
				t.Errorf("stdout lacks %q:\n%s", tc.stdoutS, out)
			}
		})
	}
}

// TestPasswordsMasked checks that no output format shows a password unless
// --show-passwords is given.
func TestPasswordsMasked(t *testing.T) {
	for _, format := range []string{"table", "json", "text"} {
		_, out, _ := runCLI(t, nil, "-r", capture, "--format", format)
		if strings.Contains(out, "mozilla@example.com") || strings.Contains(out, "secret") {
			t.Errorf("%s output shows a password:\n%s", format, out)
		}
	}
	_, out, _ := runCLI(t, nil, "-r", capture, "--format", "json", "--show-passwords")
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatal(err)
		}
		if m["type"] == "session" && (m["password"] == "****" || m["password"] == "") {
			t.Errorf("--show-passwords still masks: %v", m["password"])
		}
	}
}

func TestProgressLine(t *testing.T) {
	var b bytes.Buffer
	p := newProgress(&b)
	p.start = p.start.Add(-2e9) // pretend two seconds have passed
	p.report(statsFor(1<<20, 5000), 3, false)
	if !strings.Contains(b.String(), "5000 packets, 3 FTP sessions") {
		t.Errorf("progress line %q", b.String())
	}
	p.report(statsFor(1<<20, 5000), 3, true)
	if !strings.HasSuffix(b.String(), "\r\033[K") {
		t.Errorf("progress line not cleared at the end: %q", b.String())
	}
}

func statsFor(bytes int64, packets uint64) decode.Stats {
	return decode.Stats{FileBytes: bytes, Packets: packets}
}

// TestInputNames covers files named after -r (a shell glob), quoted glob
// patterns, a file whose name looks like a pattern, and the errors.
func TestInputNames(t *testing.T) {
	dir := t.TempDir()
	for _, n := range []string{"a-1.pcap", "a-2.pcap", "b.pcap", "odd[1].pcap"} {
		if err := os.WriteFile(filepath.Join(dir, n), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	p := func(n string) string { return filepath.Join(dir, n) }
	cases := []struct {
		name        string
		reads, args []string
		want        []string
		err         string
	}{
		{name: "plain", reads: []string{p("b.pcap")}, want: []string{p("b.pcap")}},
		{name: "shell glob", reads: []string{p("a-1.pcap")}, args: []string{p("a-2.pcap"), p("b.pcap")},
			want: []string{p("a-1.pcap"), p("a-2.pcap"), p("b.pcap")}},
		{name: "quoted glob", reads: []string{p("a-*.pcap"), "-"}, want: []string{p("a-1.pcap"), p("a-2.pcap"), "-"}},
		{name: "pattern-like name", reads: []string{p("odd[1].pcap")}, want: []string{p("odd[1].pcap")}},
		{name: "no match", reads: []string{p("z*.pcap")}, err: "no file matches"},
		{name: "bad pattern", reads: []string{p("[.pcap")}, err: "syntax error"},
		{name: "arguments without -r", args: []string{p("b.pcap")}, err: "unexpected arguments"},
		{name: "a filter after -r", reads: []string{p("b.pcap")}, args: []string{"tcp", "port", "21"}, err: "not capture files"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := inputNames(tc.reads, tc.args)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil || !slices.Equal(got, tc.want) {
				t.Fatalf("got %q, %v; want %q", got, err, tc.want)
			}
		})
	}
}

// TestManyFilesOneStream reads two captures as -r A -r B, as -r A B (a
// shell glob) and as a quoted glob: one time-ordered stream each time, so
// the reports are identical.
func TestManyFilesOneStream(t *testing.T) {
	dir := t.TempDir()
	for _, n := range []string{"synth-drop-syn.pcap", "lab-curl-mixed.pcap"} {
		b, err := os.ReadFile(filepath.Join("../../testdata/pcaps", n))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "day-"+n), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	a, b := filepath.Join(dir, "day-lab-curl-mixed.pcap"), filepath.Join(dir, "day-synth-drop-syn.pcap")
	var outs []string
	for _, args := range [][]string{
		{"-r", a, "-r", b},
		{"-r", a, b},
		{"-r", filepath.Join(dir, "day-*.pcap")},
	} {
		code, out, errs := runCLI(t, nil, append(args, "--format", "json")...)
		if code != exitOK {
			t.Fatalf("%q: exit %d: %s", args, code, errs)
		}
		outs = append(outs, out)
	}
	if outs[0] != outs[1] || outs[0] != outs[2] {
		t.Errorf("reports differ:\n%s\n---\n%s\n---\n%s", outs[0], outs[1], outs[2])
	}
	if n := strings.Count(outs[0], `"type":"session"`); n < 2 {
		t.Errorf("%d sessions reported from two captures:\n%s", n, outs[0])
	}
}
