package audit

import (
	"fmt"
	"net/netip"
	"slices"
	"sort"
	"strings"
	"time"
)

// NATVerdict is the outcome of comparing one negotiation across a NAT.
type NATVerdict string

// NAT-pair verdicts.
const (
	// NATRewrittenOK: the helper rewrote the advertised endpoint to the
	// NAT's translation of the sender and adjusted seq/ack afterwards.
	NATRewrittenOK NATVerdict = "rewritten-ok"
	// NATRewrittenWrong: rewritten, but to the wrong address or port, or
	// without a consistent seq/ack adjustment (Problem says which).
	NATRewrittenWrong NATVerdict = "rewritten-wrong"
	// NATNotRewritten: the sender is translated but the outside capture
	// still carries the inside address (no helper/ALG on the NAT).
	NATNotRewritten NATVerdict = "not-rewritten"
	// NATNotNeeded: the sender is not translated.
	NATNotNeeded NATVerdict = "not-needed"
	// NATUnmatched: the negotiation is only in one capture.
	NATUnmatched NATVerdict = "unmatched"
)

// NAT-pair problems (NATPair.Problem) of a rewritten-wrong verdict.
const (
	NATProblemAddress    = "address"    // rewritten to an address other than the translation
	NATProblemPort       = "port"       // port differs from the data connection's translation
	NATProblemSeq        = "seq"        // sender's sequence numbers not shifted by the length change
	NATProblemAck        = "ack"        // peer's acknowledgements not mapped back
	NATProblemSyntax     = "syntax"     // the outside line does not parse
	NATProblemUnexpected = "unexpected" // rewritten although the sender is not translated
)

// NATPairConfig configures the NAT-pair comparison.
type NATPairConfig struct {
	// MaxSkew is the largest clock offset accepted between the two
	// captures' views of one session (default 10 minutes).
	MaxSkew time.Duration
	// DataWindow is how long after a negotiation its data connection's SYN
	// is looked for (default 2 minutes).
	DataWindow time.Duration
}

// DefaultNATPairConfig returns 10 minutes of skew and 2 minutes of data
// window (the control ports are the tracker's: 21, --ports, content).
func DefaultNATPairConfig() NATPairConfig {
	return NATPairConfig{MaxSkew: 10 * time.Minute, DataWindow: 2 * time.Minute}
}

// NATSession is a control connection's endpoints as seen in one capture.
type NATSession struct {
	Client netip.AddrPort `json:"client"`
	Server netip.AddrPort `json:"server"`
}

// NATPair is the comparison of one negotiation (PORT/EPRT from the
// client, 227/229 from the server) across the two captures. Inside fields
// are empty for a negotiation seen only outside, and the other way round.
type NATPair struct {
	Inside          *NATSession `json:"inside,omitempty"`
	Outside         *NATSession `json:"outside,omitempty"`
	Negotiation     string      `json:"negotiation"`
	InsideTime      time.Time   `json:"-"`
	OutsideTime     time.Time   `json:"-"`
	InsideLine      string      `json:"inside_line,omitempty"`
	OutsideLine     string      `json:"outside_line,omitempty"`
	InsideEndpoint  string      `json:"inside_endpoint,omitempty"`
	OutsideEndpoint string      `json:"outside_endpoint,omitempty"`
	Verdict         NATVerdict  `json:"verdict"`
	// Problem says what is wrong for rewritten-wrong (NATProblem*).
	Problem string `json:"problem,omitempty"`
	Reason  string `json:"reason"`
	// LengthDelta is the outside line's length minus the inside line's.
	LengthDelta int `json:"length_delta"`
}

// NATPairReport is the whole NAT-pair comparison.
type NATPairReport struct {
	InsideFile, OutsideFile         string
	InsideSessions, OutsideSessions int
	// MatchedSessions counts the control connections paired across.
	MatchedSessions int
	// ClockOffset is the median outside−inside time of matched sessions.
	ClockOffset time.Duration
	Pairs       []*NATPair
}

// NATVerdicts lists the verdicts in report order.
var NATVerdicts = []NATVerdict{NATRewrittenOK, NATRewrittenWrong, NATNotRewritten, NATNotNeeded, NATUnmatched}

// Count returns how many negotiations got verdict v.
func (r *NATPairReport) Count(v NATVerdict) int {
	n := 0
	for _, p := range r.Pairs {
		if p.Verdict == v {
			n++
		}
	}
	return n
}

// Matches returns the pairs in the --fail-on categories: "nat" and "any"
// select rewritten-wrong and not-rewritten; other categories none.
func (r *NATPairReport) Matches(cats []string) []*NATPair {
	if !slices.Contains(cats, "nat") && !slices.Contains(cats, "any") {
		return nil
	}
	var out []*NATPair
	for _, p := range r.Pairs {
		if p.Verdict == NATRewrittenWrong || p.Verdict == NATNotRewritten {
			out = append(out, p)
		}
	}
	return out
}

// CompareNAT matches the control sessions of the inside and outside views
// of the same traffic and judges every negotiation. Sessions are matched by
// a shared client or server endpoint (a NAT changes one side), by their
// command/reply sequence with the rewritable lines compared by verb or code
// only, and by a clock offset of at most cfg.MaxSkew.
func CompareNAT(in, out *NATSide, cfg NATPairConfig) *NATPairReport {
	if cfg.MaxSkew <= 0 {
		cfg.MaxSkew = DefaultNATPairConfig().MaxSkew
	}
	if cfg.DataWindow <= 0 {
		cfg.DataWindow = DefaultNATPairConfig().DataWindow
	}
	if in == nil {
		in = &NATSide{}
	}
	if out == nil {
		out = &NATSide{}
	}
	rep := &NATPairReport{InsideFile: in.File, OutsideFile: out.File,
		InsideSessions: len(in.Conns), OutsideSessions: len(out.Conns)}
	pairs, offset := matchSessions(in.Conns, out.Conns, cfg.MaxSkew)
	rep.MatchedSessions = len(pairs)
	rep.ClockOffset = offset
	usedIn := map[*NATConn]bool{}
	usedOut := map[*NATConn]bool{}
	for _, sp := range pairs {
		usedIn[sp[0]], usedOut[sp[1]] = true, true
		rep.Pairs = append(rep.Pairs, compareSession(sp[0], sp[1], in, out, cfg)...)
	}
	for _, c := range in.Conns {
		if !usedIn[c] {
			rep.Pairs = append(rep.Pairs, unmatchedNegs(c, true, "the control session is not in the outside capture")...)
		}
	}
	for _, c := range out.Conns {
		if !usedOut[c] {
			rep.Pairs = append(rep.Pairs, unmatchedNegs(c, false, "the control session is not in the inside capture")...)
		}
	}
	sort.SliceStable(rep.Pairs, func(i, j int) bool {
		return pairTime(rep.Pairs[i], offset).Before(pairTime(rep.Pairs[j], offset))
	})
	return rep
}

// pairTime is a pair's time on the inside clock.
func pairTime(p *NATPair, offset time.Duration) time.Time {
	if !p.InsideTime.IsZero() {
		return p.InsideTime
	}
	return p.OutsideTime.Add(-offset)
}

// natScore is how well two control connections match.
type natScore struct {
	in, out *NATConn
	matched int
	dt      time.Duration
}

// matchSessions pairs control connections greedily by score, then by
// closeness to the median clock offset.
func matchSessions(ins, outs []*NATConn, maxSkew time.Duration) ([][2]*NATConn, time.Duration) {
	// Candidates share the client or the server endpoint (a NAT changes
	// one side): found through an index, not by trying every pair.
	byServer := map[netip.AddrPort][]*NATConn{}
	byClient := map[netip.AddrPort][]*NATConn{}
	for _, b := range outs {
		byServer[b.Server] = append(byServer[b.Server], b)
		byClient[b.Client] = append(byClient[b.Client], b)
	}
	var cands []natScore
	for _, a := range ins {
		near := byServer[a.Server]
		for _, b := range byClient[a.Client] {
			if b.Server != a.Server {
				near = append(near[:len(near):len(near)], b)
			}
		}
		for _, b := range near {
			if len(a.Lines) == 0 || len(b.Lines) == 0 {
				continue
			}
			dt := b.Lines[0].Time.Sub(a.Lines[0].Time)
			if dt > maxSkew || dt < -maxSkew {
				continue
			}
			m := len(alignDir(a.Lines, b.Lines, true)) + len(alignDir(a.Lines, b.Lines, false))
			need := max(1, (min(len(a.Lines), len(b.Lines))+1)/2)
			if m < need {
				continue
			}
			cands = append(cands, natScore{in: a, out: b, matched: m, dt: dt})
		}
	}
	if len(cands) == 0 {
		return nil, 0
	}
	// The median offset of each inside connection's best candidate.
	best := map[*NATConn]natScore{}
	for _, c := range cands {
		if b, ok := best[c.in]; !ok || c.matched > b.matched {
			best[c.in] = c
		}
	}
	var dts []time.Duration
	for _, c := range best {
		dts = append(dts, c.dt)
	}
	slices.Sort(dts)
	offset := dts[len(dts)/2]
	abs := func(d time.Duration) time.Duration {
		if d < 0 {
			return -d
		}
		return d
	}
	sort.SliceStable(cands, func(i, j int) bool {
		if cands[i].matched != cands[j].matched {
			return cands[i].matched > cands[j].matched
		}
		return abs(cands[i].dt-offset) < abs(cands[j].dt-offset)
	})
	usedIn := map[*NATConn]bool{}
	usedOut := map[*NATConn]bool{}
	var out [][2]*NATConn
	for _, c := range cands {
		if usedIn[c.in] || usedOut[c.out] {
			continue
		}
		usedIn[c.in], usedOut[c.out] = true, true
		out = append(out, [2]*NATConn{c.in, c.out})
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i][0].First.Before(out[j][0].First) })
	return out, offset
}

// natLookahead is how far alignDir looks for a resynchronisation point.
const natLookahead = 16

// alignDir aligns one direction's lines of two connections by key: equal
// keys pair up; on a difference it skips the fewest lines on either side
// that resynchronise within natLookahead, else one line on both.
func alignDir(a, b []NATLine, fromClient bool) [][2]int {
	ia := dirIndex(a, fromClient)
	ib := dirIndex(b, fromClient)
	var out [][2]int
	i, j := 0, 0
	for i < len(ia) && j < len(ib) {
		if a[ia[i]].key == b[ib[j]].key {
			out = append(out, [2]int{ia[i], ib[j]})
			i++
			j++
			continue
		}
		skipped := false
		for k := 1; k <= natLookahead && !skipped; k++ {
			switch {
			case i+k < len(ia) && a[ia[i+k]].key == b[ib[j]].key:
				i += k
				skipped = true
			case j+k < len(ib) && a[ia[i]].key == b[ib[j+k]].key:
				j += k
				skipped = true
			}
		}
		if !skipped {
			i++
			j++
		}
	}
	return out
}

func dirIndex(ls []NATLine, fromClient bool) []int {
	var out []int
	for i, l := range ls {
		if l.FromClient == fromClient {
			out = append(out, i)
		}
	}
	return out
}

// isNATNeg reports whether the line is a negotiation a NAT helper
// rewrites, and its name.
func isNATNeg(l NATLine) (string, bool) {
	switch l.key {
	case "C:PORT":
		return "PORT", true
	case "C:EPRT":
		return "EPRT", true
	case "S:227":
		return "PASV", true
	case "S:229":
		return "EPSV", true
	}
	return "", false
}

// natEndpoint is the advertised endpoint of a negotiation line, as the
// tracker parsed it; for a 229 without an address the server's control
// address (implicit is then true).
func natEndpoint(l NATLine, c *NATConn) (ap netip.AddrPort, implicit bool, err error) {
	if _, ok := isNATNeg(l); !ok {
		return netip.AddrPort{}, false, fmt.Errorf("%q is not a negotiation", l.Text)
	}
	switch {
	case l.Bad || l.Endpoint.Port() == 0 && !l.Endpoint.IsValid():
		return netip.AddrPort{}, false, fmt.Errorf("parsing %q: no valid endpoint", l.Text)
	case l.Implicit:
		return netip.AddrPortFrom(c.Server.Addr(), l.Endpoint.Port()), true, nil
	}
	return l.Endpoint, false, nil
}

func sessOf(c *NATConn) *NATSession { return &NATSession{Client: c.Client, Server: c.Server} }

func apString(ap netip.AddrPort) string {
	if !ap.IsValid() {
		return ""
	}
	return ap.String()
}

// unmatchedNegs lists a connection's negotiations as unmatched.
func unmatchedNegs(c *NATConn, inside bool, why string) []*NATPair {
	var out []*NATPair
	for _, l := range c.Lines {
		neg, ok := isNATNeg(l)
		if !ok {
			continue
		}
		out = append(out, unmatchedPair(c, l, neg, inside, why))
	}
	return out
}

func unmatchedPair(c *NATConn, l NATLine, neg string, inside bool, why string) *NATPair {
	p := &NATPair{Negotiation: neg, Verdict: NATUnmatched}
	ep, _, _ := natEndpoint(l, c)
	where := "inside"
	if inside {
		p.Inside, p.InsideTime, p.InsideLine, p.InsideEndpoint = sessOf(c), l.Time, l.Text, apString(ep)
	} else {
		where = "outside"
		p.Outside, p.OutsideTime, p.OutsideLine, p.OutsideEndpoint = sessOf(c), l.Time, l.Text, apString(ep)
	}
	p.Reason = fmt.Sprintf("seen only in the %s capture: %s", where, why)
	return p
}

// compareSession judges the negotiations of one matched session pair.
func compareSession(ci, co *NATConn, in, out *NATSide, cfg NATPairConfig) []*NATPair {
	var res []*NATPair
	for _, fromClient := range []bool{true, false} {
		al := alignDir(ci.Lines, co.Lines, fromClient)
		pairedIn := map[int]bool{}
		pairedOut := map[int]bool{}
		for k, ij := range al {
			li, lo := ci.Lines[ij[0]], co.Lines[ij[1]]
			neg, ok := isNATNeg(li)
			if !ok {
				continue
			}
			pairedIn[ij[0]], pairedOut[ij[1]] = true, true
			p := judgeNeg(ci, co, li, lo, neg, in, out, cfg)
			if p.Verdict == NATRewrittenOK || (p.Verdict == NATRewrittenWrong && p.Problem != NATProblemSyntax) {
				checkSeq(p, ci, co, al, k, fromClient)
			}
			res = append(res, p)
		}
		for i, l := range ci.Lines {
			if neg, ok := isNATNeg(l); ok && l.FromClient == fromClient && !pairedIn[i] {
				res = append(res, unmatchedPair(ci, l, neg, true, "no matching line in the outside view of the session"))
			}
		}
		for i, l := range co.Lines {
			if neg, ok := isNATNeg(l); ok && l.FromClient == fromClient && !pairedOut[i] {
				res = append(res, unmatchedPair(co, l, neg, false, "no matching line in the inside view of the session"))
			}
		}
	}
	return res
}

// judgeNeg compares the advertised endpoints with the translation of the
// sender's control address (and the data connection when seen on both
// sides).
func judgeNeg(ci, co *NATConn, li, lo NATLine, neg string, in, out *NATSide, cfg NATPairConfig) *NATPair {
	p := &NATPair{Inside: sessOf(ci), Outside: sessOf(co), Negotiation: neg,
		InsideTime: li.Time, OutsideTime: lo.Time, InsideLine: li.Text, OutsideLine: lo.Text,
		LengthDelta: len(lo.Text) - len(li.Text)}
	who, ti, to := "client", ci.Client, co.Client
	if !li.FromClient {
		who, ti, to = "server", ci.Server, co.Server
	}
	ei, implI, errI := natEndpoint(li, ci)
	eo, implO, errO := natEndpoint(lo, co)
	p.InsideEndpoint, p.OutsideEndpoint = apString(ei), apString(eo)
	same := li.Text == lo.Text
	switch {
	case errI != nil && same:
		p.Verdict, p.Reason = NATNotNeeded, "the line does not parse on either side and was left alone: "+errI.Error()
		return p
	case errO != nil:
		p.Verdict, p.Problem = NATRewrittenWrong, NATProblemSyntax
		p.Reason = "the outside line does not parse: " + errO.Error()
		return p
	case errI != nil:
		p.Verdict, p.Reason = NATNotNeeded, "the inside line does not parse ("+errI.Error()+"); nothing to translate"
		return p
	}
	if ti.Addr() == to.Addr() {
		if same || ei == eo {
			p.Verdict = NATNotNeeded
			p.Reason = fmt.Sprintf("the %s's control address %s is the same on both sides", who, ti.Addr())
			return p
		}
		p.Verdict, p.Problem = NATRewrittenWrong, NATProblemUnexpected
		p.Reason = fmt.Sprintf("rewritten from %s to %s although the %s's control address %s is not translated",
			ei, eo, who, ti.Addr())
		return p
	}
	trans := fmt.Sprintf("the %s's control address is translated %s -> %s", who, ti.Addr(), to.Addr())
	if implI && implO {
		// 229 without an address: only the port can need rewriting.
		if ei.Port() == eo.Port() {
			if msg, bad := checkData(p, ci, co, ei, eo, li, lo, in, out, cfg); bad {
				p.Verdict, p.Problem, p.Reason = NATRewrittenWrong, NATProblemPort, msg
				return p
			}
			p.Verdict = NATNotNeeded
			p.Reason = "229 carries no address and the port is not mapped (" + trans + ")"
			return p
		}
	} else {
		switch {
		case ei.Addr() == eo.Addr() && ei.Port() == eo.Port():
			p.Verdict = NATNotRewritten
			p.Reason = fmt.Sprintf("the outside capture still advertises %s (%s): no FTP helper/ALG rewrote it", ei, trans)
			return p
		case ei.Addr() == eo.Addr():
			p.Verdict, p.Problem = NATRewrittenWrong, NATProblemAddress
			p.Reason = fmt.Sprintf("only the port was rewritten (%d -> %d); the address %s was kept, but %s",
				ei.Port(), eo.Port(), ei.Addr(), trans)
			return p
		case eo.Addr() != to.Addr():
			p.Verdict, p.Problem = NATRewrittenWrong, NATProblemAddress
			p.Reason = fmt.Sprintf("rewritten to %s, but %s", eo.Addr(), trans)
			return p
		}
	}
	if msg, bad := checkData(p, ci, co, ei, eo, li, lo, in, out, cfg); bad {
		p.Verdict, p.Problem, p.Reason = NATRewrittenWrong, NATProblemPort, msg
		return p
	}
	p.Verdict = NATRewrittenOK
	if p.Reason == "" {
		p.Reason = fmt.Sprintf("rewritten %s -> %s, matching the translation (%s)", ei, eo, strings.TrimPrefix(trans, "the "))
	}
	return p
}

// checkData finds the data connection after the negotiation in both
// captures: the connector's first SYN towards the sender. When it is seen
// on both sides, inside it must reach the inside endpoint and outside the
// outside one. It notes the result in p.Reason when consistent.
func checkData(p *NATPair, ci, co *NATConn, ei, eo netip.AddrPort, li, lo NATLine, in, out *NATSide, cfg NATPairConfig) (string, bool) {
	connI, connO := ci.Server.Addr(), co.Server.Addr()
	sendI, sendO := ci.Client.Addr(), co.Client.Addr()
	if !li.FromClient {
		connI, connO = ci.Client.Addr(), co.Client.Addr()
		sendI, sendO = ci.Server.Addr(), co.Server.Addr()
	}
	di, okI := firstSYN(in, connI, sendI, ei.Addr(), li.Time, cfg.DataWindow)
	do, okO := firstSYN(out, connO, sendO, eo.Addr(), lo.Time, cfg.DataWindow)
	if !okI || !okO {
		return "", false
	}
	if di.Dst != ei {
		return fmt.Sprintf("the data connection went to %s outside but reached %s inside, not the advertised %s", do.Dst, di.Dst, ei), true
	}
	if do.Dst != eo {
		return fmt.Sprintf("the data connection reached %s inside but went to %s outside, not the advertised %s", di.Dst, do.Dst, eo), true
	}
	p.Reason = fmt.Sprintf("rewritten %s -> %s, matching the control connection's translation and the data connection (%s inside, %s outside)",
		ei, eo, di.Dst, do.Dst)
	return "", false
}

// firstSYN is the first SYN from connector to sender (or to the advertised
// address) within window after t.
func firstSYN(s *NATSide, connector, sender, adv netip.Addr, t time.Time, window time.Duration) (NATSYN, bool) {
	i := sort.Search(len(s.SYNs), func(i int) bool { return !s.SYNs[i].Time.Before(t) })
	for _, y := range s.SYNs[i:] {
		if y.Time.Sub(t) > window {
			break
		}
		if y.Src.Addr() == connector && (y.Dst.Addr() == sender || y.Dst.Addr() == adv) {
			return y, true
		}
	}
	return NATSYN{}, false
}

// checkSeq checks the TCP sequence adjustment after a rewritten line: the
// sender's next aligned line must sit at (outside − inside) = offset of the
// rewritten line + length delta, and the peer's acknowledgement of it must
// map back by the same amount.
func checkSeq(p *NATPair, ci, co *NATConn, al [][2]int, k int, fromClient bool) {
	li, lo := ci.Lines[al[k][0]], co.Lines[al[k][1]]
	base := lo.Seq - li.Seq
	want := base + uint32(int32(p.LengthDelta))
	var notes []string
	seqOK, ackOK := true, true
	if k+1 < len(al) {
		ni, no := ci.Lines[al[k+1][0]], co.Lines[al[k+1][1]]
		got := no.Seq - ni.Seq
		if got != want {
			seqOK = false
			if got == base && p.LengthDelta != 0 {
				notes = append(notes, fmt.Sprintf("the %s's sequence numbers after the rewritten line are not adjusted (outside = inside %+d, want %+d for the %+d-byte change)",
					sideName(fromClient), int32(got), int32(want), p.LengthDelta))
			} else {
				notes = append(notes, fmt.Sprintf("the %s's sequence numbers after the rewritten line are shifted by %+d, want %+d (%+d-byte change)",
					sideName(fromClient), int32(got), int32(want), p.LengthDelta))
			}
		}
	}
	// The peer's first line after the rewritten one in both views.
	peer := alignDir(ci.Lines, co.Lines, !fromClient)
	end := li.Seq + uint32(len(li.Text))
	for _, ij := range peer {
		pi, po := ci.Lines[ij[0]], co.Lines[ij[1]]
		if !pi.HasAck || !po.HasAck || pi.Time.Before(li.Time) || po.Time.Before(lo.Time) {
			continue
		}
		if int32(pi.Ack-end) <= 0 {
			continue // does not acknowledge the rewritten line yet
		}
		got := po.Ack - pi.Ack
		if got != want {
			ackOK = false
			notes = append(notes, fmt.Sprintf("the %s's acknowledgements are not mapped back (outside = inside %+d, want %+d)",
				sideName(!fromClient), int32(got), int32(want)))
		}
		break
	}
	if seqOK && ackOK {
		if p.Verdict == NATRewrittenOK && p.LengthDelta != 0 {
			p.Reason += fmt.Sprintf("; seq/ack adjusted by %+d (outside = inside %+d from here on)", p.LengthDelta, int32(want))
		}
		return
	}
	msg := strings.Join(notes, "; ")
	if p.Verdict == NATRewrittenWrong {
		p.Reason += "; also " + msg
		return
	}
	p.Verdict = NATRewrittenWrong
	p.Problem = NATProblemSeq
	if seqOK {
		p.Problem = NATProblemAck
	}
	p.Reason = fmt.Sprintf("rewritten %s -> %s correctly, but %s", p.InsideEndpoint, p.OutsideEndpoint, msg)
}

func sideName(fromClient bool) string {
	if fromClient {
		return "client"
	}
	return "server"
}
