package session

import (
	"bytes"
	"errors"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/ftpsniff/ftpsniff/decode"
	"github.com/ftpsniff/ftpsniff/synth"
)

// TestShortcutsMatchExhaustive checks that deciding transfers only when
// they changed or their wake time came, and scanning sessions for
// idleness only when one can be idle, report exactly what deciding every
// transfer and scanning every session at every check reports: the same
// records, in the same order, with the same decision times.
func TestShortcutsMatchExhaustive(t *testing.T) {
	inputs := map[string][]byte{}
	for i, o := range []synth.GenOptions{
		{Size: 3 << 20, Profile: synth.ProfileControl, FailureShare: 0.3},
		{Size: 3 << 20, Profile: synth.ProfileControl, Sessions: 20, Transfers: 40, FailureShare: 0.5},
		{Size: 2 << 20, Profile: synth.ProfileBulk},
	} {
		o.Capture.Seed = int64(i + 1)
		var b bytes.Buffer
		if _, err := synth.Generate(&b, o); err != nil {
			t.Fatal(err)
		}
		inputs["synth-"+string(rune('a'+i))] = b.Bytes()
	}
	files, _ := filepath.Glob("../testdata/pcaps/*.pcap*")
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		inputs[filepath.Base(f)] = b
	}
	if len(files) == 0 {
		t.Log("no captures in ../testdata/pcaps; synthesized ones only")
	}
	for name, data := range inputs {
		fast := trackAll(t, data, false)
		ref := trackAll(t, data, true)
		if !slices.Equal(fast.flows, ref.flows) {
			t.Errorf("%s: tracked connections over time %v, exhaustive %v", name, fast.flows, ref.flows)
		}
		if len(fast.transfers) != len(ref.transfers) || len(fast.sessions) != len(ref.sessions) {
			t.Errorf("%s: %d transfers, %d sessions; exhaustive: %d, %d", name,
				len(fast.transfers), len(fast.sessions), len(ref.transfers), len(ref.sessions))
			continue
		}
		for i := range fast.transfers {
			if !reflect.DeepEqual(fast.transfers[i], ref.transfers[i]) {
				t.Errorf("%s: transfer %d differs:\n got %+v\nwant %+v", name, i, fast.transfers[i], ref.transfers[i])
				break
			}
		}
		for i := range fast.sessions {
			if !reflect.DeepEqual(fast.sessions[i], ref.sessions[i]) {
				t.Errorf("%s: session %d differs:\n got %+v\nwant %+v", name, i, fast.sessions[i], ref.sessions[i])
				break
			}
		}
	}
}

// trackAll runs a tracker over a capture held in memory.
func trackAll(t *testing.T, data []byte, exhaustive bool) *recorder {
	t.Helper()
	src, err := decode.NewReaderSource("mem", bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	r := &recorder{}
	tr := NewTracker(Config{}, r)
	tr.exhaustive = exhaustive
	var p decode.Packet
	for n := 0; ; n++ {
		if n%1000 == 0 {
			r.flows = append(r.flows, len(tr.flows))
		}
		err := src.Next(&p)
		if errors.Is(err, io.EOF) {
			break
		}
		var ie *decode.InputError
		if errors.As(err, &ie) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		tr.Packet(&p)
	}
	tr.Close()
	return r
}

// TestShortcutsMatchExhaustiveTimers covers every time-driven wait of
// decide and session idleness with scripted sessions whose outcomes come
// only from time passing (no closing reply), while a second session ticks
// the capture clock in small steps.
func TestShortcutsMatchExhaustiveTimers(t *testing.T) {
	ap := netip.MustParseAddrPort
	scenarios := map[string]func(s *script, c *conn){
		"syns unanswered": func(s *script, c *conn) {
			c.cl("PORT 198,51,100,10,201,135\r\n")
			c.sv("200 PORT command successful.\r\n")
			c.cl("LIST\r\n")
			for range 3 {
				s.tcp(ap("203.0.113.20:20"), ap("198.51.100.10:51591"), 777, 0, decode.SYN, "")
				s.wait(time.Second)
			}
		},
		"rst, no reply": func(s *script, c *conn) {
			c.cl("PASV\r\n")
			c.sv("227 Entering Passive Mode (203,0,113,20,156,79).\r\n")
			s.tcp(ap("198.51.100.10:42650"), ap("203.0.113.20:40015"), 5, 0, decode.SYN, "")
			s.tcp(ap("203.0.113.20:40015"), ap("198.51.100.10:42650"), 0, 6, decode.RST|decode.ACK, "")
		},
		"icmp, no reply": func(s *script, c *conn) {
			c.cl("PASV\r\n")
			c.sv("227 Entering Passive Mode (203,0,113,20,156,79).\r\n")
			k := flowKey{ap("198.51.100.10:42650"), ap("203.0.113.20:40015")}
			s.tcp(k.src, k.dst, 5, 0, decode.SYN, "")
			s.icmp(netip.MustParseAddr("203.0.113.1"), k.src.Addr(), 13, k, 5)
		},
		"syn-ack never acknowledged": func(s *script, c *conn) {
			c.cl("PASV\r\n")
			c.sv("227 Entering Passive Mode (203,0,113,20,156,79).\r\n")
			s.tcp(ap("198.51.100.10:42650"), ap("203.0.113.20:40015"), 5, 0, decode.SYN, "")
			s.tcp(ap("203.0.113.20:40015"), ap("198.51.100.10:42650"), 9, 6, decode.SYN|decode.ACK, "")
		},
		"established, never closed": func(s *script, c *conn) {
			c.cl("PASV\r\n")
			c.sv("227 Entering Passive Mode (203,0,113,20,156,79).\r\n")
			d := s.conn("198.51.100.10:42650", "203.0.113.20:40015")
			d.handshake()
			c.cl("RETR f\r\n")
			c.sv("150 Opening BINARY mode data connection.\r\n")
			d.sv("data")
			c.sv("226 Transfer complete.\r\n")
		},
		"data connection closes after its verdict": func(s *script, c *conn) {
			c.cl("PASV\r\n")
			c.sv("227 Entering Passive Mode (203,0,113,20,156,79).\r\n")
			d := s.conn("198.51.100.10:42650", "203.0.113.20:40015")
			d.handshake()
			c.cl("RETR f\r\n")
			c.sv("150 Opening BINARY mode data connection.\r\n")
			d.sv("data")
			c.sv("226 Transfer complete.\r\n")
			s.wait(40 * time.Second) // decided (DropWait after the 226) while still open
			d.sv("more")
			d.close()
			s.wait(5 * time.Second) // a late ACK keeps it tracked longer
			s.tcp(d.c, d.v, d.cseq, d.vs, decode.ACK, "")
		},
		"no syn after 226": func(s *script, c *conn) {
			c.cl("PASV\r\n")
			c.sv("227 Entering Passive Mode (203,0,113,20,156,79).\r\n")
			c.cl("LIST\r\n")
			c.sv("150 Here comes the directory listing.\r\n")
			c.sv("226 Directory send OK.\r\n")
		},
		"superseded": func(s *script, c *conn) {
			c.cl("PORT 198,51,100,10,201,135\r\n")
			c.sv("200 PORT command successful.\r\n")
			c.cl("PORT 198,51,100,10,201,136\r\n")
			c.sv("200 PORT command successful.\r\n")
		},
		"no reply to pasv": func(s *script, c *conn) {
			c.cl("PASV\r\n")
		},
		"unparsable 227": func(s *script, c *conn) {
			c.cl("PASV\r\n")
			c.sv("227 Entering Passive Mode (nonsense).\r\n")
			c.cl("LIST\r\n")
			c.sv("150 Here comes the directory listing.\r\n")
			c.sv("226 Directory send OK.\r\n")
		},
		"accepted, never used": func(s *script, c *conn) {
			c.cl("PORT 198,51,100,10,201,135\r\n")
			c.sv("200 PORT command successful.\r\n")
		},
		"open data connection until the session idles out": func(s *script, c *conn) {
			c.cl("PASV\r\n")
			c.sv("227 Entering Passive Mode (203,0,113,20,156,79).\r\n")
			d := s.conn("198.51.100.10:42650", "203.0.113.20:40015")
			d.handshake()
			c.cl("RETR f\r\n")
			c.sv("150 Opening BINARY mode data connection.\r\n")
			d.sv("data")
			s.wait(2 * time.Minute)
			c.cl("NOOP\r\n")
		},
		"session idle": func(s *script, c *conn) {
			c.cl("NOOP\r\n")
			c.sv("200 NOOP ok.\r\n")
		},
	}
	for name, build := range scenarios {
		s := newScript()
		c := s.conn("198.51.100.10:40000", "203.0.113.20:21")
		c.login()
		build(s, c)
		pkts := s.pkts
		// The ticker: another session's NOOPs, every 37 ms for 200 s, then
		// every second for 20 min (past ControlIdle).
		tick := &script{now: pkts[0].Time}
		k := tick.conn("198.51.100.99:40001", "203.0.113.99:21")
		k.login()
		for tick.now.Sub(pkts[0].Time) < 20*time.Minute {
			step := 37 * time.Millisecond
			if tick.now.Sub(pkts[0].Time) > 200*time.Second {
				step = time.Second
			}
			tick.wait(step)
			k.cl("NOOP\r\n")
		}
		pkts = append(pkts, tick.pkts...)
		slices.SortStableFunc(pkts, func(a, b decode.Packet) int { return a.Time.Compare(b.Time) })
		fast, ref := trackPackets(pkts, false), trackPackets(pkts, true)
		if !reflect.DeepEqual(fast.transfers, ref.transfers) {
			t.Errorf("%s: transfers differ:\n got %+v\nwant %+v", name, fast.transfers, ref.transfers)
		}
		if !reflect.DeepEqual(fast.sessions, ref.sessions) {
			t.Errorf("%s: sessions differ:\n got %+v\nwant %+v", name, fast.sessions, ref.sessions)
		}
		if !slices.Equal(fast.flows, ref.flows) {
			t.Errorf("%s: tracked connections over time %v, exhaustive %v", name, fast.flows, ref.flows)
		}
		if len(ref.transfers) == 0 && name != "session idle" {
			t.Errorf("%s: no transfer decided", name)
		}
	}
}

// trackPackets runs a tracker over scripted packets.
func trackPackets(pkts []decode.Packet, exhaustive bool) *recorder {
	r := &recorder{}
	tr := NewTracker(Config{}, r)
	tr.exhaustive = exhaustive
	for i := range pkts {
		if i%100 == 0 {
			r.flows = append(r.flows, len(tr.flows))
		}
		tr.Packet(&pkts[i])
	}
	tr.Close()
	return r
}
