package decode

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/ftpsniff/ftpsniff/synth"
)

// event is what a Source delivered: a packet (without its slices, which
// are compared as bytes) or an error.
type event struct {
	p             Packet
	data, payload []byte
	err           string
}

func drain(t *testing.T, src Source) ([]event, Stats) {
	t.Helper()
	var evs []event
	for {
		var p Packet
		err := src.Next(&p)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			evs = append(evs, event{err: err.Error()})
			var ie *InputError
			if !errors.As(err, &ie) {
				break
			}
			continue
		}
		d, pl := bytes.Clone(p.Data), bytes.Clone(p.Payload)
		// An empty frame is compared as bytes: nil from pcapgo, an
		// empty slice from a copy.
		if len(d) == 0 {
			d = nil
		}
		if len(pl) == 0 {
			pl = nil
		}
		p.Data, p.Payload, p.stable = nil, nil, false
		evs = append(evs, event{p: p, data: d, payload: pl})
	}
	return evs, src.Stats()
}

// TestPrefetchSameAsSource reads every test capture, several merged, and
// damaged ones directly and through Prefetch: the same packets (fields and
// bytes), the same errors in the same places, the same final Stats.
func TestPrefetchSameAsSource(t *testing.T) {
	files, _ := filepath.Glob("../testdata/pcaps/*.pcap*")
	if len(files) == 0 {
		t.Skip("no test captures")
	}
	dir := t.TempDir()
	// Damaged: a capture cut inside a record, and one with a corrupt
	// record header in the middle (an error, then EOF).
	whole, err := os.ReadFile(files[0])
	if err != nil {
		t.Fatal(err)
	}
	cut := filepath.Join(dir, "cut.pcap")
	if err := os.WriteFile(cut, whole[:len(whole)-7], 0o644); err != nil {
		t.Fatal(err)
	}
	// Larger captures, so that readers move through many buffers and
	// reuse them while batches are in flight (full-size frames: the
	// batches ahead hold more than a buffer).
	big := []string{
		writeSynth(t, synth.GenOptions{Capture: synth.Options{Seed: 3}, Size: 16 << 20, Profile: synth.ProfileBulk}),
		writeSynth(t, synth.GenOptions{Capture: synth.Options{Seed: 3}, Size: 16 << 20, Profile: synth.ProfileControl}),
	}
	sets := [][]string{files, {cut}, {files[0], cut, files[len(files)-1]}, {big[0]}, {big[1]}, {big[0], big[1], files[0]}}
	for _, f := range files {
		sets = append(sets, []string{f})
	}
	for _, set := range sets {
		direct, err := OpenFiles(set)
		if err != nil {
			t.Fatal(err)
		}
		want, wantSt := drain(t, direct)
		direct.Close()
		src, err := OpenFiles(set)
		if err != nil {
			t.Fatal(err)
		}
		pf := Prefetch(src)
		got, gotSt := drain(t, pf)
		if err := pf.Close(); err != nil {
			t.Errorf("%v: close: %v", set, err)
		}
		if len(got) != len(want) {
			t.Fatalf("%v: %d events through Prefetch, %d direct", set, len(got), len(want))
		}
		for i := range got {
			if !reflect.DeepEqual(got[i], want[i]) {
				t.Fatalf("%v: event %d differs:\n got %+v\nwant %+v", set, i, got[i], want[i])
			}
		}
		if gotSt != wantSt {
			t.Errorf("%v: stats %+v, want %+v", set, gotSt, wantSt)
		}
	}
}

// TestPrefetchDataValidUntilNext holds packets of full-size frames while
// the reading goroutine runs ahead (through more than a buffer): their
// bytes must not change before the next call to Next.
func TestPrefetchDataValidUntilNext(t *testing.T) {
	name := writeSynth(t, synth.GenOptions{Capture: synth.Options{Seed: 5}, Size: 8 << 20, Profile: synth.ProfileBulk})
	src, err := OpenFiles([]string{name})
	if err != nil {
		t.Fatal(err)
	}
	pf := Prefetch(src)
	defer pf.Close()
	var p Packet
	for n := 0; ; n++ {
		err := pf.Next(&p)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if n%64 != 0 {
			continue
		}
		keep := bytes.Clone(p.Data)
		time.Sleep(time.Millisecond) // the reader fills every batch it may
		if !bytes.Equal(keep, p.Data) {
			t.Fatalf("packet %d changed while it was being handled", n)
		}
	}
}

// TestPrefetchCloseEarly stops reading after a few packets: Close returns,
// the goroutine ends, and Next then reports ErrClosed.
func TestPrefetchCloseEarly(t *testing.T) {
	files, _ := filepath.Glob("../testdata/pcaps/*.pcap")
	if len(files) == 0 {
		t.Skip("no test captures")
	}
	src, err := OpenFiles(files)
	if err != nil {
		t.Fatal(err)
	}
	pf := Prefetch(src).(*prefetcher)
	var p Packet
	for range 3 {
		if err := pf.Next(&p); err != nil {
			t.Fatal(err)
		}
	}
	if err := pf.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-pf.done:
	case <-time.After(5 * time.Second):
		t.Fatal("reading goroutine still running after Close")
	}
	if err := pf.Next(&p); !errors.Is(err, ErrClosed) {
		t.Errorf("Next after Close: %v", err)
	}
	if err := pf.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

// TestPrefetchBoundedWithLargeRecords reads a capture of records of
// MaxCaptureLength bytes through Prefetch: the batches ahead stay within
// the frame-byte budget, so memory in flight stays bounded.
func TestPrefetchBoundedWithLargeRecords(t *testing.T) {
	var b bytes.Buffer
	b.Write([]byte{0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 4, 0, 1, 0, 0, 0}) // snaplen 256 KiB, Ethernet
	frame := make([]byte, MaxCaptureLength)
	for i := range 64 {
		hdr := make([]byte, 16)
		hdr[0] = byte(i)
		for _, off := range []int{8, 12} {
			binary.LittleEndian.PutUint32(hdr[off:], MaxCaptureLength)
		}
		b.Write(hdr)
		b.Write(frame)
	}
	name := filepath.Join(t.TempDir(), "big-records.pcap")
	if err := os.WriteFile(name, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	src, err := OpenFiles([]string{name})
	if err != nil {
		t.Fatal(err)
	}
	pf := Prefetch(src).(*prefetcher)
	defer pf.Close()
	var p Packet
	n := 0
	for {
		err := pf.Next(&p)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if cur := pf.cur; cur != nil {
			frames := 0
			for i := range cur.pkts {
				frames += len(cur.pkts[i].Data)
			}
			if frames > prefetchBytes+MaxCaptureLength {
				t.Fatalf("a batch holds %d frame bytes", frames)
			}
		}
		n++
	}
	if n != 64 {
		t.Errorf("%d packets, want 64", n)
	}
}

// writeSynth writes a capture generated by synth to a temporary file and
// returns its name.
func writeSynth(t *testing.T, o synth.GenOptions) string {
	t.Helper()
	f, err := os.CreateTemp(t.TempDir(), "synth-*.pcap")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := synth.Generate(f, o); err != nil {
		t.Fatal(err)
	}
	return f.Name()
}
