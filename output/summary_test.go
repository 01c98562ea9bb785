package output

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/ftpsniff/ftpsniff/session"
)

// TestSummaryQualityEverywhere checks that the summary's superseded and
// blocked counts, capture quality and run-wide flags, and a blocked
// session's verdict and reason, reach every format.
func TestSummaryQualityEverywhere(t *testing.T) {
	r := sampleRun()
	r.summary.Superseded = 2
	r.summary.Blocked = 1
	r.summary.Quality = session.CaptureQuality{DuplicateFrames: 12, OneSidedConns: 3, OneSidedPairs: 1, ClockSkews: 1}
	r.summary.Flags = session.FlagsOf(session.FlagDuplicateFrames, session.FlagOneSided)
	r.sessions[2].Verdict, r.sessions[2].Reason = session.Dropped, "4 SYNs to the control port over 7.0 s, no SYN-ACK"
	render := func(w Writer, b *bytes.Buffer) string {
		t.Helper()
		if err := r.feed(w); err != nil {
			t.Fatal(err)
		}
		return b.String()
	}
	var tb, xb, jb, hb bytes.Buffer
	outs := map[string]string{
		"table": render(NewTable(&tb, TableOptions{Width: -1}), &tb),
		"text":  render(NewText(&xb), &xb),
		"json":  render(NewJSON(&jb), &jb),
		"html":  render(NewHTML(&hb, HTMLOptions{}), &hb),
	}
	tests := []struct {
		format string
		has    []string
	}{
		{"table", []string{
			"\n(superseded)   2          of the above: negotiations replaced",
			"\n1 blocked control connection (never established)\n",
			"\ncapture: 3 one-sided data connections (1 host pair), 2 truncated frames, 12 duplicate frames, 1 clock skew\n",
			"blocked (dropped)", "control connection dropped: 4 SYNs to the control port",
		}},
		{"text", []string{
			"\nsummary: 2 negotiations superseded",
			"\nsummary: 1 blocked control connection (never established)\n",
			"\nsummary: capture: 3 one-sided data connections (1 host pair), 2 truncated frames, 12 duplicate frames, 1 clock skew\n",
			"\nsummary: flags: duplicate-frames,one-sided\n",
			"; blocked: dropped: 4 SYNs to the control port",
		}},
		{"json", []string{
			`"verdict":"dropped","reason":"4 SYNs to the control port over 7.0 s, no SYN-ACK"}`,
			`"superseded":2,"blocked":1,"quality":{"duplicate_frames":12,"one_sided_conns":3,"one_sided_pairs":1,"control_gaps":0,"control_gap_bytes":0,"truncated_ftp":0,"clock_jumps":0,"clock_skews":1},"flags":["duplicate-frames","one-sided"]}`,
		}},
		{"html", []string{
			"1 blocked control connections", "2 superseded before use",
			"3 data connections were captured in one direction only", "12 frames were captured twice",
			"control connection dropped",
		}},
	}
	for _, tc := range tests {
		out := outs[tc.format]
		for _, s := range tc.has {
			if !strings.Contains(out, s) {
				t.Errorf("%s lacks %q", tc.format, s)
			}
		}
	}
	// The JSON summary still parses into its schema struct.
	lines := strings.Split(strings.TrimSpace(outs["json"]), "\n")
	var js JSONSummary
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &js); err != nil || js.Quality.DuplicateFrames != 12 {
		t.Errorf("summary %+v, %v", js, err)
	}
}
