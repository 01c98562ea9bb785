package ftp

import (
	"encoding/binary"
	"strings"
)

// LineFlags describe how a line was framed on the wire.
type LineFlags uint8

// Line flags.
const (
	// FlagLFOnly: the line ended with LF without a preceding CR
	// (conntrack's PORT terminator is CR, so it would not parse it).
	FlagLFOnly LineFlags = 1 << iota
	// FlagOverlong: the line was longer than the splitter's maximum; it
	// was truncated and the rest discarded up to the next LF.
	FlagOverlong
	// FlagTelnet: at least one Telnet IAC sequence was removed.
	FlagTelnet
	// FlagAfterGap: the first line emitted after a Gap; its beginning may
	// be missing.
	FlagAfterGap
	// FlagPartial: the line was not terminated (emitted by Flush).
	FlagPartial
	// FlagNUL: the line contained NUL or other control bytes (below 0x20
	// except TAB, or 0x7F), including a bare CR.
	FlagNUL
)

var flagNames = [...]string{"lf-only", "overlong", "telnet", "after-gap", "partial", "nul"}

// Strings returns the names of the flags set in f.
func (f LineFlags) Strings() []string {
	var out []string
	for i, n := range flagNames {
		if f&(1<<uint(i)) != 0 {
			out = append(out, n)
		}
	}
	return out
}

// String returns the flag names joined by ",".
func (f LineFlags) String() string { return strings.Join(f.Strings(), ",") }

// DefaultMaxLine is the line length kept when NewLineSplitter is given a
// non-positive maximum.
const DefaultMaxLine = 8192

// Telnet bytes (RFC 854).
const (
	iac  = 255
	will = 251
	wont = 252
	do   = 253
	dont = 254
)

const (
	telNone   = iota // plain data
	telIAC           // seen IAC
	telOption        // seen IAC WILL/WONT/DO/DONT, the option byte follows
)

// LineSplitter splits one direction of a reassembled control stream into
// lines. It keeps at most max bytes of a line; its state is carried across
// Feed calls, so the output does not depend on how the stream is chunked.
type LineSplitter struct {
	max     int
	buf     []byte
	n       int       // data bytes in the current line, including discarded ones
	flags   LineFlags // flags collected for the current line
	tel     uint8     // Telnet state
	cr      bool      // a CR is pending (not yet known to be part of CRLF)
	end     int       // see LineEnd
	afterGp bool      // the next emitted line gets FlagAfterGap
}

// NewLineSplitter returns a splitter keeping at most max bytes of each
// line (DefaultMaxLine if max <= 0). Longer lines are truncated to max and
// flagged FlagOverlong; the rest is discarded up to the next LF.
func NewLineSplitter(max int) *LineSplitter {
	if max <= 0 {
		max = DefaultMaxLine
	}
	return &LineSplitter{max: max}
}

// Feed consumes b and calls emit for each complete line, without its
// CRLF/LF, with Telnet IAC sequences removed (IAC IAC becomes a 0xFF data
// byte; IAC WILL/WONT/DO/DONT x and IAC followed by any other byte are
// removed). Lines and IAC sequences may be split across Feed calls. The
// line passed to emit is only valid during the call.
func (s *LineSplitter) Feed(b []byte, emit func(line []byte, f LineFlags)) {
	if s.max <= 0 {
		s.max = DefaultMaxLine
	}
	all := len(b)
	for len(b) > 0 {
		// Fast path: copy a run of ordinary bytes at once.
		if s.tel == telNone && !s.cr {
			if i := plainRun(b); i > 0 {
				s.appendRun(b[:i])
				b = b[i:]
				continue
			}
		}
		c := b[0]
		b = b[1:]
		switch s.tel {
		case telIAC:
			s.tel = telNone
			switch c {
			case iac:
				s.flags |= FlagTelnet
				s.data(0xff)
			case will, wont, do, dont:
				s.flags |= FlagTelnet
				s.tel = telOption
			default:
				s.flags |= FlagTelnet
			}
			continue
		case telOption:
			s.tel = telNone
			continue
		}
		switch c {
		case iac:
			s.tel = telIAC
		case '\n':
			f := s.flags
			if s.cr {
				s.cr = false
			} else {
				f |= FlagLFOnly
			}
			s.end = all - len(b)
			s.emitLine(emit, f)
		case '\r':
			if s.cr {
				// The previous CR was not followed by LF: it is data.
				s.cr = false
				s.data('\r')
			}
			s.cr = true
		default:
			s.data(c)
		}
	}
}

// LineEnd, called by an emit function during Feed, returns how many bytes
// of Feed's b the splitter had consumed when it emitted the line: up to
// and including the line's terminator. The next line starts there.
func (s *LineSplitter) LineEnd() int { return s.end }

// appendRun appends printable bytes (no CR pending, no Telnet state).
func (s *LineSplitter) appendRun(r []byte) {
	s.n += len(r)
	room := s.max - len(s.buf)
	if len(r) > room {
		r = r[:room]
		s.flags |= FlagOverlong
	}
	s.buf = append(s.buf, r...)
}

// data adds one data byte (after Telnet processing) to the current line.
func (s *LineSplitter) data(c byte) {
	if s.cr {
		// A CR not followed by LF is an ordinary (control) data byte.
		s.cr = false
		s.data('\r')
	}
	if (c < 0x20 && c != '\t') || c == 0x7f {
		s.flags |= FlagNUL
	}
	s.n++
	if len(s.buf) >= s.max {
		s.flags |= FlagOverlong
		return
	}
	s.buf = append(s.buf, c)
}

func (s *LineSplitter) emitLine(emit func([]byte, LineFlags), f LineFlags) {
	if s.afterGp {
		f |= FlagAfterGap
		s.afterGp = false
	}
	if emit != nil {
		emit(s.buf, f)
	}
	s.buf = s.buf[:0]
	s.n = 0
	s.flags = 0
}

// Gap tells the splitter that bytes were lost: the partial line is dropped
// and the next line emitted gets FlagAfterGap.
func (s *LineSplitter) Gap() {
	s.buf = s.buf[:0]
	s.n = 0
	s.flags = 0
	s.tel = telNone
	s.cr = false
	s.afterGp = true
}

// Flush handles the end of the stream: a pending partial line (any data
// byte since the last LF) is emitted with FlagPartial. A trailing CR is
// kept as data. The splitter is then empty.
func (s *LineSplitter) Flush(emit func([]byte, LineFlags)) {
	if s.cr {
		s.cr = false
		s.data('\r')
	}
	s.tel = telNone
	if s.n == 0 {
		s.flags = 0
		return
	}
	s.emitLine(emit, s.flags|FlagPartial)
}

// Buffered returns the number of bytes of the pending partial line held
// in memory (at most the maximum line length, plus a pending CR).
func (s *LineSplitter) Buffered() int {
	n := len(s.buf)
	if s.cr {
		n++
	}
	return n
}

// plainRun returns the length of the leading run of printable ASCII bytes
// (0x20 to 0x7e) in b, looking at eight bytes at a time.
func plainRun(b []byte) int {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	i := 0
	for ; i+8 <= len(b); i += 8 {
		w := binary.LittleEndian.Uint64(b[i:])
		// A byte below 0x20 borrows into its high bit; one at 0x7f or above
		// has it set after adding 1. Either word test may also flag a
		// later byte, never miss the first: the byte loop below decides.
		if ((w-0x20*ones)&^w|(w+ones)|w)&highs != 0 {
			break
		}
	}
	for ; i < len(b); i++ {
		if c := b[i]; c < 0x20 || c >= 0x7f {
			break
		}
	}
	return i
}
