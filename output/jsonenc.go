package output

import (
	"math"
	"net/netip"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/ftpsniff/ftpsniff/session"
)

// Hand-written JSON encoding of the per-record objects. A run can decide
// millions of transfers, and reflection-based encoding/json cost more than
// the analysis itself on control-heavy captures. The encoders below read the
// session records directly (no intermediate strings or structs) and append
// to the caller's buffer, so a line costs no allocation once the buffer has
// grown. They write exactly the bytes encoding/json (with
// SetEscapeHTML(false)) writes for the schema structs of json.go
// (JSONTransfer from NewJSONTransfer, JSONSession from NewJSONSession); tests
// check that byte for byte on the golden records and on many generated ones.
//
// Keys are appended as literal fragments (`,"key":`) in schema order; when
// the schema changes, change the struct, this encoder and the generator in
// jsonenc_test.go together.

// transfer appends the JSON Lines object of t (without "\n").
func (e *jsonEnc) transfer(b []byte, t *session.Transfer) []byte {
	b = append(b, `{"type":"transfer","id":`...)
	b = strconv.AppendUint(b, t.ID, 10)
	b = append(b, `,"session":`...)
	b = strconv.AppendUint(b, t.SessionID, 10)
	b = e.optTime(b, `,"time":"`, t.Time)
	b = append(b, `,"client":`...)
	b = e.addrPort(b, t.Client)
	b = append(b, `,"server":`...)
	b = e.addrPort(b, t.Server)
	b = append(b, `,"mode":`...)
	b = appendJSONString(b, string(t.Mode))
	b = append(b, `,"negotiation":`...)
	b = appendJSONString(b, string(t.Negotiation))
	b = append(b, `,"negotiation_line":`...)
	b = appendJSONString(b, t.NegotiationLine)
	if r := t.NegotiationReply; r != nil {
		b = append(b, `,"negotiation_reply":`...)
		b = e.reply(b, r)
	}
	if t.Endpoint.IsValid() {
		b = append(b, `,"endpoint":`...)
		b = e.addrPort(b, t.Endpoint)
	}
	b = append(b, `,"command":`...)
	b = appendJSONString(b, t.Command)
	b = append(b, `,"command_arg":`...)
	b = appendJSONString(b, t.CommandArg)
	b = e.optTime(b, `,"command_time":"`, t.CommandTime)
	b = append(b, `,"replies":[`...)
	for i := range t.Replies {
		if i > 0 {
			b = append(b, ',')
		}
		b = e.reply(b, &t.Replies[i])
	}
	b = append(b, `],"verdict":`...)
	b = appendJSONString(b, string(t.Verdict))
	b = append(b, `,"reason":`...)
	b = appendJSONString(b, t.Reason)
	b = append(b, `,"flags":`...)
	e.names = AppendFlagNames(e.names[:0], t.Flags, t.Notes)
	b = appendJSONStrings(b, e.names)
	if d := t.Data; d != nil {
		b = append(b, `,"data":`...)
		b = e.data(b, d)
	}
	b = append(b, `,"attempts":`...)
	b = strconv.AppendInt(b, int64(t.Attempts), 10)
	b = e.optTime(b, `,"decided":"`, t.Decided)
	if w := t.Wire; w != nil {
		b = append(b, `,"wire":{"at_segment_start":`...)
		b = strconv.AppendBool(b, w.AtSegmentStart)
		b = append(b, `,"one_segment":`...)
		b = strconv.AppendBool(b, w.OneSegment)
		b = append(b, `,"lf_only":`...)
		b = strconv.AppendBool(b, w.LFOnly)
		b = append(b, '}')
	}
	return append(b, '}')
}

// reply appends r as encoding/json marshals its JSONReply.
func (e *jsonEnc) reply(b []byte, r *session.Reply) []byte {
	b = append(b, `{"code":`...)
	b = strconv.AppendInt(b, int64(r.Code), 10)
	b = append(b, `,"text":`...)
	b = appendJSONString(b, r.Text)
	b = e.optTime(b, `,"time":"`, r.Time)
	return append(b, '}')
}

// data appends d as encoding/json marshals its JSONData.
func (e *jsonEnc) data(b []byte, d *session.DataConn) []byte {
	b = append(b, `{"connector":`...)
	b = e.addrPort(b, d.Connector)
	b = append(b, `,"listener":`...)
	b = e.addrPort(b, d.Listener)
	b = append(b, `,"syns":`...)
	b = strconv.AppendInt(b, int64(d.SYNs), 10)
	b = e.optTime(b, `,"first_syn":"`, d.FirstSYN)
	b = e.optTime(b, `,"last_syn":"`, d.LastSYN)
	b = e.optTime(b, `,"syn_ack":"`, d.SYNACK)
	b = append(b, `,"established":`...)
	b = strconv.AppendBool(b, d.Established)
	if r := d.RST; r != nil {
		b = append(b, `,"rst":{`...)
		if !r.Time.IsZero() {
			b = e.optTime(b, `"time":"`, r.Time)
			b = append(b, ',')
		}
		b = append(b, `"from_listener":`...)
		b = strconv.AppendBool(b, r.FromListener)
		b = append(b, `,"before_established":`...)
		b = strconv.AppendBool(b, r.BeforeEstablished)
		b = append(b, `,"ttl":`...)
		b = strconv.AppendUint(b, uint64(r.TTL), 10)
		b = append(b, '}')
	}
	if i := d.ICMP; i != nil {
		b = append(b, `,"icmp":{`...)
		if !i.Time.IsZero() {
			b = e.optTime(b, `"time":"`, i.Time)
			b = append(b, ',')
		}
		b = append(b, `"from":`...)
		b = appendJSONAddr(b, i.From)
		b = append(b, `,"v6":`...)
		b = strconv.AppendBool(b, i.V6)
		b = append(b, `,"type":`...)
		b = strconv.AppendUint(b, uint64(i.Type), 10)
		b = append(b, `,"code":`...)
		b = strconv.AppendUint(b, uint64(i.Code), 10)
		b = append(b, `,"ttl":`...)
		b = strconv.AppendUint(b, uint64(i.TTL), 10)
		b = append(b, '}')
	}
	b = append(b, `,"bytes_to_listener":`...)
	b = strconv.AppendUint(b, d.BytesToListener, 10)
	b = append(b, `,"bytes_to_connector":`...)
	b = strconv.AppendUint(b, d.BytesToConnector, 10)
	b = e.optTime(b, `,"last_seen":"`, d.LastSeen)
	b = append(b, `,"closed":`...)
	b = strconv.AppendBool(b, d.Closed)
	b = append(b, `,"duration":`...)
	b = appendJSONFloat(b, seconds(span(d.FirstSYN, d.LastSeen)))
	return append(b, '}')
}

// session appends the JSON Lines object of s (without "\n"). It
// fails only if the verdict counts cannot be encoded.
func (e *jsonEnc) session(b []byte, s *session.Session) ([]byte, error) {
	b = append(b, `{"type":"session","id":`...)
	b = strconv.AppendUint(b, s.ID, 10)
	b = append(b, `,"client":`...)
	b = e.addrPort(b, s.Client)
	b = append(b, `,"server":`...)
	b = e.addrPort(b, s.Server)
	b = e.optTime(b, `,"start":"`, s.Start)
	b = e.optTime(b, `,"end":"`, s.End)
	b = append(b, `,"duration":`...)
	b = appendJSONFloat(b, seconds(span(s.Start, s.End)))
	b = append(b, `,"greeting":`...)
	b = appendJSONString(b, s.Greeting)
	b = append(b, `,"system":`...)
	b = appendJSONString(b, s.System)
	b = append(b, `,"user":`...)
	b = appendJSONString(b, s.User)
	b = append(b, `,"password":`...)
	b = appendJSONString(b, s.Password)
	b = append(b, `,"tls":`...)
	b = strconv.AppendBool(b, s.TLS)
	b = append(b, `,"gaps":`...)
	b = strconv.AppendInt(b, int64(s.Gaps), 10)
	b = append(b, `,"gap_bytes":`...)
	b = strconv.AppendInt(b, s.GapBytes, 10)
	b = append(b, `,"mid_stream":`...)
	b = strconv.AppendBool(b, s.MidStream)
	b = append(b, `,"detected_by":`...)
	b = appendJSONString(b, string(s.DetectedBy))
	b = append(b, `,"commands":`...)
	b = strconv.AppendInt(b, int64(s.Commands), 10)
	b = append(b, `,"replies":`...)
	b = strconv.AppendInt(b, int64(s.Replies), 10)
	vt := tally(s.Verdicts)
	b = append(b, `,"transfers":`...)
	b = strconv.AppendInt(b, int64(vt.total), 10)
	b = append(b, `,"failed":`...)
	b = strconv.AppendInt(b, int64(vt.failed), 10)
	b = append(b, `,"verdicts":`...)
	var err error
	if b, err = appendVerdictCounts(b, s.Verdicts, &vt); err != nil {
		return nil, err
	}
	b = append(b, `,"flags":`...)
	e.names = AppendFlagNames(e.names[:0], s.Flags, 0)
	b = appendJSONStrings(b, e.names)
	b = append(b, `,"anomalies":`...)
	b = appendJSONStrings(b, s.Anomalies)
	b = append(b, `,"closed":`...)
	b = appendJSONString(b, string(s.Closed))
	b = append(b, `,"verdict":`...)
	b = appendJSONString(b, string(s.Verdict))
	b = append(b, `,"reason":`...)
	b = appendJSONString(b, s.Reason)
	return append(b, '}'), nil
}

// verdictTally is a session's verdict counts read in one pass over its map.
type verdictTally struct {
	counts        [16]int // by index in session.Verdicts
	total, failed int
	// other is set when the map holds a verdict outside session.Verdicts
	// (or session.Verdicts is longer than counts).
	other bool
}

// tally reads m once, without allocating.
func tally(m map[session.Verdict]int) verdictTally {
	vt := verdictTally{other: len(session.Verdicts) > len(verdictTally{}.counts)}
	for v, n := range m {
		vt.total += n
		if v.Failed() {
			vt.failed += n
		}
		if i := verdictIndex(v); i >= 0 && i < len(vt.counts) {
			vt.counts[i] = n
		} else {
			vt.other = true
		}
	}
	return vt
}

// appendVerdictCounts appends m, tallied as vt, as VerdictCounts.MarshalJSON
// writes it: directly for the usual map, through MarshalJSON when it holds
// other verdicts.
func appendVerdictCounts(b []byte, m map[session.Verdict]int, vt *verdictTally) ([]byte, error) {
	if vt.other {
		vc, err := VerdictCounts(m).MarshalJSON()
		if err != nil {
			return nil, err
		}
		return append(b, vc...), nil
	}
	b = append(b, '{')
	for i, v := range session.Verdicts {
		if i > 0 {
			b = append(b, ',')
		}
		// The verdict words are plain ASCII, so MarshalJSON's HTML
		// escaping does not apply to them.
		b = appendJSONString(b, string(v))
		b = append(b, ':')
		b = strconv.AppendInt(b, int64(vt.counts[i]), 10)
	}
	return append(b, '}'), nil
}

// verdictIndex returns the index of v in session.Verdicts, or -1.
func verdictIndex(v session.Verdict) int {
	for i, w := range session.Verdicts {
		if w == v {
			return i
		}
	}
	return -1
}

// optTime appends a timestamp field that has omitempty: nothing for
// the zero time, otherwise lit (the key fragment, ending in the opening
// quote), the time and the closing quote.
func (e *jsonEnc) optTime(b []byte, lit string, t time.Time) []byte {
	if t.IsZero() {
		return b
	}
	b = append(b, lit...)
	b = e.time(b, t)
	return append(b, '"')
}

// appendJSONAddrPort appends an endpoint as the JSON string addrPort
// renders: "" when invalid.
func appendJSONAddrPort(b []byte, a netip.AddrPort) []byte {
	switch {
	case !a.IsValid():
		return append(b, '"', '"')
	case a.Addr().Zone() != "":
		// A zone is free text; quote it like any other string (rare).
		return appendJSONString(b, a.String())
	}
	b = append(b, '"')
	b = a.AppendTo(b)
	return append(b, '"')
}

// appendJSONAddr appends an address as the JSON string addr renders: ""
// when invalid.
func appendJSONAddr(b []byte, a netip.Addr) []byte {
	switch {
	case !a.IsValid():
		return append(b, '"', '"')
	case a.Zone() != "":
		return appendJSONString(b, a.String())
	}
	b = append(b, '"')
	b = a.AppendTo(b)
	return append(b, '"')
}

// appendJSONStrings appends a JSON array of strings; nil is written as []
// (the schema's arrays are never null).
func appendJSONStrings(b []byte, v []string) []byte {
	b = append(b, '[')
	for i, s := range v {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, s)
	}
	return append(b, ']')
}

// appendJSONFloat formats f as encoding/json does.
func appendJSONFloat(b []byte, f float64) []byte {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		return append(b, '0') // encoding/json would fail; durations are finite
	}
	abs := math.Abs(f)
	format := byte('f')
	if abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	b = strconv.AppendFloat(b, f, format, -1, 64)
	if format == 'e' {
		// clean up e-09 to e-9
		n := len(b)
		if n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b
}

const hexDigits = "0123456789abcdef"

// appendJSONString quotes s as encoding/json does with HTML escaping off:
// control characters, quote and backslash escaped, invalid UTF-8 replaced
// by U+FFFD, U+2028 and U+2029 escaped.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		// Skip plain ASCII eight bytes at a time: no byte >= 0x80, < 0x20,
		// '"' or '\\'.
		for i+8 <= len(s) {
			w := s[i : i+8]
			x := uint64(w[0]) | uint64(w[1])<<8 | uint64(w[2])<<16 | uint64(w[3])<<24 |
				uint64(w[4])<<32 | uint64(w[5])<<40 | uint64(w[6])<<48 | uint64(w[7])<<56
			if hasSpecial(x) {
				break
			}
			i += 8
		}
		if i >= len(s) {
			break
		}
		if c := s[i]; c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '\\', '"':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// hasSpecial reports whether any of the eight bytes packed in x needs
// attention in a JSON string: a byte >= 0x80, < 0x20, '"' or '\\'.
func hasSpecial(x uint64) bool {
	const (
		lo = 0x0101010101010101
		hi = 0x8080808080808080
	)
	if x&hi != 0 {
		return true
	}
	// Every byte is below 0x80 now, so adding 0x60 carries into no other
	// byte, and sets the top bit exactly of the bytes >= 0x20.
	ctl := ^(x + 0x6060606060606060) & hi
	// (v-lo)&^v&hi is non-zero exactly when v has a zero byte.
	q, bs := x^(lo*'"'), x^(lo*'\\')
	return ctl|((q-lo)&^q&hi)|((bs-lo)&^bs&hi) != 0
}

// maxFastUnix bounds the Unix seconds appendJSONTime formats without the
// time package: 10000-01-01T00:00:00Z.
const maxFastUnix = 253402300800

// digitPairs holds "00" to "99".
const digitPairs = "00010203040506070809" +
	"10111213141516171819" +
	"20212223242526272829" +
	"30313233343536373839" +
	"40414243444546474849" +
	"50515253545556575859" +
	"60616263646566676869" +
	"70717273747576777879" +
	"80818283848586878889" +
	"90919293949596979899"

// appendJSONTime appends t in UTC as LayoutJSON, without the layout
// interpreter's cost: "2006-01-02T15:04:05.000000000Z".
func appendJSONTime(b []byte, t time.Time) []byte {
	var e jsonEnc
	return e.time(b, t)
}

// jsonEnc holds what the encoders reuse from one timestamp to the next: the
// date of the last day formatted (the timestamps of a record, and of
// consecutive records, mostly share it). The zero value is ready to use.
type jsonEnc struct {
	names []string // reused for flag names
	day   int64    // days since 1970-01-01, plus one; 0 when date is unset
	date  [10]byte
	// addrs caches the text of recent addresses (direct-mapped by a hash
	// of the address): a session's client and server appear in every one
	// of its records, and IPv6 text is dear to make.
	addrs [addrCacheSlots]struct {
		a    netip.Addr
		text []byte
	}
}

// addrCacheSlots is the size of jsonEnc's address cache.
const addrCacheSlots = 256

// addrPort appends a as appendJSONAddrPort does, taking the address text
// from the cache.
func (e *jsonEnc) addrPort(b []byte, a netip.AddrPort) []byte {
	ip := a.Addr()
	if !a.IsValid() || ip.Zone() != "" {
		return appendJSONAddrPort(b, a)
	}
	a16 := ip.As16()
	h := uint32(a16[15]) | uint32(a16[14])<<8 | uint32(a16[13])<<16 | uint32(a16[3])<<24
	h ^= uint32(a16[7]) << 4
	slot := &e.addrs[(h*2654435761)>>24%addrCacheSlots]
	if slot.a != ip {
		slot.a = ip
		slot.text = ip.AppendTo(slot.text[:0])
	}
	b = append(b, '"')
	if ip.Is6() {
		b = append(b, '[')
		b = append(b, slot.text...)
		b = append(b, ']', ':')
	} else {
		b = append(b, slot.text...)
		b = append(b, ':')
	}
	b = strconv.AppendUint(b, uint64(a.Port()), 10)
	return append(b, '"')
}

// time appends t as appendJSONTime does.
func (e *jsonEnc) time(b []byte, t time.Time) []byte {
	sec := t.Unix()
	if sec < 0 || sec >= maxFastUnix {
		return appendJSONTimeSlow(b, t)
	}
	days, rem := sec/86400, int(sec%86400)
	if days+1 != e.day {
		y, m, d := civilDate(int(days))
		put2(e.date[0:], y/100)
		put2(e.date[2:], y%100)
		e.date[4] = '-'
		put2(e.date[5:], m)
		e.date[7] = '-'
		put2(e.date[8:], d)
		e.day = days + 1
	}
	ns := t.Nanosecond()
	n := len(b)
	b = append(b, e.date[:]...)
	b = append(b, "T00:00:00.000000000Z"...)
	buf := b[n+10 : n+30]
	put2(buf[1:], rem/3600)
	put2(buf[4:], rem/60%60)
	put2(buf[7:], rem%60)
	buf[10] = byte('0' + ns/1e8)
	ns %= 1e8
	put2(buf[11:], ns/1e6)
	put2(buf[13:], ns/1e4%100)
	put2(buf[15:], ns/100%100)
	put2(buf[17:], ns%100)
	return b
}

// put2 writes v (0 to 99) as two digits at b[0:2].
func put2(b []byte, v int) {
	b[0], b[1] = digitPairs[2*v], digitPairs[2*v+1]
}

// civilDate converts days since 1970-01-01 (non-negative) to a proleptic
// Gregorian date (Howard Hinnant's days_from_civil inverse).
func civilDate(days int) (year, month, day int) {
	z := days + 719468
	era := z / 146097
	doe := z - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	day = doy - (153*mp+2)/5 + 1
	month = mp + 3
	if mp >= 10 {
		month = mp - 9
	}
	year = yoe + era*400
	if month <= 2 {
		year++
	}
	return year, month, day
}

// appendJSONTimeSlow is appendJSONTime for times before 1970 or after 9999.
func appendJSONTimeSlow(b []byte, t time.Time) []byte {
	t = t.UTC()
	y, mo, d := t.Date()
	h, mi, s := t.Clock()
	b = appendDigits(b, y, 4)
	b = append(b, '-')
	b = appendDigits(b, int(mo), 2)
	b = append(b, '-')
	b = appendDigits(b, d, 2)
	b = append(b, 'T')
	b = appendDigits(b, h, 2)
	b = append(b, ':')
	b = appendDigits(b, mi, 2)
	b = append(b, ':')
	b = appendDigits(b, s, 2)
	b = append(b, '.')
	b = appendDigits(b, t.Nanosecond(), 9)
	return append(b, 'Z')
}

// appendDigits appends v zero-padded to width digits.
func appendDigits(b []byte, v, width int) []byte {
	var buf [20]byte
	i := len(buf)
	for v >= 10 || width > 1 {
		i--
		buf[i] = byte('0' + v%10)
		v /= 10
		width--
	}
	i--
	buf[i] = byte('0' + v)
	return append(b, buf[i:]...)
}
