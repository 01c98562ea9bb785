// Package audit turns ftpsniff's transfer and session records into a
// firewall audit: a diagnosis of every failed data connection (who dropped
// what, where, and why, graded by how sure the evidence is), a model of
// what Linux nf_conntrack_ftp would have done with each negotiation,
// per-server summaries with the inferred firewall range, a check against a
// declared policy, and the minimal firewall rules (in the hooks of the
// firewall's place) or server settings (for the server seen) that make the
// observed sessions work. Everything here is a pure function of the
// records; Collector gathers them from a run.
package audit

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/ftpsniff/ftpsniff/session"
)

// Config configures an audit.
type Config struct {
	// Helper is the modelled kernel helper. When the policy says helper=yes
	// for a server, the policy's control ports replace Helper.Ports.
	Helper HelperConfig
	// Policy is checked when set.
	Policy *Policy
	// NFT names where emitted nftables rules go.
	NFT NFTTarget
}

// DefaultConfig is the stock helper, no policy, "inet filter" with chains
// forward and input.
func DefaultConfig() Config {
	return Config{Helper: DefaultHelperConfig(), NFT: DefaultNFTTarget()}
}

// Report is the whole audit.
type Report struct {
	Findings        []*Finding        `json:"findings"`
	Servers         []*ServerSummary  `json:"servers"`
	Recommendations []*Recommendation `json:"recommendations"`
	// Scans are the FTP bounce scans seen (their findings say so too).
	Scans []*Scan `json:"scans,omitempty"`
	// Groups gather the findings by server, direction, cause and port range.
	Groups []*Group `json:"groups"`
	// Transfers and Failed count all transfers and the failed ones;
	// Blocked the control connections that never got established.
	Transfers int `json:"transfers"`
	Failed    int `json:"failed"`
	Blocked   int `json:"blocked_sessions"`
}

// helperConfigFor is the helper modelled for t: the policy's control ports
// when it says the helper runs, else the configured ports plus the control
// port actually used (the port a recommendation would attach it to).
func helperConfigFor(t *session.Transfer, cfg Config) HelperConfig {
	hc := cfg.Helper
	if cfg.Policy != nil {
		e := cfg.Policy.For(t.Server)
		if e.Helper != nil {
			if *e.Helper {
				hc.Ports = e.Control
			}
			return hc
		}
	}
	if !slices.Contains(hc.Ports, t.Server.Port()) {
		hc.Ports = append(slices.Clone(hc.Ports), t.Server.Port())
	}
	return hc
}

// Analyze audits a run's records.
func Analyze(transfers []*session.Transfer, sessions []*session.Session, cfg Config) *Report {
	return analyze(transfers, sessions, cfg, nil)
}

// analyze audits the kept records plus what a Collector folded (nil: none).
func analyze(transfers []*session.Transfer, sessions []*session.Session, cfg Config, fold *Folded) *Report {
	ts := slices.Clone(transfers)
	sort.SliceStable(ts, func(i, j int) bool {
		if !ts[i].Time.Equal(ts[j].Time) {
			return ts[i].Time.Before(ts[j].Time)
		}
		return ts[i].ID < ts[j].ID
	})
	sess := map[uint64]*session.Session{}
	for _, s := range sessions {
		sess[s.ID] = s
	}
	// First pass: the helper's base outcome per transfer, to find which
	// later negotiation evicts which expectation (max_expected=1).
	hcFor := func(t *session.Transfer) HelperConfig { return helperConfigFor(t, cfg) }
	tls := func(t *session.Transfer) bool {
		s := sess[t.SessionID]
		return s != nil && s.TLS
	}
	opens := make([]bool, len(ts))
	for i, t := range ts {
		opens[i] = baseHelper(t, hcFor(t), HelperContext{TLS: tls(t)}).Outcome.Opens()
	}
	scans := detectScans(ts)
	rep := &Report{Transfers: len(ts)}
	if fold != nil {
		for _, x := range fold.Servers {
			rep.Transfers += x.Transfers
		}
	}
	byID := map[uint64]*Finding{}
	for i, t := range ts {
		ctx := HelperContext{TLS: tls(t)}
		for j := i + 1; j < len(ts); j++ {
			if ts[j].SessionID == t.SessionID && opens[j] {
				ctx.NextExpectation = ts[j].Time
				break
			}
		}
		if n := fold.nextOpen(t.ID); !n.IsZero() && (ctx.NextExpectation.IsZero() || n.Before(ctx.NextExpectation)) {
			ctx.NextExpectation = n
		}
		hv := ModelHelper(t, hcFor(t), ctx)
		in := Input{Session: sess[t.SessionID], Helper: hv}
		if cfg.Policy != nil {
			e := cfg.Policy.For(t.Server)
			in.Policy = &e
		}
		if t.Verdict.Failed() {
			rep.Failed++
		}
		f := Diagnose(t, in)
		if sc := scans[t.SessionID]; sc != nil {
			if f == nil {
				continue
			}
			scanFinding(f, sc)
		}
		if f != nil {
			rep.Findings = append(rep.Findings, f)
			byID[t.ID] = f
		}
	}
	for _, s := range sessions {
		if f := controlFinding(s); f != nil {
			rep.Blocked++
			rep.Findings = append(rep.Findings, f)
		}
	}
	for _, sc := range scans {
		rep.Scans = append(rep.Scans, sc)
	}
	sort.Slice(rep.Scans, func(i, j int) bool { return rep.Scans[i].SessionID < rep.Scans[j].SessionID })
	rep.Servers = summarize(ts, sessions, fold)
	sw := softwareOf(sessions)
	fold.software(sw)
	refineIIS(sw, ts)
	inf := map[string]*RangeInference{}
	for _, ri := range inferRanges(ts, byID, fold) {
		inf[ri.Server.String()] = ri
	}
	for _, s := range rep.Servers {
		s.Software = sw[s.Server.String()]
		s.Allowed = inf[s.Server.String()]
	}
	for _, f := range rep.Findings {
		hostReject(f, inf[f.Server.String()])
	}
	rep.Recommendations = recommend(rep.Findings, ts, rep.Servers, cfg.Policy, cfg.NFT, fold)
	rep.Groups = GroupFindings(rep.Findings, rep.Servers)
	return rep
}

// hostReject turns a passive "closed port" (a RST from the server's own
// stack) into a host firewall's reject when the ports that got such RSTs
// are separable from the ports that worked (a port-range rule on the server
// host), or none worked; interleaved with working ports it stays a port
// nothing listened on.
func hostReject(f *Finding, ri *RangeInference) {
	if f.Kind != KindClosedPort || f.Mode != session.Passive || f.Verdict != session.Reset || ri == nil {
		return
	}
	if ri.Worked > 0 && ri.Confidence == Possible {
		return
	}
	f.Kind = KindRejectRST
	f.Kinds[0] = KindRejectRST
	f.Confidence = Likely
	f.Firewall = &Placement{Place: PlaceServerHost, Confidence: Likely,
		Evidence: "the RST carries the server's own TTL and the ports it answered are apart from those that worked: the server host's firewall rejects them (a port nothing listened on would not follow a port range)"}
	f.Explanation += " The reset ports are apart from the ports that worked: more likely the server host's firewall rejecting them with a TCP reset than ports nothing listened on."
}

// FailOnNames are the categories --fail-on accepts.
var FailOnNames = []string{"any", "dropped", "reset", "unreachable", "refused", "not-attempted", "policy", "helper", "nat", "bounce", "control"}

// UnknownFailOnError is returned by ParseFailOn for a name not in
// FailOnNames.
type UnknownFailOnError struct{ Name string }

func (e *UnknownFailOnError) Error() string {
	return fmt.Sprintf("unknown --fail-on category %q (one of %s)", e.Name, strings.Join(FailOnNames, ", "))
}

// ParseFailOn validates a --fail-on list.
func ParseFailOn(names []string) ([]string, error) {
	var out []string
	for _, n := range names {
		n = strings.ToLower(strings.TrimSpace(n))
		if n == "" {
			continue
		}
		if !slices.Contains(FailOnNames, n) {
			return nil, &UnknownFailOnError{Name: n}
		}
		out = append(out, n)
	}
	return out, nil
}

// Matches returns the findings that fall in one of the categories.
func (r *Report) Matches(cats []string) []*Finding {
	var out []*Finding
	for _, f := range r.Findings {
		for _, c := range cats {
			if f.inCategory(c) {
				out = append(out, f)
				break
			}
		}
	}
	return out
}

func (f *Finding) inCategory(c string) bool {
	switch c {
	case "any":
		return f.Failed() || len(f.Policy) > 0
	case "dropped", "reset", "unreachable", "refused", "not-attempted":
		return string(f.Verdict) == c && f.Kind != KindFileError
	case "policy":
		return len(f.Policy) > 0
	case "helper":
		return f.HasKind(KindHelperMiss)
	case "nat":
		return f.HasKind(KindNATPrivate) || f.HasKind(KindClientNATActive) || f.HasKind(KindNATPool)
	case "bounce":
		return f.HasKind(KindBounce) || f.HasKind(KindBounceScan)
	case "control":
		return f.Kind == KindControlBlocked
	}
	return false
}
