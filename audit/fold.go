package audit

import (
	"math"
	"net/netip"
	"slices"
	"time"

	"github.com/ftpsniff/ftpsniff/session"
)

// Folded is what a Collector keeps of the transfers it folds — those that
// worked and that the audit has nothing to say about — so that its memory
// does not grow with them: per server the counts, ports and latencies the
// summaries, range inference and recommendations read, and per kept
// transfer the time of the next folded negotiation of its session the
// helper would have expected (with max_expected=1 it evicts the kept one's).
type Folded struct {
	Servers map[netip.AddrPort]*FoldedServer
	// next: kept transfer ID → time of the next folded opening negotiation.
	next map[uint64]time.Time
	// kept: session ID → the kept transfers of that session.
	kept map[uint64][]keptRef
	// recent: session ID → the latest folded opening negotiations (bounded).
	recent map[uint64][]time.Time
}

type keptRef struct {
	id uint64
	at time.Time
}

// recentOpens bounds the folded negotiation times remembered per session.
const recentOpens = 64

// FoldedServer aggregates one server's folded transfers.
type FoldedServer struct {
	Transfers    int
	Negotiations map[string]int
	ByMode       map[session.Mode]int
	Nets         map[string]int
	// PassivePorts counts the passive data ports that worked.
	PassivePorts      map[uint16]int
	From20, FromOther int
	Latency           LatencyHist
	// Sessions and TLSSessions count the folded sessions (those with no
	// kept transfer and no verdict of their own); Greeting, System and
	// Features are the first that named the server's software.
	Sessions, TLSSessions      int
	Greeting, System, Features string
}

func newFolded() *Folded {
	return &Folded{Servers: map[netip.AddrPort]*FoldedServer{}, next: map[uint64]time.Time{}, kept: map[uint64][]keptRef{}, recent: map[uint64][]time.Time{}}
}

// LatencyHist is a log-scale histogram of negotiation→SYN delays (2%
// wide buckets from 1 µs), with the exact count and maximum.
type LatencyHist struct {
	Buckets map[int]int
	Count   int
	Max     time.Duration
}

const latBase = 1.02

func latBucket(d time.Duration) int {
	if d < time.Microsecond {
		return -1
	}
	return int(math.Log(float64(d)/float64(time.Microsecond)) / math.Log(latBase))
}

func latValue(b int) time.Duration {
	if b < 0 {
		return 0
	}
	return time.Duration(float64(time.Microsecond) * math.Pow(latBase, float64(b)+0.5))
}

// Add counts one delay.
func (h *LatencyHist) Add(d time.Duration) {
	if h.Buckets == nil {
		h.Buckets = map[int]int{}
	}
	h.Buckets[latBucket(d)]++
	h.Count++
	h.Max = max(h.Max, d)
}

// Median is the middle delay, within a bucket's width.
func (h *LatencyHist) Median() time.Duration {
	keys := make([]int, 0, len(h.Buckets))
	for k := range h.Buckets {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	mid, n := h.Count/2, 0
	for _, k := range keys {
		n += h.Buckets[k]
		if n > mid {
			return latValue(k)
		}
	}
	return 0
}

// foldable reports whether t worked and the audit has nothing to say about
// it under cfg (so only its counts are needed).
func foldable(t *session.Transfer, cfg Config) bool {
	if t.Verdict != session.OK || t.Data == nil || !t.Data.Established || t.Data.FirstSYN.IsZero() || !t.Endpoint.IsValid() {
		return false
	}
	switch t.Negotiation {
	case session.PORT, session.EPRT, session.PASV, session.EPSV:
	default:
		return false
	}
	for _, f := range []session.Flag{session.FlagNATMismatch, session.FlagPrivateAddress, session.FlagThirdParty, session.FlagPrivilegedPort,
		session.FlagLateSYN, session.FlagTLS, session.FlagSYNBeforeReply, session.FlagConnectedElsewhere} {
		if t.Flags.Has(f) {
			return false
		}
	}
	if lat := t.Data.FirstSYN.Sub(t.Time); lat < 0 || lat > 30*time.Second {
		return false
	}
	if ks, _ := classifyAddress(t); len(ks) > 0 {
		return false
	}
	hc := helperConfigFor(t, cfg)
	hv := baseHelper(t, hc, HelperContext{})
	if !hv.Outcome.Opens() || len(hv.Reasons) > 0 {
		return false
	}
	if cfg.Policy != nil && len(cfg.Policy.For(t.Server).Check(t, hv)) > 0 {
		return false
	}
	return true
}

// server returns srv's aggregate, made when needed.
func (fd *Folded) server(srv netip.AddrPort) *FoldedServer {
	x := fd.Servers[srv]
	if x == nil {
		x = &FoldedServer{Negotiations: map[string]int{}, ByMode: map[session.Mode]int{}, Nets: map[string]int{}, PassivePorts: map[uint16]int{}}
		fd.Servers[srv] = x
	}
	return x
}

// foldSession counts s (no kept transfer, no verdict) into its server's
// aggregate, keeping the first greeting that names the software.
func (fd *Folded) foldSession(s *session.Session) {
	x := fd.server(s.Server)
	x.Sessions++
	if s.TLS {
		x.TLSSessions++
	}
	if x.Greeting == "" && x.System == "" || DetectSoftware(x.Greeting, x.System) == SoftwareUnknown && DetectSoftware(s.Greeting, s.System) != SoftwareUnknown {
		x.Greeting, x.System, x.Features = s.Greeting, s.System, s.Features
	}
}

// fold counts t into its server's aggregate and notes its time for the
// kept transfers of its session it may evict.
func (fd *Folded) fold(t *session.Transfer) {
	x := fd.server(t.Server)
	x.Transfers++
	x.Negotiations[string(t.Negotiation)]++
	x.ByMode[t.Mode]++
	x.Nets[clientNet(t.Client.Addr())]++
	if t.Mode == session.Passive {
		x.PassivePorts[dataPort(t)]++
	} else if t.Data.Connector.Port() == 20 {
		x.From20++
	} else {
		x.FromOther++
	}
	x.Latency.Add(t.Data.FirstSYN.Sub(t.Time))
	for _, k := range fd.kept[t.SessionID] {
		if t.Time.After(k.at) {
			if n, ok := fd.next[k.id]; !ok || t.Time.Before(n) {
				fd.next[k.id] = t.Time
			}
		}
	}
	r := append(fd.recent[t.SessionID], t.Time)
	if len(r) > recentOpens {
		r = r[len(r)-recentOpens:]
	}
	fd.recent[t.SessionID] = r
}

// keep registers a transfer the collector keeps whole.
func (fd *Folded) keep(t *session.Transfer) {
	fd.kept[t.SessionID] = append(fd.kept[t.SessionID], keptRef{t.ID, t.Time})
	for _, at := range fd.recent[t.SessionID] {
		if at.After(t.Time) {
			if n, ok := fd.next[t.ID]; !ok || at.Before(n) {
				fd.next[t.ID] = at
			}
		}
	}
}

// nextOpen is the time of the next folded negotiation after kept transfer
// id that the helper would have expected (zero if none).
func (fd *Folded) nextOpen(id uint64) time.Time {
	if fd == nil {
		return time.Time{}
	}
	return fd.next[id]
}

// passiveSpan is the span of folded passive ports of srv and their count.
func (fd *Folded) passiveSpan(srv netip.AddrPort) (PortRange, int) {
	if fd == nil || fd.Servers[srv] == nil {
		return PortRange{}, 0
	}
	r, n := PortRange{65535, 0}, 0
	for p, c := range fd.Servers[srv].PassivePorts {
		r.Lo, r.Hi = min(r.Lo, p), max(r.Hi, p)
		n += c
	}
	if n == 0 {
		return PortRange{}, 0
	}
	return r, n
}

// activeWorked reports whether folded active transfers to srv worked.
func (fd *Folded) activeWorked(srv netip.AddrPort) bool {
	return fd != nil && fd.Servers[srv] != nil && fd.Servers[srv].ByMode[session.Active] > 0
}
