package decode

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestPcapngWriterRoundTrip(t *testing.T) {
	t0 := time.Date(2026, 11, 24, 10, 0, 0, 123456789, time.UTC)
	frames := []Packet{
		{File: "eth0", LinkType: LinkTypeEthernet, Time: t0, Data: ether(0x0800, 0, ip4(6)), WireLen: 100},
		{File: "any", LinkType: LinkTypeRaw, Time: t0.Add(time.Millisecond), Data: ip6(6, 0)},
		{File: "eth0", LinkType: LinkTypeEthernet, Time: t0.Add(2 * time.Millisecond), Data: ether(0x0800, 1, ip4(1))},
	}
	var buf bytes.Buffer
	w := NewPcapngWriter(&buf, "ftpsniff test")
	for i := range frames {
		frames[i].Num = uint64(i + 1)
		if err := w.WritePacket(&frames[i]); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(&Stats{Packets: 3, KernelDrops: 2}); err != nil {
		t.Fatal(err)
	}
	if w.Packets() != 3 {
		t.Errorf("Packets() = %d", w.Packets())
	}
	path := filepath.Join(t.TempDir(), "out.pcapng")
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	src, err := OpenFiles([]string{path})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	var p Packet
	for i, want := range frames {
		if err := src.Next(&p); err != nil {
			t.Fatalf("packet %d: %v", i+1, err)
		}
		if !bytes.Equal(p.Data, want.Data) || !p.Time.Equal(want.Time) || p.LinkType != want.LinkType {
			t.Errorf("packet %d: got %v %v % x, want %v %v % x", i+1, p.LinkType, p.Time, p.Data, want.LinkType, want.Time, want.Data)
		}
		wl := max(want.WireLen, len(want.Data))
		if p.WireLen != wl {
			t.Errorf("packet %d: wire length %d, want %d", i+1, p.WireLen, wl)
		}
	}
	if err := src.Next(&p); !errors.Is(err, io.EOF) {
		t.Errorf("after the last packet: %v, want EOF", err)
	}
}

func TestPcapngWriterEmpty(t *testing.T) {
	path := filepath.Join(t.TempDir(), "empty.pcapng")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := NewPcapngWriter(f, "ftpsniff test")
	if err := w.Close(nil); err != nil {
		t.Fatal(err)
	}
	f.Close()
	src, err := OpenFiles([]string{path})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	var p Packet
	if err := src.Next(&p); !errors.Is(err, io.EOF) {
		t.Errorf("empty file: Next = %v, want EOF", err)
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestPcapngWriterError(t *testing.T) {
	w := NewPcapngWriter(failWriter{}, "t")
	p := Packet{File: "x", LinkType: LinkTypeEthernet, Data: make([]byte, 70000)}
	err := w.WritePacket(&p)
	if err == nil {
		err = w.Close(nil)
	}
	if err == nil {
		t.Fatal("no error from a failing writer")
	}
}
