package session

import (
	"fmt"
	"net/netip"
	"testing"
)

// TestLineLog keeps the first and the last half of the lines, whatever
// their number, through the tail's compactions.
func TestLineLog(t *testing.T) {
	for _, tc := range []struct{ size, lines int }{{6, 0}, {6, 2}, {6, 3}, {6, 6}, {6, 27}, {5, 100}, {64, 1000}, {1, 10}} {
		t.Run(fmt.Sprintf("%d of %d", tc.size, tc.lines), func(t *testing.T) {
			l := newLineLog(tc.size)
			for i := range tc.lines {
				l.add(i%2, lineMeta{seq: uint32(i)}, []byte(fmt.Sprintf("line %d", i)))
				if i%3 == 0 {
					l.mark(i%2, netip.AddrPortFrom(netip.IPv4Unspecified(), uint16(i)), false, false)
				}
			}
			got, omitted := l.events()
			var want []int
			for i := range tc.lines {
				if i < l.headSize || i >= tc.lines-l.tailSize && i >= l.headSize {
					want = append(want, i)
				}
			}
			if len(got) != len(want) || omitted != tc.lines-len(want) {
				t.Fatalf("%d lines, %d omitted; want %d, %d", len(got), omitted, len(want), tc.lines-len(want))
			}
			for k, i := range want {
				if got[k].Line != fmt.Sprintf("line %d", i) || got[k].Seq != uint32(i) {
					t.Errorf("line %d: %q seq %d, want line %d", k, got[k].Line, got[k].Seq, i)
				}
				if marked := got[k].Endpoint.Port() == uint16(i) && got[k].Endpoint.IsValid(); marked != (i%3 == 0) {
					t.Errorf("line %d: endpoint %v", i, got[k].Endpoint)
				}
			}
		})
	}
}
