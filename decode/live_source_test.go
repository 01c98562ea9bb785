package decode

import (
	"errors"
	"fmt"
	"testing"

	"github.com/gopacket/gopacket"
)

// fakeHandle replays reads; an error read is mapped by readError as
// errTimeoutRaw -> ErrTimeout, anything else wrapped.
type fakeHandle struct {
	reads  []fakeRead
	drop   uint64
	closes int
}

type fakeRead struct {
	data []byte
	ci   gopacket.CaptureInfo
	err  error
}

var errTimeoutRaw = errors.New("raw timeout")

func (f *fakeHandle) read() ([]byte, gopacket.CaptureInfo, error) {
	if len(f.reads) == 0 {
		return nil, gopacket.CaptureInfo{}, errTimeoutRaw
	}
	r := f.reads[0]
	f.reads = f.reads[1:]
	return r.data, r.ci, r.err
}

func (f *fakeHandle) readError(err error) error {
	if err == errTimeoutRaw {
		return ErrTimeout
	}
	return fmt.Errorf("capture ended: %w", err)
}

func (f *fakeHandle) drops(st *Stats) { f.drop++; st.KernelDrops = f.drop }
func (f *fakeHandle) close()          { f.closes++ }

// TestLiveSource checks the part of live capture both builds share:
// numbering, lengths, an idle poll (not sticky), a failure (sticky),
// counters and Close.
func TestLiveSource(t *testing.T) {
	frame := ethFrame(t, seg(1001, "USER x\r\n"))
	boom := errors.New("interface gone")
	h := &fakeHandle{reads: []fakeRead{
		{data: frame, ci: gopacket.CaptureInfo{Timestamp: t0, Length: len(frame) + 100, InterfaceIndex: 3}},
		{err: errTimeoutRaw},
		{data: []byte{1, 2, 3}, ci: gopacket.CaptureInfo{Timestamp: t0, Length: 1}}, // wire below cap: raised
		{err: boom},
		{data: frame}, // never read: the failure ends the capture
	}}
	s := newLiveSource(h, "eth9", LinkTypeEthernet)
	var p Packet
	steps := []struct {
		wantErr error
		num     uint64
		capLen  int
		wire    int
		ifIndex int
		decoded bool
	}{
		{nil, 1, len(frame), len(frame) + 100, 3, true},
		{ErrTimeout, 0, 0, 0, 0, false},
		{nil, 2, 3, 3, 0, false},
		{boom, 0, 0, 0, 0, false},
		{boom, 0, 0, 0, 0, false},
	}
	for i, st := range steps {
		err := s.Next(&p)
		if !errors.Is(err, st.wantErr) || (st.wantErr == nil) != (err == nil) {
			t.Fatalf("step %d: %v, want %v", i, err, st.wantErr)
		}
		if err != nil {
			continue
		}
		if p.Num != st.num || p.FileNum != st.num || p.File != "eth9" || p.LinkType != LinkTypeEthernet ||
			p.CapLen != st.capLen || p.WireLen != st.wire || p.InterfaceIndex != st.ifIndex || p.HasTCP != st.decoded {
			t.Errorf("step %d: packet %+v", i, p)
		}
	}
	if len(h.reads) != 1 {
		t.Errorf("%d reads left, want the one after the failure", len(h.reads))
	}
	st := s.Stats()
	if st.Packets != 2 || st.Bytes != uint64(len(frame)+3) || st.Undecoded != 1 || st.KernelDrops == 0 {
		t.Errorf("stats %+v", st)
	}
	if err := s.Close(); err != nil || h.closes != 1 {
		t.Fatalf("Close: %v, %d closes", err, h.closes)
	}
	final := s.Stats()
	if err := s.Close(); err != nil || h.closes != 1 {
		t.Errorf("second Close: %v, %d closes", err, h.closes)
	}
	if err := s.Next(&p); !errors.Is(err, ErrClosed) {
		t.Errorf("Next after Close: %v", err)
	}
	if again := s.Stats(); again != final || final.KernelDrops != st.KernelDrops+1 {
		t.Errorf("stats after Close %+v then %+v; want the counters read at Close", final, again)
	}
}
