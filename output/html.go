package output

import (
	"bytes"
	"html"
	"io"
	"strconv"
	"strings"

	"github.com/ftpsniff/ftpsniff/session"
)

// DefaultHTMLDiagrams is how many sessions get a ladder diagram in the HTML
// report when HTMLOptions.MaxDiagrams is 0 (those with failures first).
const DefaultHTMLDiagrams = 100

// HTMLOptions configures NewHTML. The zero value is the default report.
type HTMLOptions struct {
	// MaxRows bounds the transfers table (failures first); 0 means
	// DefaultMaxRows, a negative value keeps every row.
	MaxRows int
	// MaxDiagrams bounds the sessions drawn as ladder diagrams (those with
	// failures first, the rest counted); 0 means DefaultHTMLDiagrams, a
	// negative value draws every session.
	MaxDiagrams int
	// FailuresOnly leaves transfers that did not fail out of the transfers
	// table and sessions without failures out of the diagrams; the summary
	// and the charts still count everything.
	FailuresOnly bool
	// Inputs names the capture files (or the interface) for the summary.
	Inputs []string
	// Title is the page title; "" means "ftpsniff report".
	Title string
	// Hold keeps Close from writing: the report is written by Render, after
	// the audit is known (ftpsniff audit --format html).
	Hold bool
}

// HTMLWriter renders a self-contained HTML report (inline CSS, JavaScript
// and SVG; no fetch of any kind, enforced by its Content-Security-Policy):
// the summary, a port chart and failure timeline per server, the audit's
// findings and fixes when given, a sortable and filterable transfers table
// and a ladder diagram per session. Its memory is bounded: the charts are
// aggregated as records arrive (per server, per port bucket and time
// bucket), and only MaxRows transfers and MaxDiagrams sessions are kept.
type HTMLWriter struct {
	w    io.Writer
	opts HTMLOptions

	servers   serverAggs
	transfers topN[transferRowKey]
	eligible  map[session.Verdict]int
	ladders   ladderKeeper
	seq       uint64
	sum       *session.Summary
	closed    bool
}

// NewHTML returns an HTMLWriter writing to w at Close (or at Render when
// opts.Hold is set).
func NewHTML(w io.Writer, opts HTMLOptions) *HTMLWriter {
	n := opts.MaxRows
	if n == 0 {
		n = DefaultMaxRows
	}
	d := opts.MaxDiagrams
	if d == 0 {
		d = DefaultHTMLDiagrams
	}
	return &HTMLWriter{
		w: w, opts: opts,
		servers:   serverAggs{m: map[serverKey]*serverAgg{}},
		transfers: topN[transferRowKey]{n: n, less: lessTransfer},
		eligible:  map[session.Verdict]int{},
		ladders:   newLadderKeeper(d, opts.FailuresOnly),
	}
}

// Transfer implements Writer: it adds the transfer to its server's charts,
// keeps it for the table when it is among the first MaxRows, and for its
// session's diagram (bounded per session).
func (h *HTMLWriter) Transfer(t *session.Transfer) error {
	if t == nil {
		return errNil
	}
	h.servers.add(t)
	h.ladders.transfer(t)
	if h.opts.FailuresOnly && !t.Verdict.Failed() {
		return nil
	}
	h.eligible[t.Verdict]++
	h.seq++
	k := transferRowKey{tr: t, rank: verdictRank(t.Verdict), seq: h.seq}
	if h.transfers.admits(k) {
		k.tr = tableTransfer(t)
		h.transfers.add(k)
	}
	return nil
}

// Session implements Writer: it decides whether the session's diagram is
// kept.
func (h *HTMLWriter) Session(s *session.Session) error {
	if s == nil {
		return errNil
	}
	h.servers.session(s)
	h.ladders.session(s)
	return nil
}

// Close implements Writer: it writes the report, unless HTMLOptions.Hold is
// set (then Render does). It does not close the underlying io.Writer.
func (h *HTMLWriter) Close(sum *session.Summary) error {
	if sum == nil {
		return errNil
	}
	h.sum = sum
	h.closed = true
	if h.opts.Hold {
		return nil
	}
	return h.Render(nil)
}

// Render writes the report with the audit section a describes (nil: none),
// in one Write call. It is called after Close.
func (h *HTMLWriter) Render(a *HTMLAudit) error {
	if !h.closed {
		return errNotClosed
	}
	var b bytes.Buffer
	h.render(&b, a)
	_, err := h.w.Write(b.Bytes())
	return err
}

// render writes the whole page into b.
func (h *HTMLWriter) render(b *bytes.Buffer, a *HTMLAudit) {
	title := h.opts.Title
	if title == "" {
		title = "ftpsniff report"
	}
	b.WriteString("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n")
	b.WriteString(`<meta http-equiv="Content-Security-Policy" content="` + htmlCSP + `">` + "\n")
	b.WriteString(`<meta name="viewport" content="width=device-width, initial-scale=1">` + "\n")
	b.WriteString("<title>" + esc(title) + "</title>\n")
	b.WriteString("<script>" + htmlErrorJS + "</script>\n")
	b.WriteString("<style>" + htmlCSS + "</style>\n</head><body>\n")
	b.WriteString(`<div id="js-errors" class="js-errors"></div>` + "\n")
	b.WriteString("<h1>" + esc(title) + "</h1>\n")
	b.WriteString(`<nav><a href="#summary">Summary</a> <a href="#servers">Servers</a> `)
	if a != nil {
		b.WriteString(`<a href="#audit">Findings and fixes</a> `)
	}
	b.WriteString(`<a href="#transfers">Transfers</a> <a href="#sessions">Sessions</a></nav>` + "\n")
	h.renderSummary(b)
	h.renderServers(b, a.allowed())
	if a != nil {
		renderAuditHTML(b, a)
	}
	h.renderTransfers(b)
	h.ladders.render(b)
	b.WriteString("<script>" + htmlJS + "</script>\n</body></html>\n")
}

// htmlCSP forbids every fetch: only the page's inline styles and scripts
// and data: images may load.
const htmlCSP = "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:"

// renderSummary writes the summary section.
func (h *HTMLWriter) renderSummary(b *bytes.Buffer) {
	sum := h.sum
	_, failed := countTotals(sum.Verdicts)
	b.WriteString(`<section id="summary"><h2>Summary</h2>` + "\n<dl class=\"facts\">")
	fact := func(k, v string) {
		b.WriteString("<dt>" + esc(k) + "</dt><dd>" + v + "</dd>")
	}
	if len(h.opts.Inputs) > 0 {
		names := make([]string, len(h.opts.Inputs))
		for i, n := range h.opts.Inputs {
			names[i] = "<code>" + esc(n) + "</code>"
		}
		fact("capture", strings.Join(names, ", "))
	}
	if !sum.First.IsZero() {
		fact("time span", esc(textTime(sum.First)+" to "+textTime(sum.Last)+" ("+humanDuration(span(sum.First, sum.Last))+")"))
	}
	fact("packets", `<span id="sum-packets">`+strconv.FormatUint(sum.Packets, 10)+"</span> ("+strconv.FormatUint(sum.Bytes, 10)+" bytes)")
	sess := `<span id="sum-sessions">` + strconv.Itoa(sum.Sessions) + "</span>"
	if sum.Blocked > 0 {
		sess += " (" + strconv.Itoa(sum.Blocked) + " blocked control connections)"
	}
	fact("sessions", sess)
	tr := `<span id="sum-transfers">` + strconv.Itoa(sum.Transfers) + "</span>, <span id=\"sum-failed\">" + strconv.Itoa(failed) + "</span> failed"
	if sum.Superseded > 0 {
		tr += ", " + strconv.Itoa(sum.Superseded) + " superseded before use"
	}
	fact("transfers", tr)
	b.WriteString("</dl>\n<div class=\"verdicts\">")
	for _, c := range orderedCounts(sum.Verdicts, true) {
		v := string(c.Verdict)
		b.WriteString(`<div class="vc v-` + esc(v) + `" title="` + esc(VerdictMeaning(c.Verdict)) +
			`"><span class="n" data-verdict="` + esc(v) + `">` + strconv.Itoa(c.Count) +
			`</span><span class="w">` + esc(v) + "</span></div>")
	}
	b.WriteString("</div>\n")
	if ws := qualityWarnings(sum); len(ws) > 0 {
		b.WriteString(`<div class="warn"><h3>What the capture could not show</h3><ul>`)
		for _, w := range ws {
			b.WriteString("<li>" + esc(w) + "</li>")
		}
		b.WriteString("</ul></div>\n")
	}
	if len(sum.InputErrors) > 0 {
		b.WriteString(`<div class="warn"><h3>Input errors</h3><ul>`)
		for _, e := range sum.InputErrors {
			b.WriteString("<li>" + esc(clean(e)) + "</li>")
		}
		b.WriteString("</ul></div>\n")
	}
	b.WriteString("</section>\n")
}

// esc escapes text for HTML element content and attribute values.
func esc(s string) string { return html.EscapeString(s) }

// errNotClosed is returned by Render before Close.
var errNotClosed = errorString("output: HTML report rendered before Close")

// errorString is a constant error.
type errorString string

func (e errorString) Error() string { return string(e) }
