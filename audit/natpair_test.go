package audit

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"math/rand"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/ftpsniff/ftpsniff/decode"
	"github.com/ftpsniff/ftpsniff/session"
	"github.com/ftpsniff/ftpsniff/session/ftp"
	"github.com/ftpsniff/ftpsniff/synth"
)

// natSink hands a tracker's records to a NATCollector.
type natSink struct{ c *NATCollector }

func (n natSink) Transfer(t *session.Transfer) { _ = n.c.Transfer(t) }
func (n natSink) Session(s *session.Session)   { _ = n.c.Session(s) }

// readNATSide runs the tracker over src as the CLI does and returns the
// NAT side gathered from its records.
func readNATSide(name string, src decode.Source) *NATSide {
	cfg := session.DefaultConfig()
	cfg.ControlEvents = NATLinesPerSession
	col := NewNATCollector(name)
	tr := session.NewTracker(cfg, natSink{col})
	var p decode.Packet
	for {
		p.Reset()
		err := src.Next(&p)
		if err == io.EOF {
			break
		}
		if err != nil {
			var ie *decode.InputError
			if errors.As(err, &ie) {
				continue
			}
			break
		}
		tr.Packet(&p)
	}
	sum := tr.Close()
	_ = col.Close(&sum)
	return col.Side()
}

func natSideOf(t *testing.T, name string, c *synth.Capture) *NATSide {
	t.Helper()
	var buf bytes.Buffer
	if _, err := c.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	src, err := decode.NewReaderSource(name, &buf)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	return readNATSide(name, src)
}

// TestNATPairCases runs every synthetic NAT pair through the comparison.
func TestNATPairCases(t *testing.T) {
	for _, tc := range synth.NATPairCases() {
		t.Run(tc.Name, func(t *testing.T) {
			in, out, err := tc.Build()
			if err != nil {
				t.Fatal(err)
			}
			rep := CompareNAT(natSideOf(t, "inside", in), natSideOf(t, "outside", out), DefaultNATPairConfig())
			var got []string
			for _, p := range rep.Pairs {
				got = append(got, string(p.Verdict))
				t.Logf("%s %s %s -> %s %s/%s: %s", p.Negotiation, p.InsideLine, p.OutsideLine, p.Verdict, p.Problem, p.InsideEndpoint, p.Reason)
			}
			if len(got) != len(tc.Expect) {
				t.Fatalf("verdicts %v, want %v", got, tc.Expect)
			}
			for i := range got {
				if got[i] != tc.Expect[i] {
					t.Errorf("verdict %d = %s, want %s", i, got[i], tc.Expect[i])
				}
			}
			if rep.MatchedSessions != 1 {
				t.Errorf("matched %d sessions, want 1", rep.MatchedSessions)
			}
			if rep.ClockOffset != synth.NATPairSkew {
				t.Errorf("clock offset %v, want %v", rep.ClockOffset, synth.NATPairSkew)
			}
		})
	}
}

// parseLineEndpoint parses a negotiation line's endpoint as the tracker
// does (a 229 without an address gives only the port).
func parseLineEndpoint(l NATLine) (ap netip.AddrPort, implicit, bad bool) {
	var err error
	switch l.key {
	case "C:PORT", "C:EPRT":
		cmd, _ := ftp.ParseCommand([]byte(l.Text))
		if cmd.Verb == "PORT" {
			ap, _, err = ftp.ParsePORT(cmd.Arg)
		} else {
			ap, _, err = ftp.ParseEPRT(cmd.Arg)
		}
	case "S:227":
		ap, _, err = ftp.Parse227(l.Text)
	case "S:229":
		var port uint16
		var a netip.Addr
		port, a, _, err = ftp.Parse229(l.Text)
		implicit = err == nil && !a.IsValid()
		ap = netip.AddrPortFrom(a, port)
	default:
		return netip.AddrPort{}, false, false
	}
	if err != nil {
		return netip.AddrPort{}, false, true
	}
	return ap, implicit, false
}

func natLines(fromClient bool, t0 time.Time, seq uint32, texts ...string) []NATLine {
	var out []NATLine
	for i, s := range texts {
		l := NATLine{FromClient: fromClient, Text: s, Time: t0.Add(time.Duration(i) * time.Second),
			Seq: seq, key: natKey(fromClient, s)}
		l.Endpoint, l.Implicit, l.Bad = parseLineEndpoint(l)
		out = append(out, l)
		seq += uint32(len(s) + 2)
	}
	return out
}

func TestNATKey(t *testing.T) {
	tests := []struct {
		fromClient bool
		text, want string
	}{
		{true, "PORT 10,1,0,5,4,1", "C:PORT"},
		{true, "port 10,1,0,5,4,1", "C:PORT"},
		{true, "EPRT |1|10.1.0.5|1025|", "C:EPRT"},
		{true, "RETR a.txt", "C:RETR a.txt"},
		{true, "\x00\x01", "C?\x00\x01"},
		{false, "227 Entering Passive Mode (10,0,0,1,4,1)", "S:227"},
		{false, "229 Entering Extended Passive Mode (|||1025|)", "S:229"},
		{false, "200 PORT command successful.", "S:200 PORT command successful."},
		{false, "22", "S:22"},
		{false, "2270 x", "S:2270 x"},
	}
	for _, tc := range tests {
		if got := natKey(tc.fromClient, tc.text); got != tc.want {
			t.Errorf("natKey(%v, %q) = %q, want %q", tc.fromClient, tc.text, got, tc.want)
		}
	}
}

func TestAlignDir(t *testing.T) {
	t0 := time.Unix(1e9, 0)
	tests := []struct {
		name string
		a, b []string
		want int
	}{
		{"identical", []string{"USER a", "PASS b", "PORT 1,2,3,4,5,6"}, []string{"USER a", "PASS b", "PORT 9,9,9,9,5,6"}, 3},
		{"line missing outside", []string{"USER a", "NOOP", "PASS b"}, []string{"USER a", "PASS b"}, 2},
		{"line missing inside", []string{"USER a", "PASS b"}, []string{"USER a", "NOOP", "PASS b"}, 2},
		{"unrelated", []string{"USER a", "PASS b"}, []string{"USER x", "PASS y"}, 0},
		{"empty", nil, []string{"USER x"}, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := alignDir(natLines(true, t0, 1, tc.a...), natLines(true, t0, 1, tc.b...), true)
			if len(got) != tc.want {
				t.Errorf("aligned %d lines (%v), want %d", len(got), got, tc.want)
			}
		})
	}
}

func TestMatchSessions(t *testing.T) {
	t0 := time.Unix(1e9, 0)
	srv := netip.MustParseAddrPort("192.0.2.21:21")
	mk := func(cli string, s netip.AddrPort, dt time.Duration, texts ...string) *NATConn {
		return &NATConn{Client: netip.MustParseAddrPort(cli), Server: s, First: t0.Add(dt), Lines: natLines(true, t0.Add(dt), 1, texts...)}
	}
	login := []string{"USER anonymous", "PASS x", "PORT 10,1,0,5,4,1", "LIST"}
	tests := []struct {
		name    string
		ins     []*NATConn
		outs    []*NATConn
		matched int
	}{
		{"snat", []*NATConn{mk("10.1.0.5:4000", srv, 0, login...)}, []*NATConn{mk("198.51.100.10:6000", srv, 2*time.Second, login...)}, 1},
		{"dnat", []*NATConn{mk("198.51.100.10:6000", netip.MustParseAddrPort("10.2.0.20:21"), 0, login...)},
			[]*NATConn{mk("198.51.100.10:6000", srv, 0, login...)}, 1},
		{"both endpoints differ", []*NATConn{mk("10.1.0.5:4000", netip.MustParseAddrPort("10.2.0.20:21"), 0, login...)},
			[]*NATConn{mk("198.51.100.10:6000", srv, 0, login...)}, 0},
		{"too much skew", []*NATConn{mk("10.1.0.5:4000", srv, 0, login...)}, []*NATConn{mk("198.51.100.10:6000", srv, time.Hour, login...)}, 0},
		{"different commands", []*NATConn{mk("10.1.0.5:4000", srv, 0, login...)},
			[]*NATConn{mk("198.51.100.10:6000", srv, 0, "USER bob", "PASS y", "PASV", "RETR z")}, 0},
		{"two sessions each", []*NATConn{mk("10.1.0.5:4000", srv, 0, login...), mk("10.1.0.6:4000", srv, time.Minute, login...)},
			[]*NATConn{mk("198.51.100.10:6000", srv, time.Second, login...), mk("198.51.100.10:6001", srv, time.Minute+time.Second, login...)}, 2},
		{"nothing", nil, nil, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, _ := matchSessions(tc.ins, tc.outs, 10*time.Minute)
			if len(got) != tc.matched {
				t.Fatalf("matched %d, want %d", len(got), tc.matched)
			}
			if tc.name == "two sessions each" {
				// Timing decides between textually identical sessions.
				if got[0][0] != tc.ins[0] || got[0][1] != tc.outs[0] || got[1][1] != tc.outs[1] {
					t.Errorf("paired by the wrong clock: %v", got)
				}
			}
		})
	}
}

// TestJudgeNeg covers verdicts the synthetic pairs do not.
func TestJudgeNeg(t *testing.T) {
	t0 := time.Unix(1e9, 0)
	srv := netip.MustParseAddrPort("192.0.2.21:21")
	srvIn := netip.MustParseAddrPort("10.2.0.20:21")
	cliIn := netip.MustParseAddrPort("10.1.0.5:4000")
	cliOut := netip.MustParseAddrPort("198.51.100.10:6000")
	tests := []struct {
		name       string
		fromClient bool
		ci, co     [2]netip.AddrPort // client, server
		in, out    string
		verdict    NATVerdict
		problem    string
	}{
		{"port only rewritten", true, [2]netip.AddrPort{cliIn, srv}, [2]netip.AddrPort{cliOut, srv},
			"PORT 10,1,0,5,4,1", "PORT 10,1,0,5,9,9", NATRewrittenWrong, NATProblemAddress},
		{"rewritten without translation", true, [2]netip.AddrPort{cliOut, srv}, [2]netip.AddrPort{cliOut, srv},
			"PORT 198,51,100,10,4,1", "PORT 198,51,100,11,4,1", NATRewrittenWrong, NATProblemUnexpected},
		{"outside garbage", true, [2]netip.AddrPort{cliIn, srv}, [2]netip.AddrPort{cliOut, srv},
			"PORT 10,1,0,5,4,1", "PORT 198,51,100,10,4", NATRewrittenWrong, NATProblemSyntax},
		{"both garbage", true, [2]netip.AddrPort{cliIn, srv}, [2]netip.AddrPort{cliOut, srv},
			"PORT x", "PORT x", NATNotNeeded, ""},
		{"eprt v6 untranslated", true, [2]netip.AddrPort{netip.MustParseAddrPort("[2001:db8::1]:4000"), srv},
			[2]netip.AddrPort{netip.MustParseAddrPort("[2001:db8::1]:4000"), srv},
			"EPRT |2|2001:db8::1|1025|", "EPRT |2|2001:db8::1|1025|", NATNotNeeded, ""},
		{"229 port mapped", false, [2]netip.AddrPort{cliOut, srvIn}, [2]netip.AddrPort{cliOut, srv},
			"229 Entering Extended Passive Mode (|||1025|)", "229 Entering Extended Passive Mode (|||61025|)", NATRewrittenOK, ""},
		{"227 not rewritten", false, [2]netip.AddrPort{cliOut, srvIn}, [2]netip.AddrPort{cliOut, srv},
			"227 Entering Passive Mode (10,2,0,20,4,1)", "227 Entering Passive Mode (10,2,0,20,4,1)", NATNotRewritten, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ci := &NATConn{Client: tc.ci[0], Server: tc.ci[1], Lines: natLines(tc.fromClient, t0, 100, tc.in)}
			co := &NATConn{Client: tc.co[0], Server: tc.co[1], Lines: natLines(tc.fromClient, t0, 100, tc.out)}
			rep := CompareNAT(&NATSide{Conns: []*NATConn{ci}}, &NATSide{Conns: []*NATConn{co}}, NATPairConfig{})
			if len(rep.Pairs) != 1 {
				t.Fatalf("%d pairs, want 1", len(rep.Pairs))
			}
			p := rep.Pairs[0]
			if p.Verdict != tc.verdict || p.Problem != tc.problem {
				t.Errorf("verdict %s/%s, want %s/%s (%s)", p.Verdict, p.Problem, tc.verdict, tc.problem, p.Reason)
			}
			if p.Reason == "" {
				t.Error("no reason")
			}
		})
	}
}

func readPcap(t *testing.T, name string) *NATSide {
	t.Helper()
	src, err := decode.OpenFiles([]string{filepath.Join("..", "testdata", "pcaps", name)})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	return readNATSide(name, src)
}

// TestNATPairUnrelated: captures of different traffic match nothing.
func TestNATPairUnrelated(t *testing.T) {
	pairs := [][2]string{
		{"natpair-ok.inside.pcap", "natpair-server227.outside.pcap"},
		{"natpair-server227.inside.pcap", "natpair-ok.outside.pcap"},
		{"natpair-ok.inside.pcap", "synth-drop-syn.pcap"},
		{"lab-active-ok.pcap", "natpair-notneeded.outside.pcap"},
	}
	for _, pr := range pairs {
		t.Run(pr[0]+"+"+pr[1], func(t *testing.T) {
			rep := CompareNAT(readPcap(t, pr[0]), readPcap(t, pr[1]), DefaultNATPairConfig())
			if rep.MatchedSessions != 0 {
				t.Errorf("matched %d sessions", rep.MatchedSessions)
			}
			if len(rep.Pairs) == 0 {
				t.Fatal("no negotiations reported")
			}
			for _, p := range rep.Pairs {
				if p.Verdict != NATUnmatched {
					t.Errorf("%s: %s, want unmatched", p.Negotiation, p.Verdict)
				}
			}
		})
	}
}

// TestNATPairGarbage: no panic on empty, damaged or random input.
func TestNATPairGarbage(t *testing.T) {
	rep := CompareNAT(nil, nil, NATPairConfig{})
	if len(rep.Pairs) != 0 {
		t.Errorf("pairs from nothing: %d", len(rep.Pairs))
	}
	ok := readPcap(t, "natpair-ok.inside.pcap")
	raw, err := os.ReadFile(filepath.Join("..", "testdata", "pcaps", "natpair-ok.outside.pcap"))
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewSource(1))
	for i := range 200 {
		b := slices.Clone(raw)
		switch i % 3 {
		case 0: // flip bytes after the file header
			for range 20 {
				b[24+rng.Intn(len(b)-24)] = byte(rng.Intn(256))
			}
		case 1: // truncate
			b = b[:rng.Intn(len(b))]
		default: // random payload
			rng.Read(b[24:])
		}
		src, err := decode.NewReaderSource("garbage", bytes.NewReader(b))
		if err != nil {
			continue
		}
		side := readNATSide("garbage", src)
		src.Close()
		rep := CompareNAT(ok, side, DefaultNATPairConfig())
		if _, err := json.Marshal(rep); err != nil {
			t.Fatal(err)
		}
	}
}

func TestNATPairMatches(t *testing.T) {
	rep := &NATPairReport{Pairs: []*NATPair{{Verdict: NATRewrittenOK}, {Verdict: NATRewrittenWrong}, {Verdict: NATNotRewritten},
		{Verdict: NATNotNeeded}, {Verdict: NATUnmatched}}}
	tests := []struct {
		cats []string
		want int
	}{
		{nil, 0}, {[]string{"nat"}, 2}, {[]string{"any"}, 2}, {[]string{"dropped", "helper"}, 0},
	}
	for _, tc := range tests {
		if got := len(rep.Matches(tc.cats)); got != tc.want {
			t.Errorf("Matches(%v) = %d, want %d", tc.cats, got, tc.want)
		}
	}
}

// TestReadNATSideReassembly: a line split over segments, retransmitted and
// reordered is one line at the sequence number of its first byte (the
// tracker's reassembly and line positions, through its records).
func TestReadNATSideReassembly(t *testing.T) {
	c := synth.New(synth.Options{Seed: 7})
	f := c.FTP(netip.MustParseAddrPort("10.1.0.5:40001"), netip.MustParseAddrPort("192.0.2.21:21"))
	f.Handshake()
	f.Reply("220 hi")
	segs := f.Cmd("PORT 10,1,0,5,156,164", synth.SplitAt(4, 12), synth.Retransmit(1), synth.Swap(1, 2))
	f.Reply("200 ok")
	side := natSideOf(t, "x", c)
	if len(side.Conns) != 1 {
		t.Fatalf("%d conns", len(side.Conns))
	}
	var got []string
	for _, l := range side.Conns[0].Lines {
		got = append(got, l.Text)
		if l.Text == "PORT 10,1,0,5,156,164" && l.Seq != segs[0].Seq {
			t.Errorf("PORT at seq %d, want %d", l.Seq, segs[0].Seq)
		}
	}
	want := []string{"220 hi", "PORT 10,1,0,5,156,164", "200 ok"}
	if !slices.Equal(got, want) {
		t.Errorf("lines %q, want %q", got, want)
	}
}

// TestNATCollectorBound: the lines kept over all sessions are bounded; the
// sessions beyond the bound are left out and said so.
func TestNATCollectorBound(t *testing.T) {
	col := NewNATCollector("big")
	col.MaxLines = 10
	t0 := time.Unix(1e9, 0)
	for i := range 5 {
		s := &session.Session{ID: uint64(i + 1), Client: netip.MustParseAddrPort("10.1.0.5:4000"), Server: netip.MustParseAddrPort("192.0.2.21:21"), Start: t0}
		for j := range 4 {
			s.Events = append(s.Events, session.ControlEvent{Time: t0.Add(time.Duration(j) * time.Second), FromClient: j%2 == 0, Line: "NOOP"})
		}
		if err := col.Session(s); err != nil {
			t.Fatal(err)
		}
	}
	side := col.Side()
	if len(side.Conns) != 2 || len(side.Notes) != 1 || len(side.Damaged) != 0 {
		t.Errorf("%d sessions kept, notes %v; want 2 and one note", len(side.Conns), side.Notes)
	}
}
