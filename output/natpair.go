package output

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"

	"github.com/ftpsniff/ftpsniff/audit"
)

type jsonNATPair struct {
	Type        string `json:"type"`
	InsideTime  string `json:"inside_time,omitempty"`
	OutsideTime string `json:"outside_time,omitempty"`
	*audit.NATPair
}

type jsonNATSummary struct {
	Type            string         `json:"type"`
	InsideFile      string         `json:"inside_file"`
	OutsideFile     string         `json:"outside_file"`
	InsideSessions  int            `json:"inside_sessions"`
	OutsideSessions int            `json:"outside_sessions"`
	MatchedSessions int            `json:"matched_sessions"`
	ClockOffset     float64        `json:"clock_offset_seconds"`
	Verdicts        map[string]int `json:"verdicts"`
	FailOn          []string       `json:"fail_on"`
	FailOnMatched   int            `json:"fail_on_matched"`
}

// WriteNATPairJSON writes the comparison as JSON Lines: one "natpair"
// object per negotiation, then one "natpair-summary" (see docs/audit.md).
func WriteNATPairJSON(w io.Writer, r *audit.NATPairReport, failOn []string) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	for _, p := range r.Pairs {
		if err := enc.Encode(jsonNATPair{Type: "natpair", InsideTime: jsonTime(p.InsideTime),
			OutsideTime: jsonTime(p.OutsideTime), NATPair: p}); err != nil {
			return fmt.Errorf("writing natpair: %w", err)
		}
	}
	fo := failOn
	if fo == nil {
		fo = []string{}
	}
	vs := map[string]int{}
	for _, v := range audit.NATVerdicts {
		vs[string(v)] = r.Count(v)
	}
	if err := enc.Encode(jsonNATSummary{Type: "natpair-summary", InsideFile: r.InsideFile, OutsideFile: r.OutsideFile,
		InsideSessions: r.InsideSessions, OutsideSessions: r.OutsideSessions, MatchedSessions: r.MatchedSessions,
		ClockOffset: r.ClockOffset.Seconds(), Verdicts: vs, FailOn: fo, FailOnMatched: len(r.Matches(failOn))}); err != nil {
		return fmt.Errorf("writing natpair summary: %w", err)
	}
	return nil
}

// WriteNATPairTable writes the comparison for people: a table of the
// negotiations, then each one's lines and reason.
func WriteNATPairTable(w io.Writer, r *audit.NATPairReport, failOn []string) error {
	var buf bytes.Buffer
	fmt.Fprintf(&buf, "NAT PAIR inside %s, outside %s: %d/%d sessions matched, clock offset %s\n\n",
		r.InsideFile, r.OutsideFile, r.MatchedSessions, max(r.InsideSessions, r.OutsideSessions), r.ClockOffset)
	if len(r.Pairs) > 0 {
		rows := make([][]string, 0, len(r.Pairs))
		for i, p := range r.Pairs {
			rows = append(rows, []string{fmt.Sprint(i + 1), natSessString(p.Inside), natSessString(p.Outside), p.Negotiation,
				dash(p.InsideEndpoint), dash(p.OutsideEndpoint), string(p.Verdict), dash(p.Problem)})
		}
		if err := renderTable(&buf, []string{"#", "INSIDE SESSION", "OUTSIDE SESSION", "NEG", "INSIDE ENDPOINT",
			"OUTSIDE ENDPOINT", "VERDICT", "PROBLEM"}, rows, nil); err != nil {
			return err
		}
		buf.WriteString("\n")
		for i, p := range r.Pairs {
			fmt.Fprintf(&buf, "%d. %s %s\n", i+1, p.Negotiation, p.Verdict)
			if p.InsideLine != "" {
				fmt.Fprintf(&buf, "   inside:  %q\n", p.InsideLine)
			}
			if p.OutsideLine != "" {
				fmt.Fprintf(&buf, "   outside: %q\n", p.OutsideLine)
			}
			fmt.Fprintf(&buf, "   %s\n", p.Reason)
		}
		buf.WriteString("\n")
	}
	fmt.Fprint(&buf, "VERDICTS:")
	for _, v := range audit.NATVerdicts {
		fmt.Fprintf(&buf, " %s=%d", v, r.Count(v))
	}
	buf.WriteString("\n")
	if len(failOn) > 0 {
		fmt.Fprintf(&buf, "fail-on %v: %d matched\n", failOn, len(r.Matches(failOn)))
	}
	if _, err := w.Write(buf.Bytes()); err != nil {
		return fmt.Errorf("writing NAT-pair table: %w", err)
	}
	return nil
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func natSessString(s *audit.NATSession) string {
	if s == nil {
		return "-"
	}
	return addrPort(s.Client) + ">" + addrPort(s.Server)
}
