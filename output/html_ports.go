package output

import (
	"bytes"
	"fmt"
	"math"
	"net/netip"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/ftpsniff/ftpsniff/session"
)

// PortRange is an inclusive range of TCP ports.
type PortRange struct{ Lo, Hi uint16 }

// String renders "lo-hi", or "p" for a single port.
func (r PortRange) String() string {
	if r.Lo == r.Hi {
		return strconv.Itoa(int(r.Lo))
	}
	return strconv.Itoa(int(r.Lo)) + "-" + strconv.Itoa(int(r.Hi))
}

// AllowedPorts are the data-port ranges a server's firewall lets through,
// as an audit inferred them or a policy declared them; the port chart
// shades them.
type AllowedPorts struct {
	// Passive are the allowed passive (client to server) data ports.
	Passive []PortRange
	// Source says where the ranges come from ("policy", "inferred", ...).
	Source string
}

// Port chart geometry (SVG user units).
const (
	chartWidth  = 960
	chartLeft   = 110 // room for the row labels
	chartRight  = 10
	chartRowH   = 26
	chartAxisH  = 30
	chartPlotW  = chartWidth - chartLeft - chartRight
	maxServersH = 200 // servers drawn; the rest are counted
)

// portX maps a port (or the end of a bucket, up to 65536) to x.
func portX(p int) float64 {
	return chartLeft + float64(p)*chartPlotW/65536
}

var seriesLabel = [seriesCount]string{"passive ok", "passive failed", "active ok", "active failed"}
var seriesClass = [seriesCount]string{"ok", "bad", "ok", "bad"}

// renderServers writes the per-server section: modes, the port chart with
// the allowed ranges shaded, and the failure timeline.
func (h *HTMLWriter) renderServers(b *bytes.Buffer, allowed map[netip.Addr]AllowedPorts) {
	b.WriteString(`<section id="servers"><h2>Servers</h2>` + "\n")
	all := h.servers.sorted()
	if len(all) == 0 {
		b.WriteString("<p>No FTP server seen.</p></section>\n")
		return
	}
	shown := all
	if len(shown) > maxServersH {
		shown = shown[:maxServersH]
	}
	for _, s := range shown {
		renderServer(b, s, allowed[s.addr])
	}
	if n := len(all) - len(shown); n > 0 {
		fmt.Fprintf(b, "<p class=\"more\">%s more not drawn (fewest failures).</p>\n", plural(n, "server"))
	}
	b.WriteString("</section>\n")
}

// renderServer writes one server's block.
func renderServer(b *bytes.Buffer, s *serverAgg, al AllowedPorts) {
	fmt.Fprintf(b, `<div class="server" data-server="%s"><h3>%s</h3>`, esc(s.addr.String()), esc(s.addr.String()))
	var ctl []string
	for p, n := range s.control {
		ctl = append(ctl, "port "+strconv.Itoa(int(p))+": "+plural(n, "session"))
	}
	sort.Strings(ctl)
	b.WriteString(`<p class="facts">` + esc(strings.Join(ctl, ", ")))
	fmt.Fprintf(b, "; %s, %d failed", plural(s.transfers, "transfer"), s.failed)
	if m := modesPhrase(s.modes); m != "" {
		b.WriteString("; modes: " + esc(m))
	}
	if p := countsPhrase(s.verdicts); p != "" {
		b.WriteString("; " + esc(p))
	}
	b.WriteString("</p>\n")
	var used []string
	for i := range seriesCount {
		if s.seen[i] {
			used = append(used, seriesLabel[i]+" "+PortRange{s.lo[i], s.hi[i]}.String())
		}
	}
	if len(used) > 0 {
		b.WriteString(`<p class="facts">data ports used: ` + esc(strings.Join(used, "; ")))
		if len(al.Passive) > 0 {
			b.WriteString("; firewall allows passive " + esc(rangesString(al.Passive)))
			if al.Source != "" {
				b.WriteString(" (" + esc(al.Source) + ")")
			}
		}
		b.WriteString("</p>\n")
		renderPortChart(b, s, al)
	}
	renderTimeline(b, &s.timeline)
	b.WriteString("</div>\n")
}

// modesPhrase renders negotiation counts, "PASV 12, PORT 3", most used first.
func modesPhrase(m map[session.Negotiation]int) string {
	type nc struct {
		n session.Negotiation
		c int
	}
	var l []nc
	for n, c := range m {
		l = append(l, nc{n, c})
	}
	sort.Slice(l, func(i, j int) bool {
		if l[i].c != l[j].c {
			return l[i].c > l[j].c
		}
		return l[i].n < l[j].n
	})
	parts := make([]string, len(l))
	for i, x := range l {
		parts[i] = clean(string(x.n)) + " " + strconv.Itoa(x.c)
	}
	return strings.Join(parts, ", ")
}

// rangesString renders ranges as "1024-5000, 40000-40009".
func rangesString(rs []PortRange) string {
	parts := make([]string, len(rs))
	for i, r := range rs {
		parts[i] = r.String()
	}
	return strings.Join(parts, ", ")
}

// renderPortChart draws one row per port series in use (passive ok, passive
// failed, active ok, active failed) over 0-65535, with bar heights on a log
// scale and the allowed passive ranges shaded behind the passive rows.
func renderPortChart(b *bytes.Buffer, s *serverAgg, al AllowedPorts) {
	var rows []int
	for i := range seriesCount {
		if s.seen[i] {
			rows = append(rows, i)
		}
	}
	height := len(rows)*chartRowH + chartAxisH
	var peak uint32 = 1
	keys := make([]int, 0, len(s.ports))
	for k, c := range s.ports {
		keys = append(keys, int(k))
		for _, n := range c {
			peak = max(peak, n)
		}
	}
	sort.Ints(keys)
	fmt.Fprintf(b, `<svg class="ports" viewBox="0 0 %d %d" width="%d" height="%d" role="img" aria-label="data ports of %s">`,
		chartWidth, height, chartWidth, height, esc(s.addr.String()))
	// Shade the allowed passive ranges behind the passive rows.
	passiveRows := 0
	for _, r := range rows {
		if r <= seriesPassiveFailed {
			passiveRows++
		}
	}
	if passiveRows > 0 {
		for _, r := range al.Passive {
			x0, x1 := portX(int(r.Lo)), portX(int(r.Hi)+1)
			fmt.Fprintf(b, `<rect class="allowed" x="%.1f" y="0" width="%.1f" height="%d"><title>firewall allows %s</title></rect>`,
				x0, math.Max(x1-x0, 3), passiveRows*chartRowH, esc(r.String()))
		}
	}
	// One path per series: a bar per port bucket in use (no element per
	// bar keeps the page small on servers using thousands of ports).
	var d bytes.Buffer
	for ri, series := range rows {
		y0 := ri * chartRowH
		base := y0 + chartRowH - 2
		fmt.Fprintf(b, `<text class="lbl" x="4" y="%d">%s</text>`, y0+chartRowH/2+4, seriesLabel[series])
		fmt.Fprintf(b, `<line class="base" x1="%d" x2="%d" y1="%d" y2="%d"/>`, chartLeft, chartWidth-chartRight, base, base)
		d.Reset()
		var total uint32
		for _, k := range keys {
			n := s.ports[uint16(k)][series]
			if n == 0 {
				continue
			}
			total += n
			hgt := 3 + float64(chartRowH-6)*math.Log1p(float64(n))/math.Log1p(float64(peak))
			lo := k * portBucketWidth
			x0, x1 := portX(lo), portX(lo+portBucketWidth)
			fmt.Fprintf(&d, "M%.1f %dv-%.1fh%.1fv%.1fz", x0, base, hgt, math.Max(x1-x0, 1.5), hgt)
		}
		fmt.Fprintf(b, `<path class="%s" d="%s"><title>%s: %d transfers, ports %s</title></path>`,
			seriesClass[series], d.String(), seriesLabel[series], total, PortRange{s.lo[series], s.hi[series]})
	}
	// The port axis, with the allowed range's bounds among the ticks.
	ay := len(rows) * chartRowH
	ticks := []int{0, 1024, 16384, 32768, 49152, 65535}
	for _, r := range al.Passive {
		ticks = append(ticks, int(r.Lo), int(r.Hi))
	}
	sort.Ints(ticks)
	lastX := -100.0
	for _, t := range ticks {
		x := portX(t)
		fmt.Fprintf(b, `<line class="tick" x1="%.1f" x2="%.1f" y1="%d" y2="%d"/>`, x, x, ay, ay+4)
		if x-lastX < 34 {
			continue // too close to the previous label
		}
		lastX = x
		anchor := ""
		switch t {
		case 0:
			anchor = ` style="text-anchor:start"`
		case 65535:
			anchor = ` style="text-anchor:end"`
		}
		fmt.Fprintf(b, `<text class="tl" x="%.1f" y="%d"%s>%d</text>`, x, ay+16, anchor, t)
	}
	b.WriteString("</svg>\n")
}

// renderTimeline draws ok (up) and failed (down) transfers per time bucket.
func renderTimeline(b *bytes.Buffer, h *timeHist) {
	if h.width == 0 {
		return
	}
	n := int(h.hi - h.lo + 1)
	const height, mid = 64, 32
	var peak uint32 = 1
	for _, c := range h.counts {
		peak = max(peak, c[0], c[1])
	}
	// Bars at most 40 units wide: a short capture's few buckets stay bars.
	bw := math.Min(float64(chartPlotW)/float64(max(n, 1)), 40)
	fmt.Fprintf(b, `<svg class="timeline" viewBox="0 0 %d %d" width="%d" height="%d" role="img" aria-label="transfers over time">`,
		chartWidth, height+16, chartWidth, height+16)
	fmt.Fprintf(b, `<text class="lbl" x="4" y="%d">ok</text><text class="lbl" x="4" y="%d">failed</text>`, mid-8, mid+18)
	fmt.Fprintf(b, `<line class="base" x1="%d" x2="%d" y1="%d" y2="%d"/>`, chartLeft, chartWidth-chartRight, mid, mid)
	var paths [2]bytes.Buffer
	var totals [2]uint32
	for i := h.lo; i <= h.hi; i++ {
		c := h.counts[i]
		if c == nil {
			continue
		}
		x := chartLeft + float64(i-h.lo)*bw
		for k := range 2 {
			if c[k] == 0 {
				continue
			}
			totals[k] += c[k]
			hh := 2 + float64(mid-4)*float64(c[k])/float64(peak)
			if k == 0 {
				fmt.Fprintf(&paths[k], "M%.1f %dv-%.1fh%.1fv%.1fz", x, mid, hh, math.Max(bw-0.5, 1), hh)
			} else {
				fmt.Fprintf(&paths[k], "M%.1f %dv%.1fh%.1fv-%.1fz", x, mid, hh, math.Max(bw-0.5, 1), hh)
			}
		}
	}
	for k, cls := range [2]string{"ok", "bad"} {
		if paths[k].Len() > 0 {
			fmt.Fprintf(b, `<path class="%s" d="%s"><title>%d %s</title></path>`, cls, paths[k].String(), totals[k],
				[2]string{"ok", "failed"}[k])
		}
	}
	first := h.origin.Add(h.width * time.Duration(h.lo))
	last := h.origin.Add(h.width * time.Duration(h.hi+1))
	fmt.Fprintf(b, `<text class="tl" x="%d" y="%d" style="text-anchor:start">%s</text><text class="tl" x="%.0f" y="%d" style="text-anchor:end">%s (bars of %s)</text>`,
		chartLeft, height+12, esc(textTime(first)), math.Max(chartLeft+float64(n)*bw, chartWidth/2), height+12, esc(textTime(last)), esc(humanDuration(h.width)))
	b.WriteString("</svg>\n")
}
