package output

import (
	"fmt"
	"net/netip"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/ftpsniff/ftpsniff/session"
)

// Time layouts used by the writers. Every time is rendered in UTC.
const (
	// LayoutJSON is the layout of every JSON timestamp: RFC 3339 in UTC with
	// all nine fractional digits kept (unlike time.RFC3339Nano, which trims
	// trailing zeros), so that timestamps sort as strings.
	LayoutJSON = "2006-01-02T15:04:05.000000000Z07:00"
	// LayoutText is the layout of the timestamp that starts each text line.
	LayoutText = "2006-01-02T15:04:05.000Z07:00"
	// LayoutTableTime is the time column of the tables when the capture lies
	// within one UTC day (the date is printed once, above the table).
	LayoutTableTime = "15:04:05.000"
	// LayoutTableDateTime is the time column when the capture spans several
	// UTC days.
	LayoutTableDateTime = "2006-01-02 15:04:05.000"
	// layoutDate is the date printed above the tables.
	layoutDate = "2006-01-02"
)

// VerdictMeaning returns a one-line description of a verdict word, as
// documented in docs/output.md; "" for a word it does not know.
func VerdictMeaning(v session.Verdict) string {
	switch v {
	case session.OK:
		return "data connection established"
	case session.Dropped:
		return "SYNs sent, never answered (silently dropped)"
	case session.Reset:
		return "SYN answered by a TCP RST"
	case session.Unreachable:
		return "ICMP/ICMPv6 error quoting the SYN"
	case session.Refused:
		return "negotiation or data connection refused by the peer"
	case session.NotAttempted:
		return "negotiated and accepted, but no SYN was ever seen"
	case session.Unknown:
		return "the capture does not show the outcome"
	}
	return ""
}

// verdictRank orders verdicts as session.Verdicts does (failures first);
// verdicts missing from that list sort after all listed ones.
func verdictRank(v session.Verdict) int {
	for i, w := range session.Verdicts {
		if w == v {
			return i
		}
	}
	return len(session.Verdicts)
}

// verdictCount is one verdict and how many transfers got it.
type verdictCount struct {
	Verdict session.Verdict
	Count   int
}

// orderedCounts returns the counts in report order: every verdict of
// session.Verdicts (zeros included when withZeros), then any other verdict
// found in m, sorted by name.
func orderedCounts(m map[session.Verdict]int, withZeros bool) []verdictCount {
	out := make([]verdictCount, 0, len(session.Verdicts))
	known := make(map[session.Verdict]bool, len(session.Verdicts))
	for _, v := range session.Verdicts {
		known[v] = true
		if n := m[v]; n != 0 || withZeros {
			out = append(out, verdictCount{v, n})
		}
	}
	var extra []session.Verdict
	for v := range m {
		if !known[v] {
			extra = append(extra, v)
		}
	}
	sort.Slice(extra, func(i, j int) bool { return extra[i] < extra[j] })
	for _, v := range extra {
		if n := m[v]; n != 0 || withZeros {
			out = append(out, verdictCount{v, n})
		}
	}
	return out
}

// countTotals returns the number of transfers in m and how many failed.
func countTotals(m map[session.Verdict]int) (total, failed int) {
	for v, n := range m {
		total += n
		if v.Failed() {
			failed += n
		}
	}
	return total, failed
}

// countsPhrase renders counts as "2 dropped, 1 ok" (zeros left out).
func countsPhrase(m map[session.Verdict]int) string {
	var parts []string
	for _, c := range orderedCounts(m, false) {
		parts = append(parts, fmt.Sprintf("%d %s", c.Count, c.Verdict))
	}
	return strings.Join(parts, ", ")
}

// plural returns "1 transfer" or "3 transfers".
func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return strconv.Itoa(n) + " " + word + "s"
}

// jsonTime renders t in UTC RFC 3339 with nanoseconds; "" for the zero time.
func jsonTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return string(appendJSONTime(make([]byte, 0, 32), t))
}

// textTime renders t in UTC with milliseconds; "-" for the zero time.
func textTime(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format(LayoutText)
}

// addrPort renders an endpoint as ip:port or [ipv6]:port; "" when invalid.
func addrPort(a netip.AddrPort) string {
	if !a.IsValid() {
		return ""
	}
	return a.String()
}

// addr renders an address; "" when invalid.
func addr(a netip.Addr) string {
	if !a.IsValid() {
		return ""
	}
	return a.String()
}

// seconds converts a duration to float seconds. Dividing the nanosecond
// count once (rather than d.Seconds(), which adds two parts) gives the
// float nearest to the decimal value, so 6.685 s marshals as 6.685.
func seconds(d time.Duration) float64 { return float64(d) / 1e9 }

// span returns end-start, or 0 when either is zero or end precedes start.
func span(start, end time.Time) time.Duration {
	if start.IsZero() || end.IsZero() || end.Before(start) {
		return 0
	}
	return end.Sub(start)
}

// humanDuration renders d compactly for people: "850ms", "8.0s", "2m05s",
// "1h02m".
func humanDuration(d time.Duration) string {
	switch {
	case d < time.Second:
		return strconv.FormatInt(d.Milliseconds(), 10) + "ms"
	case d < time.Minute:
		return strconv.FormatFloat(d.Seconds(), 'f', 1, 64) + "s"
	case d < time.Hour:
		return fmt.Sprintf("%dm%02ds", int(d/time.Minute), int(d%time.Minute/time.Second))
	}
	return fmt.Sprintf("%dh%02dm", int(d/time.Hour), int(d%time.Hour/time.Minute))
}

// clean makes s safe for one line of a terminal: control characters
// (including CR, LF and ESC) and other non-printable runes are replaced by
// their Go escape, so captured text cannot break lines or inject terminal
// escape sequences. Valid printable UTF-8 is kept.
func clean(s string) string {
	ok := true
	for _, r := range s {
		if r == unicode.ReplacementChar || !unicode.IsPrint(r) {
			ok = false
			break
		}
	}
	if ok {
		return s
	}
	q := strconv.QuoteToGraphic(s)
	q = q[1 : len(q)-1]
	// QuoteToGraphic escapes quotes and backslashes too; keep those literal
	// except where they are part of an escape we introduced.
	return strings.ReplaceAll(q, `\"`, `"`)
}

// firstLine returns the first line of a (possibly multi-line) text, cleaned.
func firstLine(s string) string {
	if i := strings.IndexAny(s, "\r\n"); i >= 0 {
		s = s[:i]
	}
	return clean(strings.TrimSpace(s))
}

// truncate shortens s to at most n runes, ending with "..." when cut.
func truncate(s string, n int) string {
	if n <= 0 {
		return s
	}
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	if n <= 3 {
		return string(r[:n])
	}
	return string(r[:n-3]) + "..."
}

// quoteArg renders a command argument for one text line: as is when it is
// printable and has no spaces, otherwise Go-quoted.
func quoteArg(s string) string {
	if s == "" {
		return ""
	}
	if clean(s) == s && !strings.ContainsAny(s, " \t\"") {
		return s
	}
	return strconv.Quote(s)
}

// serverSoftware joins a session's greeting and SYST reply for display.
func serverSoftware(s *session.Session) string {
	g, sys := firstLine(s.Greeting), firstLine(s.System)
	switch {
	case g != "" && sys != "":
		return g + " (" + sys + ")"
	case g != "":
		return g
	}
	return sys
}

// orDash returns s, or "-" when s is empty.
func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
