//go:build libpcap

package decode

import (
	"errors"
	"net"
	"os"
	"testing"
	"time"
)

func TestCompileFilterLibpcap(t *testing.T) {
	prog, err := CompileFilter("host 192.0.2.1")
	if err != nil || len(prog) == 0 {
		t.Fatalf("CompileFilter = %d instructions, %v", len(prog), err)
	}
	if _, err := CompileFilter("host and and"); err == nil {
		t.Error("CompileFilter accepted a syntax error")
	}
}

// TestOpenLiveLibpcapLoopback captures on lo through libpcap with a user
// filter: the connection to 127.0.0.1 is seen once per segment.
func TestOpenLiveLibpcapLoopback(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("live capture test needs root (CAP_NET_RAW); skipped")
	}
	src, err := OpenLive("lo", LiveOptions{Filter: "host 127.0.0.1", PollInterval: 50 * time.Millisecond})
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
	syns, timeouts := 0, 0
	for deadline := time.Now().Add(3 * time.Second); time.Now().Before(deadline); {
		err := src.Next(&p)
		if errors.Is(err, ErrTimeout) {
			timeouts++
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
		}
	}
	if syns != 1 {
		t.Errorf("saw %d SYNs, want 1", syns)
	}
	if timeouts == 0 {
		t.Error("Next never returned ErrTimeout on an idle link")
	}
}
