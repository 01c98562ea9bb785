package decode

import (
	"bytes"
	"io"
	"net/netip"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// gopacketView decodes a frame with gopacket.NewPacket and returns what
// the hand-written Decoder should agree with. ok is false when gopacket did
// not get as far as a whole, unfragmented TCP header.
func gopacketView(lt LinkType, data []byte) (src, dst netip.Addr, tcp TCP, payload []byte, ok bool) {
	var first gopacket.Decoder
	switch lt {
	case LinkTypeEthernet:
		first = layers.LayerTypeEthernet
	case LinkTypeLinuxSLL:
		first = layers.LayerTypeLinuxSLL
	case LinkTypeLinuxSLL2:
		first = layers.LayerTypeLinuxSLL2
	case LinkTypeNull, LinkTypeLoop:
		first = layers.LayerTypeLoopback
	case LinkTypeRaw, LinkTypeIPv4, LinkTypeIPv6:
		if len(data) == 0 {
			return
		}
		first = layers.LayerTypeIPv4
		if data[0]>>4 == 6 {
			first = layers.LayerTypeIPv6
		}
	default:
		return
	}
	pkt := gopacket.NewPacket(data, first, gopacket.Default)
	if pkt.ErrorLayer() != nil {
		return
	}
	if l, _ := pkt.Layer(layers.LayerTypeIPv4).(*layers.IPv4); l != nil {
		// gopacket does not check the version nibble; tcpdump and the
		// Decoder reject such headers.
		if l.Version != 4 || l.Flags&layers.IPv4MoreFragments != 0 || l.FragOffset != 0 {
			return
		}
		src, _ = netip.AddrFromSlice(l.SrcIP)
		dst, _ = netip.AddrFromSlice(l.DstIP)
	} else if l, _ := pkt.Layer(layers.LayerTypeIPv6).(*layers.IPv6); l != nil {
		if l.Version != 6 || pkt.Layer(layers.LayerTypeIPv6Fragment) != nil {
			return
		}
		src, _ = netip.AddrFromSlice(l.SrcIP)
		dst, _ = netip.AddrFromSlice(l.DstIP)
	}
	t, _ := pkt.Layer(layers.LayerTypeTCP).(*layers.TCP)
	if t == nil || !src.IsValid() {
		return
	}
	// Only the first IP layer counts: skip tunnels and ICMP quotes.
	if ipl := pkt.NetworkLayer(); ipl == nil || ipl.LayerPayload() == nil || !bytes.HasPrefix(ipl.LayerPayload(), t.Contents) {
		return
	}
	var flags TCPFlags
	for i, b := range []bool{t.FIN, t.SYN, t.RST, t.PSH, t.ACK, t.URG, t.ECE, t.CWR} {
		if b {
			flags |= 1 << i
		}
	}
	tcp = TCP{SrcPort: uint16(t.SrcPort), DstPort: uint16(t.DstPort), Seq: t.Seq, Ack: t.Ack, Flags: flags, Window: t.Window}
	return src, dst, tcp, t.Payload, true
}

// crossCheck compares the Decoder with gopacket on one frame.
func crossCheck(t *testing.T, d *Decoder, name string, lt LinkType, data []byte) bool {
	src, dst, tcp, payload, ok := gopacketView(lt, data)
	if !ok {
		return false
	}
	p := Packet{LinkType: lt, Data: data, CapLen: len(data), WireLen: len(data)}
	d.Decode(&p)
	if !p.HasTCP || p.Src.Unmap() != src.Unmap() || p.Dst.Unmap() != dst.Unmap() || p.TCP != tcp || !bytes.Equal(p.Payload, payload) {
		t.Errorf("%s: decoder %v->%v %+v %d bytes (tcp %v); gopacket %v->%v %+v %d bytes",
			name, p.Src, p.Dst, p.TCP, len(p.Payload), p.HasTCP, src, dst, tcp, len(payload))
		return false
	}
	return true
}

// TestCrossCheckGopacket checks the hand-written Decoder against
// gopacket's layers on synthetic frames and, when present, on every TCP
// packet of the shared corpus.
func TestCrossCheckGopacket(t *testing.T) {
	d := NewDecoder()
	for i, f := range benchMix(t, 300) {
		crossCheck(t, d, "mix "+itoa(i), LinkTypeEthernet, f.data)
	}
	for i, s := range decodeSeeds(t) {
		crossCheck(t, d, "seed "+itoa(i), s.lt, s.data)
	}
	checked := 0
	for _, f := range corpusCaptures(t) {
		src, err := OpenFiles([]string{f})
		if err != nil {
			t.Errorf("open: %v", err)
			continue
		}
		var p Packet
		for {
			err := src.Next(&p)
			if err == io.EOF {
				break
			}
			if err != nil {
				continue
			}
			if p.Truncated {
				continue // gopacket reports these as decode errors
			}
			if crossCheck(t, d, filepath.Base(f)+" #"+itoa(int(p.FileNum)), p.LinkType, append([]byte(nil), p.Data...)) {
				checked++
			}
		}
		src.Close()
	}
	if checked == 0 {
		t.Error("no corpus TCP packet was checked")
	}
	t.Logf("%d corpus TCP packets agree with gopacket", checked)
}

func itoa(i int) string { return strconv.Itoa(i) }
