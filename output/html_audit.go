package output

import (
	"bytes"
	"fmt"
	"net/netip"
	"sort"
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
	groups := map[audit.Kind][]*audit.Finding{}
	var kinds []audit.Kind
	for _, f := range r.Findings {
		if groups[f.Kind] == nil {
			kinds = append(kinds, f.Kind)
		}
		groups[f.Kind] = append(groups[f.Kind], f)
	}
	sort.SliceStable(kinds, func(i, j int) bool { return len(groups[kinds[i]]) > len(groups[kinds[j]]) })
	for _, k := range kinds {
		fs := groups[k]
		servers := map[string]bool{}
		failed := 0
		for _, f := range fs {
			servers[addrPort(f.Server)] = true
			if f.Failed() {
				failed++
			}
		}
		cls := "finding"
		if failed == 0 {
			cls += " ok"
		}
		fmt.Fprintf(b, `<div class="%s" data-kind="%s"><h3>%s: %s (%d failed) on %s</h3>`,
			cls, esc(string(k)), esc(string(k)), plural(len(fs), "transfer"), failed, plural(len(servers), "server"))
		b.WriteString("<ul>")
		for i, f := range fs {
			if i == maxFindingsPerGroup {
				fmt.Fprintf(b, `<li class="more">%d more</li>`, len(fs)-i)
				break
			}
			fmt.Fprintf(b, `<li><a href="#session-%d">#%d</a> transfer %d, %s &rarr; %s %s %s: <span class="v v-%s">%s</span>. %s`,
				f.SessionID, f.SessionID, f.TransferID, esc(addrPort(f.Client)), esc(addrPort(f.Server)),
				esc(f.Negotiation), esc(addrPort(f.Endpoint)), esc(string(f.Verdict)), esc(string(f.Verdict)), esc(clean(f.Explanation)))
			if len(f.Kinds) > 1 {
				ks := make([]string, len(f.Kinds))
				for i, x := range f.Kinds {
					ks[i] = string(x)
				}
				b.WriteString(` <span class="conf">[` + esc(strings.Join(ks, ", ")) + "]</span>")
			}
			b.WriteString("</li>")
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
		fmt.Fprintf(b, `<div class="fix" data-kind="%s"><p><b>%s</b> for %s: %s`, esc(x.Kind), esc(x.Kind),
			esc(addrPort(x.Server)), esc(clean(x.Why)))
		if len(ids) > 0 {
			b.WriteString(" (fixes transfers " + esc(strings.Join(ids, ", ")) + ")")
		}
		b.WriteString("</p>\n")
		fixBlock(b, "nftables", x.NFT)
		fixBlock(b, "iptables", x.IPTables)
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
