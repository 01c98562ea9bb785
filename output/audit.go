package output

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/renderer"
	"github.com/olekukonko/tablewriter/tw"

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

type jsonAuditSummary struct {
	Type            string   `json:"type"`
	Transfers       int      `json:"transfers"`
	Failed          int      `json:"failed"`
	Findings        int      `json:"findings"`
	Recommendations int      `json:"recommendations"`
	FailOn          []string `json:"fail_on"`
	FailOnMatched   int      `json:"fail_on_matched"`
}

// WriteAuditJSON writes the report as JSON Lines: one "finding" object per
// finding, one "server" per server, one "recommendation" per
// recommendation, then one "audit" summary (see docs/audit.md).
func WriteAuditJSON(w io.Writer, r *audit.Report, m AuditMeta) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	for _, f := range r.Findings {
		if err := enc.Encode(jsonFinding{Type: "finding", Time: jsonTime(f.Time), Finding: f}); err != nil {
			return fmt.Errorf("writing finding: %w", err)
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
	if err := enc.Encode(jsonAuditSummary{Type: "audit", Transfers: r.Transfers, Failed: r.Failed, Findings: len(r.Findings),
		Recommendations: len(r.Recommendations), FailOn: fo, FailOnMatched: m.Matched}); err != nil {
		return fmt.Errorf("writing audit summary: %w", err)
	}
	return nil
}

func auditTable(buf *bytes.Buffer, header []string, rows [][]string) error {
	tbl := tablewriter.NewTable(buf,
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
		tablewriter.WithRowAutoWrap(tw.WrapNone),
	)
	tbl.Header(header)
	if err := tbl.Bulk(rows); err != nil {
		return fmt.Errorf("building table: %w", err)
	}
	if err := tbl.Render(); err != nil {
		return fmt.Errorf("rendering table: %w", err)
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

// WriteAuditTable writes the report for people: a findings table with one
// explanation paragraph per finding, the per-server summaries and the
// recommendations with their rules (copy-pastable).
func WriteAuditTable(w io.Writer, r *audit.Report, m AuditMeta) error {
	var buf bytes.Buffer
	fmt.Fprintf(&buf, "FINDINGS (%d transfers, %d failed, %d findings)\n\n", r.Transfers, r.Failed, len(r.Findings))
	if len(r.Findings) > 0 {
		rows := make([][]string, 0, len(r.Findings))
		for _, f := range r.Findings {
			rows = append(rows, []string{fmt.Sprint(f.TransferID), textTime(f.Time), addrPort(f.Server), f.Negotiation,
				addrPort(f.Endpoint), string(f.Verdict), string(f.Kind), string(f.Helper.Outcome), fmt.Sprint(len(f.Policy))})
		}
		if err := auditTable(&buf, []string{"id", "time", "server", "negotiation", "endpoint", "verdict", "cause", "helper", "policy"}, rows); err != nil {
			return err
		}
		buf.WriteString("\n")
		for _, f := range r.Findings {
			fmt.Fprintf(&buf, "#%d [%s] %s\n", f.TransferID, kindsString(f.Kinds), f.Explanation)
		}
	}
	buf.WriteString("\nSERVERS\n\n")
	for _, s := range r.Servers {
		fmt.Fprintf(&buf, "%s: %d sessions (%d TLS), %d transfers\n", addrPort(s.Server), s.Sessions, s.TLSSessions, s.Transfers)
		negs := make([]string, 0, len(s.Negotiations))
		for k := range s.Negotiations {
			negs = append(negs, k)
		}
		sort.Strings(negs)
		var parts []string
		for _, k := range negs {
			parts = append(parts, fmt.Sprintf("%s %d (%.0f%%)", k, s.Negotiations[k], 100*s.Shares[k]))
		}
		fmt.Fprintf(&buf, "  negotiations: %s\n", strings.Join(parts, ", "))
		if p := s.Passive; p != nil {
			var h []string
			for _, b := range p.Histogram {
				h = append(h, fmt.Sprintf("%s:%d", b.Range, b.Count))
			}
			fmt.Fprintf(&buf, "  passive ports: %d-%d over %d connections; %s\n", p.Min, p.Max, p.Count, strings.Join(h, " "))
		}
		if s.ActiveFrom20+s.ActiveFromOther > 0 {
			fmt.Fprintf(&buf, "  active data from port 20: %d, from other ports: %d\n", s.ActiveFrom20, s.ActiveFromOther)
		}
		for _, md := range []session.Mode{session.Active, session.Passive} {
			if rt, ok := s.ByMode[md]; ok {
				fmt.Fprintf(&buf, "  %s: %d of %d failed\n", md, rt.Failed, rt.Total)
			}
		}
		for _, n := range s.ByClientNet {
			fmt.Fprintf(&buf, "  clients %s: %d of %d failed\n", n.Net, n.Failed, n.Total)
		}
		if l := s.Latency; l.Count > 0 {
			fmt.Fprintf(&buf, "  negotiation→SYN: median %.3fs, max %.3fs, >30s %d, >300s %d\n", l.Median, l.Max, l.Over30, l.Over300)
		}
		for _, n := range s.Notes {
			fmt.Fprintf(&buf, "  note: %s\n", n)
		}
	}
	buf.WriteString("\nRECOMMENDATIONS\n")
	if len(r.Recommendations) == 0 {
		buf.WriteString("\n(none: no failed transfer needs a firewall or server change)\n")
	}
	for _, x := range r.Recommendations {
		fmt.Fprintf(&buf, "\n%s [%s] fixes transfers %s\n  %s\n", addrPort(x.Server), x.Kind, joinIDs(x.Transfers), x.Why)
		if len(x.NFT) > 0 {
			buf.WriteString("  nftables:\n")
			for _, l := range x.NFT {
				fmt.Fprintf(&buf, "    %s\n", l)
			}
		}
		if len(x.IPTables) > 0 {
			buf.WriteString("  iptables:\n")
			for _, l := range x.IPTables {
				fmt.Fprintf(&buf, "    %s\n", l)
			}
		}
		for _, l := range x.ServerFix {
			fmt.Fprintf(&buf, "  server: %s\n", l)
		}
	}
	if len(m.FailOn) > 0 {
		fmt.Fprintf(&buf, "\n--fail-on %s: %d matching finding(s)\n", strings.Join(m.FailOn, ","), m.Matched)
	}
	if _, err := w.Write(buf.Bytes()); err != nil {
		return fmt.Errorf("writing audit: %w", err)
	}
	return nil
}

// WriteAuditNFT writes only the nftables scripts of the recommendations,
// ready for nft -f.
func WriteAuditNFT(w io.Writer, r *audit.Report) error {
	var buf bytes.Buffer
	for _, x := range r.Recommendations {
		for _, l := range x.NFT {
			buf.WriteString(l)
			buf.WriteByte('\n')
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
