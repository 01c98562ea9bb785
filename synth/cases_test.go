package synth

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"regexp"
	"slices"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

type readFrame struct {
	ci   gopacket.CaptureInfo
	link layers.LinkType
	data []byte
}

// readBack reads a capture written by WriteTo with pcapgo.
func readBack(raw []byte, o Options) ([]readFrame, error) {
	var r io.Reader = bytes.NewReader(raw)
	if o.Gzip {
		gz, err := gzip.NewReader(r)
		if err != nil {
			return nil, fmt.Errorf("gunzip: %w", err)
		}
		r = gz
	}
	var out []readFrame
	if o.Format == FormatPcapNG {
		nr, err := pcapgo.NewNgReader(r, pcapgo.NgReaderOptions{WantMixedLinkType: true})
		if err != nil {
			return nil, err
		}
		for {
			data, ci, err := nr.ReadPacketData()
			if errors.Is(err, io.EOF) {
				return out, nil
			}
			if err != nil {
				return nil, err
			}
			intf, err := nr.Interface(ci.InterfaceIndex)
			if err != nil {
				return nil, err
			}
			out = append(out, readFrame{ci, intf.LinkType, data})
		}
	}
	pr, err := pcapgo.NewReader(r)
	if err != nil {
		return nil, err
	}
	for {
		data, ci, err := pr.ReadPacketData()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		out = append(out, readFrame{ci, pr.LinkType(), data})
	}
}

func csum(sum uint32, b []byte) uint32 {
	for len(b) >= 2 {
		sum += uint32(binary.BigEndian.Uint16(b))
		b = b[2:]
	}
	if len(b) == 1 {
		sum += uint32(b[0]) << 8
	}
	return sum
}

func fold(sum uint32) uint16 {
	for sum>>16 != 0 {
		sum = sum&0xffff + sum>>16
	}
	return uint16(sum)
}

// l4ChecksumOK verifies a TCP/ICMPv6 checksum with the pseudo-header, or an
// ICMPv4 checksum.
func l4ChecksumOK(p gopacket.Packet) bool {
	nl := p.NetworkLayer()
	if nl == nil {
		return false
	}
	var pseudo uint32
	var l4 []byte
	switch ip := nl.(type) {
	case *layers.IPv4:
		l4 = ip.Payload
		if ip.Protocol == layers.IPProtocolICMPv4 {
			return fold(csum(0, l4)) == 0xffff
		}
		pseudo = csum(csum(0, ip.SrcIP.To4()), ip.DstIP.To4()) + uint32(ip.Protocol) + uint32(len(l4))
	case *layers.IPv6:
		l4 = ip.Payload
		pseudo = csum(csum(0, ip.SrcIP), ip.DstIP) + uint32(ip.NextHeader) + uint32(len(l4))
	}
	return fold(csum(pseudo, l4)) == 0xffff
}

type flowKey struct{ src, dst string }

func TestCasesReadBack(t *testing.T) {
	names := map[string]bool{}
	for _, c := range Cases() {
		t.Run(c.Name, func(t *testing.T) {
			if names[c.Name] {
				t.Fatalf("duplicate case name")
			}
			names[c.Name] = true
			if c.Description == "" || len(c.Expect) == 0 && c.Sessions == nil {
				t.Errorf("case lacks description or expectations")
			}
			checkExpectations(t, c)
			cp, err := c.Build()
			if err != nil {
				t.Fatal(err)
			}
			var buf bytes.Buffer
			if _, err := cp.WriteTo(&buf); err != nil {
				t.Fatal(err)
			}
			if buf.Len() > 64<<10 && !c.Large {
				t.Errorf("capture is %d bytes; keep cases small", buf.Len())
			}
			var again bytes.Buffer
			c2, _ := c.Build()
			c2.WriteTo(&again)
			if !bytes.Equal(buf.Bytes(), again.Bytes()) {
				t.Errorf("two builds differ")
			}
			frames, err := readBack(buf.Bytes(), cp.Options())
			if err != nil {
				t.Fatal(err)
			}
			if len(frames) != cp.Frames() {
				t.Fatalf("read %d frames, wrote %d", len(frames), cp.Frames())
			}
			maxEnd := map[flowKey]uint32{}
			type seg struct {
				k        flowKey
				seq, ack uint32
				n        int
				syn, has bool
			}
			var segs []seg
			for i, f := range frames {
				p := gopacket.NewPacket(f.data, f.link, gopacket.Default)
				if el := p.ErrorLayer(); el != nil && f.ci.CaptureLength == f.ci.Length {
					t.Fatalf("frame %d: decode error: %v", i+1, el.Error())
				}
				if f.ci.CaptureLength < f.ci.Length {
					continue
				}
				if !l4ChecksumOK(p) {
					t.Errorf("frame %d: bad checksum", i+1)
				}
				tl, ok := p.TransportLayer().(*layers.TCP)
				if !ok {
					continue
				}
				nf := p.NetworkLayer().NetworkFlow()
				k := flowKey{nf.Src().String() + ":" + tl.SrcPort.String(), nf.Dst().String() + ":" + tl.DstPort.String()}
				end := tl.Seq + uint32(len(tl.Payload))
				if tl.SYN || tl.FIN {
					end++
				}
				if e, ok := maxEnd[k]; !ok || seqLT(e, end) {
					maxEnd[k] = end
				}
				segs = append(segs, seg{k, tl.Seq, tl.Ack, len(tl.Payload), tl.SYN, tl.ACK})
			}
			for i, s := range segs {
				if !s.has {
					continue
				}
				peer := flowKey{s.k.dst, s.k.src}
				e, ok := maxEnd[peer]
				if ok && seqLT(e, s.ack) {
					t.Errorf("segment %d %v acks %d beyond peer's highest %d", i, s.k, s.ack, e)
				}
			}
		})
	}
}

func TestOptionsVariants(t *testing.T) {
	for _, o := range []Options{
		{LinkType: LinkDot1Q}, {LinkType: LinkSLL2, Nanosecond: true}, {BigEndian: true},
		{Format: FormatPcapNG, Gzip: true}, {LinkType: LinkNull, Format: FormatPcapNG},
	} {
		c := New(o)
		k := c.Conn(ap4("198.51.100.10", 40000), ap4("203.0.113.20", 21))
		k.Handshake()
		k.Send(true, bytes.Repeat([]byte("x"), 5000), SplitAt(10), Swap(1, 2), Retransmit(0))
		k.Close()
		var buf bytes.Buffer
		if _, err := c.WriteTo(&buf); err != nil {
			t.Fatal(err)
		}
		fr, err := readBack(buf.Bytes(), o)
		if err != nil {
			t.Fatalf("%+v: %v", o, err)
		}
		if len(fr) != c.Frames() {
			t.Errorf("%+v: %d frames read, %d written", o, len(fr), c.Frames())
		}
		for i, f := range fr {
			p := gopacket.NewPacket(f.data, f.link, gopacket.Default)
			if p.ErrorLayer() != nil || !l4ChecksumOK(p) {
				t.Errorf("%+v frame %d: %v", o, i+1, p.ErrorLayer())
			}
		}
	}
}

func ap4(s string, port uint16) netip.AddrPort {
	return netip.AddrPortFrom(netip.MustParseAddr(s), port)
}

// checkExpectations checks that a case states its expectations in full:
// known verdicts and modes, flags sorted and non-nil, evidence non-nil,
// summary conditions well formed.
func checkExpectations(t *testing.T, c Case) {
	t.Helper()
	verdicts := map[string]bool{"ok": true, "dropped": true, "reset": true, "unreachable": true, "not-attempted": true, "refused": true, "unknown": true}
	for i, e := range c.Expect {
		if e.Mode != "active" && e.Mode != "passive" || !verdicts[e.Verdict] {
			t.Errorf("transfer %d: bad mode %q or verdict %q", i+1, e.Mode, e.Verdict)
		}
		if e.Flags == nil || e.Evidence == nil || !slices.IsSorted(e.Flags) {
			t.Errorf("transfer %d: flags %q must be stated and sorted, evidence %q stated", i+1, e.Flags, e.Evidence)
		}
	}
	for i, s := range c.Sessions {
		switch s.Verdict {
		case "", "dropped", "reset", "unreachable":
		default:
			t.Errorf("session %d: bad verdict %q", i+1, s.Verdict)
		}
		if s.Flags == nil || !slices.IsSorted(s.Flags) {
			t.Errorf("session %d: flags %q must be stated and sorted", i+1, s.Flags)
		}
	}
	if c.Summary != nil {
		for k, v := range c.Summary.Counts {
			if !countCond.MatchString(v) {
				t.Errorf("summary count %s: bad condition %q", k, v)
			}
		}
		if !slices.IsSorted(c.Summary.Flags) {
			t.Errorf("summary flags %q not sorted", c.Summary.Flags)
		}
	}
}

var countCond = regexp.MustCompile(`^(>|>=|<=)?[0-9]+$`)
