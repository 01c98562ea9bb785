// Package audit turns ftpsniff's transfer and session records into a
// firewall audit: a diagnosis of every failed data connection (who dropped
// what, where, and why), a model of what Linux nf_conntrack_ftp would have
// done with each negotiation, per-server summaries, a check against a
// declared policy, and the minimal firewall rules or server settings that
// make the observed sessions work. Everything here is a pure function of
// the records; Collector gathers them from a run.
package audit

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/ftpsniff/ftpsniff/decode"
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

// DefaultConfig is the stock helper, no policy, "inet filter forward".
func DefaultConfig() Config {
	return Config{Helper: DefaultHelperConfig(), NFT: DefaultNFTTarget()}
}

// Report is the whole audit.
type Report struct {
	Findings        []*Finding        `json:"findings"`
	Servers         []*ServerSummary  `json:"servers"`
	Recommendations []*Recommendation `json:"recommendations"`
	// Transfers and Failed count all transfers and the failed ones.
	Transfers int `json:"transfers"`
	Failed    int `json:"failed"`
}

// Analyze audits a run's records. hosts may be nil.
func Analyze(transfers []*session.Transfer, sessions []*session.Session, hosts Hosts, cfg Config) *Report {
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
	hcFor := func(t *session.Transfer) HelperConfig {
		hc := cfg.Helper
		if cfg.Policy != nil {
			e := cfg.Policy.For(t.Server)
			if e.Helper != nil && *e.Helper {
				hc.Ports = e.Control
			}
		}
		return hc
	}
	tls := func(t *session.Transfer) bool {
		s := sess[t.SessionID]
		return s != nil && s.TLS
	}
	opens := make([]bool, len(ts))
	for i, t := range ts {
		opens[i] = baseHelper(t, hcFor(t), HelperContext{TLS: tls(t)}).Outcome.Opens()
	}
	rep := &Report{Transfers: len(ts)}
	for i, t := range ts {
		ctx := HelperContext{TLS: tls(t)}
		for j := i + 1; j < len(ts); j++ {
			if ts[j].SessionID == t.SessionID && opens[j] {
				ctx.NextExpectation = ts[j].Time
				break
			}
		}
		hv := ModelHelper(t, hcFor(t), ctx)
		in := Input{Session: sess[t.SessionID], Hosts: hosts, Helper: hv}
		if cfg.Policy != nil {
			e := cfg.Policy.For(t.Server)
			in.Policy = &e
		}
		if t.Verdict.Failed() {
			rep.Failed++
		}
		if f := Diagnose(t, in); f != nil {
			rep.Findings = append(rep.Findings, f)
		}
	}
	rep.Servers = Summarize(ts, sessions)
	rep.Recommendations = Recommend(rep.Findings, ts, rep.Servers, cfg.Policy, cfg.NFT)
	return rep
}

// FailOnNames are the categories --fail-on accepts.
var FailOnNames = []string{"any", "dropped", "reset", "unreachable", "refused", "not-attempted", "policy", "helper", "nat", "bounce"}

// ParseFailOn validates a --fail-on list.
func ParseFailOn(names []string) ([]string, error) {
	var out []string
	for _, n := range names {
		n = strings.ToLower(strings.TrimSpace(n))
		if n == "" {
			continue
		}
		if !slices.Contains(FailOnNames, n) {
			return nil, fmt.Errorf("unknown --fail-on category %q (one of %s)", n, strings.Join(FailOnNames, ", "))
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
		return string(f.Verdict) == c
	case "policy":
		return len(f.Policy) > 0
	case "helper":
		return f.HasKind(KindHelperMiss)
	case "nat":
		return f.HasKind(KindNATPrivate) || f.HasKind(KindClientNATActive)
	case "bounce":
		return f.HasKind(KindBounce)
	}
	return false
}

// Collector gathers a run's records (it has the methods of output.Writer)
// and, through Packet, the TTLs each host's control-channel packets
// arrived with.
type Collector struct {
	Transfers []*session.Transfer
	Sessions  []*session.Session
	Summary   *session.Summary
	Hosts     Hosts
}

// NewCollector returns an empty collector.
func NewCollector() *Collector { return &Collector{Hosts: Hosts{}} }

// Transfer keeps a copy of t.
func (c *Collector) Transfer(t *session.Transfer) error {
	x := *t
	c.Transfers = append(c.Transfers, &x)
	return nil
}

// Session keeps a copy of s.
func (c *Collector) Session(s *session.Session) error {
	x := *s
	c.Sessions = append(c.Sessions, &x)
	return nil
}

// Close keeps the summary.
func (c *Collector) Close(sum *session.Summary) error {
	x := *sum
	c.Summary = &x
	return nil
}

// Packet records the TTL of the packets ftpsniff counts as FTP (control
// packets and the first packets of data connections), except RSTs, for
// ftpsniff.Config.Record.
func (c *Collector) Packet(p *decode.Packet, ftp bool) error {
	if ftp && p.HasTCP && !p.TCP.Flags.Has(decode.RST) && p.Src.IsValid() {
		c.Hosts.Add(p.Src, p.TTL)
	}
	return nil
}

// Analyze audits what the collector gathered.
func (c *Collector) Analyze(cfg Config) *Report {
	return Analyze(c.Transfers, c.Sessions, c.Hosts, cfg)
}
