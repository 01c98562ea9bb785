//go:build linux && !libpcap

package decode

import (
	"errors"
	"net"
	"os"
	"strings"
	"testing"
	"time"
)

func needRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("live capture test needs root (CAP_NET_RAW); skipped")
	}
}

// TestOpenLiveLoopback captures on lo: a TCP connection is seen once per
// segment (outgoing copies dropped), UDP is filtered out by the kernel.
func TestOpenLiveLoopback(t *testing.T) {
	needRoot(t)
	lo := ""
	ifs, _ := net.Interfaces()
	for _, ifc := range ifs {
		if ifc.Flags&net.FlagLoopback != 0 && ifc.Flags&net.FlagUp != 0 {
			lo = ifc.Name
		}
	}
	if lo == "" {
		t.Skip("no loopback interface up")
	}
	src, err := OpenLive(lo, LiveOptions{PollInterval: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	// Drain whatever arrived before the filter was attached.
	var p Packet
	for {
		if err := src.Next(&p); errors.Is(err, ErrTimeout) {
			break
		} else if err != nil {
			t.Fatal(err)
		}
	}
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	port := uint16(ln.Addr().(*net.TCPAddr).Port)
	go func() {
		c, err := ln.Accept()
		if err == nil {
			c.Write([]byte("220 hello\r\n"))
			c.Write(make([]byte, 200000))
			c.Close()
		}
	}()
	u, err := net.Dial("udp4", "127.0.0.1:9")
	if err == nil {
		u.Write([]byte("udp must be filtered"))
		u.Close()
	}
	c, err := net.Dial("tcp4", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 1<<16)
	for {
		if _, err := c.Read(buf); err != nil {
			break
		}
	}
	c.Close()
	syns, payload, udp, maxLen := 0, 0, 0, 0
	deadline := time.Now().Add(2 * time.Second)
	for time.Now().Before(deadline) {
		err := src.Next(&p)
		if errors.Is(err, ErrTimeout) {
			if syns > 0 {
				break
			}
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		if p.Proto == 17 {
			udp++
		}
		if !p.HasTCP || (p.TCP.SrcPort != port && p.TCP.DstPort != port) {
			continue
		}
		if p.TCP.Flags == SYN {
			syns++
		}
		maxLen = max(maxLen, p.CapLen)
		if p.CapLen != p.WireLen || p.Truncated {
			t.Errorf("packet %d truncated: caplen %d wirelen %d", p.Num, p.CapLen, p.WireLen)
		}
		if strings.Contains(string(p.Payload), "220 hello") {
			payload++
		}
		if p.LinkType != LinkTypeEthernet || p.File != lo {
			t.Errorf("packet %d: link type %v file %q", p.Num, p.LinkType, p.File)
		}
	}
	if syns != 1 || payload != 1 {
		t.Errorf("saw %d SYNs and %d payload segments, want 1 and 1 (loopback duplicates must be dropped)", syns, payload)
	}
	t.Logf("largest frame: %d bytes", maxLen)
	if udp != 0 {
		t.Errorf("saw %d UDP packets, want 0 (kernel filter)", udp)
	}
	if st := src.Stats(); st.Packets == 0 {
		t.Errorf("Stats().Packets = 0")
	}
	if err := src.Close(); err != nil {
		t.Fatal(err)
	}
	if err := src.Next(&p); !errors.Is(err, ErrClosed) {
		t.Errorf("Next after Close = %v, want ErrClosed", err)
	}
}

// TestOpenLiveAny captures on "any": frames are raw IP.
func TestOpenLiveAny(t *testing.T) {
	needRoot(t)
	src, err := OpenLive(AnyInterface, LiveOptions{PollInterval: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	port := uint16(ln.Addr().(*net.TCPAddr).Port)
	go func() {
		if c, err := ln.Accept(); err == nil {
			c.Close()
		}
	}()
	c, err := net.Dial("tcp4", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
	var p Packet
	syns := 0
	deadline := time.Now().Add(2 * time.Second)
	for time.Now().Before(deadline) {
		err := src.Next(&p)
		if errors.Is(err, ErrTimeout) {
			if syns > 0 {
				break
			}
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		if p.HasTCP && p.TCP.DstPort == port && p.TCP.Flags == SYN {
			syns++
			if p.LinkType != LinkTypeRaw {
				t.Errorf("link type %v, want RAW", p.LinkType)
			}
		}
	}
	if syns != 1 {
		t.Errorf("saw %d SYNs on any, want 1 (loopback duplicates dropped)", syns)
	}
}

func TestOpenLiveUnknownInterface(t *testing.T) {
	_, err := OpenLive("nosuchif0", LiveOptions{})
	var ue *UnknownInterfaceError
	if !errors.As(err, &ue) {
		t.Fatalf("OpenLive(nosuchif0) = %v, want *UnknownInterfaceError", err)
	}
	if !strings.Contains(err.Error(), `no such interface "nosuchif0"`) || !strings.Contains(err.Error(), "available:") {
		t.Errorf("error %q does not name the interface and list the available ones", err)
	}
}

func TestOpenLiveFilterNeedsLibpcap(t *testing.T) {
	_, err := OpenLive("lo", LiveOptions{Filter: "host 192.0.2.1"})
	if !errors.Is(err, ErrNeedsLibpcap) {
		t.Fatalf("OpenLive with a filter = %v, want ErrNeedsLibpcap", err)
	}
	if !strings.Contains(err.Error(), "-tags libpcap") {
		t.Errorf("error %q does not say how to build with libpcap", err)
	}
}
