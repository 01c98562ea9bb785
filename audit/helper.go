package audit

import (
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ftpsniff/ftpsniff/session"
)

// HelperOutcome is what Linux nf_conntrack_ftp would have done with one
// negotiation.
type HelperOutcome string

// Helper outcomes.
const (
	// HelperExpects: the helper opens an expectation, and it was still there
	// when the data SYN came (or no SYN came).
	HelperExpects HelperOutcome = "expects"
	// HelperIgnores: the helper does not see or does not accept the line and
	// opens nothing.
	HelperIgnores HelperOutcome = "no-expectation"
	// HelperDrops: the pattern matched but the numbers did not parse, so the
	// helper drops the segment ("partial matching") and opens nothing.
	HelperDrops HelperOutcome = "drops-packet"
	// HelperEvicted: an expectation was opened but a later negotiation on the
	// same control connection replaced it (max_expected=1) before the SYN.
	HelperEvicted HelperOutcome = "evicted"
	// HelperExpired: the data SYN came after the expectation timed out.
	HelperExpired HelperOutcome = "expired"
)

// Opens reports whether the data connection would have been RELATED.
func (o HelperOutcome) Opens() bool { return o == HelperExpects }

// HelperConfig describes the modelled kernel helper.
type HelperConfig struct {
	// Ports are the control ports the helper is attached to (ct helper
	// rules or the module's ports= parameter); default 21.
	Ports []uint16
	// Loose is the module's loose parameter (default 0: no expectation
	// when the advertised address is not the sender's).
	Loose bool
	// Timeout is the expectation lifetime (ftp_exp_policy: 300 s).
	Timeout time.Duration
}

// DefaultHelperConfig is the stock helper: port 21, loose=0, 300 s.
func DefaultHelperConfig() HelperConfig {
	return HelperConfig{Ports: []uint16{21}, Timeout: 300 * time.Second}
}

// HelperVerdict is the modelled helper's result for one negotiation.
type HelperVerdict struct {
	Outcome HelperOutcome `json:"outcome"`
	// Reasons say why the helper would not have let the data connection
	// through (empty when Outcome is HelperExpects), plus notes such as a
	// pinhole opened for a rejected PORT.
	Reasons []string `json:"reasons,omitempty"`
	// Expected is the endpoint the helper would expect (when it parsed one).
	Expected netip.AddrPort `json:"-"`
}

// HelperContext is what the model needs beyond the transfer itself.
type HelperContext struct {
	// TLS: the control channel was encrypted.
	TLS bool
	// NextExpectation is the time of the next negotiation on the same
	// control connection for which the helper opened an expectation (zero
	// if none): with max_expected=1 it evicts this one.
	NextExpectation time.Time
}

// ModelHelper runs the parsing rules of Linux nf_conntrack_ftp against the
// negotiation of t. It never looks at whether the data connection worked:
// it says what a stateful firewall relying on the helper would have done.
func ModelHelper(t *session.Transfer, hc HelperConfig, ctx HelperContext) HelperVerdict {
	v := baseHelper(t, hc, ctx)
	if v.Outcome != HelperExpects {
		return v
	}
	first := time.Time{}
	if t.Data != nil {
		first = t.Data.FirstSYN
	}
	if !ctx.NextExpectation.IsZero() && !first.IsZero() && ctx.NextExpectation.Before(first) {
		v.Outcome = HelperEvicted
		v.Reasons = append(v.Reasons, fmt.Sprintf("a later negotiation at %s replaced this expectation before the data SYN (max_expected=1)", ctx.NextExpectation.UTC().Format("15:04:05.000")))
		return v
	}
	timeout := hc.Timeout
	if timeout <= 0 {
		timeout = 300 * time.Second
	}
	if !first.IsZero() && !t.Time.IsZero() && first.Sub(t.Time) > timeout {
		v.Outcome = HelperExpired
		v.Reasons = append(v.Reasons, fmt.Sprintf("the data SYN came %s after the negotiation, later than the helper's %s expectation timeout", first.Sub(t.Time).Round(time.Second), timeout))
	}
	return v
}

func ignores(format string, a ...any) HelperVerdict {
	return HelperVerdict{Outcome: HelperIgnores, Reasons: []string{fmt.Sprintf(format, a...)}}
}

func drops(format string, a ...any) HelperVerdict {
	return HelperVerdict{Outcome: HelperDrops, Reasons: []string{fmt.Sprintf(format, a...)}}
}

func baseHelper(t *session.Transfer, hc HelperConfig, ctx HelperContext) HelperVerdict {
	ports := hc.Ports
	if len(ports) == 0 {
		ports = []uint16{21}
	}
	if ctx.TLS || t.Negotiation == session.Hidden {
		return ignores("the control channel is encrypted (AUTH TLS): the helper cannot read PORT/PASV, so it opens nothing")
	}
	if !slices.Contains(ports, t.Server.Port()) {
		return ignores("control port %d is not among the helper's ports %s", t.Server.Port(), joinPorts(ports))
	}
	var (
		line    string
		pattern string
		sender  netip.Addr
		term    = "\r\n"
	)
	if t.Wire != nil && t.Wire.LFOnly {
		term = "\n"
	}
	switch strings.ToUpper(string(t.Negotiation)) {
	case "LPRT", "LPSV":
		return ignores("the helper does not parse %s (RFC 1639)", t.Negotiation)
	case "PORT", "EPRT":
		line = t.NegotiationLine
		pattern = strings.ToUpper(string(t.Negotiation))
		sender = t.Client.Addr()
	case "PASV", "EPSV":
		r := t.NegotiationReply
		if r == nil {
			return ignores("no reply to %s was seen", t.Negotiation)
		}
		if r.Code != 227 && r.Code != 229 {
			return ignores("reply %d carries no endpoint the helper reads", r.Code)
		}
		lines := strings.Split(strings.TrimRight(r.Text, "\n"), "\n")
		line = lines[len(lines)-1]
		code := strconv.Itoa(r.Code)
		if !strings.HasPrefix(line, code) {
			line = code + " " + line
		}
		pattern = code + " "
		sender = t.Server.Addr()
		if len(lines) > 1 && (t.Wire == nil || !t.Wire.AtSegmentStart) {
			return ignores("multi-line %d reply: the helper only matches %q at the start of a segment", r.Code, pattern)
		}
	default:
		return ignores("unknown negotiation %q", t.Negotiation)
	}
	what := strings.TrimSpace(pattern)
	if what != "PORT" && what != "EPRT" {
		what += " reply"
	}
	if t.Wire != nil {
		if !t.Wire.AtSegmentStart {
			return ignores("the %s line does not start its TCP segment (coalesced with another line): the helper only looks at segment starts", what)
		}
		if !t.Wire.OneSegment {
			return drops("the %s line is split over several TCP segments: the helper drops the first one (\"partial matching\")", what)
		}
	}
	ap, why, matched := KernelParse(line+term, pattern, sender.Is6())
	if !matched {
		return ignores("the line %q does not begin with %q", line, strings.TrimSpace(pattern))
	}
	if why != "" {
		return drops("the helper's parser rejects %q: %s, so it drops the segment (\"partial matching\")", line, why)
	}
	v := HelperVerdict{Outcome: HelperExpects, Expected: ap}
	if strings.ToUpper(string(t.Negotiation)) == "EPSV" || !ap.Addr().IsValid() {
		v.Expected = netip.AddrPortFrom(sender, ap.Port())
	} else if ap.Addr().Unmap() != sender.Unmap() && !hc.Loose {
		return ignores("advertised address %s is not the sender's %s: with loose=0 the helper records no expectation", ap.Addr(), sender)
	}
	if pattern == "PORT" || pattern == "EPRT" {
		if r := t.NegotiationReply; r != nil && (r.Code < 200 || r.Code > 299) {
			v.Reasons = append(v.Reasons, fmt.Sprintf("the helper opened a pinhole for a %s the server rejected (%d)", pattern, r.Code))
		}
	}
	return v
}

func joinPorts(ps []uint16) string {
	s := make([]string, len(ps))
	for i, p := range ps {
		s[i] = strconv.Itoa(int(p))
	}
	return strings.Join(s, ",")
}

// KernelParse applies nf_conntrack_ftp's find_pattern to one segment's
// payload (data, beginning with the line and including its terminator).
// matched is false when data does not start with pattern (the helper ignores
// the segment). When matched, why is empty if the numbers parsed (ap is the
// endpoint; for 229 only the port is set), else it says why the helper would
// drop the segment.
func KernelParse(data, pattern string, v6 bool) (ap netip.AddrPort, why string, matched bool) {
	if len(data) <= len(pattern) {
		if strings.EqualFold(data, pattern[:len(data)]) {
			return ap, "the segment ends inside the pattern", true
		}
		return ap, "", false
	}
	if !strings.EqualFold(data[:len(pattern)], pattern) {
		return ap, "", false
	}
	rest := data[len(pattern):]
	switch strings.ToUpper(strings.TrimSpace(pattern)) {
	case "PORT":
		i := strings.IndexByte(rest, ' ')
		if i < 0 {
			return ap, "no space after PORT", true
		}
		return rfc959(rest[i+1:], '\r')
	case "EPRT":
		i := strings.IndexByte(rest, ' ')
		if i < 0 {
			return ap, "no space after EPRT", true
		}
		return eprt(rest[i+1:], v6)
	case "227":
		i := strings.IndexFunc(rest, func(r rune) bool { return r >= '0' && r <= '9' })
		if i < 0 {
			return ap, "no digit after \"227 \"", true
		}
		ap, why, m := rfc959(rest[i:], 0)
		if why != "" {
			why = "the first digit after \"227 \" does not start six comma-separated numbers (the kernel does not look further)"
		}
		return ap, why, m
	case "229":
		i := strings.IndexByte(rest, '(')
		if i < 0 {
			return ap, "no '(' after \"229 \"", true
		}
		return epsv(rest[i+1:])
	}
	return ap, "", false
}

// tryNumber is the kernel's try_number: n numbers separated by sep and
// ended by term (any non-digit when term is 0).
func tryNumber(s string, n int, sep, term byte) ([]uint32, bool) {
	arr := make([]uint32, n)
	i := 0
	for k := 0; k < len(s) && i < n; k++ {
		c := s[k]
		switch {
		case c >= '0' && c <= '9':
			arr[i] = arr[i]*10 + uint32(c-'0')
			if arr[i] > 1<<20 {
				arr[i] = 1 << 20
			}
		case c == sep:
			i++
		default:
			if (c == term || term == 0) && i == n-1 {
				return arr, true
			}
			return arr, false
		}
	}
	return arr, false
}

func rfc959(s string, term byte) (netip.AddrPort, string, bool) {
	a, ok := tryNumber(s, 6, ',', term)
	if !ok {
		if term == '\r' && strings.Contains(s, "\n") && !strings.Contains(s, "\r") {
			return netip.AddrPort{}, "the line ends with LF only, and the PORT terminator the helper needs is CR", true
		}
		return netip.AddrPort{}, "six comma-separated numbers did not parse there", true
	}
	for _, x := range a {
		if x > 255 {
			return netip.AddrPort{}, fmt.Sprintf("number %d is above 255", x), true
		}
	}
	ip := netip.AddrFrom4([4]byte{byte(a[0]), byte(a[1]), byte(a[2]), byte(a[3])})
	return netip.AddrPortFrom(ip, uint16(a[4]<<8|a[5])), "", true
}

func getPort(s string, delim byte) (uint16, bool) {
	var p uint32
	for k := 0; k < len(s); k++ {
		c := s[k]
		if c == delim {
			if p == 0 {
				return 0, false
			}
			return uint16(p), true
		}
		if c < '0' || c > '9' {
			return 0, false
		}
		p = p*10 + uint32(c-'0')
		if p > 65535 {
			return 0, false
		}
	}
	return 0, false
}

func badDelim(c byte) bool { return (c >= '0' && c <= '9') || c < 33 || c > 126 }

func eprt(s string, v6 bool) (netip.AddrPort, string, bool) {
	if len(s) < 3 || badDelim(s[0]) || s[2] != s[0] {
		return netip.AddrPort{}, "malformed EPRT delimiters", true
	}
	d := s[0]
	af := s[1]
	if (af == '1' && v6) || (af == '2' && !v6) || (af != '1' && af != '2') {
		return netip.AddrPort{}, "EPRT address family does not match the connection's", true
	}
	rest := s[3:]
	i := strings.IndexByte(rest, d)
	if i < 0 {
		return netip.AddrPort{}, "EPRT address not terminated", true
	}
	ip, err := netip.ParseAddr(rest[:i])
	if err != nil {
		return netip.AddrPort{}, "EPRT address does not parse", true
	}
	p, ok := getPort(rest[i+1:], d)
	if !ok {
		return netip.AddrPort{}, "EPRT port is 0, above 65535 or not terminated", true
	}
	return netip.AddrPortFrom(ip, p), "", true
}

func epsv(s string) (netip.AddrPort, string, bool) {
	if len(s) < 3 || badDelim(s[0]) || s[1] != s[0] || s[2] != s[0] {
		return netip.AddrPort{}, "malformed 229 delimiters", true
	}
	p, ok := getPort(s[3:], s[0])
	if !ok {
		return netip.AddrPort{}, "229 port is 0, above 65535 or not terminated", true
	}
	return netip.AddrPortFrom(netip.Addr{}, p), "", true
}
