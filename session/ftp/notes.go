package ftp

import (
	"strconv"
	"strings"
)

// Notes are parser quirks worth reporting because peers (Wireshark, Zeek,
// Suricata, Snort, conntrack) read such input differently. Notes is a bit
// set; parsers may return notes together with an error (for example
// NotePortByteGT255 with an out-of-range error, because Wireshark would
// mask the byte and accept the input).
type Notes uint32

// The individual notes. Their names (see Strings) are stable.
const (
	// Note227NoParens: the 227 numbers are not preceded by '(' (Suricata
	// and Snort require it). "227-no-parens"
	Note227NoParens Notes = 1 << iota
	// Note227Multiline: the 227 reply spans several lines (Wireshark and
	// conntrack only look at one line/segment). "227-multiline"
	Note227Multiline
	// Note227DigitsBefore: digits precede the accepted numbers (conntrack
	// reads from the first digit). "227-digits-before"
	Note227DigitsBefore
	// Note227EqualsForm: the "227 =h1,h2,h3,h4,p1,p2" form. "227-equals-form"
	Note227EqualsForm
	// Note227RejectedCandidate: an earlier six-number candidate was
	// skipped because a number was out of range; Wireshark would have
	// taken it. "227-rejected-candidate"
	Note227RejectedCandidate
	// NoteSpacesAfterCommas: whitespace after a comma in a number list
	// (sscanf-based parsers accept it, conntrack does not).
	// "spaces-after-commas"
	NoteSpacesAfterCommas
	// NoteSpacesBeforeCommas: whitespace before a comma in a number list
	// (only Wireshark-style 227 parsing tolerates it here).
	// "spaces-before-commas"
	NoteSpacesBeforeCommas
	// NoteOddDelimiter: an EPRT/229 delimiter other than '|'
	// (Suricata and Dshell only accept '|'). "odd-delimiter"
	NoteOddDelimiter
	// Note229WithAddress: a 229 reply carrying a network protocol and/or
	// address, which RFC 2428 does not allow. "229-with-address"
	Note229WithAddress
	// Note229MissingParen: a 229 reply without the closing ')'
	// (Wireshark treats it as invalid). "229-missing-paren"
	Note229MissingParen
	// NotePortByteGT255: a port byte above 255 (Wireshark masks it with
	// 0xFF, older kernels let it bleed into the high byte). "port-byte-gt-255"
	NotePortByteGT255
	// NoteHostOctetGT255: a host octet above 255. "host-octet-gt-255"
	NoteHostOctetGT255
	// NotePortZero: port 0 (conntrack accepts it in PORT/227). "port-zero"
	NotePortZero
	// NoteNegativeNumber: a negative number (Bernstein's advice reduces
	// it mod 256; Zeek and Snort reject it). "negative-number"
	NoteNegativeNumber
	// NoteCmdLeadingSpace: whitespace before the command verb.
	// "cmd-leading-space"
	NoteCmdLeadingSpace
	// NoteCmdExtraSpaces: more than one separator between verb and
	// argument (Wireshark keeps the extra spaces in the argument).
	// "cmd-extra-spaces"
	NoteCmdExtraSpaces
	// NoteCmdTabSeparator: a TAB separates verb and argument.
	// "cmd-tab-separator"
	NoteCmdTabSeparator
	// NoteCmdLowercase: the verb is not all upper case (matchers that
	// compare case-sensitively miss it). "cmd-lowercase"
	NoteCmdLowercase
	// Note229Multiline: the 229 reply spans several lines. "229-multiline"
	Note229Multiline
	// Note228Multiline: the 228 reply spans several lines. "228-multiline"
	Note228Multiline
	// Note228NoParens: the 228 numbers are not preceded by '('.
	// "228-no-parens"
	Note228NoParens

	noteCount = iota
)

var noteNames = [noteCount]string{
	"227-no-parens",
	"227-multiline",
	"227-digits-before",
	"227-equals-form",
	"227-rejected-candidate",
	"spaces-after-commas",
	"spaces-before-commas",
	"odd-delimiter",
	"229-with-address",
	"229-missing-paren",
	"port-byte-gt-255",
	"host-octet-gt-255",
	"port-zero",
	"negative-number",
	"cmd-leading-space",
	"cmd-extra-spaces",
	"cmd-tab-separator",
	"cmd-lowercase",
	"229-multiline",
	"228-multiline",
	"228-no-parens",
}

// Strings returns the names of the notes set in n, in bit order. Unknown
// bits are reported as "note-bit-N". It returns nil when n is zero.
func (n Notes) Strings() []string {
	if n == 0 {
		return nil
	}
	var out []string
	for i := 0; i < 32; i++ {
		if n&(1<<uint(i)) == 0 {
			continue
		}
		if i < noteCount {
			out = append(out, noteNames[i])
		} else {
			out = append(out, "note-bit-"+strconv.Itoa(i))
		}
	}
	return out
}

// String returns the note names joined by ",".
func (n Notes) String() string { return strings.Join(n.Strings(), ",") }

// Has reports whether all notes in m are set in n.
func (n Notes) Has(m Notes) bool { return n&m == m }
