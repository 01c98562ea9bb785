package output

import (
	"math"
	"strconv"
	"time"
	"unicode/utf8"
)

// Hand-written JSON encoding of the per-record objects. A run can decide
// millions of transfers, and reflection-based encoding/json cost more than
// the analysis itself on control-heavy captures. The bytes are exactly what
// encoding/json (with SetEscapeHTML(false)) writes for the same structs; a
// test checks that on every golden record.

// jsonObj appends the fields of one JSON object.
type jsonObj struct {
	b     []byte
	first bool
}

func newObj(b []byte) jsonObj { return jsonObj{b: append(b, '{'), first: true} }

func (o *jsonObj) key(k string) {
	if !o.first {
		o.b = append(o.b, ',')
	}
	o.first = false
	o.b = append(o.b, '"')
	o.b = append(o.b, k...)
	o.b = append(o.b, '"', ':')
}

func (o *jsonObj) str(k, v string) {
	o.key(k)
	o.b = appendJSONString(o.b, v)
}

// optStr writes a string field that has omitempty.
func (o *jsonObj) optStr(k, v string) {
	if v != "" {
		o.str(k, v)
	}
}

func (o *jsonObj) uint(k string, v uint64) {
	o.key(k)
	o.b = strconv.AppendUint(o.b, v, 10)
}

func (o *jsonObj) int(k string, v int64) {
	o.key(k)
	o.b = strconv.AppendInt(o.b, v, 10)
}

func (o *jsonObj) bool(k string, v bool) {
	o.key(k)
	o.b = strconv.AppendBool(o.b, v)
}

func (o *jsonObj) float(k string, v float64) {
	o.key(k)
	o.b = appendJSONFloat(o.b, v)
}

func (o *jsonObj) strs(k string, v []string) {
	o.key(k)
	o.b = append(o.b, '[')
	for i, s := range v {
		if i > 0 {
			o.b = append(o.b, ',')
		}
		o.b = appendJSONString(o.b, s)
	}
	o.b = append(o.b, ']')
}

func (o *jsonObj) end() []byte { return append(o.b, '}') }

// appendJSON appends t as encoding/json would marshal it.
func (j *JSONTransfer) appendJSON(b []byte) []byte {
	o := newObj(b)
	o.str("type", j.Type)
	o.uint("id", j.ID)
	o.uint("session", j.Session)
	o.optStr("time", j.Time)
	o.str("client", j.Client)
	o.str("server", j.Server)
	o.str("mode", j.Mode)
	o.str("negotiation", j.Negotiation)
	o.str("negotiation_line", j.NegotiationLine)
	if j.NegotiationReply != nil {
		o.key("negotiation_reply")
		o.b = j.NegotiationReply.appendJSON(o.b)
	}
	o.optStr("endpoint", j.Endpoint)
	o.str("command", j.Command)
	o.str("command_arg", j.CommandArg)
	o.optStr("command_time", j.CommandTime)
	o.key("replies")
	if j.Replies == nil {
		o.b = append(o.b, "null"...)
	} else {
		o.b = append(o.b, '[')
		for i := range j.Replies {
			if i > 0 {
				o.b = append(o.b, ',')
			}
			o.b = j.Replies[i].appendJSON(o.b)
		}
		o.b = append(o.b, ']')
	}
	o.str("verdict", j.Verdict)
	o.str("reason", j.Reason)
	o.strsOrNull("flags", j.Flags)
	if d := j.Data; d != nil {
		o.key("data")
		o.b = d.appendJSON(o.b)
	}
	o.int("attempts", int64(j.Attempts))
	o.optStr("decided", j.Decided)
	if w := j.Wire; w != nil {
		o.key("wire")
		w2 := newObj(o.b)
		w2.bool("at_segment_start", w.AtSegmentStart)
		w2.bool("one_segment", w.OneSegment)
		w2.bool("lf_only", w.LFOnly)
		o.b = w2.end()
	}
	return o.end()
}

// strsOrNull writes a string array, or null for a nil slice (as
// encoding/json does).
func (o *jsonObj) strsOrNull(k string, v []string) {
	if v == nil {
		o.key(k)
		o.b = append(o.b, "null"...)
		return
	}
	o.strs(k, v)
}

func (r *JSONReply) appendJSON(b []byte) []byte {
	o := newObj(b)
	o.int("code", int64(r.Code))
	o.str("text", r.Text)
	o.optStr("time", r.Time)
	return o.end()
}

func (d *JSONData) appendJSON(b []byte) []byte {
	o := newObj(b)
	o.str("connector", d.Connector)
	o.str("listener", d.Listener)
	o.int("syns", int64(d.SYNs))
	o.optStr("first_syn", d.FirstSYN)
	o.optStr("last_syn", d.LastSYN)
	o.optStr("syn_ack", d.SYNACK)
	o.bool("established", d.Established)
	if r := d.RST; r != nil {
		o.key("rst")
		r2 := newObj(o.b)
		r2.optStr("time", r.Time)
		r2.bool("from_listener", r.FromListener)
		r2.bool("before_established", r.BeforeEstablished)
		r2.uint("ttl", uint64(r.TTL))
		o.b = r2.end()
	}
	if i := d.ICMP; i != nil {
		o.key("icmp")
		i2 := newObj(o.b)
		i2.optStr("time", i.Time)
		i2.str("from", i.From)
		i2.bool("v6", i.V6)
		i2.uint("type", uint64(i.Type))
		i2.uint("code", uint64(i.Code))
		i2.uint("ttl", uint64(i.TTL))
		o.b = i2.end()
	}
	o.uint("bytes_to_listener", d.BytesToListener)
	o.uint("bytes_to_connector", d.BytesToConnector)
	o.optStr("last_seen", d.LastSeen)
	o.bool("closed", d.Closed)
	o.float("duration", d.Duration)
	return o.end()
}

// appendJSON appends s as encoding/json would marshal it.
func (s *JSONSession) appendJSON(b []byte) ([]byte, error) {
	o := newObj(b)
	o.str("type", s.Type)
	o.uint("id", s.ID)
	o.str("client", s.Client)
	o.str("server", s.Server)
	o.optStr("start", s.Start)
	o.optStr("end", s.End)
	o.float("duration", s.Duration)
	o.str("greeting", s.Greeting)
	o.str("system", s.System)
	o.str("user", s.User)
	o.str("password", s.Password)
	o.bool("tls", s.TLS)
	o.int("gaps", int64(s.Gaps))
	o.int("gap_bytes", s.GapBytes)
	o.bool("mid_stream", s.MidStream)
	o.str("detected_by", s.DetectedBy)
	o.int("commands", int64(s.Commands))
	o.int("replies", int64(s.Replies))
	o.int("transfers", int64(s.Transfers))
	o.int("failed", int64(s.Failed))
	o.key("verdicts")
	vc, err := s.Verdicts.MarshalJSON()
	if err != nil {
		return nil, err
	}
	o.b = append(o.b, vc...)
	o.strsOrNull("flags", s.Flags)
	o.strsOrNull("anomalies", s.Anomalies)
	o.str("closed", s.Closed)
	return o.end(), nil
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

// appendJSONTime appends t in UTC as LayoutJSON, without the layout
// interpreter's cost.
func appendJSONTime(b []byte, t time.Time) []byte {
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
