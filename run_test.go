package ftpsniff_test

import (
	"context"
	"testing"

	"github.com/ftpsniff/ftpsniff"
	"github.com/ftpsniff/ftpsniff/decode"
	"github.com/ftpsniff/ftpsniff/session"
)

// lossySource reports kernel drops once it has delivered some packets.
type lossySource struct {
	decode.Source
	after uint64
	n     uint64
}

func (l *lossySource) Next(p *decode.Packet) error {
	l.n++
	return l.Source.Next(p)
}

func (l *lossySource) Stats() decode.Stats {
	st := l.Source.Stats()
	if l.n > l.after {
		st.KernelDrops = l.n - l.after // losing packets from then on
	}
	return st
}

// TestKernelDropsMarkVerdicts checks that verdicts decided while the capture
// was losing packets carry the capture-loss flag, and that the summary
// counts the drops.
func TestKernelDropsMarkVerdicts(t *testing.T) {
	for _, tc := range []struct {
		after uint64
		want  bool
	}{{after: 1 << 40, want: false}, {after: 10, want: true}} {
		src, err := decode.OpenFiles([]string{"testdata/pcaps/synth-drop-syn.pcap"})
		if err != nil {
			t.Fatal(err)
		}
		c := &collector{}
		// Check drops on every packet so the small capture is enough.
		sum, err := ftpsniff.Run(context.Background(), &everyPacket{&lossySource{Source: src, after: tc.after}}, ftpsniff.DefaultConfig(), c)
		src.Close()
		if err != nil {
			t.Fatal(err)
		}
		if len(c.transfers) == 0 {
			t.Fatal("no transfers")
		}
		got := c.transfers[0].Flags.Has(session.FlagCaptureLoss)
		if got != tc.want {
			t.Errorf("drops after %d packets: capture-loss flag %v, want %v (flags %v)", tc.after, got, tc.want, c.transfers[0].Flags)
		}
		if tc.want && sum.KernelDrops == 0 {
			t.Error("summary reports no kernel drops")
		}
	}
}

// everyPacket makes every Next look like an idle poll first, so Run checks
// the drop counter between all packets.
type everyPacket struct{ *lossySource }

func (e *everyPacket) Next(p *decode.Packet) error {
	if e.n%2 == 0 {
		e.n++
		return decode.ErrTimeout
	}
	return e.lossySource.Next(p)
}
