package output

import (
	"bytes"
	"encoding/json"
	"io"
	"math/rand/v2"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/ftpsniff/ftpsniff/session"
	"github.com/ftpsniff/ftpsniff/session/ftp"
)

// marshal is what encoding/json writes for v (HTML escaping off).
func marshal(t *testing.T, v any) []byte {
	t.Helper()
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n"))
}

// TestHandEncoderMatchesEncodingJSON checks the direct encoders byte for
// byte against encoding/json of the schema structs on every fixture record.
func TestHandEncoderMatchesEncodingJSON(t *testing.T) {
	for _, r := range []run{sampleRun(), multiDayRun()} {
		for _, s := range r.sessions {
			for _, x := range r.transfers[s.ID] {
				if got, want := new(jsonEnc).transfer(nil, x), marshal(t, NewJSONTransfer(x)); !bytes.Equal(got, want) {
					t.Errorf("transfer %d:\n got %s\nwant %s", x.ID, got, want)
				}
			}
			got, err := new(jsonEnc).session(nil, s)
			if err != nil {
				t.Fatal(err)
			}
			if want := marshal(t, NewJSONSession(s)); !bytes.Equal(got, want) {
				t.Errorf("session %d:\n got %s\nwant %s", s.ID, got, want)
			}
		}
	}
}

// awkward are captured texts that stress the string encoder: quotes,
// backslashes, control characters, multi-line replies, HTML characters,
// invalid UTF-8, U+2028/U+2029 and non-ASCII.
var awkward = []string{
	"", "plain", `say "hi" \ back\slash`, "multi\nline\r\nreply", "tab\tnul\x00esc\x1b[31m\x7f",
	"<a href=x>&amp;</a>", "bad \xff\xfe\xc3 utf8", "line\u2028sep\u2029end", "\b\f\v",
	"é ü 中文 🙂", "230-Welcome\n230-\"quoted\"\n230 done", strings.Repeat("long ", 300),
}

// genTransfer builds a transfer from r with every optional part present or
// absent at random.
func genTransfer(r *rand.Rand, id uint64) *session.Transfer {
	pick := func(ss []string) string { return ss[r.IntN(len(ss))] }
	tm := func() time.Time {
		switch r.IntN(5) {
		case 0:
			return time.Time{}
		case 1:
			return time.Date(1999+r.IntN(40), time.Month(1+r.IntN(12)), 1+r.IntN(28), r.IntN(24), r.IntN(60), r.IntN(60), r.IntN(1e9), time.UTC)
		case 2:
			return t0.Add(time.Duration(r.Int64N(1e12))).In(time.FixedZone("x", 3600*(r.IntN(25)-12)))
		}
		return t0.Add(time.Duration(r.Int64N(1e13)) * time.Microsecond / 1000)
	}
	ep := func() netip.AddrPort {
		switch r.IntN(6) {
		case 0:
			return netip.AddrPort{}
		case 1:
			var a [16]byte
			for i := range a {
				a[i] = byte(r.IntN(256))
			}
			return netip.AddrPortFrom(netip.AddrFrom16(a), uint16(r.IntN(65536)))
		case 2:
			return netip.AddrPortFrom(netip.MustParseAddr("fe80::1%eth0"), 21)
		case 3:
			return netip.AddrPortFrom(netip.MustParseAddr("::ffff:192.0.2.7"), uint16(r.IntN(65536)))
		}
		return netip.AddrPortFrom(netip.AddrFrom4([4]byte{byte(r.IntN(256)), byte(r.IntN(256)), byte(r.IntN(256)), byte(r.IntN(256))}), uint16(r.IntN(65536)))
	}
	reply := func() session.Reply {
		return session.Reply{Time: tm(), Code: r.IntN(700) - 50, Text: pick(awkward)}
	}
	verdicts := append([]session.Verdict{"", "strange<verdict>"}, session.Verdicts...)
	x := &session.Transfer{
		ID: id, SessionID: r.Uint64N(1 << 40), Client: ep(), Server: ep(),
		Mode:            session.Mode(pick([]string{"active", "passive", "", "we\"ird"})),
		Negotiation:     session.Negotiation(pick([]string{"PORT", "PASV", "EPRT", "EPSV", "LPRT", "LPSV", "hidden", ""})),
		NegotiationLine: pick(awkward), Endpoint: ep(), Time: tm(),
		Command: pick([]string{"", "RETR", "LIST", "stor"}), CommandArg: pick(awkward), CommandTime: tm(),
		Verdict: verdicts[r.IntN(len(verdicts))], Reason: pick(awkward),
		Attempts: r.IntN(5) - 1, Decided: tm(),
	}
	if r.IntN(3) > 0 {
		rep := reply()
		x.NegotiationReply = &rep
	}
	switch r.IntN(3) {
	case 0: // nil replies
	case 1:
		x.Replies = []session.Reply{}
	default:
		for range 1 + r.IntN(3) {
			x.Replies = append(x.Replies, reply())
		}
	}
	switch r.IntN(3) {
	case 0: // nil flags
	case 1:
		x.Notes = ftp.Notes(r.Uint32())
	default:
		for range 1 + r.IntN(4) {
			x.Flags.Add(session.Flag(r.IntN(session.FlagCount)))
		}
	}
	if r.IntN(4) > 0 {
		d := &session.DataConn{
			Connector: ep(), Listener: ep(), SYNs: r.IntN(10), FirstSYN: tm(), LastSYN: tm(), SYNACK: tm(),
			Established: r.IntN(2) == 0, BytesToListener: r.Uint64(), BytesToConnector: r.Uint64N(1 << 33),
			LastSeen: tm(), Closed: r.IntN(2) == 0,
		}
		if r.IntN(2) == 0 {
			d.RST = &session.RSTInfo{Time: tm(), FromListener: r.IntN(2) == 0, BeforeEstablished: r.IntN(2) == 0, TTL: uint8(r.IntN(256))}
		}
		if r.IntN(2) == 0 {
			from := ep().Addr()
			d.ICMP = &session.ICMPInfo{Time: tm(), From: from, V6: from.Is6(), Type: uint8(r.IntN(256)), Code: uint8(r.IntN(256)), TTL: uint8(r.IntN(256))}
		}
		x.Data = d
	}
	if r.IntN(2) == 0 {
		x.Wire = &session.WireInfo{AtSegmentStart: r.IntN(2) == 0, OneSegment: r.IntN(2) == 0, LFOnly: r.IntN(2) == 0}
	}
	return x
}

// genSession builds a session from r, optional parts present or absent.
func genSession(r *rand.Rand, id uint64) *session.Session {
	x := genTransfer(r, id) // reuse its random endpoints, times and texts
	s := &session.Session{
		ID: id, Client: x.Client, Server: x.Server, Start: x.Time, End: x.Decided,
		Greeting: x.Reason, System: x.NegotiationLine, User: x.CommandArg, Password: "****",
		TLS: r.IntN(2) == 0, Gaps: r.IntN(3), GapBytes: r.Int64N(1 << 40), MidStream: r.IntN(2) == 0,
		DetectedBy: session.Detection(x.Command), Commands: r.IntN(1000), Replies: r.IntN(1000),
		Flags: x.Flags, Closed: session.CloseReason(x.Mode),
	}
	if r.IntN(3) == 0 {
		s.Verdict, s.Reason = x.Verdict, x.Reason
	}
	if r.IntN(3) > 0 {
		s.Anomalies = []string{}
		for range r.IntN(3) {
			s.Anomalies = append(s.Anomalies, awkward[r.IntN(len(awkward))])
		}
	}
	switch r.IntN(4) {
	case 0: // nil map
	case 1:
		s.Verdicts = map[session.Verdict]int{}
	case 2:
		s.Verdicts = map[session.Verdict]int{session.OK: r.IntN(9), session.Dropped: r.IntN(9), session.Unknown: 0}
	default: // verdicts outside session.Verdicts go through MarshalJSON
		s.Verdicts = map[session.Verdict]int{session.Reset: 2, "zz<&>": 1, "aa": 3}
	}
	return s
}

// TestDirectEncoderMatchesSchema compares the direct encoders with
// encoding/json of NewJSONTransfer and NewJSONSession on generated records
// covering every optional field present and absent, flags, awkward text,
// IPv6 (with zones and v4-mapped), zero and non-UTC times, RST and ICMP.
func TestDirectEncoderMatchesSchema(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	var buf []byte
	var e jsonEnc // shared, as in the writer, so that its date cache is exercised
	for i := range 20000 {
		x := genTransfer(r, uint64(i))
		buf = e.transfer(buf[:0], x)
		if want := marshal(t, NewJSONTransfer(x)); !bytes.Equal(buf, want) {
			t.Fatalf("transfer %d:\n got %s\nwant %s", i, buf, want)
		}
		s := genSession(r, uint64(i))
		var err error
		if buf, err = e.session(buf[:0], s); err != nil {
			t.Fatal(err)
		}
		if want := marshal(t, NewJSONSession(s)); !bytes.Equal(buf, want) {
			t.Fatalf("session %d:\n got %s\nwant %s", i, buf, want)
		}
	}
}

// TestJSONWriterZeroAllocs checks that writing a transfer or a session line
// does not allocate once the writer's buffer has grown.
func TestJSONWriterZeroAllocs(t *testing.T) {
	r := sampleRun()
	w := NewJSON(io.Discard)
	tr, s := r.transfers[1][0], r.sessions[0]
	if n := testing.AllocsPerRun(100, func() { _ = w.Transfer(tr) }); n != 0 {
		t.Errorf("Transfer: %v allocations per line", n)
	}
	if n := testing.AllocsPerRun(100, func() { _ = w.Session(s) }); n != 0 {
		t.Errorf("Session: %v allocations per line", n)
	}
}

// BenchmarkJSONTransfer measures one transfer line (the fixture's dropped
// PORT transfer: replies, data connection, about 1 KB).
func BenchmarkJSONTransfer(b *testing.B) {
	tr := sampleRun().transfers[1][0]
	w := NewJSON(io.Discard)
	b.ReportAllocs()
	for b.Loop() {
		if err := w.Transfer(tr); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkJSONTransferSchema is the former path, for comparison: the
// schema struct, then its encoding.
func BenchmarkJSONTransferSchema(b *testing.B) {
	tr := sampleRun().transfers[1][0]
	enc := json.NewEncoder(io.Discard)
	enc.SetEscapeHTML(false)
	b.ReportAllocs()
	for b.Loop() {
		if err := enc.Encode(NewJSONTransfer(tr)); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkJSONSession measures one session line.
func BenchmarkJSONSession(b *testing.B) {
	s := sampleRun().sessions[0]
	w := NewJSON(io.Discard)
	b.ReportAllocs()
	for b.Loop() {
		if err := w.Session(s); err != nil {
			b.Fatal(err)
		}
	}
}

func TestAppendJSONString(t *testing.T) {
	for _, s := range []string{"", "plain", `q"b\s`, "tab\tnl\ncr\r\x00\x01\x1f\x7f", "<html>&", "é ü 中", "bad \xff\xfe utf8", "line\u2028sep\u2029", "\b\f"} {
		if got, want := appendJSONString(nil, s), marshal(t, s); !bytes.Equal(got, want) {
			t.Errorf("%q: got %s want %s", s, got, want)
		}
	}
}

func TestAppendJSONFloatAndTime(t *testing.T) {
	for _, f := range []float64{0, 1, 8.00006, 6.685, 1e-7, 123456789.123, 1e21, 0.000001} {
		if got, want := appendJSONFloat(nil, f), marshal(t, f); !bytes.Equal(got, want) {
			t.Errorf("%v: got %s want %s", f, got, want)
		}
	}
	for _, tm := range []time.Time{t0, t0.Add(123456789), time.Date(2001, 2, 3, 4, 5, 6, 7, time.FixedZone("x", 3600))} {
		if got, want := string(appendJSONTime(nil, tm)), tm.UTC().Format(LayoutJSON); got != want {
			t.Errorf("got %s want %s", got, want)
		}
	}
}

// TestAppendJSONTimeFastPath compares the arithmetic formatter with the
// time package's calendar over the range it handles, its edges and leap
// days; times outside it take the former path.
func TestAppendJSONTimeFastPath(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	times := []time.Time{
		time.Unix(0, 0), time.Unix(maxFastUnix-1, 999999999), time.Unix(maxFastUnix, 0), time.Unix(-1, 5),
		time.Date(2000, 2, 29, 23, 59, 59, 1, time.UTC), time.Date(2100, 3, 1, 0, 0, 0, 0, time.UTC),
		time.Date(2024, 12, 31, 23, 59, 59, 999999999, time.UTC), time.Date(1969, 12, 31, 23, 0, 0, 0, time.UTC),
	}
	for range 100000 {
		times = append(times, time.Unix(r.Int64N(maxFastUnix), r.Int64N(1e9)))
	}
	near := t0
	for range 100000 { // mostly the same day, as within a capture
		near = near.Add(time.Duration(r.Int64N(int64(2 * time.Hour))))
		times = append(times, near)
	}
	var e jsonEnc // its date cache carries over from one time to the next
	for _, tm := range times {
		want := string(appendJSONTimeSlow(nil, tm))
		if got := string(appendJSONTime(nil, tm)); got != want {
			t.Fatalf("%v: got %s want %s", tm, got, want)
		}
		if got := string(e.time(nil, tm)); got != want {
			t.Fatalf("%v with cached date: got %s want %s", tm, got, want)
		}
	}
}

// TestHasSpecial checks the eight-byte scan against a byte-by-byte test.
func TestHasSpecial(t *testing.T) {
	naive := func(x uint64) bool {
		for i := 0; i < 8; i++ {
			c := byte(x >> (8 * i))
			if c < 0x20 || c >= 0x80 || c == '"' || c == '\\' {
				return true
			}
		}
		return false
	}
	r := rand.New(rand.NewPCG(5, 6))
	var x uint64
	for i := range 2000000 {
		switch i % 3 {
		case 0:
			x = r.Uint64()
		case 1: // printable ASCII with one byte from the edges
			x = 0
			for j := 0; j < 8; j++ {
				x |= uint64(0x20+r.IntN(0x5f)) << (8 * j)
			}
		default:
			edges := []byte{0, 0x1f, 0x20, 0x21, '"', '\\', 0x5b, 0x5d, 0x7e, 0x7f, 0x80, 0xff}
			x = x&^(0xff<<(8*(i%8))) | uint64(edges[r.IntN(len(edges))])<<(8*(i%8))
		}
		if got, want := hasSpecial(x), naive(x); got != want {
			t.Fatalf("hasSpecial(%#016x) = %v, want %v", x, got, want)
		}
	}
}
