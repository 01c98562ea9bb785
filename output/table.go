package output

import (
	"bytes"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/pkg/twwidth"
	"github.com/olekukonko/tablewriter/renderer"
	"github.com/olekukonko/tablewriter/tw"

	"github.com/ftpsniff/ftpsniff/session"
)

// Defaults for TableOptions.
const (
	// DefaultWidth is the line width the transfers table aims for.
	DefaultWidth = 160
	// DefaultArgWidth is the longest command argument shown in full.
	DefaultArgWidth = 16
	// minReasonWidth is the narrowest the reason column is ever wrapped to.
	minReasonWidth = 30
)

// TableOptions configures NewTable. The zero value is the default layout.
type TableOptions struct {
	// Width is the line width the transfers table aims for (the terminal
	// width). The reason is the last column; it stays on one line when the
	// row fits in Width and is otherwise wrapped at word boundaries to the
	// remaining width (never narrower than 30 columns), continuing on the
	// following lines. 0 means DefaultWidth; a negative value never wraps,
	// so every transfer is exactly one line (for grep and less -S).
	Width int
	// ArgWidth shortens command arguments (file names) longer than this many
	// characters, ending them with "...". 0 means DefaultArgWidth; a
	// negative value never shortens.
	ArgWidth int
	// FailuresOnly leaves transfers whose verdict is not a failure (ok,
	// unknown) out of the transfers table; they are still counted.
	FailuresOnly bool
}

// tableWriter buffers records and renders tables at Close.
type tableWriter struct {
	w         io.Writer
	opts      TableOptions
	transfers []*session.Transfer
	sessions  []*session.Session
}

// NewTable returns a Writer that buffers every record and, at Close,
// renders to w (tablewriter v1, batch mode, borderless kubectl-like layout,
// left-aligned, no trailing spaces):
//
//  1. a title line with the capture date, then the transfers table sorted
//     failures first (in the order of session.Verdicts), then by time;
//  2. the sessions table, sorted by start time;
//  3. the count per verdict with its meaning;
//  4. summary lines (packets, bytes, sessions, losses, input errors).
//
// Times are UTC "15:04:05.000"; when the capture spans several UTC days the
// time column carries the date too. Nothing is written before Close.
func NewTable(w io.Writer, opts TableOptions) Writer {
	return &tableWriter{w: w, opts: opts}
}

// Transfer implements Writer; it only buffers.
func (t *tableWriter) Transfer(tr *session.Transfer) error {
	if tr == nil {
		return errNil
	}
	t.transfers = append(t.transfers, tr)
	return nil
}

// Session implements Writer; it only buffers.
func (t *tableWriter) Session(s *session.Session) error {
	if s == nil {
		return errNil
	}
	t.sessions = append(t.sessions, s)
	return nil
}

// Close implements Writer: it renders everything with a single Write call.
// It does not close the underlying io.Writer.
func (t *tableWriter) Close(sum *session.Summary) error {
	if sum == nil {
		return errNil
	}
	var b bytes.Buffer
	tf := t.timeLayout(sum)
	if err := t.renderTransfers(&b, sum, tf); err != nil {
		return err
	}
	if err := t.renderSessions(&b, tf); err != nil {
		return err
	}
	if err := t.renderVerdicts(&b, sum); err != nil {
		return err
	}
	renderSummary(&b, sum)
	_, err := t.w.Write(b.Bytes())
	return err
}

// bounds returns the earliest and latest time known to the run.
func (t *tableWriter) bounds(sum *session.Summary) (first, last time.Time) {
	see := func(ts time.Time) {
		if ts.IsZero() {
			return
		}
		if first.IsZero() || ts.Before(first) {
			first = ts
		}
		if last.IsZero() || ts.After(last) {
			last = ts
		}
	}
	see(sum.First)
	see(sum.Last)
	for _, tr := range t.transfers {
		see(tr.Time)
	}
	for _, s := range t.sessions {
		see(s.Start)
		see(s.End)
	}
	return first, last
}

// timeLayout picks the time column layout: time of day when the run lies
// within one UTC day, date and time otherwise.
func (t *tableWriter) timeLayout(sum *session.Summary) string {
	first, last := t.bounds(sum)
	if first.UTC().Format(layoutDate) != last.UTC().Format(layoutDate) {
		return LayoutTableDateTime
	}
	return LayoutTableTime
}

// dateTitle renders the capture date(s) for the title line.
func (t *tableWriter) dateTitle(sum *session.Summary) string {
	first, last := t.bounds(sum)
	if first.IsZero() {
		return "times UTC"
	}
	d1, d2 := first.UTC().Format(layoutDate), last.UTC().Format(layoutDate)
	if d1 == d2 {
		return d1 + ", times UTC"
	}
	return d1 + " to " + d2 + ", times UTC"
}

// tableTime formats a time for a table cell.
func tableTime(ts time.Time, layout string) string {
	if ts.IsZero() {
		return "-"
	}
	return ts.UTC().Format(layout)
}

// sortedTransfers returns the transfers to show, failures first (in the
// order of session.Verdicts), then by time, then by ID.
func (t *tableWriter) sortedTransfers() []*session.Transfer {
	out := make([]*session.Transfer, 0, len(t.transfers))
	for _, tr := range t.transfers {
		if t.opts.FailuresOnly && !tr.Verdict.Failed() {
			continue
		}
		out = append(out, tr)
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if ra, rb := verdictRank(a.Verdict), verdictRank(b.Verdict); ra != rb {
			return ra < rb
		}
		if !a.Time.Equal(b.Time) {
			return a.Time.Before(b.Time)
		}
		return a.ID < b.ID
	})
	return out
}

// transferHeader is the header of the transfers table.
var transferHeader = []string{"time", "session", "client", "server",
	"negotiation", "endpoint", "command", "verdict", "reason [flags]"}

// transferRow renders one transfers table row.
func (t *tableWriter) transferRow(tr *session.Transfer, layout string) []string {
	cmd := clean(tr.Command)
	if tr.CommandArg != "" {
		w := t.opts.ArgWidth
		if w == 0 {
			w = DefaultArgWidth
		}
		cmd += " " + truncate(clean(tr.CommandArg), w)
	}
	client := ""
	if tr.Client.IsValid() {
		client = tr.Client.Addr().String()
	}
	return []string{
		tableTime(tr.Time, layout),
		"#" + strconv.FormatUint(tr.SessionID, 10),
		orDash(client),
		orDash(addrPort(tr.Server)),
		orDash(clean(tr.Negotiation)),
		orDash(addrPort(tr.Endpoint)),
		orDash(strings.TrimSpace(cmd)),
		orDash(clean(string(tr.Verdict))),
		orDash(reasonFlags(tr)),
	}
}

func (t *tableWriter) renderTransfers(b *bytes.Buffer, sum *session.Summary, layout string) error {
	rows := t.sortedTransfers()
	title := "FTP data transfers, failures first (" + t.dateTitle(sum) + ")"
	if t.opts.FailuresOnly {
		title = "Failed FTP data transfers (" + t.dateTitle(sum) + ")"
	}
	b.WriteString(title + "\n")
	if len(rows) == 0 {
		b.WriteString("(none)\n\n")
		return nil
	}
	cells := make([][]string, 0, len(rows))
	for _, tr := range rows {
		cells = append(cells, t.transferRow(tr, layout))
	}
	widths := map[int]int{}
	if w := t.reasonWidth(cells); w > 0 {
		widths[len(transferHeader)-1] = w + 2 // tablewriter counts the padding
	}
	if err := renderTable(b, transferHeader, cells, widths); err != nil {
		return err
	}
	b.WriteString("\n")
	return nil
}

// reasonWidth returns the width to wrap the reason column at, or 0 when
// every row fits in the configured width (or wrapping is off).
func (t *tableWriter) reasonWidth(cells [][]string) int {
	width := t.opts.Width
	if width == 0 {
		width = DefaultWidth
	}
	if width < 0 {
		return 0
	}
	last := len(transferHeader) - 1
	colw := make([]int, len(transferHeader))
	for i, h := range transferHeader {
		colw[i] = twwidth.Width(h)
	}
	for _, row := range cells {
		for i, c := range row {
			colw[i] = max(colw[i], twwidth.Width(c))
		}
	}
	fixed := 0
	for _, w := range colw[:last] {
		fixed += w + 2
	}
	if fixed+colw[last] <= width {
		return 0
	}
	return max(width-fixed, minReasonWidth)
}

// reasonFlags renders the reason followed by the flags in brackets.
func reasonFlags(tr *session.Transfer) string {
	s := clean(tr.Reason)
	if len(tr.Flags) > 0 {
		s = strings.TrimSpace(s + " [" + clean(strings.Join(tr.Flags, ", ")) + "]")
	}
	return s
}

// sessionHeader is the header of the sessions table.
var sessionHeader = []string{"session", "client", "server", "start", "duration",
	"user", "server software", "tls", "transfers", "gaps", "closed"}

// maxSoftware bounds the server software column.
const maxSoftware = 28

func (t *tableWriter) renderSessions(b *bytes.Buffer, layout string) error {
	if len(t.sessions) == 0 {
		return nil
	}
	ss := append([]*session.Session(nil), t.sessions...)
	sort.SliceStable(ss, func(i, j int) bool {
		if !ss[i].Start.Equal(ss[j].Start) {
			return ss[i].Start.Before(ss[j].Start)
		}
		return ss[i].ID < ss[j].ID
	})
	cells := make([][]string, 0, len(ss))
	for _, s := range ss {
		total, failed := countTotals(s.Verdicts)
		tls := "no"
		if s.TLS {
			tls = "yes"
		}
		gaps := strconv.Itoa(s.Gaps)
		if s.MidStream {
			gaps += ", mid-stream"
		}
		transfers := strconv.Itoa(total)
		if total > 0 {
			transfers += " (" + strconv.Itoa(failed) + " failed)"
		}
		dur := "-"
		if d := span(s.Start, s.End); d > 0 || (!s.Start.IsZero() && !s.End.IsZero()) {
			dur = humanDuration(d)
		}
		cells = append(cells, []string{
			"#" + strconv.FormatUint(s.ID, 10),
			orDash(addrPort(s.Client)),
			orDash(addrPort(s.Server)),
			tableTime(s.Start, layout),
			dur,
			orDash(firstLine(s.User)),
			orDash(truncate(serverSoftware(s), maxSoftware)),
			tls,
			transfers,
			gaps,
			orDash(clean(s.Closed)),
		})
	}
	b.WriteString("FTP sessions\n")
	if err := renderTable(b, sessionHeader, cells, nil); err != nil {
		return err
	}
	b.WriteString("\n")
	return nil
}

func (t *tableWriter) renderVerdicts(b *bytes.Buffer, sum *session.Summary) error {
	counts := sum.Verdicts
	if len(counts) == 0 && len(t.transfers) > 0 {
		// Fall back to what was rendered when the summary carries no counts.
		counts = map[session.Verdict]int{}
		for _, tr := range t.transfers {
			counts[tr.Verdict]++
		}
	}
	oc := orderedCounts(counts, false)
	if len(oc) == 0 {
		return nil
	}
	cells := make([][]string, 0, len(oc))
	for _, c := range oc {
		cells = append(cells, []string{clean(string(c.Verdict)), strconv.Itoa(c.Count),
			orDash(VerdictMeaning(c.Verdict))})
	}
	b.WriteString("Verdicts\n")
	if err := renderTable(b, []string{"verdict", "transfers", "meaning"}, cells, nil); err != nil {
		return err
	}
	b.WriteString("\n")
	return nil
}

// renderSummary writes the closing summary lines.
func renderSummary(b *bytes.Buffer, sum *session.Summary) {
	_, failed := countTotals(sum.Verdicts)
	fmt.Fprintf(b, "%s, %d bytes, %s, %s (%d failed)\n",
		plural(int(sum.Packets), "packet"), sum.Bytes,
		plural(sum.Sessions, "session"), plural(sum.Transfers, "transfer"), failed)
	if !sum.First.IsZero() {
		fmt.Fprintf(b, "capture %s to %s (%s)\n",
			textTime(sum.First), textTime(sum.Last), humanDuration(span(sum.First, sum.Last)))
	}
	if l := lossPhrase(sum); l != "" {
		b.WriteString(l + "\n")
	}
	fmt.Fprintf(b, "%s\n", plural(len(sum.InputErrors), "input error"))
	for _, e := range sum.InputErrors {
		b.WriteString("  " + clean(e) + "\n")
	}
}

// renderTable renders one borderless table into b (batch mode) and
// right-trims every line. widths maps a column index to a wrap width.
func renderTable(b *bytes.Buffer, header []string, rows [][]string, widths map[int]int) error {
	var buf bytes.Buffer
	opts := []tablewriter.Option{
		tablewriter.WithRenderer(renderer.NewBlueprint(tw.Rendition{
			Borders: tw.BorderNone,
			Symbols: tw.NewSymbols(tw.StyleNone),
			Settings: tw.Settings{
				Separators: tw.SeparatorsNone,
				Lines:      tw.LinesNone,
			},
		})),
		tablewriter.WithHeaderAutoFormat(tw.Off),
		tablewriter.WithHeaderAlignment(tw.AlignLeft),
		tablewriter.WithRowAlignment(tw.AlignLeft),
		tablewriter.WithPadding(tw.Padding{Left: "", Right: "  ", Overwrite: true}),
	}
	if len(widths) > 0 {
		m := tw.NewMapper[int, int]()
		for col, w := range widths {
			m.Set(col, w)
		}
		opts = append(opts, tablewriter.WithColumnWidths(m),
			tablewriter.WithRowAutoWrap(tw.WrapNormal))
	} else {
		opts = append(opts, tablewriter.WithRowAutoWrap(tw.WrapNone))
	}
	tbl := tablewriter.NewTable(&buf, opts...)
	tbl.Header(header)
	if err := tbl.Bulk(rows); err != nil {
		return fmt.Errorf("output: table: %w", err)
	}
	if err := tbl.Render(); err != nil {
		return fmt.Errorf("output: table: %w", err)
	}
	for _, line := range strings.Split(strings.TrimRight(buf.String(), "\n"), "\n") {
		b.WriteString(strings.TrimRight(line, " \t"))
		b.WriteByte('\n')
	}
	return nil
}
