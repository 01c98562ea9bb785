package output

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/ftpsniff/ftpsniff/audit"
	"github.com/ftpsniff/ftpsniff/session"
)

// AuditMeta is run information shown with an audit report.
type AuditMeta struct {
	// FailOn are the --fail-on categories and Matched how many findings
	// fall in them.
	FailOn  []string
	Matched int
}

// AuditOptions shape the audit's table format.
type AuditOptions struct {
	// MaxRows bounds the per-finding rows shown with Verbose (and the
	// transfer IDs listed per group and recommendation); 0 means
	// DefaultMaxRows, negative no limit.
	MaxRows int
	// Verbose adds the per-finding table and every finding's explanation
	// to the grouped view.
	Verbose bool
	// Width is the line width explanations are wrapped to; 0 means
	// DefaultWidth, negative never wraps.
	Width int
}

func (o AuditOptions) maxRows() int {
	if o.MaxRows == 0 {
		return DefaultMaxRows
	}
	return o.MaxRows
}

func (o AuditOptions) width() int {
	if o.Width == 0 {
		return DefaultWidth
	}
	return o.Width
}

type jsonFinding struct {
	Type string `json:"type"`
	Time string `json:"time"`
	*audit.Finding
}

type jsonServer struct {
	Type string `json:"type"`
	*audit.ServerSummary
}

type jsonRecommendation struct {
	Type string `json:"type"`
	*audit.Recommendation
}

type jsonGroup struct {
	Type string `json:"type"`
	*audit.Group
}

type jsonScan struct {
	Type string `json:"type"`
	*audit.Scan
}

type jsonAuditSummary struct {
	Type            string   `json:"type"`
	Transfers       int      `json:"transfers"`
	Failed          int      `json:"failed"`
	BlockedSessions int      `json:"blocked_sessions"`
	Findings        int      `json:"findings"`
	Groups          int      `json:"groups"`
	Recommendations int      `json:"recommendations"`
	FailOn          []string `json:"fail_on"`
	FailOnMatched   int      `json:"fail_on_matched"`
}

// WriteAuditJSON writes the report as JSON Lines: one "finding" object per
// finding (every transfer's detail), one "group" per group, one "scan" per
// bounce scan, one "server" per server, one "recommendation" per
// recommendation, then one "audit" summary (see docs/audit.md).
func WriteAuditJSON(w io.Writer, r *audit.Report, m AuditMeta) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	for _, f := range r.Findings {
		if err := enc.Encode(jsonFinding{Type: "finding", Time: jsonTime(f.Time), Finding: f}); err != nil {
			return fmt.Errorf("writing finding: %w", err)
		}
	}
	for _, g := range r.Groups {
		if err := enc.Encode(jsonGroup{Type: "group", Group: g}); err != nil {
			return fmt.Errorf("writing group: %w", err)
		}
	}
	for _, s := range r.Scans {
		if err := enc.Encode(jsonScan{Type: "scan", Scan: s}); err != nil {
			return fmt.Errorf("writing scan: %w", err)
		}
	}
	for _, s := range r.Servers {
		if err := enc.Encode(jsonServer{Type: "server", ServerSummary: s}); err != nil {
			return fmt.Errorf("writing server: %w", err)
		}
	}
	for _, x := range r.Recommendations {
		if err := enc.Encode(jsonRecommendation{Type: "recommendation", Recommendation: x}); err != nil {
			return fmt.Errorf("writing recommendation: %w", err)
		}
	}
	fo := m.FailOn
	if fo == nil {
		fo = []string{}
	}
	if err := enc.Encode(jsonAuditSummary{Type: "audit", Transfers: r.Transfers, Failed: r.Failed, BlockedSessions: r.Blocked,
		Findings: len(r.Findings), Groups: len(r.Groups), Recommendations: len(r.Recommendations), FailOn: fo, FailOnMatched: m.Matched}); err != nil {
		return fmt.Errorf("writing audit summary: %w", err)
	}
	return nil
}

func kindsString(ks []audit.Kind) string {
	s := make([]string, len(ks))
	for i, k := range ks {
		s[i] = string(k)
	}
	return strings.Join(s, ",")
}

// widestLine is the width in runes of the longest line of s.
func widestLine(s string) int {
	n := 0
	for _, l := range strings.Split(s, "\n") {
		n = max(n, len([]rune(l)))
	}
	return n
}

// wrapPara writes text wrapped at width with indent on continuation lines.
func wrapPara(b *bytes.Buffer, first, indent, text string, width int) {
	line := first
	n := len([]rune(first))
	for i, w := range strings.Fields(text) {
		wl := len([]rune(w))
		if i > 0 && width > 0 && n+1+wl > width {
			b.WriteString(line + "\n")
			line, n = indent+w, len([]rune(indent))+wl
			continue
		}
		if i > 0 {
			line += " "
			n++
		}
		line += w
		n += wl
	}
	b.WriteString(line + "\n")
}

// idList joins ids, at most max of them (negative: all), counting the rest.
func idList(ids []uint64, max int) string {
	if max < 0 || len(ids) <= max {
		return joinIDs(ids)
	}
	return fmt.Sprintf("%s and %d more", joinIDs(ids[:max]), len(ids)-max)
}

// WriteAuditTable writes the report for people: findings grouped by
// server, direction, cause and port range with one explanation per group
// (per finding with Verbose, up to MaxRows), the per-server summaries and
// the recommendations with their rules (copy-pastable).
func WriteAuditTable(w io.Writer, r *audit.Report, m AuditMeta, o AuditOptions) error {
	var buf bytes.Buffer
	width := o.width()
	ids := min(o.maxRows(), 20)
	if o.maxRows() < 0 {
		ids = -1
	}
	fmt.Fprintf(&buf, "FINDINGS (%d transfers, %d failed, %d findings in %d groups", r.Transfers, r.Failed, len(r.Findings), len(r.Groups))
	if r.Blocked > 0 {
		fmt.Fprintf(&buf, ", %d blocked control connections", r.Blocked)
	}
	buf.WriteString(")\n\n")
	if len(r.Groups) > 0 {
		rows := make([][]string, 0, len(r.Groups))
		for _, g := range r.Groups {
			ports := ""
			if g.Ports.Hi != 0 {
				ports = g.Ports.String()
			}
			rows = append(rows, []string{fmt.Sprint(g.Count), addrPort(g.Server), string(g.Mode), string(g.Verdict), string(g.Kind), ports, string(g.Place), string(g.Confidence)})
		}
		var tb bytes.Buffer
		if err := renderTable(&tb, []string{"count", "server", "mode", "verdict", "cause", "ports", "firewall", "confidence"}, rows, nil); err != nil {
			return err
		}
		if width > 0 && widestLine(tb.String()) > width {
			// Narrow terminal: the mode goes (the cause and ports imply
			// it) and the headings shorten.
			for i, r := range rows {
				rows[i] = append(r[:2:2], r[3:]...)
			}
			tb.Reset()
			if err := renderTable(&tb, []string{"n", "server", "verdict", "cause", "ports", "fw", "conf."}, rows, nil); err != nil {
				return err
			}
		}
		buf.Write(tb.Bytes())
		buf.WriteString("\n")
		for _, g := range r.Groups {
			list := "transfers " + idList(g.Transfers, ids)
			if len(g.Sessions) > 0 {
				list = "sessions " + idList(g.Sessions, ids)
			}
			wrapPara(&buf, "* ", "  ", g.Explanation+" ["+list+"]", width)
			wrapPara(&buf, "  e.g. ", "  ", g.Example, width)
		}
	}
	if o.Verbose && len(r.Findings) > 0 {
		writeFindingRows(&buf, r, o, width)
	}
	if len(r.Scans) > 0 {
		buf.WriteString("\nSECURITY\n\n")
		for _, s := range r.Scans {
			wrapPara(&buf, "", "  ", fmt.Sprintf("FTP bounce scan from %s through %s: %d probes to %d port(s) on %s (%d connected); session %d", s.Scanner, addrPort(s.Server), s.Probes, s.Ports, joinAddrs(s.Targets), s.Open, s.SessionID), width)
		}
	}
	buf.WriteString("\nSERVERS\n\n")
	for _, s := range r.Servers {
		writeServer(&buf, s, width)
	}
	buf.WriteString("\nRECOMMENDATIONS\n")
	if len(r.Recommendations) == 0 {
		buf.WriteString("\n(none: no failed transfer needs a firewall or server change)\n")
	}
	for _, x := range r.Recommendations {
		writeRecommendation(&buf, x, ids, width)
	}
	if len(m.FailOn) > 0 {
		fmt.Fprintf(&buf, "\n--fail-on %s: %d matching finding(s)\n", strings.Join(m.FailOn, ","), m.Matched)
	}
	if _, err := w.Write(buf.Bytes()); err != nil {
		return fmt.Errorf("writing audit: %w", err)
	}
	return nil
}

func joinAddrs[T fmt.Stringer](as []T) string {
	s := make([]string, len(as))
	for i, a := range as {
		s[i] = a.String()
	}
	return strings.Join(s, ", ")
}

func writeFindingRows(buf *bytes.Buffer, r *audit.Report, o AuditOptions, width int) {
	fs := r.Findings
	more := 0
	if n := o.maxRows(); n >= 0 && len(fs) > n {
		fs, more = fs[:n], len(fs)-n
	}
	buf.WriteString("\nFINDING DETAIL\n\n")
	rows := make([][]string, 0, len(fs))
	for _, f := range fs {
		place := ""
		if f.Firewall != nil {
			place = string(f.Firewall.Place)
		}
		rows = append(rows, []string{fmt.Sprint(f.TransferID), textTime(f.Time), addrPort(f.Server), f.Negotiation,
			addrPort(f.Endpoint), string(f.Verdict), string(f.Kind), place, string(f.Confidence), string(f.Helper.Outcome), fmt.Sprint(len(f.Policy))})
	}
	_ = renderTable(buf, []string{"id", "time", "server", "negotiation", "endpoint", "verdict", "cause", "firewall", "confidence", "helper", "policy"}, rows, nil)
	buf.WriteString("\n")
	for _, f := range fs {
		text := f.Explanation
		if f.Firewall != nil {
			text += fmt.Sprintf(" Firewall: %s (%s): %s.", f.Firewall.Place, f.Firewall.Confidence, f.Firewall.Evidence)
		}
		if f.SettleBy != "" {
			text += " Rules withheld (only possible): " + f.SettleBy + "."
		}
		wrapPara(buf, fmt.Sprintf("#%d [%s] ", f.TransferID, kindsString(f.Kinds)), "  ", text, width)
	}
	if more > 0 {
		fmt.Fprintf(buf, "(%d more findings not shown: --max-rows 0 shows all, -F json lists every one)\n", more)
	}
}

func writeServer(buf *bytes.Buffer, s *audit.ServerSummary, width int) {
	sw := ""
	if s.Software != "" {
		sw = " [" + string(s.Software) + "]"
	}
	fmt.Fprintf(buf, "%s%s: %d sessions (%d TLS), %d transfers\n", addrPort(s.Server), sw, s.Sessions, s.TLSSessions, s.Transfers)
	negs := make([]string, 0, len(s.Negotiations))
	for k := range s.Negotiations {
		negs = append(negs, k)
	}
	sort.Strings(negs)
	var parts []string
	for _, k := range negs {
		parts = append(parts, fmt.Sprintf("%s %d (%.0f%%)", k, s.Negotiations[k], 100*s.Shares[k]))
	}
	fmt.Fprintf(buf, "  negotiations: %s\n", strings.Join(parts, ", "))
	if p := s.Passive; p != nil {
		var h []string
		for _, b := range p.Histogram {
			h = append(h, fmt.Sprintf("%s:%d", b.Range, b.Count))
		}
		wrapPara(buf, "  passive ports: ", "    ", fmt.Sprintf("%d-%d over %d connections; %s", p.Min, p.Max, p.Count, strings.Join(h, " ")), width)
	}
	if a := s.Allowed; a != nil {
		wrapPara(buf, fmt.Sprintf("  firewall allows (inferred, %s): %s; ", a.Confidence, a.Allowed), "    ", a.Evidence, width)
	}
	if s.ActiveFrom20+s.ActiveFromOther > 0 {
		fmt.Fprintf(buf, "  active data from port 20: %d, from other ports: %d\n", s.ActiveFrom20, s.ActiveFromOther)
	}
	for _, md := range []session.Mode{session.Active, session.Passive} {
		if rt, ok := s.ByMode[md]; ok {
			fmt.Fprintf(buf, "  %s: %d of %d failed\n", md, rt.Failed, rt.Total)
		}
	}
	for _, n := range s.ByClientNet {
		fmt.Fprintf(buf, "  clients %s: %d of %d failed\n", n.Net, n.Failed, n.Total)
	}
	if l := s.Latency; l.Count > 0 {
		fmt.Fprintf(buf, "  negotiation→SYN: median %.3fs, max %.3fs, >30s %d, >300s %d\n", l.Median, l.Max, l.Over30, l.Over300)
	}
	for _, n := range s.Notes {
		wrapPara(buf, "  note: ", "    ", n, width)
	}
}

func writeRecommendation(buf *bytes.Buffer, x *audit.Recommendation, ids, width int) {
	what := "transfers " + idList(x.Transfers, ids)
	if len(x.Sessions) > 0 {
		what = "control connections " + idList(x.Sessions, ids)
	}
	fmt.Fprintf(buf, "\n%s [%s, %s] fixes %s\n", addrPort(x.Server), x.Kind, x.Confidence, what)
	if len(x.Covers) > 0 {
		fmt.Fprintf(buf, "  also covers transfers %s (findings only possible)\n", idList(x.Covers, ids))
	}
	wrapPara(buf, "  ", "  ", x.Why, width)
	for _, o := range x.Options {
		mark := "-"
		if o.Chosen {
			mark = "*"
		}
		wrapPara(buf, "  "+mark+" option: ", "    ", o.Text, width)
	}
	writeRules(buf, x.Place, x.When, x.NFT, x.IPTables, x.Opens, width)
	for _, a := range x.Alternatives {
		writeRules(buf, a.Place, "or, if "+a.When, a.NFT, a.IPTables, -1, width)
	}
	for _, l := range x.ServerFix {
		wrapPara(buf, "  server: ", "    ", l, width)
	}
}

// writeRules writes a rule set; its heading wraps at width, the rules stay
// whole (to be copied).
func writeRules(buf *bytes.Buffer, place audit.Place, when string, nft, ipt []string, opens, width int) {
	if len(nft) == 0 && len(ipt) == 0 {
		return
	}
	head := when
	if opens >= 0 {
		head += fmt.Sprintf("; opens %d port(s)", opens)
	}
	wrapPara(buf, fmt.Sprintf("  firewall (%s): ", place), "    ", head, width)
	if len(nft) > 0 {
		buf.WriteString("  nftables:\n")
		for _, l := range nft {
			fmt.Fprintf(buf, "    %s\n", l)
		}
	}
	if len(ipt) > 0 {
		buf.WriteString("  iptables:\n")
		for _, l := range ipt {
			fmt.Fprintf(buf, "    %s\n", l)
		}
	}
}

// WriteAuditNFT writes the nftables scripts of the recommendations, ready
// for nft -f: the rules for the place the evidence favours, and each
// alternative variant as comments saying when it applies instead.
// Recommendations whose fix is a server setting only say so in a comment.
func WriteAuditNFT(w io.Writer, r *audit.Report) error {
	var buf bytes.Buffer
	for _, x := range r.Recommendations {
		if len(x.NFT) == 0 {
			if len(x.ServerFix) > 0 {
				fmt.Fprintf(&buf, "# ftpsniff audit: %s [%s]: no firewall change; server setting: %s\n", x.Server, x.Kind, strings.Join(x.ServerFix, "; "))
			}
		}
		for _, l := range x.NFT {
			buf.WriteString(l)
			buf.WriteByte('\n')
		}
		for _, a := range x.Alternatives {
			fmt.Fprintf(&buf, "# instead, if %s (%s):\n", a.When, a.Place)
			for _, l := range a.NFT {
				buf.WriteString("#   " + strings.TrimPrefix(l, "# ") + "\n")
			}
		}
	}
	if _, err := w.Write(buf.Bytes()); err != nil {
		return fmt.Errorf("writing nft rules: %w", err)
	}
	return nil
}

func joinIDs(ids []uint64) string {
	s := make([]string, len(ids))
	for i, id := range ids {
		s[i] = fmt.Sprint(id)
	}
	return strings.Join(s, ",")
}
