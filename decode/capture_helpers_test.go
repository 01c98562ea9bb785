package decode

import (
	"bytes"
	"encoding/binary"
	"net/netip"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

// frame is one record for the capture writers.
type frame struct {
	ts      time.Time
	lt      LinkType // pcapng: selects the interface with this link type
	data    []byte
	wireLen int // 0: len(data)
}

// pcapFile writes a pcap file with the given magic flavour and byte order,
// by hand so that big-endian files can be produced.
func pcapFile(lt LinkType, nanos, big bool, snaplen uint32, frames []frame) []byte {
	var bo binary.ByteOrder = binary.LittleEndian
	if big {
		bo = binary.BigEndian
	}
	var b bytes.Buffer
	h := make([]byte, 24)
	magic := uint32(0xa1b2c3d4)
	if nanos {
		magic = 0xa1b23c4d
	}
	bo.PutUint32(h[0:4], magic)
	bo.PutUint16(h[4:6], 2)
	bo.PutUint16(h[6:8], 4)
	bo.PutUint32(h[16:20], snaplen)
	bo.PutUint32(h[20:24], uint32(lt))
	b.Write(h)
	for _, f := range frames {
		r := make([]byte, 16)
		bo.PutUint32(r[0:4], uint32(f.ts.Unix()))
		frac := f.ts.Nanosecond() / 1000
		if nanos {
			frac = f.ts.Nanosecond()
		}
		bo.PutUint32(r[4:8], uint32(frac))
		bo.PutUint32(r[8:12], uint32(len(f.data)))
		wl := f.wireLen
		if wl == 0 {
			wl = len(f.data)
		}
		bo.PutUint32(r[12:16], uint32(wl))
		b.Write(r)
		b.Write(f.data)
	}
	return b.Bytes()
}

// pcapngFile writes a pcapng file with one interface per link type in lts
// (in that order) using pcapgo's writer.
func pcapngFile(t testing.TB, lts []LinkType, frames []frame) []byte {
	t.Helper()
	var b bytes.Buffer
	w, err := pcapgo.NewNgWriterInterface(&b, pcapgo.NgInterface{Name: "if0", LinkType: layers.LinkType(lts[0]), SnapLength: 65535, TimestampResolution: 9}, pcapgo.DefaultNgWriterOptions)
	if err != nil {
		t.Fatal(err)
	}
	idx := map[LinkType]int{lts[0]: 0}
	for _, lt := range lts[1:] {
		id, err := w.AddInterface(pcapgo.NgInterface{Name: "if" + lt.String(), LinkType: layers.LinkType(lt), SnapLength: 65535, TimestampResolution: 9})
		if err != nil {
			t.Fatal(err)
		}
		idx[lt] = id
	}
	for _, f := range frames {
		wl := f.wireLen
		if wl == 0 {
			wl = len(f.data)
		}
		ci := gopacket.CaptureInfo{Timestamp: f.ts, CaptureLength: len(f.data), Length: wl, InterfaceIndex: idx[f.lt]}
		if err := w.WritePacket(ci, f.data); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// readAll reads src to io.EOF (or the first error) and returns copies of the
// packets' identifying fields.
type got struct {
	Num, FileNum uint64
	File         string
	Time         time.Time
	LinkType     LinkType
	Sport        uint16
	Src          netip.Addr
	Payload      string
	Iface        int
	CapLen       int
	WireLen      int
}
