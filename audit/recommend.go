package audit

import (
	"fmt"
	"net/netip"
	"slices"
	"sort"
	"strings"

	"github.com/ftpsniff/ftpsniff/session"
)

// NFTTarget names the existing nftables table and the chains the emitted
// rules go into: Chain (forward) on a router, InputChain (input) on a host.
type NFTTarget struct {
	Family, Table, Chain string
	// InputChain and OutputChain are the host's input and output filter
	// chains (default "input" and "output").
	InputChain, OutputChain string
}

// DefaultNFTTarget is "inet filter", chains forward, input and output.
func DefaultNFTTarget() NFTTarget {
	return NFTTarget{Family: "inet", Table: "filter", Chain: "forward", InputChain: "input", OutputChain: "output"}
}

// Recommendation kinds.
const (
	RecHelper       = "helper"         // attach the FTP conntrack helper, accept RELATED
	RecPassiveRange = "passive-range"  // open a static passive range, or pin the server's range inside the allowed one
	RecServerRange  = "server-range"   // move the server's passive range inside the policy
	RecNAT          = "nat-address"    // make the server advertise its public address
	RecClientNAT    = "client-nat"     // the client's NAT must rewrite PORT (nf_nat_ftp), or use passive
	RecNATPool      = "nat-persistent" // the client's NAT must keep one pool address per host
	RecClosedPort   = "closed-port"    // the server advertised ports nobody listens on
	RecUsePassive   = "use-passive"    // clients should not use active mode here
	RecControlPort  = "control-port"   // open the control port to the server
)

// RuleSet is a set of firewall rules for one firewall place.
type RuleSet struct {
	Place Place `json:"place"`
	// When says when this set applies (rather than the other).
	When     string   `json:"when"`
	NFT      []string `json:"nft,omitempty"`
	IPTables []string `json:"iptables,omitempty"`
}

// Option is one way to fix a range mismatch, with what it opens.
type Option struct {
	Action string    `json:"action"` // "pin-server-range" or "open-firewall-range"
	Range  PortRange `json:"range"`
	// Opens is how many ports the firewall must newly open (0 for a pin).
	Opens  int    `json:"opens"`
	Text   string `json:"text"`
	Chosen bool   `json:"chosen"`
}

// Recommendation is the minimal change that lets the observed sessions of
// one server work.
type Recommendation struct {
	Server netip.AddrPort `json:"server"`
	Kind   string         `json:"kind"`
	Why    string         `json:"why"`
	// Confidence is the weakest confidence of the findings it fixes.
	Confidence Confidence `json:"confidence"`
	// Place and When say where the NFT/IPTables rules go and when they
	// apply; Alternatives are the variants for the other places the
	// evidence does not rule out.
	Place Place  `json:"place,omitempty"`
	When  string `json:"when,omitempty"`
	// Transfers are the IDs of the failed transfers this fixes; Covers
	// further failed transfers the same rules cover (findings only
	// possible, or seen only from the far side); Sessions the blocked
	// control connections it fixes.
	Transfers []uint64 `json:"transfers"`
	Covers    []uint64 `json:"covers,omitempty"`
	Sessions  []uint64 `json:"sessions,omitempty"`
	// Opens counts the ports the emitted firewall rules open.
	Opens int `json:"opens"`
	// NFT is an nft -f script; IPTables the equivalent commands.
	NFT          []string  `json:"nft,omitempty"`
	IPTables     []string  `json:"iptables,omitempty"`
	Alternatives []RuleSet `json:"alternatives,omitempty"`
	Options      []Option  `json:"options,omitempty"`
	// Software is the server recognised from its greeting; ServerFix the
	// server-side changes in words, Settings the same machine-readable.
	Software  Software  `json:"software,omitempty"`
	ServerFix []string  `json:"server_fix,omitempty"`
	Settings  []Setting `json:"settings,omitempty"`
}

func famMatch(a netip.Addr) (nft, ipt string) {
	if a.Unmap().Is4() {
		return "ip", "iptables"
	}
	return "ip6", "ip6tables"
}

func addrSet(as []netip.Addr) string {
	if len(as) == 1 {
		return as[0].String()
	}
	s := make([]string, len(as))
	for i, a := range as {
		s[i] = a.String()
	}
	return "{ " + strings.Join(s, ", ") + " }"
}

func uniqAddrs(as []netip.Addr) []netip.Addr {
	out := []netip.Addr{}
	for _, a := range as {
		a = a.Unmap()
		if !slices.Contains(out, a) {
			out = append(out, a)
		}
	}
	slices.SortFunc(out, func(a, b netip.Addr) int { return a.Compare(b) })
	return out
}

// recInput is what the recommenders need besides the findings.
type recInput struct {
	transfers []*session.Transfer
	summary   *ServerSummary
	policy    *Policy
	tgt       NFTTarget
	software  Software
	ranges    *RangeInference
	fold      *Folded
}

// Recommend chooses, per server, the smallest change that lets the failed
// transfers in findings work, from what failed, why and where.
func Recommend(findings []*Finding, transfers []*session.Transfer, servers []*ServerSummary, pol *Policy, tgt NFTTarget) []*Recommendation {
	return recommend(findings, transfers, servers, pol, tgt, nil)
}

// recommend is Recommend with what a Collector folded.
func recommend(findings []*Finding, transfers []*session.Transfer, servers []*ServerSummary, pol *Policy, tgt NFTTarget, fold *Folded) []*Recommendation {
	if tgt.Family == "" {
		tgt = DefaultNFTTarget()
	}
	if tgt.InputChain == "" {
		tgt.InputChain = "input"
	}
	if tgt.OutputChain == "" {
		tgt.OutputChain = "output"
	}
	type key struct {
		srv   netip.AddrPort
		kind  string
		place Place
	}
	groups := map[key][]*Finding{}
	var keys []key
	var possible []*Finding
	for _, f := range findings {
		if !f.Failed() {
			continue
		}
		k := recKind(f)
		if k == "" {
			continue
		}
		if f.Confidence == Possible && k != RecControlPort {
			possible = append(possible, f)
			continue
		}
		kk := key{f.Server, k, placeOf(f)}
		if _, ok := groups[kk]; !ok {
			keys = append(keys, kk)
		}
		groups[kk] = append(groups[kk], f)
	}
	order := []string{RecControlPort, RecNAT, RecClientNAT, RecNATPool, RecServerRange, RecClosedPort, RecHelper, RecPassiveRange, RecUsePassive}
	sort.SliceStable(keys, func(i, j int) bool {
		if c := keys[i].srv.Compare(keys[j].srv); c != 0 {
			return c < 0
		}
		if a, b := slices.Index(order, keys[i].kind), slices.Index(order, keys[j].kind); a != b {
			return a < b
		}
		return keys[i].place < keys[j].place
	})
	summ := map[netip.AddrPort]*ServerSummary{}
	for _, s := range servers {
		summ[s.Server] = s
	}
	var out []*Recommendation
	for _, k := range keys {
		g := groups[k]
		in := recInput{transfers: transfers, summary: summ[k.srv], policy: pol, tgt: tgt, fold: fold}
		if s := summ[k.srv]; s != nil {
			in.software = s.Software
			in.ranges = s.Allowed
		}
		r := &Recommendation{Server: k.srv, Kind: k.kind, Confidence: Certain, Software: in.software}
		for _, f := range g {
			if f.TransferID != 0 {
				r.Transfers = append(r.Transfers, f.TransferID)
			} else {
				r.Sessions = append(r.Sessions, f.SessionID)
			}
			r.Confidence = weakest(r.Confidence, f.Confidence)
			if f.Firewall != nil && f.Firewall.Alternative == "" {
				r.Confidence = weakest(r.Confidence, f.Firewall.Confidence)
			} else if f.Firewall != nil {
				r.Confidence = weakest(r.Confidence, Likely)
			}
		}
		switch k.kind {
		case RecControlPort:
			recControl(r, g, k.place, in)
		case RecNAT:
			recNAT(r, g, in)
		case RecClientNAT:
			recClientNAT(r, g, in)
		case RecNATPool:
			recNATPool(r, g, in)
		case RecServerRange:
			recServerRange(r, pol.For(k.srv), in)
		case RecClosedPort:
			r.Why = fmt.Sprintf("%d passive connection(s) were reset by the server itself: it advertised ports nothing listened on (a broken server, or a stale proxy/NAT mapping); no firewall rule helps", len(g))
			r.ServerFix = []string{"check that the server's passive listener is up when it answers PASV/EPSV, and that any proxy or DNAT maps the advertised ports to it"}
		case RecHelper:
			recHelper(r, g, k.place, in)
		case RecPassiveRange:
			recPassiveRange(r, g, k.place, in)
		case RecUsePassive:
			r.Why = "active mode fails here and the FTP helper cannot fix it (" + strings.Join(g[0].Helper.Reasons, "; ") + "): use passive mode (EPSV) with a static passive range on the server side"
			r.ServerFix = []string{"clients: use passive mode (EPSV/PASV), e.g. curl without -P, lftp set ftp:passive-mode on"}
		}
		r.Covers = covered(r, possible)
		out = append(out, r)
	}
	return out
}

// placeOf is the firewall place a finding's fix goes to.
func placeOf(f *Finding) Place {
	if f.Firewall != nil {
		return f.Firewall.Place
	}
	return ""
}

func recKind(f *Finding) string {
	switch {
	case f.Kind == KindControlBlocked:
		if f.Confidence == Possible {
			return ""
		}
		return RecControlPort
	case f.Kind == KindBounceScan, f.Kind == KindFileError:
		return ""
	case f.HasKind(KindNATPool):
		return RecNATPool
	case f.HasKind(KindClientNATActive):
		return RecClientNAT
	case f.HasKind(KindNATPrivate) || f.HasKind(KindUnspecifiedAddr) || f.HasKind(KindServerAdvertises):
		if f.Mode == session.Passive {
			return RecNAT
		}
		return ""
	case f.HasKind(KindBounce):
		return ""
	case f.HasKind(KindOutsideRange):
		return RecServerRange
	case f.Kind == KindClosedPort:
		return RecClosedPort
	case f.Verdict == session.Refused || f.Verdict == session.Unknown || (f.Verdict == session.NotAttempted && !f.HasKind(KindFirewallDrop)):
		return ""
	case f.Kind == KindNoRoute:
		return ""
	case f.Mode == session.Active && f.HasKind(KindPolicyActive):
		return RecUsePassive
	case f.Mode == session.Active && f.HasKind(KindHelperNotApplied):
		return RecHelper
	case f.Mode == session.Active:
		return RecUsePassive
	default:
		return RecPassiveRange
	}
}

// covered lists the failed transfers with findings only possible (rules
// withheld for them) that r's rules would also let through: same server,
// same mode, and for a port range a data port inside it.
func covered(r *Recommendation, possible []*Finding) []uint64 {
	if len(r.NFT) == 0 {
		return nil
	}
	var out []uint64
	for _, f := range possible {
		if f.Server != r.Server || f.TransferID == 0 {
			continue
		}
		switch r.Kind {
		case RecHelper:
			if f.Mode == session.Active && f.Helper.Outcome.Opens() {
				out = append(out, f.TransferID)
			}
		case RecPassiveRange:
			if f.Mode == session.Passive && r.opened(f.Endpoint.Port()) {
				out = append(out, f.TransferID)
			}
		}
	}
	return out
}

// opened reports whether a passive-range recommendation's rules open p.
func (r *Recommendation) opened(p uint16) bool {
	for _, o := range r.Options {
		if o.Chosen && o.Action == "open-firewall-range" && p >= o.Range.Lo && p <= o.Range.Hi {
			return true
		}
	}
	return false
}

// serverSettings fills the server-side settings for r's software.
func (r *Recommendation) serverSettings(gen func(Software) []Setting) {
	ss := forSoftware(r.Software, gen)
	r.Settings = append(r.Settings, ss...)
	lines := settingTexts(ss)
	if r.Software == SoftwareUnknown && len(lines) > 0 {
		lines = append([]string{"(server software not recognised from its greeting: the setting for each kind follows)"}, lines...)
	}
	r.ServerFix = append(r.ServerFix, lines...)
}

func helperL3(family string, a netip.Addr) string {
	if family == "inet" {
		return "inet"
	}
	if a.Is4() {
		return "ip"
	}
	return "ip6"
}

// placeWhen says when rules for place p apply.
func placeWhen(p Place) string {
	switch p {
	case PlaceClientHost:
		return "the firewall is the client machine's own (nftables/iptables on the client host)"
	case PlaceServerHost:
		return "the firewall is the server machine's own (nftables/iptables on the server host)"
	}
	return "the firewall is a router or network firewall between client and server"
}

// fill sets r's primary rules for place p and, when the placement is
// ambiguous, the variant for the alternative place.
func (r *Recommendation) fill(g []*Finding, p Place, gen func(Place) RuleSet) {
	rs := gen(p)
	r.Place, r.When, r.NFT, r.IPTables = p, rs.When, rs.NFT, rs.IPTables
	var alt Place
	for _, f := range g {
		if f.Firewall != nil && f.Firewall.Alternative != "" {
			alt = f.Firewall.Alternative
			break
		}
	}
	if alt != "" && alt != p {
		a := gen(alt)
		if len(a.NFT) > 0 {
			r.Alternatives = append(r.Alternatives, a)
		}
	}
}
