package output

import (
	"bytes"
	"strings"
	"testing"

	"github.com/olekukonko/tablewriter/pkg/twwidth"
)

// TestTableTerminal checks the layouts for a terminal: every line fits the
// width (the reason wraps in its column, or moves under its row when the
// other columns leave it less than minReasonWidth), verdicts are coloured
// only when asked, and no line ends in spaces.
func TestTableTerminal(t *testing.T) {
	tests := []struct {
		name  string
		opts  TableOptions
		under bool // reasons under their rows
		color bool
	}{
		{"wide", TableOptions{Width: 400}, false, false},
		{"160 wraps in the column", TableOptions{Width: 180}, false, false},
		{"narrow: reason under the row", TableOptions{Width: 100}, true, false},
		{"narrow, coloured", TableOptions{Width: 100, Color: true}, true, true},
		{"piped: never wraps", TableOptions{Width: -1}, false, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := sampleRun().feed(NewTable(&b, tc.opts)); err != nil {
				t.Fatal(err)
			}
			out := b.String()
			head := strings.SplitN(out, "\n", 3)[1]
			if got := !strings.Contains(head, "reason"); got != tc.under {
				t.Errorf("reason column left out = %v, want %v: %q", got, tc.under, head)
			}
			if tc.under && !strings.Contains(out, "\n"+reasonIndent+"198.51.100.10 PORT: 7 SYNs over 8.0 s") {
				t.Errorf("no reason under its row:\n%s", out)
			}
			if got := strings.Contains(out, ansiRed+"dropped"+ansiReset); got != tc.color {
				t.Errorf("coloured verdict = %v, want %v", got, tc.color)
			}
			if !tc.color && strings.Contains(out, "\x1b[") {
				t.Errorf("escape sequence without Color")
			}
			transfers := strings.SplitN(out, "\n\n", 2)[0]
			for _, l := range strings.Split(transfers, "\n") {
				if strings.HasSuffix(l, " ") {
					t.Errorf("trailing space: %q", l)
				}
				if w := twwidth.Width(l); tc.opts.Width > 0 && w > tc.opts.Width && !strings.Contains(l, "2001:db8") {
					t.Errorf("line of %d columns, width %d: %q", w, tc.opts.Width, l)
				}
			}
		})
	}
}
