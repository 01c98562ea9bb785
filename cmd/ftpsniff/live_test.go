package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
)

func TestLiveFlagErrors(t *testing.T) {
	out := filepath.Join(t.TempDir(), "out.pcapng")
	cases := []struct {
		name   string
		args   []string
		code   int
		stderr string
	}{
		{"-i with -r", []string{"-i", "lo", "-r", capture}, exitUsage, "-i and -r are exclusive"},
		{"-f without -i", []string{"-r", capture, "-f", "host 192.0.2.1"}, exitUsage, "-f applies to live capture"},
		{"--no-promisc without -i", []string{"-r", capture, "-p"}, exitUsage, "--no-promisc applies to live capture"},
		{"--ftp-only without -w", []string{"-r", capture, "--ftp-only"}, exitUsage, "--ftp-only applies to the file written with -w"},
		{"-w over the input", []string{"-r", capture, "-w", capture}, exitUsage, "would overwrite the input"},
		{"-w to stdout", []string{"-r", capture, "-w", "-"}, exitUsage, "not standard output"},
		{"unknown interface", []string{"-i", "nosuchif0", "-w", out}, exitInput, `no such interface "nosuchif0" (available: `},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, _, stderr := runCLI(t, nil, tc.args...)
			if code != tc.code || !strings.Contains(stderr, tc.stderr) {
				t.Errorf("exit %d, stderr %q; want exit %d and %q", code, stderr, tc.code, tc.stderr)
			}
		})
	}
}

func TestListInterfacesFlag(t *testing.T) {
	code, stdout, stderr := runCLI(t, nil, "--list-interfaces")
	if code != exitOK || stdout == "" {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
}

// transferLines returns the JSON transfer records of a json run, without
// the per-input fields that differ between a file and its re-recording.
func transferLines(t *testing.T, stdout string) []string {
	t.Helper()
	var out []string
	for _, line := range strings.Split(strings.TrimSpace(stdout), "\n") {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("bad JSON line %q: %v", line, err)
		}
		if rec["type"] != "transfer" {
			continue
		}
		out = append(out, stripped(rec))
	}
	return out
}

// stripped renders rec without the fields that name the input file.
func stripped(rec map[string]any) string {
	var walk func(v any) any
	walk = func(v any) any {
		switch x := v.(type) {
		case map[string]any:
			m := map[string]any{}
			for k, e := range x {
				if k == "file" || k == "file_packet" || k == "files" {
					continue
				}
				m[k] = walk(e)
			}
			return m
		case []any:
			for i := range x {
				x[i] = walk(x[i])
			}
		}
		return v
	}
	b, _ := json.Marshal(walk(rec))
	return string(b)
}

// TestWriteRoundTrip: -w records what -r read; reading the recording gives
// the same verdicts, and --ftp-only keeps the evidence they need.
func TestWriteRoundTrip(t *testing.T) {
	dir := t.TempDir()
	all := filepath.Join(dir, "all.pcapng")
	ftp := filepath.Join(dir, "ftp.pcapng")
	code, want, stderr := runCLI(t, nil, "-r", capture, "--format", "json", "-w", all)
	if code != exitOK {
		t.Fatalf("-w: exit %d: %s", code, stderr)
	}
	code, _, stderr = runCLI(t, nil, "-r", capture, "--format", "json", "-w", ftp, "--ftp-only")
	if code != exitOK {
		t.Fatalf("-w --ftp-only: exit %d: %s", code, stderr)
	}
	wantT := transferLines(t, want)
	if len(wantT) == 0 {
		t.Fatal("the test capture has no transfers")
	}
	for _, f := range []string{all, ftp} {
		code, got, stderr := runCLI(t, nil, "-r", f, "--format", "json")
		if code != exitOK {
			t.Fatalf("reading %s: exit %d: %s", f, code, stderr)
		}
		gotT := transferLines(t, got)
		if strings.Join(gotT, "\n") != strings.Join(wantT, "\n") {
			t.Errorf("%s: transfers differ from the original:\n got %s\nwant %s", filepath.Base(f), gotT, wantT)
		}
	}
}
