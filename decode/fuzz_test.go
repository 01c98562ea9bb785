package decode

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/gopacket/gopacket/layers"
)

// decodeSeeds are frames of every supported link type.
func decodeSeeds(t testing.TB) []struct {
	lt   LinkType
	data []byte
} {
	ip4 := ipPacket(t, seg(1001, "PASV\r\n"))
	ip6 := ipPacket(t, tcpSeg{v6: true, src: cli6, dst: srv6, sport: 2, dport: 21, payload: "EPSV\r\n", ext: []byte{6, 0, 1, 4, 0, 0, 0, 0}, extProto: 60})
	return []struct {
		lt   LinkType
		data []byte
	}{
		{LinkTypeEthernet, ethFrame(t, syn4, layers.EthernetTypeQinQ, layers.EthernetTypeDot1Q)},
		{LinkTypeEthernet, icmp4Unreach(t, syn4, 13, 8)},
		{LinkTypeEthernet, icmp6Unreach(t, syn6, 1, 1, 8)},
		{LinkTypeLinuxSLL, cat(sllHeader(0x0800), ip4)},
		{LinkTypeLinuxSLL2, cat(sll2Header(0x86dd), ip6)},
		{LinkTypeRaw, ip6},
		{LinkTypeIPv4, ip4},
		{LinkTypeIPv6, ip6},
		{LinkTypeNull, cat(nullHeader(30, false), ip6)},
		{LinkTypeLoop, cat(nullHeader(2, true), ip4)},
	}
}

// captureSeeds are small capture files of each format.
func captureSeeds(t testing.TB) [][]byte {
	fr := sampleFrames(t)[:2]
	ng := pcapngFile(t, []LinkType{LinkTypeEthernet, LinkTypeRaw}, []frame{
		{ts: t0, lt: LinkTypeEthernet, data: fr[0].data},
		{ts: t0.Add(-time.Second), lt: LinkTypeRaw, data: ipPacket(t, seg(5, "x"))},
	})
	return [][]byte{
		pcapFile(LinkTypeEthernet, false, false, 65535, fr),
		pcapFile(LinkTypeLinuxSLL2, true, true, 262144, []frame{{ts: t0, data: cat(sll2Header(0x0800), ipPacket(t, syn4))}}),
		ng,
		gz(pcapFile(LinkTypeRaw, false, false, 65535, []frame{{ts: t0, data: ipPacket(t, syn6)}})),
		gz(ng),
		dialectPcap(variantSS990417, false, 65535, LinkTypeEthernet, fr),
		dialectPcap(variantSS990915, true, 65535, LinkTypeEthernet, fr),
	}
}

func FuzzDecode(f *testing.F) {
	for _, s := range decodeSeeds(f) {
		f.Add(uint16(s.lt), s.data)
	}
	d := NewDecoder()
	f.Fuzz(func(t *testing.T, lt uint16, data []byte) {
		p := Packet{LinkType: LinkType(lt), Data: data, CapLen: len(data), WireLen: len(data)}
		d.Decode(&p)
		if len(p.Payload) > len(data) {
			t.Fatalf("payload %d > frame %d", len(p.Payload), len(data))
		}
		if (p.HasTCP || p.HasICMP || p.Fragment) && p.IPVersion == 0 {
			t.Fatalf("transport without IP: %+v", p)
		}
		if p.IPVersion != 0 && p.Src.BitLen() != int(p.IPVersion-4)*48+32 {
			t.Fatalf("address family %v for IPv%d", p.Src, p.IPVersion)
		}
		if p.HasTCP && p.HasICMP {
			t.Fatal("both TCP and ICMP")
		}
	})
}

func FuzzReadCapture(f *testing.F) {
	for _, s := range captureSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		src, err := NewReaderSource("fuzz", bytes.NewReader(data))
		if err != nil {
			var ie *InputError
			if !errors.As(err, &ie) {
				t.Fatalf("open: %T %v", err, err)
			}
			return
		}
		defer src.Close()
		var p Packet
		for i := 0; ; i++ {
			if i > len(data) {
				t.Fatalf("%d packets from %d bytes", i, len(data))
			}
			err := src.Next(&p)
			if err == io.EOF {
				break
			}
			if err != nil {
				var ie *InputError
				if !errors.As(err, &ie) || ie.Packet != uint64(i+1) {
					t.Fatalf("packet %d: %T %v", i+1, err, err)
				}
				if err := src.Next(&p); err != io.EOF {
					t.Fatalf("after the error: %v", err)
				}
				break
			}
			if p.CapLen > MaxCaptureLength || p.CapLen != len(p.Data) {
				t.Fatalf("caplen %d, data %d", p.CapLen, len(p.Data))
			}
		}
	})
}

// TestWriteFuzzSeeds rewrites testdata/fuzz from the seed builders when
// FTPSNIFF_WRITE_SEEDS=1; otherwise it checks that the files exist.
func TestWriteFuzzSeeds(t *testing.T) {
	write := os.Getenv("FTPSNIFF_WRITE_SEEDS") == "1"
	files := map[string]string{}
	for i, s := range decodeSeeds(t) {
		files[filepath.Join("testdata", "fuzz", "FuzzDecode", fmt.Sprintf("seed-%02d-%s", i, s.lt))] =
			fmt.Sprintf("go test fuzz v1\nuint16(%d)\n[]byte(%q)\n", uint16(s.lt), s.data)
	}
	for i, s := range captureSeeds(t) {
		files[filepath.Join("testdata", "fuzz", "FuzzReadCapture", fmt.Sprintf("seed-%02d", i))] =
			fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", s)
	}
	for name, body := range files {
		if write {
			if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(name, []byte(body), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if _, err := os.Stat(name); err != nil {
			t.Errorf("missing seed %s (run with FTPSNIFF_WRITE_SEEDS=1)", name)
		}
	}
}

// FuzzPrefetch reads arbitrary bytes as a capture directly and through
// Prefetch: the same packets (fields and bytes) and errors, in order.
func FuzzPrefetch(f *testing.F) {
	for _, s := range captureSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		direct, err := NewReaderSource("fuzz", bytes.NewReader(data))
		if err != nil {
			return
		}
		want, wantSt := drain(t, direct)
		direct.Close()
		src, err := NewReaderSource("fuzz", bytes.NewReader(data))
		if err != nil {
			t.Fatalf("second open: %v", err)
		}
		pf := Prefetch(src)
		got, gotSt := drain(t, pf)
		pf.Close()
		if !reflect.DeepEqual(got, want) || gotSt != wantSt {
			t.Fatalf("through Prefetch: %d events %+v; direct: %d events %+v", len(got), gotSt, len(want), wantSt)
		}
	})
}
