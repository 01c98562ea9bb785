package ftp

import (
	"bytes"
	"net/netip"
	"reflect"
	"testing"
)

func FuzzLineSplitter(f *testing.F) {
	seeds := []struct {
		data []byte
		cuts []byte
		max  uint16
	}{
		{[]byte("PORT 198,51,100,5,156,77\r\nTYPE I\r\nPASV\r\n"), []byte{18, 1, 3}, 0},
		{[]byte("NO\xff\xfb\x01OP\r\nCWD \xff\xffx\nhalf"), []byte{2, 1, 1, 1}, 8},
		{[]byte("A\rB\r\r\n\x00\n"), []byte{1, 1}, 2},
		{bytes.Repeat([]byte("x"), 300), []byte{7}, 16},
	}
	for _, s := range seeds {
		f.Add(s.data, s.cuts, s.max)
	}
	f.Fuzz(func(t *testing.T, data, cuts []byte, max uint16) {
		m := int(max % 512)
		whole := feedAll(NewLineSplitter(m), [][]byte{data}, true)
		var chunks [][]byte
		rest := data
		for i := 0; len(rest) > 0; i++ {
			n := len(rest)
			if len(cuts) > 0 {
				n = 1 + int(cuts[i%len(cuts)])%len(rest)
			}
			chunks = append(chunks, rest[:n])
			rest = rest[n:]
		}
		s := NewLineSplitter(m)
		var got []gotLine
		emit := func(l []byte, fl LineFlags) { got = append(got, gotLine{string(l), fl}) }
		limit := m
		if limit <= 0 {
			limit = DefaultMaxLine
		}
		for _, c := range chunks {
			s.Feed(c, emit)
			if s.Buffered() > limit+1 {
				t.Fatalf("Buffered %d > max %d+1", s.Buffered(), limit)
			}
		}
		s.Flush(emit)
		if !reflect.DeepEqual(got, whole) {
			t.Fatalf("chunked %q != whole %q", got, whole)
		}
		for _, l := range got {
			if len(l.Line) > limit {
				t.Fatalf("line of %d bytes > max %d", len(l.Line), limit)
			}
		}
	})
}

func FuzzParseCommand(f *testing.F) {
	for _, s := range []string{"USER anonymous", "port 1,2,3,4,5,6", "  RETR  a b  ", "XCWD\t/", "CD x", "", "RETRX", "\xffUSER"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		c, ok := ParseCommand(line)
		if !ok {
			if c != (Command{}) {
				t.Fatalf("not ok but %+v", c)
			}
			return
		}
		if len(c.Verb) < 3 || len(c.Verb) > MaxVerbLen {
			t.Fatalf("verb %q length", c.Verb)
		}
		for i := 0; i < len(c.Verb); i++ {
			if c.Verb[i] < 'A' || c.Verb[i] > 'Z' {
				t.Fatalf("verb %q not upper-case letters", c.Verb)
			}
		}
		if c.Arg != "" && (isSpace(c.Arg[0]) || isSpace(c.Arg[len(c.Arg)-1])) {
			t.Fatalf("arg %q not trimmed", c.Arg)
		}
	})
}

func FuzzReplyAssembler(f *testing.F) {
	for _, s := range []string{
		"220 hi\n230-a\n230 b\n",
		"123-First line\nSecond line\n  234 A line beginning with numbers\n123 The last line\n",
		"230-x\n226 Transfer complete\n",
		"xx\n099 a\n220x\n227-l\n227 (1,2,3,4,5,6)\n",
	} {
		f.Add([]byte(s), uint8(3))
	}
	f.Fuzz(func(t *testing.T, data []byte, max uint8) {
		a := ReplyAssembler{MaxLines: int(max % 16)}
		limit := a.MaxLines
		if limit <= 0 {
			limit = DefaultMaxReplyLines
		}
		for _, l := range bytes.Split(data, []byte("\n")) {
			r, done, err := a.Line(l)
			if err != nil && (done || a.Open()) {
				t.Fatalf("error %v with done=%v open=%v", err, done, a.Open())
			}
			if !done {
				continue
			}
			if r.Code < 100 || r.Code > 599 || r.EndCode < 100 || r.EndCode > 999 {
				t.Fatalf("bad codes %d/%d", r.Code, r.EndCode)
			}
			if len(r.Lines) == 0 || len(r.Lines) > limit {
				t.Fatalf("%d lines, limit %d", len(r.Lines), limit)
			}
			if r.Broken && (!r.Multiline || r.EndCode == r.Code) {
				t.Fatalf("inconsistent broken reply %+v", r)
			}
			if r.Truncated != (r.DroppedLines > 0) {
				t.Fatalf("truncated flag %v with %d dropped", r.Truncated, r.DroppedLines)
			}
		}
	})
}

// checkAP verifies the common properties of a successful parse.
func checkAP(t *testing.T, ap netip.AddrPort, err error) bool {
	t.Helper()
	if err != nil {
		if ap.IsValid() {
			t.Fatalf("valid %v with error %v", ap, err)
		}
		return false
	}
	if !ap.Addr().IsValid() || ap.Port() == 0 || ap.Addr().Zone() != "" {
		t.Fatalf("bad result %v", ap)
	}
	return true
}

func FuzzParsePORT(f *testing.F) {
	for _, s := range []string{"198,51,100,5,156,77", "10, 0, 0, 1, 4, 1", "1,2,3,4,256,22", "-1,2,3,4,5,6", "1,2,3,4,0,0", "1,2,3,4,5,6x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ap, _, err := ParsePORT(s)
		if !checkAP(t, ap, err) {
			return
		}
		if !ap.Addr().Is4() {
			t.Fatalf("not IPv4: %v", ap)
		}
		back, _, err := ParsePORT(FormatPORT(ap))
		if err != nil || back != ap {
			t.Fatalf("round trip %v -> %q -> %v, %v", ap, FormatPORT(ap), back, err)
		}
	})
}

func FuzzParseEPRT(f *testing.F) {
	for _, s := range []string{"|1|132.235.1.2|6275|", "|2|1080::8:800:200C:417A|5282|", "!1!1.2.3.4!21!", "|1|::1|21|", "|1|1.2.3.4|65536|", "|1|1.2.3.4|21"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ap, _, err := ParseEPRT(s)
		if !checkAP(t, ap, err) {
			return
		}
		back, _, err := ParseEPRT(FormatEPRT(ap))
		if err != nil || back != ap {
			t.Fatalf("round trip %v -> %q -> %v, %v", ap, FormatEPRT(ap), back, err)
		}
	})
}

func FuzzParseLPRT(f *testing.F) {
	for _, s := range []string{"4,4,132,235,1,2,2,24,131", "6,16,16,128,0,0,0,0,0,0,0,8,8,0,32,12,65,122,2,20,162", "4,16,1,2,3,4,2,0,1", "4,4,1,2,3,4,2,0,0"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ap, _, err := ParseLPRT(s)
		if !checkAP(t, ap, err) {
			return
		}
		back, _, err := ParseLPRT(FormatLPRT(ap))
		if err != nil || back != ap {
			t.Fatalf("round trip %v -> %q -> %v, %v", ap, FormatLPRT(ap), back, err)
		}
	})
}

func FuzzParse227(f *testing.F) {
	for _, s := range []string{
		"227 Entering Passive Mode (10,0,0,5,195,80).",
		"227 =10,0,0,5,195,80",
		"227 Entering Passive Mode v2 (10, 0, 0, 5, 195, 80)",
		"227-listen socket created\n227 (10,0,0,5,195,80)",
		"227 Logout.",
		"227 (10,0,0,5,256,22)",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ap, _, err := Parse227(s)
		if !checkAP(t, ap, err) {
			return
		}
		if !ap.Addr().Is4() {
			t.Fatalf("not IPv4: %v", ap)
		}
		back, _, err := Parse227("227 Entering Passive Mode (" + FormatPORT(ap) + ")")
		if err != nil || back != ap {
			t.Fatalf("round trip %v -> %v, %v", ap, back, err)
		}
	})
}

func FuzzParse229(f *testing.F) {
	for _, s := range []string{
		"229 Entering Extended Passive Mode (|||6446|)",
		"229 Entering Extended Passive Mode (!!!6446!).",
		"229 Entering Extended Passive Mode (|||6446|",
		"229 Entering Extended Passive Mode (|1|10.0.0.5|6446|)",
		"229 Entering Extended Passive Mode (|2|::1|6446|)",
		"229 Entering Extended Passive Mode (|||65536|)",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		port, addr, notes, err := Parse229(s)
		if err != nil {
			if port != 0 || addr.IsValid() {
				t.Fatalf("result %d %v with error %v", port, addr, err)
			}
			return
		}
		if port == 0 {
			t.Fatal("port 0 accepted")
		}
		if addr.IsValid() && (addr.Zone() != "" || !notes.Has(Note229WithAddress)) {
			t.Fatalf("bad address %v notes %v", addr, notes)
		}
	})
}

func FuzzParse228(f *testing.F) {
	for _, s := range []string{
		"228 Entering Long Passive Mode (4,4,132,235,1,2,2,24,131)",
		"228 Entering Long Passive Mode (6,16,16,128,0,0,0,0,0,0,0,8,8,0,32,12,65,122,2,20,162)",
		"228 4,4,1,2,3,4,2,0,0",
		"228 (4,16,1,2,3,4,2,0,1)",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ap, _, err := Parse228(s)
		if !checkAP(t, ap, err) {
			return
		}
		back, _, err := ParseLPRT(FormatLPRT(ap))
		if err != nil || back != ap {
			t.Fatalf("round trip %v -> %q -> %v, %v", ap, FormatLPRT(ap), back, err)
		}
	})
}
