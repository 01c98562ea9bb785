package ftp

import (
	"net/netip"
	"strings"
)

// replyLines iterates over the lines of a reply text ("\n"-joined, an
// optional trailing "\r" per line is ignored), calling fn with each line's
// body: the line without a leading reply code ("227 ", "227-" or a bare
// "227"). fn returns false to stop. multi reports whether the text has
// more than one non-empty line.
func replyLines(text string, fn func(body string) bool) (multi bool) {
	nonEmpty := 0
	for len(text) > 0 {
		line := text
		rest := ""
		if i := strings.IndexByte(text, '\n'); i >= 0 {
			line, rest = text[:i], text[i+1:]
		}
		text = rest
		line = strings.TrimSuffix(line, "\r")
		if line == "" {
			continue
		}
		nonEmpty++
		if nonEmpty > 1 {
			multi = true
		}
		if len(line) >= 3 && line[0] >= '1' && line[0] <= '5' && isDigit(line[1]) && isDigit(line[2]) {
			if len(line) == 3 {
				line = ""
			} else if line[3] == ' ' || line[3] == '-' {
				line = line[4:]
			}
		}
		if !fn(line) {
			// Keep counting lines for multi.
			for len(text) > 0 {
				i := strings.IndexByte(text, '\n')
				l := text
				if i >= 0 {
					l, text = text[:i], text[i+1:]
				} else {
					text = ""
				}
				if strings.TrimSuffix(l, "\r") != "" {
					multi = true
				}
			}
			return multi
		}
	}
	return multi
}

// before returns the last non-space byte of s before i, or 0.
func before(s string, i int) byte {
	for i > 0 {
		i--
		if !isSpace(s[i]) {
			return s[i]
		}
	}
	return 0
}

// Parse227 extracts the address and port from a 227 reply. text is the
// reply text (all lines "\n"-joined, with or without the leading
// "227 "/"227-" codes). Like Wireshark, it tries each run of digits in
// turn, reading 6 comma-separated numbers (whitespace allowed around the
// commas), and accepts the first candidate whose numbers are all 0..255
// with a port other than 0. Parentheses are optional. If no candidate is
// acceptable, the error of the first complete candidate is returned
// (wrapping ErrOutOfRange; numbers are never masked or guessed), or an
// ErrMalformed error when there is no candidate at all ("227 Logout.").
func Parse227(text string) (netip.AddrPort, Notes, error) {
	const op = "227"
	var (
		l        numList
		res      netip.AddrPort
		notes    Notes
		found    bool
		firstErr error
		errNotes Notes
		sawDigit bool
		rejected bool
	)
	multi := replyLines(text, func(s string) bool {
		for i := 0; i < len(s); i++ {
			if !isDigit(s[i]) || (i > 0 && isDigit(s[i-1])) {
				continue
			}
			l.scan(s, i, 6, true)
			if l.n == 6 {
				ap, n, err := l.hostPort6(op)
				if err == nil {
					res, found = ap, true
					notes = l.notes | n
					switch before(s, i) {
					case '(':
					case '=':
						notes |= Note227EqualsForm | Note227NoParens
					default:
						notes |= Note227NoParens
					}
					if sawDigit {
						notes |= Note227DigitsBefore
					}
					if rejected {
						notes |= Note227RejectedCandidate
					}
					return false
				}
				rejected = true
				if firstErr == nil {
					firstErr = err
					errNotes = l.notes | n
				}
			}
			sawDigit = true
		}
		return true
	})
	if multi {
		notes |= Note227Multiline
		errNotes |= Note227Multiline
	}
	if found {
		return res, notes, nil
	}
	if firstErr != nil {
		return netip.AddrPort{}, errNotes, firstErr
	}
	return netip.AddrPort{}, errNotes, malformed(op, "no h1,h2,h3,h4,p1,p2 in "+quoteArg(text))
}

// Parse229 extracts the port (and, for the non-standard form, the
// address) from a 229 reply such as "229 Entering Extended Passive Mode
// (|||6446|)". The delimiter is the character after the first '(', any of
// ASCII 33..126 except digits, used consistently (NoteOddDelimiter if not
// '|'). Anything may follow the fourth delimiter; a missing ')' is noted
// (Note229MissingParen). The non-standard "(|1|a.b.c.d|port|)" and
// "(|2|v6|port|)" forms return the address (Note229WithAddress); addr is
// the zero Addr otherwise. The port must be 1..65535.
func Parse229(text string) (port uint16, addr netip.Addr, n Notes, err error) {
	const op = "229"
	var (
		notes    Notes
		found    bool
		firstErr error
		errNotes Notes
	)
	multi := replyLines(text, func(s string) bool {
		for {
			i := strings.IndexByte(s, '(')
			if i < 0 {
				return true
			}
			s = s[i+1:]
			p, a, nn, e := parseEPSVBody(op, s)
			if e == nil {
				port, addr, notes, found = p, a, nn, true
				return false
			}
			if firstErr == nil {
				firstErr, errNotes = e, nn
			}
		}
	})
	if multi {
		notes |= Note229Multiline
		errNotes |= Note229Multiline
	}
	if found {
		return port, addr, notes, nil
	}
	if firstErr != nil {
		return 0, netip.Addr{}, errNotes, firstErr
	}
	return 0, netip.Addr{}, errNotes, malformed(op, "no \"(<d><d><d>port<d>)\" in "+quoteArg(text))
}

// parseEPSVBody parses what follows the '(' of a 229 reply.
func parseEPSVBody(op, body string) (port uint16, addr netip.Addr, notes Notes, err error) {
	if body == "" {
		return 0, netip.Addr{}, 0, malformed(op, "nothing after '('")
	}
	d := body[0]
	if !isDelim(d) || d == ')' || d == '(' {
		return 0, netip.Addr{}, 0, malformed(op, "invalid delimiter "+quoteArg(body[:1]))
	}
	if d != '|' {
		notes |= NoteOddDelimiter
	}
	f, end, ok := splitDelim(body[1:], d)
	if !ok {
		return 0, netip.Addr{}, notes, malformed(op, "missing delimiter in "+quoteArg(body))
	}
	rest := body[1+end:]
	if rest == "" || rest[0] != ')' {
		notes |= Note229MissingParen
	}
	if f[0] != "" || f[1] != "" {
		notes |= Note229WithAddress
		if f[1] != "" {
			af := f[0]
			if af == "" {
				// No protocol given: take the family from the literal.
				af = "2"
				if strings.IndexByte(f[1], ':') < 0 {
					af = "1"
				}
			}
			a, err := parseAFAddr(op, af, f[1])
			if err != nil {
				return 0, netip.Addr{}, notes, err
			}
			addr = a
		} else if f[0] != "1" && f[0] != "2" {
			return 0, netip.Addr{}, notes, malformed(op, "unsupported network protocol "+quoteArg(f[0]))
		}
	}
	p, pn, err := parsePort16(op, f[2])
	notes |= pn
	if err != nil {
		return 0, netip.Addr{}, notes, err
	}
	return p, addr, notes, nil
}

// Parse228 extracts the address and port from a 228 reply (RFC 1639),
// e.g. "228 Entering Long Passive Mode (4,4,h1,h2,h3,h4,2,p1,p2)" or the
// IPv6 form "(6,16,<16 bytes>,2,p1,p2)". Like Parse227 it tries each run
// of digits and accepts the first well-formed long host-port; numbers
// after it are ignored.
func Parse228(text string) (netip.AddrPort, Notes, error) {
	const op = "228"
	var (
		l        numList
		res      netip.AddrPort
		notes    Notes
		found    bool
		firstErr error
		errNotes Notes
	)
	multi := replyLines(text, func(s string) bool {
		for i := 0; i < len(s); i++ {
			if !isDigit(s[i]) || (i > 0 && isDigit(s[i-1])) {
				continue
			}
			l.scan(s, i, maxNums, true)
			if l.n < 9 {
				continue
			}
			ap, n, syntaxOK, err := l.longHostPort(op, false)
			if err == nil {
				res, found, notes = ap, true, n
				if before(s, i) != '(' {
					notes |= Note228NoParens
				}
				return false
			}
			if firstErr == nil || (syntaxOK && !errorsIsRange(firstErr)) {
				firstErr, errNotes = err, n
			}
		}
		return true
	})
	if multi {
		notes |= Note228Multiline
		errNotes |= Note228Multiline
	}
	if found {
		return res, notes, nil
	}
	if firstErr != nil {
		return netip.AddrPort{}, errNotes, firstErr
	}
	return netip.AddrPort{}, errNotes, malformed(op, "no long host-port in "+quoteArg(text))
}

func errorsIsRange(err error) bool {
	pe, ok := err.(*ParseError)
	return ok && pe.Kind == ErrOutOfRange
}
