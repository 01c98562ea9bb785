package ftp

import (
	"net/netip"
	"strings"
	"testing"
)

func TestParse227(t *testing.T) {
	const p = "10.0.0.5:50000" // 195,80
	checkAddr(t, "Parse227", Parse227, []addrCase{
		{"227 Entering Passive Mode (10,0,0,5,195,80)", p, 0, "", ""},
		{"227 Entering Passive Mode (10,0,0,5,195,80).", p, 0, "", ""},
		{"Entering Passive Mode (10,0,0,5,195,80)", p, 0, "", ""},
		{"(10,0,0,5,195,80)", p, 0, "", ""},
		{"227 Entering Passive Mode (10,0,0,5,195,80)\r\n", p, 0, "", ""},
		{"227 Entering Passive Mode 10,0,0,5,195,80", p, Note227NoParens, "", ""},
		{"227 10,0,0,5,195,80", p, Note227NoParens, "", ""},
		{"10,0,0,5,195,80", p, Note227NoParens, "", ""},
		{"227 =10,0,0,5,195,80", p, Note227NoParens | Note227EqualsForm, "", ""},
		{"227 Entering Passive Mode v2 (10,0,0,5,195,80)", p, Note227DigitsBefore, "", ""},
		{"227 Entering Passive Mode (10, 0, 0, 5, 195, 80)", p, NoteSpacesAfterCommas, "", ""},
		{"227 Entering Passive Mode (10 , 0 ,0,5,195,80)", p, NoteSpacesBeforeCommas | NoteSpacesAfterCommas, "", ""},
		{"227 Entering Passive Mode ( 10,0,0,5,195,80 )", p, 0, "", ""},
		{"227-listen socket created\n227 Entering Passive Mode (10,0,0,5,195,80)", p, Note227Multiline, "", ""},
		{"227-listen socket created\r\n227 (10,0,0,5,195,80)\r\n", p, Note227Multiline, "", ""},
		{"227-port 21 open\n227 (10,0,0,5,195,80)", p, Note227Multiline | Note227DigitsBefore, "", ""},
		{"227 Passive (10,0,0,5,195,80,7)", p, 0, "", ""},
		{"227 (300,10,0,0,5,195,80)", p, Note227RejectedCandidate | Note227DigitsBefore | Note227NoParens, "", ""},
		{"227 (10,0,0,5,0,0) or (10,0,0,5,195,80)", p, Note227RejectedCandidate | Note227DigitsBefore, "", ""},
		{"227 Logout.", "", 0, "malformed", `227: no h1,h2,h3,h4,p1,p2 in "227 Logout."`},
		{"227 Entering Passive Mode (", "", 0, "malformed", ""},
		{"227 Entering Passive Mode (10,0,0,5,195)", "", 0, "malformed", ""},
		{"", "", 0, "malformed", ""},
		{"227 Entering Passive Mode (10,0,0,5,256,22)", "", NotePortByteGT255, "range", "227: port byte 256 out of range"},
		{"227 Entering Passive Mode (10,0,0,500,1,22)", "", NoteHostOctetGT255, "range", "227: octet 500 out of range"},
		{"227 Entering Passive Mode (10,0,0,5,0,0)", "", NotePortZero, "range", "227: port 0"},
		{"227 Entering Passive Mode (10,0,0,5,-1,80)", "", NoteNegativeNumber, "range", ""},
		{"227-a\n227 (10,0,0,5,256,22)", "", NotePortByteGT255 | Note227Multiline, "range", ""},
		{"227 Entering Passive Mode (10;0;0;5;195;80)", "", 0, "malformed", ""},
		{"227 10,0,0,5,\n195,80", "", Note227Multiline, "malformed", ""},
	})
}

func TestParse228(t *testing.T) {
	checkAddr(t, "Parse228", Parse228, []addrCase{
		{"228 Entering Long Passive Mode (4,4,132,235,1,2,2,24,131)", "132.235.1.2:6275", 0, "", ""},
		{"228 Entering Long Passive Mode (6,16,16,128,0,0,0,0,0,0,0,8,8,0,32,12,65,122,2,20,162)", "[1080::8:800:200c:417a]:5282", 0, "", ""},
		{"Entering Long Passive Mode (4, 4, 132, 235, 1, 2, 2, 24, 131).", "132.235.1.2:6275", NoteSpacesAfterCommas, "", ""},
		{"228 4,4,132,235,1,2,2,24,131", "132.235.1.2:6275", Note228NoParens, "", ""},
		{"228-long\n228 v1 (4,4,132,235,1,2,2,24,131)", "132.235.1.2:6275", Note228Multiline, "", ""},
		{"228 Entering Long Passive Mode (4,4,132,235,1,2,2,0,0)", "", NotePortZero, "range", ""},
		{"228 Entering Long Passive Mode (4,4,132,235,1,256,2,24,131)", "", NoteHostOctetGT255, "range", ""},
		{"228 Entering Long Passive Mode (4,16,132,235,1,2,2,24,131)", "", 0, "malformed", ""},
		{"228 Entering Long Passive Mode (4,4,132,235)", "", 0, "malformed", ""},
		{"228 Entering Long Passive Mode", "", 0, "malformed", ""},
		{"", "", 0, "malformed", ""},
	})
}

func TestParse229(t *testing.T) {
	tests := []struct {
		in    string
		port  uint16
		addr  string
		notes Notes
		kind  string
	}{
		{"229 Entering Extended Passive Mode (|||6446|)", 6446, "", 0, ""},
		{"Entering Extended Passive Mode (|||6446|)", 6446, "", 0, ""},
		{"229 Entering Extended Passive Mode (|||6446|).", 6446, "", 0, ""},
		{"229 Entering Extended Passive Mode (!!!6446!)", 6446, "", NoteOddDelimiter, ""},
		{"229 Entering Extended Passive Mode (###6446#)", 6446, "", NoteOddDelimiter, ""},
		{"229 Entering Extended Passive Mode (|||6446|", 6446, "", Note229MissingParen, ""},
		{"229 Entering Extended Passive Mode (|||6446|.", 6446, "", Note229MissingParen, ""},
		{"229 Entering Extended Passive Mode (|||65535|)", 65535, "", 0, ""},
		{"229 Entering Extended Passive Mode (|1|10.0.0.5|6446|)", 6446, "10.0.0.5", Note229WithAddress, ""},
		{"229 Entering Extended Passive Mode (|2|2001:db8::5|6446|)", 6446, "2001:db8::5", Note229WithAddress, ""},
		{"229 Entering Extended Passive Mode (||10.0.0.5|6446|)", 6446, "10.0.0.5", Note229WithAddress, ""},
		{"229 Entering Extended Passive Mode (|1||6446|)", 6446, "", Note229WithAddress, ""},
		{"229 Entering Extended Passive Mode (EPSV) (|||6446|)", 6446, "", 0, ""},
		{"229 (x) (|||0|) (!!!21!)", 21, "", NoteOddDelimiter, ""},
		{"229-EPSV\n229 Entering Extended Passive Mode (|||6446|)", 6446, "", Note229Multiline, ""},
		{"229 Entering Extended Passive Mode (|1|::1|6446|)", 0, "", Note229WithAddress, "malformed"},
		{"229 Entering Extended Passive Mode (|3||6446|)", 0, "", Note229WithAddress, "malformed"},
		{"229 Entering Extended Passive Mode (|||0|)", 0, "", NotePortZero, "range"},
		{"229 Entering Extended Passive Mode (|||65536|)", 0, "", 0, "range"},
		{"229 Entering Extended Passive Mode (|||-5|)", 0, "", NoteNegativeNumber, "range"},
		{"229 Entering Extended Passive Mode (|||abc|)", 0, "", 0, "malformed"},
		{"229 Entering Extended Passive Mode (||||)", 0, "", 0, "malformed"},
		{"229 Entering Extended Passive Mode (|||6446)", 0, "", 0, "malformed"},
		{"229 Entering Extended Passive Mode (|!|6446|)", 0, "", 0, "malformed"},
		{"229 Entering Extended Passive Mode (1116446)", 0, "", 0, "malformed"},
		{"229 Entering Extended Passive Mode ()", 0, "", 0, "malformed"},
		{"229 Entering Extended Passive Mode (", 0, "", 0, "malformed"},
		{"229 Entering Extended Passive Mode |||6446|", 0, "", 0, "malformed"},
		{"", 0, "", 0, "malformed"},
	}
	for _, tt := range tests {
		port, addr, notes, err := Parse229(tt.in)
		a := ""
		if addr.IsValid() {
			a = addr.String()
		}
		if port != tt.port || a != tt.addr || notes != tt.notes || kind(err) != tt.kind {
			t.Errorf("Parse229(%q) = %d, %q, %v, %v; want %d, %q, %v, %q", tt.in, port, a, notes, err, tt.port, tt.addr, tt.notes, tt.kind)
		}
	}
}

func TestParse227NoAlloc(t *testing.T) {
	const s = "227 Entering Passive Mode (10,0,0,5,195,80)."
	n := testing.AllocsPerRun(100, func() { Parse227(s) })
	if n != 0 {
		t.Errorf("Parse227 allocates %v times", n)
	}
	n = testing.AllocsPerRun(100, func() { ParsePORT("10,0,0,5,195,80") })
	if n != 0 {
		t.Errorf("ParsePORT allocates %v times", n)
	}
}

// TestAnchorsPipeline runs anchors.md cases 1, 2 and 10 end to end:
// split segments, two replies in one segment, multi-line 227.
func TestAnchorsPipeline(t *testing.T) {
	s := NewLineSplitter(0)
	var a ReplyAssembler
	var got []netip.AddrPort
	emit := func(l []byte, _ LineFlags) {
		r, done, err := a.Line(l)
		if err != nil || !done || r.Code != 227 {
			return
		}
		ap, _, err := Parse227(r.Text())
		if err == nil {
			got = append(got, ap)
		}
	}
	stream := "200 ok\r\n227 (1,2,3,4,5,6)\r\n227-listen socket created\r\n227 Entering Passive Mode (10,0,0,5,195,80)\r\n"
	for i := 0; i < len(stream); i += 5 {
		s.Feed([]byte(stream[i:min(i+5, len(stream))]), emit)
	}
	want := []netip.AddrPort{netip.MustParseAddrPort("1.2.3.4:1286"), netip.MustParseAddrPort("10.0.0.5:50000")}
	if len(got) != 2 || got[0] != want[0] || got[1] != want[1] {
		t.Errorf("got %v, want %v", got, want)
	}
}

func BenchmarkParse227(b *testing.B) {
	inputs := []string{
		"227 Entering Passive Mode (198,51,100,5,195,80).",
		"227 Entering Passive Mode v2 198,51,100,5,195,80",
		"227-listen socket created\n227 =198,51,100,5,195,80",
		strings.Repeat("x", 200) + " (198,51,100,5,195,80)",
	}
	b.ReportAllocs()
	for b.Loop() {
		for _, in := range inputs {
			if _, _, err := Parse227(in); err != nil {
				b.Fatal(err)
			}
		}
	}
}
