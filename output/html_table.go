package output

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/ftpsniff/ftpsniff/session"
)

// htmlTransferHeader is the transfers table's header; the inline script
// sorts by any column and filters on the ones with a control.
var htmlTransferHeader = []string{"time", "session", "client", "server",
	"negotiation", "endpoint", "command", "verdict", "reason [flags]"}

// renderTransfers writes the transfers table (failures first) with its
// filter controls.
func (h *HTMLWriter) renderTransfers(b *bytes.Buffer) {
	keys := h.transfers.sorted(lessTransfer)
	title := "Transfers, failures first"
	if h.opts.FailuresOnly {
		title = "Failed transfers"
	}
	b.WriteString(`<section id="transfers"><h2>` + title + "</h2>\n")
	if len(keys) == 0 {
		b.WriteString("<p>(none)</p></section>\n")
		return
	}
	b.WriteString(`<div class="filters">` +
		`<label>verdict <select id="f-verdict"><option value="">all</option><option value="!failed">failures</option>`)
	for _, c := range orderedCounts(h.eligible, false) {
		v := esc(string(c.Verdict))
		fmt.Fprintf(b, `<option value="%s">%s (%d)</option>`, v, v, c.Count)
	}
	b.WriteString(`</select></label> ` +
		`<label>server <input id="f-server" size="16"></label> ` +
		`<label>client <input id="f-client" size="16"></label> ` +
		`<label>mode <select id="f-mode"><option value="">all</option><option>active</option><option>passive</option></select></label> ` +
		`<label>command <input id="f-command" size="10"></label> ` +
		`<span id="f-count"></span></div>` + "\n")
	b.WriteString(`<div class="twrap"><table id="transfer-table" class="tt"><thead><tr>`)
	for i, hd := range htmlTransferHeader {
		fmt.Fprintf(b, `<th data-col="%d">%s</th>`, i, esc(hd))
	}
	b.WriteString("</tr></thead><tbody>\n")
	argW := DefaultArgWidth * 2
	layout := LayoutTableTime
	if first, last := h.sum.First, h.sum.Last; first.UTC().Format(layoutDate) != last.UTC().Format(layoutDate) {
		layout = LayoutTableDateTime
	}
	for _, k := range keys {
		t := k.tr
		cmd := clean(t.Command)
		if t.CommandArg != "" {
			cmd += " " + truncate(clean(t.CommandArg), argW)
		}
		client := ""
		if t.Client.IsValid() {
			client = t.Client.Addr().String()
		}
		v := string(t.Verdict)
		failed := ""
		if t.Verdict.Failed() {
			failed = ` data-failed="1"`
		}
		fmt.Fprintf(b, `<tr class="tr v-%s" data-verdict="%s" data-rank="%d" data-mode="%s"%s>`,
			esc(v), esc(v), k.rank, esc(string(t.Mode)), failed)
		cell := func(s string) { b.WriteString("<td>" + esc(s) + "</td>") }
		fmt.Fprintf(b, `<td title="%s">%s</td>`, esc(textTime(t.Time)), esc(tableTime(t.Time, layout)))
		fmt.Fprintf(b, `<td data-n="%d"><a href="#session-%d">#%d</a></td>`, t.SessionID, t.SessionID, t.SessionID)
		cell(orDash(client))
		cell(orDash(addrPort(t.Server)))
		cell(orDash(clean(string(t.Negotiation))))
		b.WriteString(`<td class="ep">` + esc(orDash(addrPort(t.Endpoint))) + "</td>")
		cell(orDash(strings.TrimSpace(cmd)))
		fmt.Fprintf(b, `<td data-n="%d"><span class="v v-%s">%s</span></td>`, k.rank, esc(v), esc(orDash(v)))
		cell(orDash(reasonFlags(t)))
		b.WriteString("</tr>\n")
	}
	b.WriteString("</tbody></table></div>\n")
	if om, n := omitted(h.eligible, keys); n > 0 {
		b.WriteString(`<p class="more">` + esc(plural(n, "more transfer")+" not shown ("+countsPhrase(om)+"); --max-rows raises the limit, --format json lists every one") + "</p>\n")
	}
	b.WriteString("</section>\n")
}

// omitted returns the count per verdict of the eligible transfers that
// were not kept, and their total.
func omitted(eligible map[session.Verdict]int, kept []transferRowKey) (map[session.Verdict]int, int) {
	om := make(map[session.Verdict]int, len(eligible))
	for v, n := range eligible {
		om[v] = n
	}
	for _, k := range kept {
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
