package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestManyFilesOneBad checks that unusable files among several do not stop
// the run: the usable ones are analysed and reported, each unusable one is
// named on stderr, and the exit status is 3; when none is usable it is 1.
func TestManyFilesOneBad(t *testing.T) {
	dir := t.TempDir()
	good, err := os.ReadFile(capture)
	if err != nil {
		t.Fatal(err)
	}
	p := func(n string) string { return filepath.Join(dir, n) }
	for name, body := range map[string][]byte{
		"good.pcap":       good,
		"empty.pcap":      nil,
		"notes.txt":       []byte("hello, this is not a capture\n"),
		"unreadable.pcap": good,
	} {
		if err := os.WriteFile(p(name), body, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// Not readable, unless the tests run as root: then it is made a text
	// file, unusable all the same.
	unreadable := "unreadable.pcap: open: permission denied"
	if err := os.Chmod(p("unreadable.pcap"), 0); err != nil {
		t.Fatal(err)
	}
	if f, err := os.Open(p("unreadable.pcap")); err == nil {
		f.Close()
		if err := os.WriteFile(p("unreadable.pcap"), []byte("root reads anything\n"), 0); err != nil {
			t.Fatal(err)
		}
		unreadable = "unreadable.pcap: not a pcap or pcapng file"
	}
	bad := []string{
		"empty.pcap: empty input",
		"notes.txt: not a pcap or pcapng file",
		unreadable,
		"missing.pcap: open: no such file or directory",
	}
	cases := []struct {
		name   string
		args   []string
		code   int
		stderr []string // each must appear on a line of its own starting "ftpsniff: "
		stdout string
	}{
		{"shell glob", []string{"-r", p("empty.pcap"), p("good.pcap"), p("notes.txt"), p("unreadable.pcap"), "-r", p("missing.pcap"), "--format", "json"},
			exitDamaged, bad, `"verdict":"dropped"`},
		{"quoted glob", []string{"-r", p("*"), "--format", "text"}, exitDamaged, bad[:3], "dropped"},
		{"table", []string{"-r", p("good.pcap"), "-r", p("empty.pcap")}, exitDamaged, bad[:1], "dropped"},
		{"audit", []string{"audit", "-r", p("notes.txt"), "-r", p("good.pcap")}, exitDamaged, nil, "dropped"},
		{"none usable", []string{"-r", p("empty.pcap"), p("notes.txt"), "-r", p("missing.pcap")}, exitInput, []string{bad[0], bad[1], bad[3]}, ""},
		{"only file missing", []string{"-r", p("missing.pcap")}, exitInput, bad[3:], ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errs := runCLI(t, nil, tc.args...)
			if code != tc.code {
				t.Errorf("exit %d, want %d; stderr: %s", code, tc.code, errs)
			}
			for _, want := range tc.stderr {
				if !strings.Contains(errs, "ftpsniff: "+p(want)) {
					t.Errorf("stderr lacks a line %q:\n%s", "ftpsniff: "+p(want), errs)
				}
			}
			if tc.name == "audit" && !strings.Contains(errs, "notes.txt: not a pcap or pcapng file") {
				t.Errorf("audit stderr does not name the bad file:\n%s", errs)
			}
			if !strings.Contains(out, tc.stdout) {
				t.Errorf("stdout lacks %q:\n%s", tc.stdout, out)
			}
		})
	}
}
