package ftp

import (
	"bytes"
	"reflect"
	"strings"
	"testing"
)

type gotLine struct {
	Line  string
	Flags LineFlags
}

// feedAll feeds the chunks, then flushes when flush is set.
func feedAll(s *LineSplitter, chunks [][]byte, flush bool) []gotLine {
	var out []gotLine
	emit := func(l []byte, f LineFlags) { out = append(out, gotLine{string(l), f}) }
	for _, c := range chunks {
		s.Feed(c, emit)
	}
	if flush {
		s.Flush(emit)
	}
	return out
}

func TestLineSplitter(t *testing.T) {
	long := strings.Repeat("A", 20)
	tests := []struct {
		name   string
		max    int
		chunks []string
		flush  bool
		want   []gotLine
	}{
		{"crlf", 0, []string{"USER a\r\nPASS b\r\n"}, false, []gotLine{{"USER a", 0}, {"PASS b", 0}}},
		{"two commands one segment (case 2)", 0, []string{"TYPE I\r\nPASV\r\n"}, false, []gotLine{{"TYPE I", 0}, {"PASV", 0}}},
		{"two replies one segment (case 2)", 0, []string{"200 ok\r\n227 Entering Passive Mode (1,2,3,4,5,6)\r\n"}, false,
			[]gotLine{{"200 ok", 0}, {"227 Entering Passive Mode (1,2,3,4,5,6)", 0}}},
		{"split command (case 1)", 0, []string{"PORT 198,51,100,5,", "156,77\r\n"}, false, []gotLine{{"PORT 198,51,100,5,156,77", 0}}},
		{"CR and LF split", 0, []string{"NOOP\r", "\nQUIT\r\n"}, false, []gotLine{{"NOOP", 0}, {"QUIT", 0}}},
		{"LF only (case 3)", 0, []string{"PORT 1,2,3,4,5,6\nPASV\r\n"}, false, []gotLine{{"PORT 1,2,3,4,5,6", FlagLFOnly}, {"PASV", 0}}},
		{"empty lines", 0, []string{"\r\n\n"}, false, []gotLine{{"", 0}, {"", FlagLFOnly}}},
		{"bare CR is data", 0, []string{"A\rB\r\n"}, false, []gotLine{{"A\rB", FlagNUL}}},
		{"double CR", 0, []string{"A\r\r\n"}, false, []gotLine{{"A\r", FlagNUL}}},
		{"NUL", 0, []string{"US\x00ER\r\n"}, false, []gotLine{{"US\x00ER", FlagNUL}}},
		{"tab is not control", 0, []string{"SITE\tx\r\n"}, false, []gotLine{{"SITE\tx", 0}}},
		{"high bytes kept", 0, []string{"CWD \xc3\xa9\r\n"}, false, []gotLine{{"CWD \xc3\xa9", 0}}},
		{"overlong (case 6)", 10, []string{long + "\r\nNOOP\r\n"}, false, []gotLine{{long[:10], FlagOverlong}, {"NOOP", 0}}},
		{"overlong split", 10, []string{long[:7], long[7:15], long[15:] + "\n"}, false, []gotLine{{long[:10], FlagOverlong | FlagLFOnly}}},
		{"exactly max with CRLF", 4, []string{"NOOP\r\n"}, false, []gotLine{{"NOOP", 0}}},
		{"max+1", 4, []string{"NOOPX\r\n"}, false, []gotLine{{"NOOP", FlagOverlong}}},
		{"overlong via slow path", 3, []string{"AB\x01CD\r\n"}, false, []gotLine{{"AB\x01", FlagOverlong | FlagNUL}}},
		{"IAC IAC (case 7)", 0, []string{"CWD \xff\xffx\r\n"}, false, []gotLine{{"CWD \xffx", FlagTelnet}}},
		{"IAC WILL x", 0, []string{"NO\xff\xfb\x01OP\r\n"}, false, []gotLine{{"NOOP", FlagTelnet}}},
		{"IAC DONT LF option", 0, []string{"NO\xff\xfe\nOP\r\n"}, false, []gotLine{{"NOOP", FlagTelnet}}},
		{"IAC IP (other)", 0, []string{"\xff\xf4\xff\xf2ABOR\r\n"}, false, []gotLine{{"ABOR", FlagTelnet}}},
		{"IAC split across feeds", 0, []string{"AB", "\xff", "\xfd", "\x18", "OR\r\n"}, false, []gotLine{{"ABOR", FlagTelnet}}},
		{"IAC IAC split", 0, []string{"A\xff", "\xffB\r\n"}, false, []gotLine{{"A\xffB", FlagTelnet}}},
		{"half line at close (case 8)", 0, []string{"QUIT\r\nRETR fi"}, true, []gotLine{{"QUIT", 0}, {"RETR fi", FlagPartial}}},
		{"trailing CR at close", 0, []string{"QUIT\r"}, true, []gotLine{{"QUIT\r", FlagPartial | FlagNUL}}},
		{"nothing at close", 0, []string{"QUIT\r\n"}, true, []gotLine{{"QUIT", 0}}},
		{"IAC only at close", 0, []string{"\xff\xfb"}, true, nil},
		{"overlong partial at close", 3, []string{"ABCDEF"}, true, []gotLine{{"ABC", FlagOverlong | FlagPartial}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var chunks [][]byte
			for _, c := range tt.chunks {
				chunks = append(chunks, []byte(c))
			}
			got := feedAll(NewLineSplitter(tt.max), chunks, tt.flush)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %q, want %q", got, tt.want)
			}
			// The same bytes fed one at a time must give the same lines.
			all := bytes.Join(chunks, nil)
			var single [][]byte
			for i := range all {
				single = append(single, all[i:i+1])
			}
			got1 := feedAll(NewLineSplitter(tt.max), single, tt.flush)
			if !reflect.DeepEqual(got1, tt.want) {
				t.Errorf("byte-at-a-time: got %q, want %q", got1, tt.want)
			}
		})
	}
}

// TestLineSplitterEverySplit splits a stream at every byte position (case 1).
func TestLineSplitterEverySplit(t *testing.T) {
	streams := []string{
		"PORT 198,51,100,5,156,77\r\nTYPE I\r\nPASV\r\n",
		"227-listen\r\n227 (1,2,3,4,5,6)\r\n",
		"NO\xff\xfb\x01OP\r\nCWD \xff\xffx\n",
	}
	for _, st := range streams {
		want := feedAll(NewLineSplitter(0), [][]byte{[]byte(st)}, true)
		for i := 0; i <= len(st); i++ {
			got := feedAll(NewLineSplitter(0), [][]byte{[]byte(st[:i]), []byte(st[i:])}, true)
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("%q split at %d: got %q, want %q", st, i, got, want)
			}
		}
	}
}

func TestLineSplitterGap(t *testing.T) {
	s := NewLineSplitter(0)
	var out []gotLine
	emit := func(l []byte, f LineFlags) { out = append(out, gotLine{string(l), f}) }
	s.Feed([]byte("USER a\r\nPASS sec"), emit)
	if got := s.Buffered(); got != 8 {
		t.Errorf("Buffered = %d, want 8", got)
	}
	s.Gap()
	if got := s.Buffered(); got != 0 {
		t.Errorf("Buffered after Gap = %d, want 0", got)
	}
	s.Feed([]byte("ret\r\nNOOP\r\n"), emit)
	want := []gotLine{{"USER a", 0}, {"ret", FlagAfterGap}, {"NOOP", 0}}
	if !reflect.DeepEqual(out, want) {
		t.Errorf("got %q, want %q", out, want)
	}
}

func TestLineSplitterBounded(t *testing.T) {
	s := NewLineSplitter(64)
	big := bytes.Repeat([]byte("x"), 1<<16)
	s.Feed(big, func([]byte, LineFlags) {})
	if s.Buffered() != 64 || cap(s.buf) > 256 {
		t.Errorf("Buffered = %d cap = %d, want 64 and small cap", s.Buffered(), cap(s.buf))
	}
}

func TestLineFlagsStrings(t *testing.T) {
	f := FlagLFOnly | FlagTelnet | FlagNUL
	if got, want := f.String(), "lf-only,telnet,nul"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	if LineFlags(0).Strings() != nil {
		t.Error("zero flags should give nil")
	}
}

func BenchmarkLineSplitter(b *testing.B) {
	stream := []byte(strings.Repeat("USER anonymous\r\nPASS guest@\r\nTYPE I\r\nPORT 198,51,100,5,156,77\r\nRETR /pub/file.tar.gz\r\n", 32))
	s := NewLineSplitter(0)
	n := 0
	emit := func(l []byte, f LineFlags) { n += len(l) }
	b.SetBytes(int64(len(stream)))
	b.ReportAllocs()
	for b.Loop() {
		s.Feed(stream, emit)
	}
	_ = n
}

// TestPlainRun checks the word-at-a-time scan against the byte loop for
// every byte value at every position of runs of several lengths.
func TestPlainRun(t *testing.T) {
	slow := func(b []byte) int {
		for i, c := range b {
			if c < 0x20 || c >= 0x7f {
				return i
			}
		}
		return len(b)
	}
	for n := 0; n <= 19; n++ {
		for pos := 0; pos < n; pos++ {
			for v := 0; v < 256; v++ {
				b := make([]byte, n)
				for i := range b {
					b[i] = byte('A' + i%26)
				}
				b[pos] = byte(v)
				if got, want := plainRun(b), slow(b); got != want {
					t.Fatalf("plainRun(%q) = %d, want %d", b, got, want)
				}
			}
		}
	}
}

// TestLineEnd: during emit, LineEnd is the raw offset after the line's
// terminator, Telnet bytes and CRs included.
func TestLineEnd(t *testing.T) {
	var s LineSplitter
	in := []byte("USER a\r\nNO\xff\xfbxOP\r\nPW")
	var ends []int
	s.Feed(in, func(line []byte, f LineFlags) { ends = append(ends, s.LineEnd()) })
	if len(ends) != 2 || ends[0] != 8 || ends[1] != 17 {
		t.Errorf("ends %v, want [8 17]", ends)
	}
	ends = nil
	s.Feed([]byte("D\nX"), func(line []byte, f LineFlags) { ends = append(ends, s.LineEnd()) })
	if len(ends) != 1 || ends[0] != 2 {
		t.Errorf("ends %v, want [2]", ends)
	}
}
