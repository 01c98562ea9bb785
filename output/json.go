package output

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strconv"

	"github.com/ftpsniff/ftpsniff/session"
)

// The JSON Lines schema. Field names and their order are a stable contract,
// documented field by field in docs/output.md. Rules:
//   - strings, numbers, booleans and arrays are always present (arrays may
//     be empty, never null);
//   - objects (negotiation_reply, data, rst, icmp), endpoints and timestamps
//     are omitted when they do not exist;
//   - times are UTC RFC 3339 with nanoseconds, durations float seconds.
//
// The structs below are the schema's reference: encoding/json of
// NewJSONTransfer(t) and NewJSONSession(s) defines the bytes of a line.
// NewJSON does not build them: it encodes straight from the session records
// (jsonenc.go), and tests hold the two byte-identical.

// JSONTransfer is the JSON Lines object written for each transfer.
type JSONTransfer struct {
	Type             string      `json:"type"` // "transfer"
	ID               uint64      `json:"id"`
	Session          uint64      `json:"session"`
	Time             string      `json:"time,omitempty"`
	Client           string      `json:"client"`
	Server           string      `json:"server"`
	Mode             string      `json:"mode"`
	Negotiation      string      `json:"negotiation"`
	NegotiationLine  string      `json:"negotiation_line"`
	NegotiationReply *JSONReply  `json:"negotiation_reply,omitempty"`
	Endpoint         string      `json:"endpoint,omitempty"`
	Command          string      `json:"command"`
	CommandArg       string      `json:"command_arg"`
	CommandTime      string      `json:"command_time,omitempty"`
	Replies          []JSONReply `json:"replies"`
	Verdict          string      `json:"verdict"`
	Reason           string      `json:"reason"`
	Flags            []string    `json:"flags"`
	Data             *JSONData   `json:"data,omitempty"`
	Attempts         int         `json:"attempts"`
	Decided          string      `json:"decided,omitempty"`
	Wire             *JSONWire   `json:"wire,omitempty"`
}

// JSONWire says how the line carrying the endpoint sat in its TCP segment.
type JSONWire struct {
	AtSegmentStart bool `json:"at_segment_start"`
	OneSegment     bool `json:"one_segment"`
	LFOnly         bool `json:"lf_only"`
}

// JSONReply is one FTP reply; Text joins the lines of a multi-line reply
// with "\n".
type JSONReply struct {
	Code int    `json:"code"`
	Text string `json:"text"`
	Time string `json:"time,omitempty"`
}

// JSONData is the data connection matched to a transfer.
type JSONData struct {
	Connector        string    `json:"connector"`
	Listener         string    `json:"listener"`
	SYNs             int       `json:"syns"`
	FirstSYN         string    `json:"first_syn,omitempty"`
	LastSYN          string    `json:"last_syn,omitempty"`
	SYNACK           string    `json:"syn_ack,omitempty"`
	Established      bool      `json:"established"`
	RST              *JSONRST  `json:"rst,omitempty"`
	ICMP             *JSONICMP `json:"icmp,omitempty"`
	BytesToListener  uint64    `json:"bytes_to_listener"`
	BytesToConnector uint64    `json:"bytes_to_connector"`
	LastSeen         string    `json:"last_seen,omitempty"`
	Closed           bool      `json:"closed"`
	// Duration is last_seen minus first_syn in seconds (0 when unknown).
	Duration float64 `json:"duration"`
}

// JSONRST is the first RST seen on a data connection.
type JSONRST struct {
	Time              string `json:"time,omitempty"`
	FromListener      bool   `json:"from_listener"`
	BeforeEstablished bool   `json:"before_established"`
	TTL               uint8  `json:"ttl"`
}

// JSONICMP is an ICMP or ICMPv6 error quoting a data connection's SYN.
type JSONICMP struct {
	Time string `json:"time,omitempty"`
	From string `json:"from"`
	V6   bool   `json:"v6"`
	Type uint8  `json:"type"`
	Code uint8  `json:"code"`
	TTL  uint8  `json:"ttl"`
}

// JSONSession is the JSON Lines object written when a session ends.
type JSONSession struct {
	Type       string        `json:"type"` // "session"
	ID         uint64        `json:"id"`
	Client     string        `json:"client"`
	Server     string        `json:"server"`
	Start      string        `json:"start,omitempty"`
	End        string        `json:"end,omitempty"`
	Duration   float64       `json:"duration"`
	Greeting   string        `json:"greeting"`
	System     string        `json:"system"`
	User       string        `json:"user"`
	Password   string        `json:"password"`
	TLS        bool          `json:"tls"`
	Gaps       int           `json:"gaps"`
	GapBytes   int64         `json:"gap_bytes"`
	MidStream  bool          `json:"mid_stream"`
	DetectedBy string        `json:"detected_by"`
	Commands   int           `json:"commands"`
	Replies    int           `json:"replies"`
	Transfers  int           `json:"transfers"`
	Failed     int           `json:"failed"`
	Verdicts   VerdictCounts `json:"verdicts"`
	Flags      []string      `json:"flags"`
	Anomalies  []string      `json:"anomalies"`
	Closed     string        `json:"closed"`
	// Verdict and Reason are set for a blocked control connection
	// (dropped, reset or unreachable); "" for a session that got going.
	Verdict string `json:"verdict"`
	Reason  string `json:"reason"`
}

// JSONSummary is the single JSON Lines object written at Close.
type JSONSummary struct {
	Type            string        `json:"type"` // "summary"
	Packets         uint64        `json:"packets"`
	Bytes           uint64        `json:"bytes"`
	Undecoded       uint64        `json:"undecoded"`
	Truncated       uint64        `json:"truncated"`
	KernelDrops     uint64        `json:"kernel_drops"`
	StateLimitDrops uint64        `json:"state_limit_drops"`
	Sessions        int           `json:"sessions"`
	Transfers       int           `json:"transfers"`
	Failed          int           `json:"failed"`
	Verdicts        VerdictCounts `json:"verdicts"`
	First           string        `json:"first,omitempty"`
	Last            string        `json:"last,omitempty"`
	Duration        float64       `json:"duration"`
	InputErrors     []string      `json:"input_errors"`
	// Superseded counts negotiations replaced before use (in Verdicts too);
	// Blocked the control connections never established (in Sessions too).
	Superseded int         `json:"superseded"`
	Blocked    int         `json:"blocked"`
	Quality    JSONQuality `json:"quality"`
	Flags      []string    `json:"flags"`
}

// JSONQuality is what the capture could not show (session.CaptureQuality).
type JSONQuality struct {
	DuplicateFrames uint64 `json:"duplicate_frames"`
	OneSidedConns   int    `json:"one_sided_conns"`
	OneSidedPairs   int    `json:"one_sided_pairs"`
	ControlGaps     int    `json:"control_gaps"`
	ControlGapBytes int64  `json:"control_gap_bytes"`
	TruncatedFTP    uint64 `json:"truncated_ftp"`
	ClockJumps      int    `json:"clock_jumps"`
	ClockSkews      int    `json:"clock_skews"`
}

// VerdictCounts is a count per verdict. It marshals as a JSON object with
// every verdict of session.Verdicts as a key, in that order (failures first,
// zeros included), followed by any other verdict present, sorted by name.
type VerdictCounts map[session.Verdict]int

// MarshalJSON implements json.Marshaler with a stable key order.
func (vc VerdictCounts) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, c := range orderedCounts(vc, true) {
		if i > 0 {
			b.WriteByte(',')
		}
		k, err := json.Marshal(string(c.Verdict))
		if err != nil {
			return nil, err
		}
		b.Write(k)
		b.WriteByte(':')
		b.WriteString(strconv.Itoa(c.Count))
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// NewJSONTransfer converts a transfer to its JSON Lines object.
func NewJSONTransfer(t *session.Transfer) JSONTransfer {
	j := JSONTransfer{
		Type:            "transfer",
		ID:              t.ID,
		Session:         t.SessionID,
		Time:            jsonTime(t.Time),
		Client:          addrPort(t.Client),
		Server:          addrPort(t.Server),
		Mode:            string(t.Mode),
		Negotiation:     string(t.Negotiation),
		NegotiationLine: t.NegotiationLine,
		Endpoint:        addrPort(t.Endpoint),
		Command:         t.Command,
		CommandArg:      t.CommandArg,
		CommandTime:     jsonTime(t.CommandTime),
		Replies:         make([]JSONReply, 0, len(t.Replies)),
		Verdict:         string(t.Verdict),
		Reason:          t.Reason,
		Flags:           nonNil(FlagNames(t.Flags, t.Notes)),
		Attempts:        t.Attempts,
		Decided:         jsonTime(t.Decided),
	}
	if w := t.Wire; w != nil {
		j.Wire = &JSONWire{AtSegmentStart: w.AtSegmentStart, OneSegment: w.OneSegment, LFOnly: w.LFOnly}
	}
	if r := t.NegotiationReply; r != nil {
		j.NegotiationReply = &JSONReply{Code: r.Code, Text: r.Text, Time: jsonTime(r.Time)}
	}
	for _, r := range t.Replies {
		j.Replies = append(j.Replies, JSONReply{Code: r.Code, Text: r.Text, Time: jsonTime(r.Time)})
	}
	if d := t.Data; d != nil {
		jd := &JSONData{
			Connector:        addrPort(d.Connector),
			Listener:         addrPort(d.Listener),
			SYNs:             d.SYNs,
			FirstSYN:         jsonTime(d.FirstSYN),
			LastSYN:          jsonTime(d.LastSYN),
			SYNACK:           jsonTime(d.SYNACK),
			Established:      d.Established,
			BytesToListener:  d.BytesToListener,
			BytesToConnector: d.BytesToConnector,
			LastSeen:         jsonTime(d.LastSeen),
			Closed:           d.Closed,
			Duration:         seconds(span(d.FirstSYN, d.LastSeen)),
		}
		if r := d.RST; r != nil {
			jd.RST = &JSONRST{Time: jsonTime(r.Time), FromListener: r.FromListener,
				BeforeEstablished: r.BeforeEstablished, TTL: r.TTL}
		}
		if i := d.ICMP; i != nil {
			jd.ICMP = &JSONICMP{Time: jsonTime(i.Time), From: addr(i.From), V6: i.V6,
				Type: i.Type, Code: i.Code, TTL: i.TTL}
		}
		j.Data = jd
	}
	return j
}

// NewJSONSession converts a session to its JSON Lines object.
func NewJSONSession(s *session.Session) JSONSession {
	total, failed := countTotals(s.Verdicts)
	return JSONSession{
		Type:       "session",
		ID:         s.ID,
		Client:     addrPort(s.Client),
		Server:     addrPort(s.Server),
		Start:      jsonTime(s.Start),
		End:        jsonTime(s.End),
		Duration:   seconds(span(s.Start, s.End)),
		Greeting:   s.Greeting,
		System:     s.System,
		User:       s.User,
		Password:   s.Password,
		TLS:        s.TLS,
		Gaps:       s.Gaps,
		GapBytes:   s.GapBytes,
		MidStream:  s.MidStream,
		DetectedBy: string(s.DetectedBy),
		Commands:   s.Commands,
		Replies:    s.Replies,
		Transfers:  total,
		Failed:     failed,
		Verdicts:   VerdictCounts(s.Verdicts),
		Flags:      nonNil(FlagNames(s.Flags, 0)),
		Anomalies:  nonNil(s.Anomalies),
		Closed:     string(s.Closed),
		Verdict:    string(s.Verdict),
		Reason:     s.Reason,
	}
}

// NewJSONSummary converts the run summary to its JSON Lines object.
func NewJSONSummary(sum *session.Summary) JSONSummary {
	_, failed := countTotals(sum.Verdicts)
	q := &sum.Quality
	return JSONSummary{
		Type:            "summary",
		Packets:         sum.Packets,
		Bytes:           sum.Bytes,
		Undecoded:       sum.Undecoded,
		Truncated:       sum.Truncated,
		KernelDrops:     sum.KernelDrops,
		StateLimitDrops: sum.StateLimitDrops,
		Sessions:        sum.Sessions,
		Transfers:       sum.Transfers,
		Failed:          failed,
		Verdicts:        VerdictCounts(sum.Verdicts),
		First:           jsonTime(sum.First),
		Last:            jsonTime(sum.Last),
		Duration:        seconds(span(sum.First, sum.Last)),
		InputErrors:     nonNil(sum.InputErrors),
		Superseded:      sum.Superseded,
		Blocked:         sum.Blocked,
		Quality: JSONQuality{
			DuplicateFrames: q.DuplicateFrames, OneSidedConns: q.OneSidedConns, OneSidedPairs: q.OneSidedPairs,
			ControlGaps: q.ControlGaps, ControlGapBytes: q.ControlGapBytes, TruncatedFTP: q.TruncatedFTP,
			ClockJumps: q.ClockJumps, ClockSkews: q.ClockSkews,
		},
		Flags: nonNil(FlagNames(sum.Flags, 0)),
	}
}

// nonNil returns s, or an empty slice when s is nil, so that JSON arrays
// are never null.
func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// errNil is returned when a writer is given a nil record.
var errNil = errors.New("output: nil record")

// jsonWriter writes JSON Lines, one object per record, as records arrive.
type jsonWriter struct {
	w   io.Writer
	enc *json.Encoder
	buf []byte  // the line being written, reused
	je  jsonEnc // the hand encoder's state
}

// NewJSON returns a Writer that streams JSON Lines to w: one "transfer"
// object per transfer and one "session" object per session as they are
// decided, then one "summary" object at Close. Each object is written with a
// single Write call and ends with "\n"; HTML characters are not escaped.
// The writer does not buffer, so piping into jq works live.
func NewJSON(w io.Writer) Writer {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return &jsonWriter{w: w, enc: enc}
}

// Transfer implements Writer.
func (j *jsonWriter) Transfer(t *session.Transfer) error {
	if t == nil {
		return errNil
	}
	j.buf = append(j.je.transfer(j.buf[:0], t), '\n')
	_, err := j.w.Write(j.buf)
	return err
}

// Session implements Writer.
func (j *jsonWriter) Session(s *session.Session) error {
	if s == nil {
		return errNil
	}
	b, err := j.je.session(j.buf[:0], s)
	if err != nil {
		return err
	}
	j.buf = append(b, '\n')
	_, err = j.w.Write(j.buf)
	return err
}

// Close implements Writer. It does not close the underlying io.Writer.
func (j *jsonWriter) Close(sum *session.Summary) error {
	if sum == nil {
		return errNil
	}
	return j.enc.Encode(NewJSONSummary(sum))
}
