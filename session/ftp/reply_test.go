package ftp

import (
	"errors"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

type replyOut struct {
	Reply Reply
	Err   string
}

func runReplies(a *ReplyAssembler, lines []string) []replyOut {
	var out []replyOut
	for _, l := range lines {
		r, done, err := a.Line([]byte(l))
		if err != nil {
			out = append(out, replyOut{Err: err.Error()})
			continue
		}
		if done {
			out = append(out, replyOut{Reply: r})
		}
	}
	return out
}

func TestReplyAssembler(t *testing.T) {
	tests := []struct {
		name  string
		lines []string
		want  []replyOut
		open  bool
	}{
		{"single", []string{"220 Welcome"}, []replyOut{{Reply: Reply{Code: 220, Lines: []string{"220 Welcome"}, EndCode: 220}}}, false},
		{"two replies (case 2)", []string{"200 ok", "227 Entering Passive Mode (1,2,3,4,5,6)"}, []replyOut{
			{Reply: Reply{Code: 200, Lines: []string{"200 ok"}, EndCode: 200}},
			{Reply: Reply{Code: 227, Lines: []string{"227 Entering Passive Mode (1,2,3,4,5,6)"}, EndCode: 227}},
		}, false},
		{"bare code", []string{"200"}, []replyOut{{Reply: Reply{Code: 200, Lines: []string{"200"}, EndCode: 200}}}, false},
		{"multi-line (case 10)", []string{"230-Welcome", "230-rules", "230 Logged in"}, []replyOut{
			{Reply: Reply{Code: 230, Lines: []string{"230-Welcome", "230-rules", "230 Logged in"}, Multiline: true, EndCode: 230}},
		}, false},
		{"multi-line ends at bare code", []string{"211-Features:", " EPSV", " MDTM", "211"}, []replyOut{
			{Reply: Reply{Code: 211, Lines: []string{"211-Features:", " EPSV", " MDTM", "211"}, Multiline: true, EndCode: 211}},
		}, false},
		{"RFC 959 4.2 example", []string{"123-First line", "Second line", "  234 A line beginning with numbers", "123 The last line"}, []replyOut{
			{Reply: Reply{Code: 123, Lines: []string{"123-First line", "Second line", "  234 A line beginning with numbers", "123 The last line"}, Multiline: true, EndCode: 123}},
		}, false},
		{"digit-led intermediate lines", []string{"250-x", "250-y", "1234", "12 ab", "230-other", "250x", "250 done"}, []replyOut{
			{Reply: Reply{Code: 250, Lines: []string{"250-x", "250-y", "1234", "12 ab", "230-other", "250x", "250 done"}, Multiline: true, EndCode: 250}},
		}, false},
		{"multi-line 227", []string{"227-listen socket created", "227 Entering Passive Mode (10,0,0,5,195,80)"}, []replyOut{
			{Reply: Reply{Code: 227, Lines: []string{"227-listen socket created", "227 Entering Passive Mode (10,0,0,5,195,80)"}, Multiline: true, EndCode: 227}},
		}, false},
		{"broken multi-line (case 11)", []string{"230-Welcome to glftpd", "230-rules", "226 Transfer complete", "200 next"}, []replyOut{
			{Reply: Reply{Code: 230, Lines: []string{"230-Welcome to glftpd", "230-rules", "226 Transfer complete"}, Multiline: true, Broken: true, EndCode: 226}},
			{Reply: Reply{Code: 200, Lines: []string{"200 next"}, EndCode: 200}},
		}, false},
		{"another code without text is not final", []string{"230-a", "226 ", "226", "230 end"}, []replyOut{
			{Reply: Reply{Code: 230, Lines: []string{"230-a", "226 ", "226", "230 end"}, Multiline: true, EndCode: 230}},
		}, false},
		{"0xx is not a final line", []string{"230-a", "099 text", "230 end"}, []replyOut{
			{Reply: Reply{Code: 230, Lines: []string{"230-a", "099 text", "230 end"}, Multiline: true, EndCode: 230}},
		}, false},
		{"still open", []string{"220-hello", "more"}, nil, true},
		{"missing code (case 9)", []string{"Welcome", "220 ok"}, []replyOut{
			{Err: `reply: invalid reply line: no 3-digit code in "Welcome"`},
			{Reply: Reply{Code: 220, Lines: []string{"220 ok"}, EndCode: 220}},
		}, false},
		{"empty line", []string{""}, []replyOut{{Err: `reply: invalid reply line: no 3-digit code in ""`}}, false},
		{"short", []string{"22"}, []replyOut{{Err: `reply: invalid reply line: no 3-digit code in "22"`}}, false},
		{"code < 100", []string{"099 x"}, []replyOut{{Err: "reply: invalid reply code 99 < 100"}}, false},
		{"code > 599", []string{"600 x"}, []replyOut{{Err: "reply: invalid reply code 600 > 599"}}, false},
		{"missing space", []string{"220Welcome"}, []replyOut{{Err: `reply: missing space after reply code in "220Welcome"`}}, false},
		{"four digits", []string{"2200 x"}, []replyOut{{Err: `reply: missing space after reply code in "2200 x"`}}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var a ReplyAssembler
			got := runReplies(&a, tt.lines)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
			if a.Open() != tt.open {
				t.Errorf("Open() = %v, want %v", a.Open(), tt.open)
			}
		})
	}
}

func TestReplyAssemblerErrorsWrap(t *testing.T) {
	var a ReplyAssembler
	if _, _, err := a.Line([]byte("hello")); !errors.Is(err, ErrMalformed) {
		t.Errorf("missing code: %v does not wrap ErrMalformed", err)
	}
	if _, _, err := a.Line([]byte("042 x")); !errors.Is(err, ErrOutOfRange) {
		t.Errorf("code 42: %v does not wrap ErrOutOfRange", err)
	}
}

func TestReplyAssemblerReset(t *testing.T) {
	var a ReplyAssembler
	a.Line([]byte("220-hello"))
	if !a.Open() {
		t.Fatal("want open")
	}
	a.Reset()
	if a.Open() {
		t.Fatal("want closed after Reset")
	}
	if _, _, err := a.Line([]byte("not a reply")); err == nil {
		t.Error("want an error outside a multi-line reply after Reset")
	}
}

func TestReplyAssemblerBounded(t *testing.T) {
	a := ReplyAssembler{MaxLines: 4}
	a.Line([]byte("211-start"))
	for i := 0; i < 100; i++ {
		a.Line([]byte(" line " + strconv.Itoa(i)))
	}
	r, done, err := a.Line([]byte("211 end"))
	if err != nil || !done {
		t.Fatalf("done=%v err=%v", done, err)
	}
	if len(r.Lines) != 4 || !r.Truncated || r.DroppedLines != 98 || r.EndCode != 211 {
		t.Errorf("got %d lines truncated=%v dropped=%d", len(r.Lines), r.Truncated, r.DroppedLines)
	}
	var d ReplyAssembler
	d.Line([]byte("211-start"))
	for i := 0; i < DefaultMaxReplyLines+10; i++ {
		d.Line([]byte("x"))
	}
	r, _, _ = d.Line([]byte("211 end"))
	if len(r.Lines) != DefaultMaxReplyLines || r.DroppedLines != 12 {
		t.Errorf("default bound: %d lines, %d dropped", len(r.Lines), r.DroppedLines)
	}
}

func TestReplyTextMessage(t *testing.T) {
	tests := []struct {
		r         Reply
		text, msg string
	}{
		{Reply{Lines: []string{"230-a", "230 b"}}, "230-a\n230 b", "b"},
		{Reply{Lines: []string{"200"}}, "200", ""},
		{Reply{}, "", ""},
		{Reply{Lines: []string{"230-a", "226 done"}}, "230-a\n226 done", "done"},
	}
	for _, tt := range tests {
		if got := tt.r.Text(); got != tt.text {
			t.Errorf("Text() = %q, want %q", got, tt.text)
		}
		if got := tt.r.Message(); got != tt.msg {
			t.Errorf("Message() = %q, want %q", got, tt.msg)
		}
	}
	if !strings.Contains(Reply{Lines: []string{"227 (1,2,3,4,5,6)"}}.Text(), "(1,2") {
		t.Error("Text lost content")
	}
}

// TestReplyAssemblerReuseAndIntern checks that ReuseLines and Intern
// change no reply: every reply's code, text and flags, taken before the
// next line is fed, equal those of a plain assembler.
func TestReplyAssemblerReuseAndIntern(t *testing.T) {
	lines := []string{
		"220 ready", "331 Password required", "230-Welcome", "230-  line two", "230 Logged in",
		"227 Entering Passive Mode (1,2,3,4,5,6).", "150 Here comes the listing.", "226 Done.",
		"150 Here comes the listing.", "226 Done.", "211-Features:", " EPSV", "211 End",
		"226 Done.", "230-x", "200 broken by another code", "221 Goodbye.",
	}
	interned := map[string]string{}
	calls := 0
	plain := ReplyAssembler{}
	reuse := ReplyAssembler{ReuseLines: true, Intern: func(b []byte) string {
		calls++
		if s, ok := interned[string(b)]; ok {
			return s
		}
		s := string(b)
		interned[s] = s
		return s
	}}
	type summary struct {
		code, end         int
		text              string
		multi, broken, ok bool
	}
	sum := func(r Reply, done bool) summary {
		return summary{r.Code, r.EndCode, r.Text(), r.Multiline, r.Broken, done}
	}
	for round := 0; round < 3; round++ {
		for _, l := range lines {
			rp, dp, ep := plain.Line([]byte(l))
			rr, dr, er := reuse.Line([]byte(l))
			if (ep == nil) != (er == nil) || sum(rp, dp) != sum(rr, dr) {
				t.Fatalf("line %q: plain %+v %v, reuse %+v %v", l, sum(rp, dp), ep, sum(rr, dr), er)
			}
		}
	}
	if calls == 0 {
		t.Error("Intern was never called")
	}
}
