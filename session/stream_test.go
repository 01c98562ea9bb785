package session

import (
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ftpsniff/ftpsniff/decode"
)

// TestControlReassembly feeds the client side of a control connection as
// scripted segments (sequence offsets into one byte stream, in any order)
// and checks which commands the session parsed, in which order, and the
// gaps it reported.
func TestControlReassembly(t *testing.T) {
	const stream = "CWD a\r\nCWD b\r\nCWD c\r\nCWD d\r\n" // 7 bytes a line
	type seg struct {
		off, end int           // bytes of stream (end < 0: to the end)
		wait     time.Duration // capture time passing before the segment
		ack      bool          // instead: a server ACK of everything up to off
	}
	cases := []struct {
		name     string
		isn      uint32
		midOnly  bool // no handshake: the capture begins mid-stream
		segs     []seg
		want     []string // CWD arguments parsed, in order
		gaps     int
		gapBytes int64
		atClose  bool // the commands are complete only once the capture ends
	}{
		{name: "in order", segs: []seg{{off: 0, end: 7}, {off: 7, end: 14}, {off: 14, end: -1}}, want: []string{"a", "b", "c", "d"}},
		{name: "swapped", segs: []seg{{off: 7, end: 14}, {off: 0, end: 7}, {off: 14, end: -1}}, want: []string{"a", "b", "c", "d"}},
		{name: "reversed", segs: []seg{{off: 21, end: 28}, {off: 14, end: 21}, {off: 7, end: 14}, {off: 0, end: 7}}, want: []string{"a", "b", "c", "d"}},
		{name: "retransmitted", segs: []seg{{off: 0, end: 7}, {off: 0, end: 7}, {off: 7, end: -1}, {off: 7, end: 14}}, want: []string{"a", "b", "c", "d"}},
		{name: "queued retransmitted", segs: []seg{{off: 14, end: -1}, {off: 14, end: -1}, {off: 0, end: 14}}, want: []string{"a", "b", "c", "d"}},
		{name: "overlapping", segs: []seg{{off: 0, end: 10}, {off: 7, end: 20}, {off: 18, end: -1}}, want: []string{"a", "b", "c", "d"}},
		{name: "split lines out of order", segs: []seg{{off: 3, end: 12}, {off: 12, end: -1}, {off: 0, end: 3}}, want: []string{"a", "b", "c", "d"}},
		{name: "keep-alive", segs: []seg{{off: 0, end: 7}, {off: 6, end: 7}, {off: 7, end: -1}}, want: []string{"a", "b", "c", "d"}},
		{name: "sequence wraps", isn: 0xfffffff0, segs: []seg{{off: 7, end: 21}, {off: 0, end: 7}, {off: 21, end: -1}}, want: []string{"a", "b", "c", "d"}},
		{name: "hole skipped after GapFlush", segs: []seg{{off: 0, end: 7}, {off: 14, end: -1}, {off: 28, end: 28, wait: 3 * time.Second}},
			want: []string{"a", "c", "d"}, gaps: 1, gapBytes: 7},
		{name: "hole not skipped before GapFlush", segs: []seg{{off: 0, end: 7}, {off: 14, end: -1}, {off: 28, end: 28, wait: time.Second}, {off: 7, end: 14}},
			want: []string{"a", "b", "c", "d"}},
		{name: "hole the server acknowledged", segs: []seg{{off: 0, end: 7}, {off: 14, end: 21}, {off: 21, ack: true}, {off: 21, end: -1}},
			want: []string{"a", "c", "d"}, gaps: 1, gapBytes: 7},
		{name: "hole at the end of the capture", segs: []seg{{off: 0, end: 7}, {off: 14, end: -1}},
			want: []string{"a", "c", "d"}, gaps: 1, gapBytes: 7, atClose: true},
		{name: "mid-stream", midOnly: true, segs: []seg{{off: 7, end: 14}, {off: 14, end: -1}}, want: []string{"b", "c", "d"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			isn := tc.isn
			if isn == 0 {
				isn = 1000
			}
			s := newScript()
			cl, sv := netip.MustParseAddrPort("198.51.100.10:40000"), netip.MustParseAddrPort("203.0.113.20:21")
			if !tc.midOnly {
				s.tcp(cl, sv, isn, 0, decode.SYN, "")
				s.tcp(sv, cl, 5000, isn+1, decode.SYN|decode.ACK, "")
				s.tcp(cl, sv, isn+1, 5001, decode.ACK, "")
				s.tcp(sv, cl, 5001, isn+1, decode.ACK|decode.PSH, "220 hi\r\n")
			}
			for _, g := range tc.segs {
				s.wait(g.wait)
				if g.ack {
					s.tcp(sv, cl, 5009, isn+1+uint32(g.off), decode.ACK, "")
					continue
				}
				end := g.end
				if end < 0 {
					end = len(stream)
				}
				s.tcp(cl, sv, isn+1+uint32(g.off), 5009, decode.ACK|decode.PSH, stream[g.off:end])
			}
			var got []string
			tr := NewTracker(Config{}, nil)
			var sess *session
			for i := range s.pkts {
				tr.Packet(&s.pkts[i])
				if sess == nil {
					sess = tr.flow(flowKey{cl, sv}).s
				}
			}
			if sess == nil {
				t.Fatal("no session")
			}
			args := func() []string {
				var a []string
				for _, pc := range sess.conv.pending {
					a = append(a, pc.arg)
				}
				return a
			}
			if before := args(); !tc.atClose && !slices.Equal(before, tc.want) {
				t.Errorf("commands before the capture ended %q, want %q", before, tc.want)
			}
			tr.Close()
			got = args()
			if !slices.Equal(got, tc.want) {
				t.Errorf("commands %q, want %q", got, tc.want)
			}
			if sess.rec.Gaps != tc.gaps || sess.rec.GapBytes != tc.gapBytes {
				t.Errorf("gaps %d (%d bytes), want %d (%d bytes)", sess.rec.Gaps, sess.rec.GapBytes, tc.gaps, tc.gapBytes)
			}
			if sess.rec.MidStream != tc.midOnly {
				t.Errorf("mid-stream %v, want %v", sess.rec.MidStream, tc.midOnly)
			}
			if tr.segs.queued != 0 {
				t.Errorf("%d segments still counted as queued", tr.segs.queued)
			}
		})
	}
}

// TestControlReassemblyQueueBounds sends far more segments ahead of a hole
// than a direction may queue: the hole is skipped (and reported) rather
// than the queue growing, and nothing after it is lost.
func TestControlReassemblyQueueBounds(t *testing.T) {
	s := newScript()
	c := s.conn("198.51.100.10:40000", "203.0.113.20:21")
	c.handshake()
	c.sv("220 hi\r\n")
	c.cl("CWD first\r\n")
	c.cseq += 100 // a hole of 100 bytes
	var want []string
	for i := range 3 * maxQueuedSegments {
		arg := "d" + strings.Repeat("x", i%5) + string(rune('a'+i%26))
		c.cl("CWD " + arg + "\r\n")
		want = append(want, arg)
	}
	tr := NewTracker(Config{MaxPendingCommands: 1000}, nil)
	var sess *session
	for i := range s.pkts {
		tr.Packet(&s.pkts[i])
		if sess == nil {
			sess = tr.flow(flowKey{c.c, c.v}).s
		}
		if sess != nil && len(sess.stream.dirs[0].queue) > maxQueuedSegments {
			t.Fatalf("packet %d: %d segments queued, bound %d", i, len(sess.stream.dirs[0].queue), maxQueuedSegments)
		}
	}
	tr.Close()
	var got []string
	for _, pc := range sess.conv.pending {
		got = append(got, pc.arg)
	}
	if !slices.Equal(got, append([]string{"first"}, want...)) {
		t.Errorf("commands %q", got)
	}
	if sess.rec.Gaps != 1 || sess.rec.GapBytes != 100 {
		t.Errorf("gaps %d (%d bytes), want 1 (100 bytes)", sess.rec.Gaps, sess.rec.GapBytes)
	}
}

// TestControlReassemblyTotalBound holds many sessions' segments behind
// holes: the tracker-wide budget is never exceeded.
func TestControlReassemblyTotalBound(t *testing.T) {
	s := newScript()
	for i := range 600 {
		c := s.conn(netip.AddrPortFrom(netip.MustParseAddr("198.51.100.10"), uint16(10000+i)).String(), "203.0.113.20:21")
		c.handshake()
		c.cseq += 10
		for range 10 {
			c.cl("CWD x\r\n")
		}
	}
	tr := NewTracker(Config{}, nil)
	for i := range s.pkts {
		tr.Packet(&s.pkts[i])
		if tr.segs.queued > maxQueuedTotal {
			t.Fatalf("packet %d: %d segments queued, bound %d", i, tr.segs.queued, maxQueuedTotal)
		}
	}
	sum := tr.Close()
	if sum.Sessions != 600 {
		t.Errorf("%d sessions", sum.Sessions)
	}
	if tr.segs.queued != 0 {
		t.Errorf("%d segments still counted as queued", tr.segs.queued)
	}
}

// TestTLSSkipper walks TLS records to the clear text that follows (CCC),
// in one piece and split at every byte, including clear text whose first
// byte looks like a TLS record type.
func TestTLSSkipper(t *testing.T) {
	rec := "\x17\x03\x03\x00\x04abcd"
	cases := []struct{ in, want string }{
		{rec + "220 ok\r\n", "220 ok\r\n"},
		{rec + rec + "PBSZ 0\r\n", "PBSZ 0\r\n"},
		{rec + "\x15X clear\r\n", "\x15X clear\r\n"}, // 0x15 is a record type, 'X' no version
		{rec, ""},
	}
	for _, tc := range cases {
		for cut := 0; cut <= len(tc.in); cut++ {
			var k tlsSkipper
			var got []byte
			for _, part := range []string{tc.in[:cut], tc.in[cut:]} {
				if out := k.skip([]byte(part)); out != nil {
					got = append(got, out...)
					k.clear = true
				}
			}
			if string(got) != tc.want {
				t.Errorf("%q cut at %d: clear text %q, want %q", tc.in, cut, got, tc.want)
			}
		}
	}
}
