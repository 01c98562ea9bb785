package session

import (
	"fmt"
	"net/netip"
	"slices"
	"testing"

	"github.com/ftpsniff/ftpsniff/decode"
)

// FuzzControlReassembly cuts a stream of commands into segments and
// delivers them in an order, with duplicates, chosen by the fuzzer. When
// every byte arrives (and no more segments are ahead of a hole than a
// direction may queue), the commands parsed must be exactly the stream's,
// in order, with no gap; in any case nothing panics and the queues stay
// within their bounds. With the first byte odd, segments carry arbitrary
// sequence numbers and payloads instead (hostile input: only the bounds
// are checked).
func FuzzControlReassembly(f *testing.F) {
	f.Add([]byte{0, 3, 9, 1, 0, 2, 5})
	f.Add([]byte{0, 1, 1, 1, 1, 7, 6, 5, 4, 3, 2, 1, 0})
	f.Add([]byte{0, 40, 2, 200, 3, 3, 3})
	f.Add([]byte{1, 0xff, 0xff, 0xff, 0xf0, 'C', 'W', 'D', '\r', '\n', 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, in []byte) {
		if len(in) == 0 || len(in) > 4096 {
			return
		}
		cl, sv := netip.MustParseAddrPort("198.51.100.10:40000"), netip.MustParseAddrPort("203.0.113.20:21")
		s := newScript()
		const isn = 0xfffffff0 // sequence numbers wrap inside the stream
		s.tcp(cl, sv, isn, 0, decode.SYN, "")
		s.tcp(sv, cl, 5000, isn+1, decode.SYN|decode.ACK, "")
		hostile := in[0]&1 == 1
		in = in[1:]
		var want []string
		if hostile {
			for len(in) >= 5 {
				seq := uint32(in[0])<<24 | uint32(in[1])<<16 | uint32(in[2])<<8 | uint32(in[3])
				n := min(int(in[4]), len(in)-5)
				s.tcp(cl, sv, seq, 5001, decode.ACK|decode.PSH, string(in[5:5+n]))
				in = in[5+n:]
			}
		} else {
			var stream []byte
			for i := range 12 {
				arg := fmt.Sprintf("d%d", i)
				want = append(want, arg)
				stream = append(stream, "CWD "+arg+"\r\n"...)
			}
			// Cut points from the input, then a delivery order.
			type seg struct{ off, end int }
			var segs []seg
			off := 0
			for off < len(stream) {
				n := 1
				if len(in) > 0 {
					n = 1 + int(in[0])%24
					in = in[1:]
				}
				end := min(off+n, len(stream))
				segs = append(segs, seg{off, end})
				off = end
			}
			order := make([]int, len(segs))
			for i := range order {
				order[i] = i
			}
			for i := range order {
				if len(in) == 0 {
					break
				}
				j := i + int(in[0])%(len(order)-i)
				in = in[1:]
				order[i], order[j] = order[j], order[i]
			}
			// No more segments may wait ahead of the stream than a
			// direction queues: with that many, a hole is skipped.
			next, ahead, maxAhead := 0, map[int]bool{}, 0
			for _, i := range order {
				ahead[i] = true
				for ahead[next] {
					delete(ahead, next)
					next++
				}
				maxAhead = max(maxAhead, len(ahead))
			}
			if maxAhead > maxQueuedSegments {
				return
			}
			for k, i := range order {
				g := segs[i]
				s.tcp(cl, sv, isn+1+uint32(g.off), 5001, decode.ACK|decode.PSH, string(stream[g.off:g.end]))
				if len(in) > k && in[k]%4 == 0 { // a duplicate
					s.tcp(cl, sv, isn+1+uint32(g.off), 5001, decode.ACK|decode.PSH, string(stream[g.off:g.end]))
				}
			}
		}
		tr := NewTracker(Config{MaxPendingCommands: 1000}, nil)
		var sess *session
		for i := range s.pkts {
			tr.Packet(&s.pkts[i])
			if sess == nil {
				sess = tr.flow(flowKey{cl, sv}).s
			}
			if tr.segs.queued > maxQueuedTotal || sess != nil && len(sess.stream.dirs[0].queue) > maxQueuedSegments {
				t.Fatalf("queues over their bounds: %d in all", tr.segs.queued)
			}
		}
		tr.Close()
		if tr.segs.queued != 0 {
			t.Fatalf("%d segments still counted as queued", tr.segs.queued)
		}
		if hostile || sess == nil {
			return
		}
		var got []string
		for _, pc := range sess.conv.pending {
			got = append(got, pc.arg)
		}
		if !slices.Equal(got, want) || sess.rec.Gaps != 0 {
			t.Fatalf("commands %q with %d gaps, want %q", got, sess.rec.Gaps, want)
		}
	})
}
