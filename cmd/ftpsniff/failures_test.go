package main

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestFailuresOnly checks --failures-only in every format: only failed
// transfers (and sessions that have one) are listed, the summary still
// counts everything.
func TestFailuresOnly(t *testing.T) {
	in := "../../testdata/pcaps/lab-active-drop.pcap" // 2 dropped, 1 ok
	tests := []struct {
		format string
		has    []string
		not    []string
	}{
		{"json", []string{`"verdict":"dropped"`, `"transfers":3,"failed":2`}, []string{`"verdict":"ok"`}},
		{"text", []string{" dropped: ", "summary: 53 packets, 5240 bytes, 1 session, 3 transfers (2 failed)"}, []string{" ok: "}},
		{"table", []string{"Failed FTP data transfers", "dropped", "3 transfers (2 failed)"}, []string{"PASV "}},
		{"html", []string{`data-verdict="dropped"`, `<span class="n" data-verdict="ok">1</span>`}, []string{`<tr class="tr v-ok"`}},
	}
	for _, tc := range tests {
		t.Run(tc.format, func(t *testing.T) {
			code, out, errs := runCLI(t, nil, "-r", in, "--format", tc.format, "--failures-only")
			if code != exitOK {
				t.Fatalf("exit %d: %s", code, errs)
			}
			for _, s := range tc.has {
				if !strings.Contains(out, s) {
					t.Errorf("output lacks %q", s)
				}
			}
			for _, s := range tc.not {
				if strings.Contains(out, s) {
					t.Errorf("output has %q", s)
				}
			}
		})
	}
}

// TestEvidenceFile checks -w FILE --failures-only: the file holds the
// failed transfers' control and data connections and nothing else, so
// reading it back gives the same failures and no ok transfer.
func TestEvidenceFile(t *testing.T) {
	tests := []struct {
		capture    string
		wantFailed int // -1: any
	}{
		{"lab-active-drop.pcap", 2},
		{"lab-active-reject-icmp.pcap", -1},
		{"lab-curl-mixed.pcap", -1},
	}
	for _, tc := range tests {
		t.Run(tc.capture, func(t *testing.T) {
			in := filepath.Join("..", "..", "testdata", "pcaps", tc.capture)
			small := filepath.Join(t.TempDir(), "evidence.pcapng")
			code, full, errs := runCLI(t, nil, "-r", in, "--format", "json", "--failures-only", "-w", small)
			if code != exitOK {
				t.Fatalf("exit %d: %s", code, errs)
			}
			code, back, errs := runCLI(t, nil, "-r", small, "--format", "json")
			if code != exitOK {
				t.Fatalf("reading the evidence: exit %d: %s", code, errs)
			}
			want := readJSONReport(t, full)
			got := readJSONReport(t, back)
			if got.failedCount != want.failedCount {
				t.Errorf("evidence file: %d failed transfers, the capture %d", got.failedCount, want.failedCount)
			}
			if tc.wantFailed >= 0 && want.failedCount != tc.wantFailed {
				t.Errorf("%d failed transfers, want %d", want.failedCount, tc.wantFailed)
			}
			for ep, v := range want.failedEndpoint {
				if got.failedEndpoint[ep] != v {
					t.Errorf("failed transfer to %s (%s): evidence file says %q", ep, v, got.failedEndpoint[ep])
				}
			}
			if want.failedCount > 0 && got.verdicts["ok"] >= want.verdicts["ok"] && want.verdicts["ok"] > 0 {
				t.Errorf("evidence file keeps the ok data connections (%d ok, capture %d)", got.verdicts["ok"], want.verdicts["ok"])
			}
		})
	}
}
