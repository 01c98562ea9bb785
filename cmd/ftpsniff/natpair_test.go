package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func natPcap(name, side string) string {
	return "../../testdata/pcaps/natpair-" + name + "." + side + ".pcap"
}

// TestAuditNATPair checks "ftpsniff audit --nat-pair": verdicts in both
// formats, --fail-on nat (exit 4), usage errors (2), unreadable (1) and
// damaged (3) inputs.
func TestAuditNATPair(t *testing.T) {
	dir := t.TempDir()
	good, err := os.ReadFile(natPcap("ok", "outside"))
	if err != nil {
		t.Fatal(err)
	}
	cut := filepath.Join(dir, "cut.pcap")
	if err := os.WriteFile(cut, good[:len(good)-9], 0o644); err != nil {
		t.Fatal(err)
	}
	pair := func(name string) []string { return []string{natPcap(name, "inside"), natPcap(name, "outside")} }
	args := func(a []string, extra ...string) []string {
		return append(append([]string{"audit", "--nat-pair"}, extra...), a...)
	}
	cases := []struct {
		name   string
		args   []string
		code   int
		stdout []string
		stderr string
	}{
		{"ok table", args(pair("ok")), exitOK, []string{"rewritten-ok", "VERDICTS: rewritten-ok=2"}, ""},
		{"ok fail-on nat", args(pair("ok"), "--fail-on", "nat"), exitOK, []string{"rewritten-ok"}, ""},
		{"noseqadj json", args(pair("noseqadj"), "-F", "json"), exitOK,
			[]string{`"type":"natpair"`, `"verdict":"rewritten-wrong"`, `"problem":"seq"`, `"type":"natpair-summary"`}, ""},
		{"noseqadj fail-on nat", args(pair("noseqadj"), "--fail-on", "nat"), exitFailOn, []string{"rewritten-wrong"}, ""},
		{"notrewritten fail-on any", args(pair("notrewritten"), "--fail-on", "any", "-F", "json"), exitFailOn,
			[]string{`"verdict":"not-rewritten"`, `"fail_on_matched":1`}, ""},
		{"wrongaddr fail-on dropped", args(pair("wrongaddr"), "--fail-on", "dropped"), exitOK, []string{"rewritten-wrong", "address"}, ""},
		{"notneeded", args(pair("notneeded")), exitOK, []string{"not-needed"}, ""},
		{"server227", args(pair("server227")), exitOK, []string{"rewritten-ok", "203.0.113.20:50000"}, ""},
		{"unrelated", args([]string{natPcap("ok", "inside"), natPcap("server227", "outside")}, "--fail-on", "nat"), exitOK,
			[]string{"unmatched", "rewritten-ok=0"}, ""},
		{"one file", args([]string{natPcap("ok", "inside")}), exitUsage, nil, "two capture files"},
		{"with -r", args(pair("ok"), "-r", natPcap("ok", "inside")), exitUsage, nil, "not -r"},
		{"nft format", args(pair("ok"), "-F", "nft"), exitUsage, nil, "not available"},
		{"bad fail-on", args(pair("ok"), "--fail-on", "nope"), exitUsage, nil, "unknown --fail-on"},
		{"missing", args([]string{natPcap("ok", "inside"), filepath.Join(dir, "nope.pcap")}), exitInput, nil, "nope.pcap"},
		{"damaged", args([]string{natPcap("ok", "inside"), cut}), exitDamaged, []string{"PORT"}, "cut.pcap"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errs := runCLI(t, nil, tc.args...)
			if code != tc.code {
				t.Errorf("exit %d, want %d; stderr: %s", code, tc.code, errs)
			}
			for _, s := range tc.stdout {
				if !strings.Contains(out, s) {
					t.Errorf("stdout lacks %q:\n%s", s, out)
				}
			}
			if tc.stderr != "" && !strings.Contains(errs, tc.stderr) {
				t.Errorf("stderr lacks %q: %s", tc.stderr, errs)
			}
		})
	}
}
