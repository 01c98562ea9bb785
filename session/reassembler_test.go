package session

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// consumerLog records what a reassembler delivers.
type consumerLog struct{ b strings.Builder }

func (c *consumerLog) streamData(dir int, b []byte, _ time.Time, seq uint32, _ segAck) {
	fmt.Fprintf(&c.b, "%d:%s@%d|", dir, b, seq)
}
func (c *consumerLog) streamGap(dir int, n int) { fmt.Fprintf(&c.b, "%d:gap%d|", dir, n) }

// TestReassemblerAlone drives the reassembler without a tracker or FTP.
func TestReassemblerAlone(t *testing.T) {
	t0 := time.Date(2026, 12, 2, 0, 0, 0, 0, time.UTC)
	type seg struct {
		dir  int
		seq  uint32
		data string
		syn  bool
		ack  uint32 // > 0: an acknowledgment of the other direction instead
	}
	cases := []struct {
		name  string
		segs  []seg
		flush bool // flush at the end
		want  string
		mid   bool
	}{
		{"in order", []seg{{0, 99, "", true, 0}, {0, 100, "ab", false, 0}, {0, 102, "cd", false, 0}}, false, "0:ab@100|0:cd@102|", false},
		{"out of order, then filled", []seg{{0, 99, "", true, 0}, {0, 102, "cd", false, 0}, {0, 100, "ab", false, 0}}, false, "0:ab@100|0:cd@102|", false},
		{"retransmission and overlap delivered once", []seg{{1, 99, "", true, 0}, {1, 100, "abc", false, 0}, {1, 101, "bcde", false, 0}, {1, 100, "abc", false, 0}}, false, "1:abc@100|1:de@103|", false},
		{"hole flushed at the end", []seg{{0, 99, "", true, 0}, {0, 105, "xy", false, 0}}, true, "0:gap5|0:xy@105|", false},
		{"hole the peer acknowledged", []seg{{0, 99, "", true, 0}, {0, 105, "xy", false, 0}, {1, 0, "", false, 110}}, false, "0:gap5|0:xy@105|", false},
		{"mid-stream start", []seg{{1, 5000, "220 hi", false, 0}}, false, "1:220 hi@5000|", true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var log consumerLog
			pool := &segmentPool{}
			r := &reassembler{out: &log, pool: pool}
			mid := false
			for _, s := range tc.segs {
				if s.ack > 0 {
					r.acked(1-s.dir, s.ack)
					continue
				}
				if r.segment(s.dir, s.seq, segAck{}, []byte(s.data), s.syn, t0) {
					mid = true
				}
			}
			if tc.flush {
				r.end()
			}
			if got := log.b.String(); got != tc.want || mid != tc.mid {
				t.Errorf("delivered %q mid %v, want %q mid %v", got, mid, tc.want, tc.mid)
			}
			if pool.queued != r.queuedSegments() {
				t.Errorf("pool counts %d queued, stream holds %d", pool.queued, r.queuedSegments())
			}
		})
	}
}
