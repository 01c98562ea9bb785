package audit

import (
	"fmt"
	"net/netip"
	"slices"
	"sort"
	"time"

	"github.com/ftpsniff/ftpsniff/session"
)

// Rate counts transfers and failures.
type Rate struct {
	Total  int `json:"total"`
	Failed int `json:"failed"`
}

// Bucket is one histogram bar.
type Bucket struct {
	Range string `json:"range"`
	Count int    `json:"count"`
}

// PortStats describes the passive data ports a server used.
type PortStats struct {
	Count     int      `json:"count"`
	Min       uint16   `json:"min"`
	Max       uint16   `json:"max"`
	Histogram []Bucket `json:"histogram"`
}

// NetRate is the failure rate of one client network (/24 or /64).
type NetRate struct {
	Net string `json:"net"`
	Rate
}

// Latency summarises negotiation-to-SYN delays.
type Latency struct {
	Count int `json:"count"`
	// Median and Max in seconds.
	Median float64 `json:"median"`
	Max    float64 `json:"max"`
	// Over30 and Over300 count SYNs later than 30 s (Suricata's
	// expectation lifetime) and 300 s (the kernel helper's, Zeek's, Snort's).
	Over30  int `json:"over_30s"`
	Over300 int `json:"over_300s"`
}

// ServerSummary is what the audit saw of one FTP server (control address
// and port).
type ServerSummary struct {
	Server      netip.AddrPort `json:"server"`
	Sessions    int            `json:"sessions"`
	TLSSessions int            `json:"tls_sessions"`
	Transfers   int            `json:"transfers"`
	// Negotiations counts PORT/PASV/EPRT/EPSV/LPRT/LPSV/hidden; Shares are
	// the same as fractions of Transfers.
	Negotiations map[string]int     `json:"negotiations"`
	Shares       map[string]float64 `json:"shares"`
	Passive      *PortStats         `json:"passive_ports,omitempty"`
	// ActiveFrom20 and ActiveFromOther count active data connections by
	// their source port.
	ActiveFrom20    int                   `json:"active_from_port_20"`
	ActiveFromOther int                   `json:"active_from_other_ports"`
	ByMode          map[session.Mode]Rate `json:"by_mode"`
	ByClientNet     []NetRate             `json:"by_client_net"`
	Latency         Latency               `json:"latency"`
	// Notes say what the numbers mean for firewall helpers.
	Notes []string `json:"notes,omitempty"`
	// Software is the server recognised from its greeting and SYST reply.
	Software Software `json:"software,omitempty"`
	// Allowed is the passive port range a firewall in front of the server
	// is inferred to allow, from the ports that worked and failed (nil
	// without passive failures).
	Allowed *RangeInference `json:"inferred_range,omitempty"`
}

// clientNet is the /24 (IPv4) or /64 (IPv6) of a.
func clientNet(a netip.Addr) string {
	a = a.Unmap()
	bits := 24
	if a.Is6() {
		bits = 64
	}
	p, err := a.Prefix(bits)
	if err != nil {
		return a.String()
	}
	return p.String()
}

// Summarize builds one summary per server, ordered by server address.
func Summarize(transfers []*session.Transfer, sessions []*session.Session) []*ServerSummary {
	return summarize(transfers, sessions, nil)
}

// summarize is Summarize over the kept transfers plus the folded ones.
func summarize(transfers []*session.Transfer, sessions []*session.Session, fold *Folded) []*ServerSummary {
	by := map[netip.AddrPort]*ServerSummary{}
	get := func(s netip.AddrPort) *ServerSummary {
		x := by[s]
		if x == nil {
			x = &ServerSummary{Server: s, Negotiations: map[string]int{}, Shares: map[string]float64{}, ByMode: map[session.Mode]Rate{}}
			by[s] = x
		}
		return x
	}
	for _, s := range sessions {
		x := get(s.Server)
		x.Sessions++
		if s.TLS {
			x.TLSSessions++
		}
	}
	if fold != nil {
		for srv, f := range fold.Servers {
			if f.Sessions > 0 {
				x := get(srv)
				x.Sessions += f.Sessions
				x.TLSSessions += f.TLSSessions
			}
		}
	}
	ports := map[netip.AddrPort][]uint16{}
	lats := map[netip.AddrPort][]time.Duration{}
	nets := map[netip.AddrPort]map[string]*Rate{}
	for _, t := range transfers {
		x := get(t.Server)
		x.Transfers++
		x.Negotiations[string(t.Negotiation)]++
		r := x.ByMode[t.Mode]
		r.Total++
		if t.Verdict.Failed() {
			r.Failed++
		}
		x.ByMode[t.Mode] = r
		if nets[t.Server] == nil {
			nets[t.Server] = map[string]*Rate{}
		}
		cn := clientNet(t.Client.Addr())
		nr := nets[t.Server][cn]
		if nr == nil {
			nr = &Rate{}
			nets[t.Server][cn] = nr
		}
		nr.Total++
		if t.Verdict.Failed() {
			nr.Failed++
		}
		if t.Mode == session.Passive {
			if p := dataPort(t); p != 0 && t.Verdict != session.Refused {
				ports[t.Server] = append(ports[t.Server], p)
			}
		}
		if t.Data != nil {
			if t.Mode == session.Active && t.Data.Connector.IsValid() {
				if t.Data.Connector.Port() == 20 {
					x.ActiveFrom20++
				} else {
					x.ActiveFromOther++
				}
			}
			if !t.Data.FirstSYN.IsZero() && !t.Time.IsZero() {
				lats[t.Server] = append(lats[t.Server], t.Data.FirstSYN.Sub(t.Time))
			}
		}
	}
	var hists map[netip.AddrPort]*LatencyHist
	portCounts := map[netip.AddrPort]map[uint16]int{}
	if fold != nil {
		hists = map[netip.AddrPort]*LatencyHist{}
		for srv, f := range fold.Servers {
			x := get(srv)
			x.Transfers += f.Transfers
			for k, n := range f.Negotiations {
				x.Negotiations[k] += n
			}
			for m, n := range f.ByMode {
				r := x.ByMode[m]
				r.Total += n
				x.ByMode[m] = r
			}
			if nets[srv] == nil {
				nets[srv] = map[string]*Rate{}
			}
			for cn, n := range f.Nets {
				nr := nets[srv][cn]
				if nr == nil {
					nr = &Rate{}
					nets[srv][cn] = nr
				}
				nr.Total += n
			}
			x.ActiveFrom20 += f.From20
			x.ActiveFromOther += f.FromOther
			portCounts[srv] = f.PassivePorts
			h := f.Latency
			hists[srv] = &h
		}
	}
	out := make([]*ServerSummary, 0, len(by))
	for s, x := range by {
		for k, n := range x.Negotiations {
			if x.Transfers > 0 {
				x.Shares[k] = float64(n) / float64(x.Transfers)
			}
		}
		if pc := portCounts[s]; len(pc) > 0 {
			all := map[uint16]int{}
			for p, n := range pc {
				all[p] += n
			}
			for _, p := range ports[s] {
				all[p]++
			}
			x.Passive = portCountStats(all)
		} else if ps := ports[s]; len(ps) > 0 {
			x.Passive = portStats(ps)
		}
		for n, r := range nets[s] {
			x.ByClientNet = append(x.ByClientNet, NetRate{Net: n, Rate: *r})
		}
		sort.Slice(x.ByClientNet, func(i, j int) bool { return x.ByClientNet[i].Net < x.ByClientNet[j].Net })
		if h := hists[s]; h != nil && h.Count > 0 {
			x.Latency = latencyMerged(lats[s], *h)
		} else {
			x.Latency = latency(lats[s])
		}
		x.Notes = serverNotes(x)
		out = append(out, x)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Server.Compare(out[j].Server) < 0 })
	return out
}

func portStats(ps []uint16) *PortStats {
	slices.Sort(ps)
	st := &PortStats{Count: len(ps), Min: ps[0], Max: ps[len(ps)-1]}
	span := int(st.Max) - int(st.Min) + 1
	const bars = 8
	w := (span + bars - 1) / bars
	if w < 1 {
		w = 1
	}
	for lo := int(st.Min); lo <= int(st.Max); lo += w {
		hi := min(lo+w-1, int(st.Max))
		n := 0
		for _, p := range ps {
			if int(p) >= lo && int(p) <= hi {
				n++
			}
		}
		st.Histogram = append(st.Histogram, Bucket{Range: PortRange{uint16(lo), uint16(hi)}.String(), Count: n})
	}
	return st
}

// portCountStats is portStats over port counts.
func portCountStats(pc map[uint16]int) *PortStats {
	st := &PortStats{Min: 65535}
	for p, n := range pc {
		st.Count += n
		st.Min, st.Max = min(st.Min, p), max(st.Max, p)
	}
	span := int(st.Max) - int(st.Min) + 1
	const bars = 8
	w := max((span+bars-1)/bars, 1)
	for lo := int(st.Min); lo <= int(st.Max); lo += w {
		hi := min(lo+w-1, int(st.Max))
		n := 0
		for p, c := range pc {
			if int(p) >= lo && int(p) <= hi {
				n += c
			}
		}
		st.Histogram = append(st.Histogram, Bucket{Range: PortRange{uint16(lo), uint16(hi)}.String(), Count: n})
	}
	return st
}

// latencyMerged summarises exact delays together with a folded histogram
// (the median is then within a bucket's 2%).
func latencyMerged(ds []time.Duration, h LatencyHist) Latency {
	exact := latency(ds)
	m := LatencyHist{Buckets: map[int]int{}, Count: h.Count, Max: h.Max}
	for k, n := range h.Buckets {
		m.Buckets[k] = n
	}
	for _, d := range ds {
		m.Add(d)
	}
	return Latency{Count: m.Count, Median: m.Median().Seconds(), Max: m.Max.Seconds(), Over30: exact.Over30, Over300: exact.Over300}
}

func latency(ds []time.Duration) Latency {
	l := Latency{Count: len(ds)}
	if len(ds) == 0 {
		return l
	}
	slices.Sort(ds)
	l.Median = ds[len(ds)/2].Seconds()
	l.Max = ds[len(ds)-1].Seconds()
	for _, d := range ds {
		if d > 30*time.Second {
			l.Over30++
		}
		if d > 300*time.Second {
			l.Over300++
		}
	}
	return l
}

func serverNotes(x *ServerSummary) []string {
	var n []string
	if x.TLSSessions > 0 {
		n = append(n, fmt.Sprintf("%d of %d sessions use TLS: FTP helpers cannot read their PORT/PASV, so only a static passive range (and pinned server ports) works for them", x.TLSSessions, x.Sessions))
	}
	if x.Passive != nil && int(x.Passive.Max)-int(x.Passive.Min) > 1000 {
		n = append(n, fmt.Sprintf("passive ports spread over %d-%d: a static firewall range would have to be wide; pin the server's range or use the helper", x.Passive.Min, x.Passive.Max))
	}
	if x.ActiveFromOther > 0 {
		n = append(n, fmt.Sprintf("%d active data connections did not come from port 20 (rules matching sport 20 miss them)", x.ActiveFromOther))
	}
	if x.Latency.Over30 > 0 {
		n = append(n, fmt.Sprintf("%d data SYNs came more than 30 s after the negotiation (%d after 300 s, the kernel helper's expectation lifetime)", x.Latency.Over30, x.Latency.Over300))
	}
	return n
}
