package decode

import (
	"bytes"
	"io"
	"net"
	"os"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// benchMix builds n frames in the design document's synthetic mix: 85%
// Ethernet/IPv4/TCP, 5% with an 802.1Q tag, 5% IPv6, 3% UDP and 2% ICMP
// unreachable; TCP payloads 40% empty, 20% 20-120 bytes, 40% 1448 bytes.
func benchMix(b testing.TB, n int) []frame {
	rng := uint32(12345)
	next := func() uint32 {
		rng ^= rng << 13
		rng ^= rng >> 17
		rng ^= rng << 5
		return rng
	}
	big := string(bytes.Repeat([]byte{'d'}, 1448))
	out := make([]frame, n)
	for i := range out {
		s := seg(uint16(1024+next()%60000), "")
		switch r := next() % 100; {
		case r < 40:
		case r < 60:
			s.payload = big[:20+next()%100]
		default:
			s.payload = big
		}
		var data []byte
		switch r := next() % 100; {
		case r < 85:
			data = ethFrame(b, s)
		case r < 90:
			data = ethFrame(b, s, layers.EthernetTypeDot1Q)
		case r < 95:
			s.v6, s.src, s.dst = true, cli6, srv6
			data = ethFrame(b, s)
		case r < 98:
			ip := &layers.IPv4{Version: 4, IHL: 5, TTL: 64, Protocol: layers.IPProtocolUDP,
				SrcIP: net.IP(cli4.AsSlice()), DstIP: net.IP(srv4.AsSlice())}
			udp := &layers.UDP{SrcPort: 5353, DstPort: 53}
			udp.SetNetworkLayerForChecksum(ip)
			data = serialize(b, &layers.Ethernet{SrcMAC: net.HardwareAddr{2, 0, 0, 0, 0, 1}, DstMAC: net.HardwareAddr{2, 0, 0, 0, 0, 2},
				EthernetType: layers.EthernetTypeIPv4}, ip, udp, gopacket.Payload("query"))
		default:
			data = icmp4Unreach(b, syn4, 1, 8)
		}
		out[i] = frame{ts: t0.Add(time.Duration(i) * time.Millisecond), data: data}
	}
	return out
}

func BenchmarkDecode(b *testing.B) {
	frames := benchMix(b, 4096)
	d := NewDecoder()
	var p Packet
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		f := &frames[i&4095]
		p.LinkType, p.Data, p.CapLen, p.WireLen = LinkTypeEthernet, f.data, len(f.data), len(f.data)
		d.Decode(&p)
	}
}

// BenchmarkReadDecodePcap reads and decodes an in-memory pcap of 10,000
// frames per op; ns/pkt and allocs/pkt are reported per packet.
func BenchmarkReadDecodePcap(b *testing.B) {
	const n = 10000
	file := pcapFile(LinkTypeEthernet, false, false, 65535, benchMix(b, n))
	b.SetBytes(int64(len(file)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		src, err := NewReaderSource("bench", bytes.NewReader(file))
		if err != nil {
			b.Fatal(err)
		}
		var p Packet
		count := 0
		for {
			err := src.Next(&p)
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			count++
		}
		if count != n {
			b.Fatalf("%d packets", count)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/pkt")
}

// TestDecodeAllocs checks the zero-allocation claim outside benchmarks.
func TestDecodeAllocs(t *testing.T) {
	frames := benchMix(t, 256)
	d := NewDecoder()
	var p Packet
	i := 0
	allocs := testing.AllocsPerRun(1000, func() {
		f := &frames[i&255]
		i++
		p.LinkType, p.Data, p.CapLen, p.WireLen = LinkTypeEthernet, f.data, len(f.data), len(f.data)
		d.Decode(&p)
	})
	if allocs != 0 {
		t.Errorf("Decode: %v allocs per packet", allocs)
	}
	file := pcapFile(LinkTypeEthernet, false, false, 65535, benchMix(t, 2000))
	src, err := NewReaderSource("allocs", bytes.NewReader(file))
	if err != nil {
		t.Fatal(err)
	}
	src.Next(&p) // first read sizes the buffers
	allocs = testing.AllocsPerRun(1000, func() {
		if err := src.Next(&p); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("Next: %v allocs per packet", allocs)
	}
}

// BenchmarkReadFile reads and decodes the capture named by
// FTPSNIFF_BENCH_FILE (skipped when unset), as ftpsniff -r does; it
// reports ns/pkt.
func BenchmarkReadFile(b *testing.B) {
	name := os.Getenv("FTPSNIFF_BENCH_FILE")
	if name == "" {
		b.Skip("FTPSNIFF_BENCH_FILE not set")
	}
	var pkts uint64
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		src, err := OpenFiles([]string{name})
		if err != nil {
			b.Fatal(err)
		}
		var p Packet
		for {
			err := src.Next(&p)
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
		}
		st := src.Stats()
		b.SetBytes(st.FileBytes)
		pkts += st.Packets
		src.Close()
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(pkts), "ns/pkt")
}

// smallPcap is an in-memory pcap of n 74-byte frames.
func smallPcap(n int) []byte {
	recs := make([]rawRec, n)
	for i := range recs {
		recs[i] = rec(1700000000+uint32(i/1000), uint32(i%1000)*1000, 74, 0)
	}
	return rawPcap(false, false, 2, 4, 65535, 1, recs)
}

// BenchmarkPcapRecords reads small records with the record reader alone
// (no Source, no decoding); ns/op is per record.
func BenchmarkPcapRecords(b *testing.B) {
	const n = 100000
	file := smallPcap(n)
	b.SetBytes(int64(len(file)-24) / n)
	b.ReportAllocs()
	var pr *pcapReader
	left := 0
	for i := 0; i < b.N; i++ {
		if left == 0 {
			var err error
			if pr, err = newPcapReader(noLen{bytes.NewReader(file[4:])}, [4]byte(file[:4]), pcapBufSize); err != nil {
				b.Fatal(err)
			}
			left = n
		}
		if _, _, _, _, _, err := pr.next(); err != nil {
			b.Fatal(err)
		}
		left--
	}
}

// BenchmarkReadSmall reads and decodes small frames through a Source;
// ns/op is per packet.
func BenchmarkReadSmall(b *testing.B) {
	const n = 100000
	file := smallPcap(n)
	b.ReportAllocs()
	var src Source
	var p Packet
	left := 0
	for i := 0; i < b.N; i++ {
		if left == 0 {
			var err error
			if src, err = NewReaderSource("small", noLen{bytes.NewReader(file)}); err != nil {
				b.Fatal(err)
			}
			left = n
		}
		if err := src.Next(&p); err != nil {
			b.Fatal(err)
		}
		left--
	}
}
