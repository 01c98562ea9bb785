package output

import (
	"fmt"
	"io"
	"strings"

	"github.com/ftpsniff/ftpsniff/session"
)

// textWriter writes one human line per record, tcpdump-like.
type textWriter struct {
	w io.Writer
}

// NewText returns a Writer that streams one line per transfer (when its
// verdict is decided) and one line per session (when it ends) to w, and a
// short summary block at Close. Each line is written with a single Write
// call; captured text is made printable (control characters escaped).
//
// Transfer line:
//
//	TIME transfer #ID session #SID CLIENT -> SERVER MODE NEGOTIATION ENDPOINT COMMAND [ARG] VERDICT: REASON [FLAGS]
//
// Session line:
//
//	END session #ID CLIENT -> SERVER ended (CLOSED): N transfers: COUNTS; user USER; SOFTWARE; ...
func NewText(w io.Writer) Writer { return &textWriter{w: w} }

// Transfer implements Writer.
func (x *textWriter) Transfer(t *session.Transfer) error {
	if t == nil {
		return errNil
	}
	_, err := io.WriteString(x.w, TextTransfer(t)+"\n")
	return err
}

// Session implements Writer.
func (x *textWriter) Session(s *session.Session) error {
	if s == nil {
		return errNil
	}
	_, err := io.WriteString(x.w, TextSession(s)+"\n")
	return err
}

// Close implements Writer: it writes the summary block. It does not close
// the underlying io.Writer.
func (x *textWriter) Close(sum *session.Summary) error {
	if sum == nil {
		return errNil
	}
	_, err := io.WriteString(x.w, TextSummary(sum))
	return err
}

// TextTransfer renders the text line of a transfer (without "\n").
func TextTransfer(t *session.Transfer) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s transfer #%d session #%d %s -> %s %s %s",
		textTime(t.Time), t.ID, t.SessionID,
		orDash(addrPort(t.Client)), orDash(addrPort(t.Server)),
		orDash(negotiation(t)), orDash(addrPort(t.Endpoint)))
	b.WriteString(" " + orDash(clean(t.Command)))
	if t.CommandArg != "" {
		b.WriteString(" " + quoteArg(t.CommandArg))
	}
	b.WriteString(" " + orDash(clean(string(t.Verdict))))
	if t.Reason != "" {
		b.WriteString(": " + clean(t.Reason))
	}
	if names := FlagNames(t.Flags, t.Notes); len(names) > 0 {
		b.WriteString(" [" + clean(strings.Join(names, ",")) + "]")
	}
	return b.String()
}

// TextSession renders the text line of an ended session (without "\n").
func TextSession(s *session.Session) string {
	var b strings.Builder
	total, _ := countTotals(s.Verdicts)
	fmt.Fprintf(&b, "%s session #%d %s -> %s ended (%s): %s",
		textTime(s.End), s.ID, orDash(addrPort(s.Client)), orDash(addrPort(s.Server)),
		orDash(clean(string(s.Closed))), plural(total, "transfer"))
	if total > 0 {
		b.WriteString(": " + countsPhrase(s.Verdicts))
	}
	if s.User != "" {
		b.WriteString("; user " + clean(s.User))
	}
	if sw := serverSoftware(s); sw != "" {
		b.WriteString("; " + sw)
	}
	if s.TLS {
		b.WriteString("; TLS")
	}
	if s.Gaps > 0 {
		fmt.Fprintf(&b, "; %s (%d bytes)", plural(s.Gaps, "gap"), s.GapBytes)
	}
	if s.MidStream {
		b.WriteString("; mid-stream")
	}
	if s.Verdict != "" {
		b.WriteString("; blocked: " + clean(string(s.Verdict)))
		if s.Reason != "" {
			b.WriteString(": " + clean(s.Reason))
		}
	}
	if names := FlagNames(s.Flags, 0); len(names) > 0 {
		b.WriteString(" [" + clean(strings.Join(names, ",")) + "]")
	}
	return b.String()
}

// negotiation renders the mode and the negotiation, e.g. "active PORT".
func negotiation(tr *session.Transfer) string {
	return strings.TrimSpace(clean(string(tr.Mode)) + " " + clean(string(tr.Negotiation)))
}

// TextSummary renders the summary block written at Close: lines ending in
// "\n", each starting with "summary:" so the block is easy to grep.
func TextSummary(sum *session.Summary) string {
	var b strings.Builder
	_, failed := countTotals(sum.Verdicts)
	fmt.Fprintf(&b, "summary: %s, %d bytes, %s, %s (%d failed)\n",
		plural(int(sum.Packets), "packet"), sum.Bytes,
		plural(sum.Sessions, "session"), plural(sum.Transfers, "transfer"), failed)
	if !sum.First.IsZero() {
		fmt.Fprintf(&b, "summary: capture %s to %s (%s)\n",
			textTime(sum.First), textTime(sum.Last), humanDuration(span(sum.First, sum.Last)))
	}
	if p := countsPhrase(sum.Verdicts); p != "" {
		b.WriteString("summary: verdicts: " + p + "\n")
	}
	if sum.Superseded > 0 {
		fmt.Fprintf(&b, "summary: %s superseded (replaced by a later negotiation before use; counted in the verdicts)\n",
			plural(sum.Superseded, "negotiation"))
	}
	if sum.Blocked > 0 {
		b.WriteString("summary: " + plural(sum.Blocked, "blocked control connection") + " (never established)\n")
	}
	if q := qualityPhrase(sum); q != "" {
		b.WriteString("summary: capture: " + q + "\n")
	}
	if names := FlagNames(sum.Flags, 0); len(names) > 0 {
		b.WriteString("summary: flags: " + strings.Join(names, ",") + "\n")
	}
	fmt.Fprintf(&b, "summary: %s\n", plural(len(sum.InputErrors), "input error"))
	for _, e := range sum.InputErrors {
		b.WriteString("summary: input error: " + clean(e) + "\n")
	}
	return b.String()
}
