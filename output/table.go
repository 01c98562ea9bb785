package output

import (
	"bytes"
	"fmt"
	"io"
	"maps"
	"slices"
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
	// DefaultMaxRows is the most rows the transfers table and the sessions
	// table each show by default (TableOptions.MaxRows).
	DefaultMaxRows = 1000
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
	// MaxRows bounds each of the transfers and sessions tables, and so the
	// writer's memory: it keeps the first MaxRows transfers in the table's
	// order (failures first, then by time) and MaxRows sessions (those with
	// failed transfers first, then the earliest), and says under each table
	// how many rows it left out, per verdict. Every record is still counted
	// in the verdicts and the summary. 0 means DefaultMaxRows; a negative
	// value keeps every row.
	MaxRows int
	// Color colours the verdicts with ANSI escapes (for a terminal).
	Color bool
}

// tableWriter keeps a bounded number of records (TableOptions.MaxRows per
// table), counts all of them, and renders the tables at Close.
type tableWriter struct {
	w    io.Writer
	opts TableOptions
	// transfers are the transfers kept for the table: the first MaxRows in
	// table order among those eligible (all, or the failures).
	transfers topN[transferRowKey]
	// sessions are the sessions kept for the table.
	sessions topN[sessionRowKey]
	seq      uint64 // records seen, to order equal keys by arrival
	// times bounds the times of every record seen.
	times timeBounds
	// seen counts every transfer per verdict; eligible those eligible for
	// the transfers table.
	seen, eligible map[session.Verdict]int
	nTransfers     int
	// nSessions counts every session, failedSessions those with a failed
	// transfer.
	nSessions, failedSessions int
}

// transferRowKey is a transfer with what orders it in the table.
type transferRowKey struct {
	tr   *session.Transfer
	rank int    // verdictRank(tr.Verdict)
	seq  uint64 // arrival order: equal keys keep it, as a stable sort would
}

// lessTransfer is the transfers table order: failures first (in the order of
// session.Verdicts), then by time, then by ID, then by arrival.
func lessTransfer(a, b transferRowKey) bool {
	if a.rank != b.rank {
		return a.rank < b.rank
	}
	if !a.tr.Time.Equal(b.tr.Time) {
		return a.tr.Time.Before(b.tr.Time)
	}
	if a.tr.ID != b.tr.ID {
		return a.tr.ID < b.tr.ID
	}
	return a.seq < b.seq
}

// sessionRowKey is a session with what decides whether it is kept.
type sessionRowKey struct {
	s      *session.Session
	failed bool // it has a failed transfer
	seq    uint64
}

// keepSession is the order in which sessions are kept when there are more
// than MaxRows: those with a failed transfer first, then by start time.
func keepSession(a, b sessionRowKey) bool {
	if a.failed != b.failed {
		return a.failed
	}
	return lessSession(a, b)
}

// lessSession is the sessions table order: by start time, then by ID, then
// by arrival.
func lessSession(a, b sessionRowKey) bool {
	if !a.s.Start.Equal(b.s.Start) {
		return a.s.Start.Before(b.s.Start)
	}
	if a.s.ID != b.s.ID {
		return a.s.ID < b.s.ID
	}
	return a.seq < b.seq
}

// topN keeps the n least items added, by less, in a max-heap (the greatest
// kept item at the root, so that a lesser newcomer replaces it in O(log n)).
// A negative n keeps everything. The zero value with n set is ready to use.
type topN[T any] struct {
	n     int
	less  func(a, b T) bool
	items []T
}

// admits reports whether add would keep x.
func (h *topN[T]) admits(x T) bool {
	return h.n < 0 || len(h.items) < h.n || (h.n > 0 && h.less(x, h.items[0]))
}

// add offers x; it is kept if fewer than n items are, or if it is less than
// the greatest kept one, which is then dropped.
func (h *topN[T]) add(x T) {
	switch {
	case h.n < 0:
		h.items = append(h.items, x)
	case len(h.items) < h.n:
		h.items = append(h.items, x)
		h.up(len(h.items) - 1)
	case h.n > 0 && h.less(x, h.items[0]):
		h.items[0] = x
		h.down(0)
	}
}

func (h *topN[T]) up(i int) {
	for i > 0 {
		p := (i - 1) / 2
		if !h.less(h.items[p], h.items[i]) {
			return
		}
		h.items[p], h.items[i] = h.items[i], h.items[p]
		i = p
	}
}

func (h *topN[T]) down(i int) {
	for {
		c := 2*i + 1
		if c >= len(h.items) {
			return
		}
		if r := c + 1; r < len(h.items) && h.less(h.items[c], h.items[r]) {
			c = r
		}
		if !h.less(h.items[i], h.items[c]) {
			return
		}
		h.items[i], h.items[c] = h.items[c], h.items[i]
		i = c
	}
}

// sorted returns the kept items sorted by less (the heap is left as is).
func (h *topN[T]) sorted(less func(a, b T) bool) []T {
	out := append([]T(nil), h.items...)
	sort.Slice(out, func(i, j int) bool { return less(out[i], out[j]) })
	return out
}

// NewTable returns a Writer that keeps records and, at Close, renders to w
// (tablewriter v1, batch mode, borderless kubectl-like layout, left-aligned,
// no trailing spaces):
//
//  1. a title line with the capture date, then the transfers table sorted
//     failures first (in the order of session.Verdicts), then by time;
//  2. the sessions table, sorted by start time;
//  3. the count per verdict with its meaning;
//  4. summary lines (packets, bytes, sessions, losses, input errors).
//
// Each table shows at most opts.MaxRows rows (DefaultMaxRows unless set),
// so memory stays flat on any capture: the transfers kept are the first in
// the table's order, the sessions kept those with failed transfers first,
// and a line under a table counts the rows left out. Times are UTC
// "15:04:05.000"; when the capture spans several UTC days the time column
// carries the date too. Nothing is written before Close.
func NewTable(w io.Writer, opts TableOptions) Writer {
	n := opts.MaxRows
	if n == 0 {
		n = DefaultMaxRows
	}
	return &tableWriter{
		w: w, opts: opts,
		transfers: topN[transferRowKey]{n: n, less: lessTransfer},
		sessions:  topN[sessionRowKey]{n: n, less: keepSession},
		seen:      map[session.Verdict]int{},
		eligible:  map[session.Verdict]int{},
	}
}

// Transfer implements Writer: it counts the transfer and keeps it if it is
// among the first MaxRows in table order so far.
func (t *tableWriter) Transfer(tr *session.Transfer) error {
	if tr == nil {
		return errNil
	}
	t.times.see(tr.Time)
	t.nTransfers++
	t.seen[tr.Verdict]++
	if t.opts.FailuresOnly && !tr.Verdict.Failed() {
		return nil
	}
	t.eligible[tr.Verdict]++
	t.seq++
	k := transferRowKey{tr: tr, rank: verdictRank(tr.Verdict), seq: t.seq}
	if t.transfers.admits(k) {
		k.tr = tableTransfer(tr)
		t.transfers.add(k)
	}
	return nil
}

// tableTransfer copies the fields of tr that the transfers table shows. The
// writer keeps copies, not the tracker's records, which sit inside its
// larger per-transfer state (and that inside the session's): keeping a
// record would keep all of that alive.
func tableTransfer(tr *session.Transfer) *session.Transfer {
	return &session.Transfer{
		ID: tr.ID, SessionID: tr.SessionID, Client: tr.Client, Server: tr.Server,
		Mode: tr.Mode, Negotiation: tr.Negotiation, Endpoint: tr.Endpoint, Time: tr.Time,
		Command: tr.Command, CommandArg: tr.CommandArg, Verdict: tr.Verdict, Reason: tr.Reason,
		Flags: tr.Flags, Notes: tr.Notes,
	}
}

// tableSession copies the fields of s that the sessions table shows (see
// tableTransfer).
func tableSession(s *session.Session) *session.Session {
	return &session.Session{
		ID: s.ID, Client: s.Client, Server: s.Server, Start: s.Start, End: s.End,
		Greeting: s.Greeting, System: s.System, User: s.User, TLS: s.TLS, Gaps: s.Gaps,
		GapBytes: s.GapBytes, MidStream: s.MidStream, DetectedBy: s.DetectedBy,
		Verdicts: maps.Clone(s.Verdicts), Closed: s.Closed, Verdict: s.Verdict, Reason: s.Reason,
	}
}

// Session implements Writer: it counts the session and keeps it if it is
// among the MaxRows sessions to show so far.
func (t *tableWriter) Session(s *session.Session) error {
	if s == nil {
		return errNil
	}
	t.times.see(s.Start)
	t.times.see(s.End)
	if t.opts.FailuresOnly && !sessionFailed(s) {
		return nil
	}
	_, failed := countTotals(s.Verdicts)
	if s.Verdict.Failed() {
		failed++
	}
	t.nSessions++
	if failed > 0 {
		t.failedSessions++
	}
	t.seq++
	k := sessionRowKey{s: s, failed: failed > 0, seq: t.seq}
	if t.sessions.admits(k) {
		k.s = tableSession(s)
		t.sessions.add(k)
	}
	return nil
}

// timeBounds are the earliest and latest of the times it has seen (zero
// times are ignored).
type timeBounds struct{ first, last time.Time }

// see widens the bounds to include ts.
func (b *timeBounds) see(ts time.Time) {
	if ts.IsZero() {
		return
	}
	if b.first.IsZero() || ts.Before(b.first) {
		b.first = ts
	}
	if b.last.IsZero() || ts.After(b.last) {
		b.last = ts
	}
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

// bounds returns the earliest and latest time known to the run: the
// summary's and those of every record seen.
func (t *tableWriter) bounds(sum *session.Summary) (first, last time.Time) {
	b := t.times
	b.see(sum.First)
	b.see(sum.Last)
	return b.first, b.last
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

// sortedTransfers returns the transfers kept to show, failures first (in
// the order of session.Verdicts), then by time, then by ID.
func (t *tableWriter) sortedTransfers() []*session.Transfer {
	keys := t.transfers.sorted(lessTransfer)
	out := make([]*session.Transfer, len(keys))
	for i, k := range keys {
		out[i] = k.tr
	}
	return out
}

// omittedTransfers returns the count per verdict of the eligible transfers
// that were not kept, and their total.
func (t *tableWriter) omittedTransfers() (map[session.Verdict]int, int) {
	om := make(map[session.Verdict]int, len(t.eligible))
	for v, n := range t.eligible {
		om[v] = n
	}
	for _, k := range t.transfers.items {
		om[k.tr.Verdict]--
	}
	total := 0
	for v, n := range om {
		if n == 0 {
			delete(om, v)
		}
		total += n
	}
	return om, total
}

// moreLine is the line written under a table whose rows were capped.
func moreLine(n int, what, detail string) string {
	return "... " + strconv.Itoa(n) + " more " + what + " not shown (" + detail +
		"); --format json or --format text lists every one\n"
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
		orDash(clean(string(tr.Negotiation))),
		orDash(addrPort(tr.Endpoint)),
		orDash(strings.TrimSpace(cmd)),
		t.paint(tr.Verdict, orDash(clean(string(tr.Verdict)))),
		orDash(reasonFlags(tr)),
	}
}

// ANSI colours of the verdicts on a terminal.
const (
	ansiRed    = "\x1b[31m"
	ansiGreen  = "\x1b[32m"
	ansiYellow = "\x1b[33m"
	ansiReset  = "\x1b[0m"
)

// paint colours s by verdict v when TableOptions.Color is set.
func (t *tableWriter) paint(v session.Verdict, s string) string {
	if !t.opts.Color {
		return s
	}
	switch {
	case v == session.OK:
		return ansiGreen + s + ansiReset
	case v.Failed():
		return ansiRed + s + ansiReset
	case v == session.Unknown:
		return ansiYellow + s + ansiReset
	}
	return s
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
	w, under := t.reasonWidth(cells)
	if under {
		if err := renderReasonsUnder(b, cells, w); err != nil {
			return err
		}
	} else {
		if w > 0 {
			widths[len(transferHeader)-1] = w + 2 // tablewriter counts the padding
		}
		if err := renderTable(b, transferHeader, cells, widths); err != nil {
			return err
		}
	}
	if om, n := t.omittedTransfers(); n > 0 {
		b.WriteString(moreLine(n, pluralWord(n, "transfer"), countsPhrase(om)))
	}
	b.WriteString("\n")
	return nil
}

// pluralWord returns word, or its plural when n is not 1.
func pluralWord(n int, word string) string {
	if n == 1 {
		return word
	}
	return word + "s"
}

// reasonWidth returns the width to wrap the reason column at, or 0 when
// every row fits in the configured width (or wrapping is off). under is set
// when the other columns leave the reason less than minReasonWidth: the
// reason then goes on lines of its own under its row, wrapped to width.
func (t *tableWriter) reasonWidth(cells [][]string) (w int, under bool) {
	width := t.opts.Width
	if width == 0 {
		width = DefaultWidth
	}
	if width < 0 {
		return 0, false
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
		return 0, false
	}
	if width-fixed < minReasonWidth {
		return width, true
	}
	return width - fixed, false
}

// reasonIndent starts the reason lines written under their row.
const reasonIndent = "    "

// renderReasonsUnder renders the transfers table without its reason column
// and writes each row's reason under it, wrapped at word boundaries to
// width. When the remaining columns are still wider than width, they
// shrink: the client and then the negotiation move to the start of the
// line under the row, then the command is shortened.
func renderReasonsUnder(b *bytes.Buffer, cells [][]string, width int) error {
	const colClient, colNeg, colCmd = 2, 4, 6
	last := len(transferHeader) - 1
	cols := make([]int, last)
	for i := range cols {
		cols[i] = i
	}
	moved := []int{}
	fits := func() bool { return tableWidth(transferHeader, cells, cols) <= width }
	for _, c := range []int{colClient, colNeg} {
		if fits() {
			break
		}
		cols = slices.DeleteFunc(cols, func(x int) bool { return x == c })
		moved = append(moved, c)
	}
	if !fits() {
		for _, row := range cells {
			row[colCmd] = truncate(row[colCmd], 14)
		}
	}
	pick := func(row []string) []string {
		out := make([]string, len(cols))
		for i, c := range cols {
			out[i] = row[c]
		}
		return out
	}
	short := make([][]string, len(cells))
	for i, row := range cells {
		short[i] = pick(row)
	}
	var tb bytes.Buffer
	if err := renderTable(&tb, pick(transferHeader), short, nil); err != nil {
		return err
	}
	lines := strings.Split(strings.TrimSuffix(tb.String(), "\n"), "\n")
	if len(lines) != len(cells)+1 {
		// A cell spanned lines (it cannot: cells are cleaned); keep the
		// table whole rather than misplace reasons.
		b.Write(tb.Bytes())
		return nil
	}
	b.WriteString(lines[0] + "\n")
	for i, row := range cells {
		b.WriteString(lines[i+1] + "\n")
		under := row[last]
		if len(moved) > 0 {
			var pre []string
			for _, c := range moved {
				pre = append(pre, row[c])
			}
			under = strings.Join(pre, " ") + ": " + under
		}
		for _, l := range wrapWords(under, width-len(reasonIndent)) {
			b.WriteString(reasonIndent + l + "\n")
		}
	}
	return nil
}

// tableWidth is the width of a borderless table of the given columns.
func tableWidth(header []string, cells [][]string, cols []int) int {
	w := 0
	for _, c := range cols {
		cw := twwidth.Width(header[c])
		for _, row := range cells {
			cw = max(cw, twwidth.Width(row[c]))
		}
		w += cw + 2
	}
	return w - 2
}

// wrapWords splits s into lines of at most width display columns at
// spaces (a longer word gets a line of its own).
func wrapWords(s string, width int) []string {
	width = max(width, 10)
	var out []string
	line := ""
	for _, w := range strings.Fields(s) {
		switch {
		case line == "":
			line = w
		case twwidth.Width(line)+1+twwidth.Width(w) <= width:
			line += " " + w
		default:
			out = append(out, line)
			line = w
		}
	}
	if line != "" {
		out = append(out, line)
	}
	return out
}

// reasonFlags renders the reason followed by the flags in brackets.
func reasonFlags(tr *session.Transfer) string {
	s := clean(tr.Reason)
	if names := FlagNames(tr.Flags, tr.Notes); len(names) > 0 {
		s = strings.TrimSpace(s + " [" + clean(strings.Join(names, ", ")) + "]")
	}
	return s
}

// sessionHeader is the header of the sessions table.
var sessionHeader = []string{"session", "client", "server", "start", "duration",
	"user", "server software", "tls", "transfers", "gaps", "closed"}

// maxSoftware bounds the server software column.
const maxSoftware = 28

func (t *tableWriter) renderSessions(b *bytes.Buffer, layout string) error {
	if len(t.sessions.items) == 0 {
		return nil
	}
	keys := t.sessions.sorted(lessSession)
	cells := make([][]string, 0, len(keys))
	var blocked []string
	keptFailed := 0
	for _, k := range keys {
		s := k.s
		if k.failed {
			keptFailed++
		}
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
			sessionClosed(s),
		})
		if s.Verdict != "" {
			blocked = append(blocked, "#"+strconv.FormatUint(s.ID, 10)+" control connection "+
				clean(string(s.Verdict))+": "+clean(s.Reason))
		}
	}
	b.WriteString("FTP sessions\n")
	if err := renderTable(b, sessionHeader, cells, nil); err != nil {
		return err
	}
	for _, l := range blocked {
		b.WriteString(l + "\n")
	}
	if n := t.nSessions - len(keys); n > 0 {
		f := t.failedSessions - keptFailed
		var detail string
		switch ok := n - f; {
		case f > 0 && ok > 0:
			detail = strconv.Itoa(f) + " with failed transfers, " + strconv.Itoa(ok) + " without"
		case f > 0:
			detail = strconv.Itoa(f) + " with failed transfers"
		default:
			detail = strconv.Itoa(ok) + " without failed transfers"
		}
		b.WriteString(moreLine(n, pluralWord(n, "session"), detail))
	}
	b.WriteString("\n")
	return nil
}

func (t *tableWriter) renderVerdicts(b *bytes.Buffer, sum *session.Summary) error {
	counts := sum.Verdicts
	if len(counts) == 0 && t.nTransfers > 0 {
		// Fall back to the transfers seen when the summary carries no counts.
		counts = t.seen
	}
	oc := orderedCounts(counts, false)
	if len(oc) == 0 {
		return nil
	}
	cells := make([][]string, 0, len(oc))
	for _, c := range oc {
		cells = append(cells, []string{t.paint(c.Verdict, clean(string(c.Verdict))), strconv.Itoa(c.Count),
			orDash(VerdictMeaning(c.Verdict))})
	}
	if sum.Superseded > 0 {
		cells = append(cells, []string{"(superseded)", strconv.Itoa(sum.Superseded),
			"of the above: negotiations replaced by a later one before any transfer command used them"})
	}
	b.WriteString("Verdicts\n")
	if err := renderTable(b, []string{"verdict", "transfers", "meaning"}, cells, nil); err != nil {
		return err
	}
	b.WriteString("\n")
	return nil
}

// sessionClosed renders the closed column: how the session ended, or
// "blocked (VERDICT)" for a control connection that never got established.
func sessionClosed(s *session.Session) string {
	if s.Verdict != "" {
		return "blocked (" + clean(string(s.Verdict)) + ")"
	}
	return orDash(clean(string(s.Closed)))
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
	if sum.Blocked > 0 {
		b.WriteString(plural(sum.Blocked, "blocked control connection") + " (never established)\n")
	}
	if q := qualityPhrase(sum); q != "" {
		b.WriteString("capture: " + q + "\n")
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
		// A coloured last cell leaves tablewriter's padding and a reset
		// after it: trim both.
		line = strings.TrimRight(line, " \t")
		line = strings.TrimRight(strings.TrimSuffix(line, ansiReset), " \t")
		if strings.Count(line, ansiReset) < strings.Count(line, "\x1b[3") {
			line += ansiReset
		}
		b.WriteString(line)
		b.WriteByte('\n')
	}
	return nil
}
