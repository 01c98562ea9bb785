package output

import (
	"bytes"
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"github.com/ftpsniff/ftpsniff/audit"
)

// This file is the HTML report's only coupling to package audit: it reads
// an audit.Report into the findings-and-fixes section and the allowed
// ranges the port charts shade.

// HTMLAudit is what "ftpsniff audit --format html" adds to the report.
type HTMLAudit struct {
	Report *audit.Report
	Meta   AuditMeta
	// Allowed maps a server address to the data ports its firewall allows
	// (inferred by the audit or declared by a policy); may be nil.
	Allowed map[netip.Addr]AllowedPorts
}

// allowed returns the allowed ranges per server (nil for a nil audit).
func (a *HTMLAudit) allowed() map[netip.Addr]AllowedPorts {
	if a == nil {
		return nil
	}
	return a.Allowed
}

// AllowedFromRanges converts audit port ranges to the chart's ranges.
func AllowedFromRanges(rs audit.Ranges, source string) AllowedPorts {
	out := AllowedPorts{Source: source}
	for _, r := range rs {
		out.Passive = append(out.Passive, PortRange{Lo: r.Lo, Hi: r.Hi})
	}
	return out
}

// maxFindingsPerGroup bounds the findings listed in full per kind.
const maxFindingsPerGroup = 10

// renderAuditHTML writes the findings (grouped by main cause) and the
// fixes, each fix in a block with a copy button.
func renderAuditHTML(b *bytes.Buffer, a *HTMLAudit) {
	r := a.Report
	b.WriteString(`<section id="audit"><h2>Findings and fixes</h2>` + "\n")
	if r == nil {
		b.WriteString("<p>No audit.</p></section>\n")
		return
	}
	fmt.Fprintf(b, "<p>%s audited, %d failed; %s, %s.", plural(r.Transfers, "transfer"), r.Failed,
		plural(len(r.Findings), "finding"), plural(len(r.Recommendations), "fix"))
	if len(a.Meta.FailOn) > 0 {
		fmt.Fprintf(b, " --fail-on %s: %d matched.", esc(strings.Join(a.Meta.FailOn, ",")), a.Meta.Matched)
	}
	b.WriteString("</p>\n")
	// The audit's groups (server, direction, cause, place, port range),
	// each with its confidence and one explanation; the findings of a
	// group are listed (bounded) under it.
	byTransfer := map[uint64]*audit.Finding{}
	bySession := map[uint64]*audit.Finding{}
	for _, f := range r.Findings {
		if f.TransferID != 0 {
			byTransfer[f.TransferID] = f
		} else {
			bySession[f.SessionID] = f
		}
	}
	for _, g := range r.Groups {
		cls := "finding"
		if !g.Verdict.Failed() {
			cls += " ok"
		}
		fmt.Fprintf(b, `<div class="%s" data-kind="%s" data-confidence="%s"><h3>%s: %s on %s`, cls, esc(string(g.Kind)), esc(string(g.Confidence)),
			esc(string(g.Kind)), plural(g.Count, "finding"), esc(addrPort(g.Server)))
		if g.Ports.Lo != 0 || g.Ports.Hi != 0 {
			fmt.Fprintf(b, " ports %d&ndash;%d", g.Ports.Lo, g.Ports.Hi)
		}
		fmt.Fprintf(b, ` <span class="conf">confidence: %s</span></h3>`, esc(string(g.Confidence)))
		fmt.Fprintf(b, "<p>%s", esc(clean(g.Explanation)))
		if g.Place != "" {
			fmt.Fprintf(b, " Firewall: %s.", esc(string(g.Place)))
		}
		b.WriteString("</p><ul>")
		n := 0
		list := func(f *audit.Finding) {
			if f == nil {
				return
			}
			if n == maxFindingsPerGroup {
				n++
				fmt.Fprintf(b, `<li class="more">%d more</li>`, g.Count-maxFindingsPerGroup)
				return
			}
			if n > maxFindingsPerGroup {
				return
			}
			n++
			fmt.Fprintf(b, `<li><a href="#session-%d">#%d</a> `, f.SessionID, f.SessionID)
			if f.TransferID != 0 {
				fmt.Fprintf(b, "transfer %d, ", f.TransferID)
			}
			fmt.Fprintf(b, `%s &rarr; %s %s %s: <span class="v v-%s">%s</span>. %s`,
				esc(addrPort(f.Client)), esc(addrPort(f.Server)), esc(f.Negotiation), esc(addrPort(f.Endpoint)),
				esc(string(f.Verdict)), esc(string(f.Verdict)), esc(clean(f.Explanation)))
			if f.SettleBy != "" {
				b.WriteString(` <span class="conf">No rule for it yet: ` + esc(clean(f.SettleBy)) + `</span>`)
			}
			b.WriteString("</li>")
		}
		for _, id := range g.Transfers {
			list(byTransfer[id])
		}
		for _, id := range g.Sessions {
			list(bySession[id])
		}
		b.WriteString("</ul></div>\n")
	}
	if len(r.Recommendations) > 0 {
		b.WriteString("<h3>Fixes</h3>\n")
	}
	for _, x := range r.Recommendations {
		ids := make([]string, len(x.Transfers))
		for i, id := range x.Transfers {
			ids[i] = strconv.FormatUint(id, 10)
		}
		fmt.Fprintf(b, `<div class="fix" data-kind="%s" data-confidence="%s"><p><b>%s</b> for %s (confidence: %s): %s`, esc(x.Kind), esc(string(x.Confidence)), esc(x.Kind),
			esc(addrPort(x.Server)), esc(string(x.Confidence)), esc(clean(x.Why)))
		if len(ids) > 0 {
			b.WriteString(" (fixes transfers " + esc(strings.Join(ids, ", ")) + ")")
		}
		if len(x.Covers) > 0 {
			cs := make([]string, len(x.Covers))
			for i, id := range x.Covers {
				cs[i] = strconv.FormatUint(id, 10)
			}
			b.WriteString(" (also covers transfers " + esc(strings.Join(cs, ", ")) + ")")
		}
		if x.Place != "" {
			fmt.Fprintf(b, " Rules for: %s", esc(string(x.Place)))
			if x.When != "" {
				b.WriteString(" — " + esc(clean(x.When)))
			}
			b.WriteString(".")
		}
		if x.NFT != nil || x.IPTables != nil {
			fmt.Fprintf(b, " They open %s.", plural(x.Opens, "port"))
		}
		b.WriteString("</p>\n")
		for _, o := range x.Options {
			mark := ""
			if o.Chosen {
				mark = " (recommended)"
			}
			fmt.Fprintf(b, `<p class="conf">option %s %d&ndash;%d: %s; opens %s%s</p>`, esc(o.Action), o.Range.Lo, o.Range.Hi, esc(clean(o.Text)), plural(o.Opens, "port"), mark)
		}
		fixBlock(b, "nftables", x.NFT)
		fixBlock(b, "iptables", x.IPTables)
		for _, alt := range x.Alternatives {
			title := "if the firewall is on the " + string(alt.Place)
			if alt.When != "" {
				title += " (" + clean(alt.When) + ")"
			}
			fixBlock(b, "nftables, "+title, alt.NFT)
			fixBlock(b, "iptables, "+title, alt.IPTables)
		}
		fixBlock(b, "server settings", x.ServerFix)
		b.WriteString("</div>\n")
	}
	b.WriteString("</section>\n")
}

// fixBlock writes lines in a copyable block.
func fixBlock(b *bytes.Buffer, title string, lines []string) {
	if len(lines) == 0 {
		return
	}
	b.WriteString(`<div class="fixbox"><button type="button">copy</button><div class="conf">` + esc(title) + `</div><pre class="fix">`)
	b.WriteString(esc(strings.Join(lines, "\n")))
	b.WriteString("</pre></div>\n")
}
