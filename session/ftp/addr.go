package ftp

import (
	"net/netip"
	"strconv"
	"strings"
)

// maxNums is the longest number list parsed (LPRT with an IPv6 address:
// 6,16,<16 bytes>,2,p1,p2).
const maxNums = 21

// bigNum stands for a number with too many digits to be stored.
const bigNum = 1 << 30

// numList holds comma-separated decimal numbers read by scan.
type numList struct {
	v     [maxNums]int
	raw   [maxNums]string // the literal text of each number, for messages
	n     int
	notes Notes
}

// scan reads up to max comma-separated numbers from s at i. A number is an
// optional '-' and 1 or more digits. Whitespace after a comma is always
// allowed (noted); whitespace before a comma only when around is set. scan
// stops before anything that does not continue the list and returns the
// offset just after the last number read (i if none).
func (l *numList) scan(s string, i, max int, around bool) int {
	l.n = 0
	l.notes = 0
	end := i
	for l.n < max {
		j := end
		if l.n > 0 {
			k := j
			for around && k < len(s) && isSpace(s[k]) {
				k++
			}
			if k >= len(s) || s[k] != ',' {
				break
			}
			var nn Notes
			if k > j {
				nn |= NoteSpacesBeforeCommas
			}
			k++
			m := k
			for k < len(s) && isSpace(s[k]) {
				k++
			}
			if k > m {
				nn |= NoteSpacesAfterCommas
			}
			j = k
			v, raw, e, ok := readNum(s, j)
			if !ok {
				break
			}
			l.notes |= nn
			l.v[l.n], l.raw[l.n] = v, raw
			l.n++
			end = e
			continue
		}
		v, raw, e, ok := readNum(s, j)
		if !ok {
			break
		}
		l.v[l.n], l.raw[l.n] = v, raw
		l.n++
		end = e
	}
	return end
}

// readNum reads an optional '-' and digits at s[i].
func readNum(s string, i int) (v int, raw string, end int, ok bool) {
	start := i
	neg := false
	if i < len(s) && s[i] == '-' {
		neg = true
		i++
	}
	d := i
	for i < len(s) && isDigit(s[i]) {
		if v < bigNum {
			v = v*10 + int(s[i]-'0')
		}
		i++
	}
	if i == d {
		return 0, "", start, false
	}
	if v > bigNum {
		v = bigNum
	}
	if neg {
		v = -v
	}
	return v, s[start:i], i, true
}

// shortRaw bounds a literal used in an error message.
func shortRaw(s string) string {
	if len(s) > 24 {
		return s[:24] + "..."
	}
	return s
}

func quoteArg(s string) string {
	if len(s) > 60 {
		return strconv.Quote(s[:60]) + "..."
	}
	return strconv.Quote(s)
}

func trimSpaces(s string) string {
	return strings.TrimFunc(s, func(r rune) bool { return r == ' ' || r == '\t' })
}

// checkBytes verifies that l.v[from:to] are 0..255, adding notes; port
// marks port bytes (NotePortByteGT255) rather than host octets.
func (l *numList) checkBytes(op, what string, from, to int, port bool) (Notes, error) {
	var notes Notes
	var err error
	for k := from; k < to; k++ {
		v := l.v[k]
		if v >= 0 && v <= 255 {
			continue
		}
		if v < 0 {
			notes |= NoteNegativeNumber
		} else if port {
			notes |= NotePortByteGT255
		} else {
			notes |= NoteHostOctetGT255
		}
		if err == nil {
			err = outOfRange(op, what+" "+shortRaw(l.raw[k])+" out of range")
		}
	}
	return notes, err
}

// hostPort6 interprets six numbers (RFC 959 h1,h2,h3,h4,p1,p2).
func (l *numList) hostPort6(op string) (netip.AddrPort, Notes, error) {
	n1, err1 := l.checkBytes(op, "octet", 0, 4, false)
	n2, err2 := l.checkBytes(op, "port byte", 4, 6, true)
	notes := n1 | n2
	if err1 != nil {
		return netip.AddrPort{}, notes, err1
	}
	if err2 != nil {
		return netip.AddrPort{}, notes, err2
	}
	port := uint16(l.v[4]<<8 | l.v[5])
	if port == 0 {
		return netip.AddrPort{}, notes | NotePortZero, outOfRange(op, "port 0")
	}
	a := netip.AddrFrom4([4]byte{byte(l.v[0]), byte(l.v[1]), byte(l.v[2]), byte(l.v[3])})
	return netip.AddrPortFrom(a, port), notes, nil
}

// ParsePORT parses the argument of a PORT command, "h1,h2,h3,h4,p1,p2"
// (RFC 959). Whitespace after commas is accepted (NoteSpacesAfterCommas),
// surrounding whitespace is ignored. Each number must be 0..255 (never
// masked), the port must not be 0 and nothing may follow the sixth number;
// violations return an error wrapping ErrOutOfRange or ErrMalformed.
func ParsePORT(arg string) (netip.AddrPort, Notes, error) {
	const op = "PORT"
	s := trimSpaces(arg)
	var l numList
	end := l.scan(s, 0, 6, false)
	if l.n < 6 {
		if l.n == 0 {
			return netip.AddrPort{}, l.notes, malformed(op, "expected h1,h2,h3,h4,p1,p2, got "+quoteArg(arg))
		}
		return netip.AddrPort{}, l.notes, malformed(op, "expected 6 comma-separated numbers, got "+strconv.Itoa(l.n)+" in "+quoteArg(arg))
	}
	if end != len(s) {
		return netip.AddrPort{}, l.notes, malformed(op, "trailing garbage "+quoteArg(s[end:]))
	}
	ap, n, err := l.hostPort6(op)
	return ap, l.notes | n, err
}

// FormatPORT formats ap as a PORT argument "h1,h2,h3,h4,p1,p2". It returns
// "" when ap is not an IPv4 address and port.
func FormatPORT(ap netip.AddrPort) string {
	a := ap.Addr().Unmap()
	if !a.Is4() {
		return ""
	}
	b := a.As4()
	p := ap.Port()
	buf := make([]byte, 0, 24)
	for _, v := range [...]int{int(b[0]), int(b[1]), int(b[2]), int(b[3]), int(p >> 8), int(p & 0xff)} {
		if len(buf) > 0 {
			buf = append(buf, ',')
		}
		buf = strconv.AppendInt(buf, int64(v), 10)
	}
	return string(buf)
}

// isDelim reports whether c may delimit EPRT/EPSV fields (RFC 2428:
// ASCII 33-126, and not a digit).
func isDelim(c byte) bool { return c >= 33 && c <= 126 && !isDigit(c) }

// splitDelim splits s, which starts just after an opening delimiter d,
// into three fields each ended by d. It returns the fields and the offset
// after the last delimiter, or ok=false if a delimiter is missing.
func splitDelim(s string, d byte) (f [3]string, end int, ok bool) {
	i := 0
	for k := 0; k < 3; k++ {
		j := strings.IndexByte(s[i:], d)
		if j < 0 {
			return f, 0, false
		}
		f[k] = s[i : i+j]
		i += j + 1
	}
	return f, i, true
}

// parsePort16 parses a decimal TCP port 1..65535.
func parsePort16(op, s string) (uint16, Notes, error) {
	if s == "" {
		return 0, 0, malformed(op, "empty port")
	}
	v, raw, end, ok := readNum(s, 0)
	if !ok || end != len(s) || raw[0] == '-' {
		if ok && raw[0] == '-' && end == len(s) {
			return 0, NoteNegativeNumber, outOfRange(op, "port "+shortRaw(raw)+" out of range")
		}
		return 0, 0, malformed(op, "invalid port "+quoteArg(s))
	}
	if v == 0 {
		return 0, NotePortZero, outOfRange(op, "port 0")
	}
	if v > 65535 {
		return 0, 0, outOfRange(op, "port "+shortRaw(raw)+" out of range")
	}
	return uint16(v), 0, nil
}

// parseAFAddr checks an RFC 2428 network protocol ("1" or "2") and an
// address literal of that family (no zone).
func parseAFAddr(op, af, addr string) (netip.Addr, error) {
	if af != "1" && af != "2" {
		return netip.Addr{}, malformed(op, "unsupported network protocol "+quoteArg(af))
	}
	if addr == "" {
		return netip.Addr{}, malformed(op, "empty address")
	}
	a, err := netip.ParseAddr(addr)
	if err != nil {
		return netip.Addr{}, malformed(op, "invalid address "+quoteArg(addr))
	}
	if a.Zone() != "" {
		return netip.Addr{}, malformed(op, "address with zone "+quoteArg(addr))
	}
	if af == "1" && !a.Is4() {
		return netip.Addr{}, malformed(op, "network protocol 1 with non-IPv4 address "+quoteArg(addr))
	}
	if af == "2" && !a.Is6() {
		return netip.Addr{}, malformed(op, "network protocol 2 with non-IPv6 address "+quoteArg(addr))
	}
	return a, nil
}

// ParseEPRT parses the argument of an EPRT command (RFC 2428), e.g.
// "|1|132.235.1.2|6275|" or "|2|1080::8:800:200C:417A|5282|". The
// delimiter is the first character, any of ASCII 33..126 except digits
// (NoteOddDelimiter if not '|'). The network protocol must match the
// address family (1 = IPv4, 2 = IPv6), the port must be 1..65535, all four
// delimiters are required and nothing but whitespace may follow.
func ParseEPRT(arg string) (netip.AddrPort, Notes, error) {
	const op = "EPRT"
	s := trimSpaces(arg)
	if s == "" {
		return netip.AddrPort{}, 0, malformed(op, "empty argument")
	}
	d := s[0]
	if !isDelim(d) {
		return netip.AddrPort{}, 0, malformed(op, "invalid delimiter "+strconv.QuoteRune(rune(d)))
	}
	var notes Notes
	if d != '|' {
		notes |= NoteOddDelimiter
	}
	f, end, ok := splitDelim(s[1:], d)
	if !ok {
		return netip.AddrPort{}, notes, malformed(op, "missing delimiter in "+quoteArg(arg))
	}
	if 1+end != len(s) {
		return netip.AddrPort{}, notes, malformed(op, "trailing garbage "+quoteArg(s[1+end:]))
	}
	a, err := parseAFAddr(op, f[0], f[1])
	if err != nil {
		return netip.AddrPort{}, notes, err
	}
	p, n, err := parsePort16(op, f[2])
	notes |= n
	if err != nil {
		return netip.AddrPort{}, notes, err
	}
	return netip.AddrPortFrom(a, p), notes, nil
}

// FormatEPRT formats ap as an EPRT argument with '|' delimiters.
func FormatEPRT(ap netip.AddrPort) string {
	a := ap.Addr()
	af := "2"
	if a.Is4() {
		af = "1"
	}
	return "|" + af + "|" + a.String() + "|" + strconv.Itoa(int(ap.Port())) + "|"
}

// longHostPort interprets l.v[0:l.n] as an RFC 1639 long host-port. If
// exact is false, numbers after the structure are ignored. syntaxOK
// reports whether the structure was right (so that err is a range error).
func (l *numList) longHostPort(op string, exact bool) (ap netip.AddrPort, notes Notes, syntaxOK bool, err error) {
	notes = l.notes
	if l.n < 2 {
		return ap, notes, false, malformed(op, "expected af,hal,h1,...,pal,p1,p2")
	}
	af, hal := l.v[0], l.v[1]
	switch {
	case af == 4 && hal == 4, af == 6 && hal == 16:
	case af == 4 || af == 6:
		return ap, notes, false, malformed(op, "address length "+shortRaw(l.raw[1])+" does not match address family "+l.raw[0])
	default:
		return ap, notes, false, malformed(op, "unsupported address family "+shortRaw(l.raw[0]))
	}
	if l.n < 3+hal {
		return ap, notes, false, malformed(op, "too few numbers for the address")
	}
	pal := l.v[2+hal]
	if pal != 2 {
		return ap, notes, false, malformed(op, "port length "+shortRaw(l.raw[2+hal])+", want 2")
	}
	want := 3 + hal + pal
	if l.n < want || (exact && l.n != want) {
		return ap, notes, false, malformed(op, "expected "+strconv.Itoa(want)+" numbers, got "+strconv.Itoa(l.n))
	}
	n1, err1 := l.checkBytes(op, "octet", 2, 2+hal, false)
	n2, err2 := l.checkBytes(op, "port byte", 3+hal, want, true)
	notes |= n1 | n2
	if err1 != nil {
		return ap, notes, true, err1
	}
	if err2 != nil {
		return ap, notes, true, err2
	}
	port := uint16(l.v[3+hal]<<8 | l.v[4+hal])
	if port == 0 {
		return ap, notes | NotePortZero, true, outOfRange(op, "port 0")
	}
	var a netip.Addr
	if af == 4 {
		a = netip.AddrFrom4([4]byte{byte(l.v[2]), byte(l.v[3]), byte(l.v[4]), byte(l.v[5])})
	} else {
		var b [16]byte
		for k := range b {
			b[k] = byte(l.v[2+k])
		}
		a = netip.AddrFrom16(b)
	}
	return netip.AddrPortFrom(a, port), notes, true, nil
}

// ParseLPRT parses the argument of an LPRT command (RFC 1639):
// "4,4,h1,h2,h3,h4,2,p1,p2" or "6,16,<16 bytes>,2,p1,p2". The address
// length must match the family, the port length must be 2, every number
// must be 0..255, the port must not be 0 and nothing may follow.
func ParseLPRT(arg string) (netip.AddrPort, Notes, error) {
	const op = "LPRT"
	s := trimSpaces(arg)
	var l numList
	end := l.scan(s, 0, maxNums, false)
	if l.n == 0 {
		return netip.AddrPort{}, 0, malformed(op, "expected af,hal,h1,...,pal,p1,p2, got "+quoteArg(arg))
	}
	if end != len(s) {
		return netip.AddrPort{}, l.notes, malformed(op, "trailing garbage "+quoteArg(s[end:]))
	}
	ap, notes, _, err := l.longHostPort(op, true)
	return ap, notes, err
}

// FormatLPRT formats ap as an LPRT argument (IPv4 form for IPv4 and
// IPv4-mapped addresses is not applied: an IPv4-mapped IPv6 address is
// written in the 16-byte form).
func FormatLPRT(ap netip.AddrPort) string {
	a := ap.Addr()
	var bs []byte
	var head string
	if a.Is4() {
		b := a.As4()
		bs = b[:]
		head = "4,4"
	} else {
		b := a.As16()
		bs = b[:]
		head = "6,16"
	}
	buf := []byte(head)
	for _, v := range bs {
		buf = append(buf, ',')
		buf = strconv.AppendInt(buf, int64(v), 10)
	}
	p := ap.Port()
	buf = append(buf, ",2,"...)
	buf = strconv.AppendInt(buf, int64(p>>8), 10)
	buf = append(buf, ',')
	buf = strconv.AppendInt(buf, int64(p&0xff), 10)
	return string(buf)
}
