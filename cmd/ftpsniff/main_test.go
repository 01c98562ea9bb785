package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
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
		{"help", []string{"--help"}, nil, exitOK, "Exit status:", ""},
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
