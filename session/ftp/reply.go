package ftp

import (
	"strconv"
	"strings"
)

// DefaultMaxReplyLines bounds the lines kept per reply by a zero
// ReplyAssembler.
const DefaultMaxReplyLines = 512

// Reply is one complete FTP reply.
type Reply struct {
	// Code is the reply code (100-599). For a Broken reply it is the code
	// of the opening line.
	Code int
	// Lines are the raw lines of the reply, codes included (e.g.
	// "230-Welcome", "230 Logged in"), at most the assembler's limit.
	Lines []string
	// Multiline is set for a reply opened by "xyz-".
	Multiline bool
	// Broken is set when a multi-line reply was ended by a final line
	// carrying another code (glftpd style; Zeek's workaround).
	Broken bool
	// EndCode is the code on the line that ended the reply (equal to Code
	// except for a Broken reply).
	EndCode int
	// Truncated is set when lines beyond the limit were dropped;
	// DroppedLines counts them.
	Truncated    bool
	DroppedLines int
}

// Text returns all lines joined by "\n".
func (r Reply) Text() string { return strings.Join(r.Lines, "\n") }

// Message returns the text of the last line without its "xyz " prefix,
// or "" when there are no lines.
func (r Reply) Message() string {
	if len(r.Lines) == 0 {
		return ""
	}
	l := r.Lines[len(r.Lines)-1]
	if len(l) >= 4 && isCode(l) && (l[3] == ' ' || l[3] == '-') {
		return l[4:]
	}
	if len(l) == 3 && isCode(l) {
		return ""
	}
	return l
}

// ReplyAssembler groups server lines into replies. A line "xyz text" is a
// single-line reply; "xyz-text" opens a multi-line reply that ends at a line
// "xyz text" or a line equal to "xyz"; intermediate lines may be anything,
// including lines starting with digits or spaces (RFC 959 4.2). While a
// multi-line reply is open, a line that looks like the final line of
// ANOTHER code ("[1-9][0-9][0-9] " followed by a non-space character) ends
// it with Broken set (glftpd; Zeek's workaround). The zero value is ready
// to use and keeps DefaultMaxReplyLines lines per reply.
type ReplyAssembler struct {
	// MaxLines bounds the lines kept per reply (DefaultMaxReplyLines if
	// <= 0); further lines are counted and dropped.
	MaxLines int
	// Intern, when set, turns a line into the string kept in Reply.Lines
	// (it may return a string it made before for the same bytes, to spare
	// an allocation for lines servers send again and again); it must
	// return a string equal to the line.
	Intern func(line []byte) string
	// ReuseLines lets the assembler reuse the Lines slice of the replies
	// it returns: a reply's Lines (not the strings in it) is then valid
	// only until the next call to Line or Reset, as with bufio.Scanner.
	ReuseLines bool

	open  bool
	spare []string // Lines of the previous reply, for reuse
	code  int
	cur   Reply
}

// Open reports whether a multi-line reply is in progress.
func (a *ReplyAssembler) Open() bool { return a.open }

// Reset abandons any reply in progress (use it after a gap).
func (a *ReplyAssembler) Reset() {
	a.open = false
	a.code = 0
	a.cur = Reply{}
}

func (a *ReplyAssembler) add(line []byte) {
	max := a.MaxLines
	if max <= 0 {
		max = DefaultMaxReplyLines
	}
	if len(a.cur.Lines) >= max {
		a.cur.Truncated = true
		a.cur.DroppedLines++
		return
	}
	if a.Intern != nil {
		a.cur.Lines = append(a.cur.Lines, a.Intern(line))
	} else {
		a.cur.Lines = append(a.cur.Lines, string(line))
	}
}

// Line feeds one server line (without its line ending). It returns the
// complete reply when line completes one (done is true). A line outside a
// multi-line reply without a valid code returns an error describing it
// (wrapping ErrMalformed or ErrOutOfRange) and no reply.
func (a *ReplyAssembler) Line(line []byte) (r Reply, done bool, err error) {
	if a.open {
		a.add(line)
		if len(line) >= 3 && isCode3(line) {
			c := code3(line)
			if c == a.code && (len(line) == 3 || line[3] == ' ') {
				return a.finish(c, false), true, nil
			}
			if c != a.code && line[0] != '0' && len(line) > 4 && line[3] == ' ' && line[4] > ' ' && line[4] != 0x7f {
				return a.finish(c, true), true, nil
			}
		}
		return Reply{}, false, nil
	}
	if len(line) < 3 || !isCode3(line) {
		return Reply{}, false, malformed("reply", "invalid reply line: no 3-digit code in "+quoteTrunc(line))
	}
	c := code3(line)
	if c < 100 {
		return Reply{}, false, outOfRange("reply", "invalid reply code "+strconv.Itoa(c)+" < 100")
	}
	if c > 599 {
		return Reply{}, false, outOfRange("reply", "invalid reply code "+strconv.Itoa(c)+" > 599")
	}
	switch {
	case len(line) == 3 || line[3] == ' ':
		a.cur = Reply{Code: c, Lines: a.reuse()}
		a.add(line)
		return a.finish(c, false), true, nil
	case line[3] == '-':
		a.open = true
		a.code = c
		a.cur = Reply{Code: c, Multiline: true, Lines: a.reuse()}
		a.add(line)
		return Reply{}, false, nil
	}
	return Reply{}, false, malformed("reply", "missing space after reply code in "+quoteTrunc(line))
}

func (a *ReplyAssembler) finish(end int, broken bool) Reply {
	r := a.cur
	if a.ReuseLines {
		a.spare = r.Lines[:0]
	}
	r.EndCode = end
	r.Broken = broken
	a.open = false
	a.code = 0
	a.cur = Reply{}
	return r
}

// reuse returns the Lines slice a new reply may start with.
func (a *ReplyAssembler) reuse() []string {
	if !a.ReuseLines || cap(a.spare) > 64 {
		return nil // never reuse or keep a large buffer
	}
	return a.spare[:0]
}

func isCode3(b []byte) bool { return isDigit(b[0]) && isDigit(b[1]) && isDigit(b[2]) }

func code3(b []byte) int { return int(b[0]-'0')*100 + int(b[1]-'0')*10 + int(b[2]-'0') }

func isCode(s string) bool { return isDigit(s[0]) && isDigit(s[1]) && isDigit(s[2]) }

// quoteTrunc quotes at most 40 bytes of b for error messages.
func quoteTrunc(b []byte) string {
	if len(b) > 40 {
		return strconv.Quote(string(b[:40])) + "..."
	}
	return strconv.Quote(string(b))
}
