package audit

import (
	"bufio"
	"fmt"
	"io"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/ftpsniff/ftpsniff/session"
)

// PortRange is an inclusive range of TCP ports.
type PortRange struct{ Lo, Hi uint16 }

// String renders "lo-hi", or "p" for a single port.
func (r PortRange) String() string {
	if r.Lo == r.Hi {
		return strconv.Itoa(int(r.Lo))
	}
	return fmt.Sprintf("%d-%d", r.Lo, r.Hi)
}

// MarshalText renders the range as String does.
func (r PortRange) MarshalText() ([]byte, error) { return []byte(r.String()), nil }

// Ranges is a list of port ranges.
type Ranges []PortRange

// Contains reports whether p is in one of the ranges.
func (rs Ranges) Contains(p uint16) bool {
	for _, r := range rs {
		if p >= r.Lo && p <= r.Hi {
			return true
		}
	}
	return false
}

// String renders the ranges comma-separated.
func (rs Ranges) String() string {
	s := make([]string, len(rs))
	for i, r := range rs {
		s[i] = r.String()
	}
	return strings.Join(s, ",")
}

// ParseRanges parses "1024-5000,6000,7000-7010".
func ParseRanges(s string) (Ranges, error) {
	var out Ranges
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		lo, hi, isRange := strings.Cut(f, "-")
		a, err := strconv.ParseUint(strings.TrimSpace(lo), 10, 16)
		if err != nil || a == 0 {
			return nil, fmt.Errorf("%q is not a port or port range", f)
		}
		b := a
		if isRange {
			b, err = strconv.ParseUint(strings.TrimSpace(hi), 10, 16)
			if err != nil || b < a {
				return nil, fmt.Errorf("%q is not a port range", f)
			}
		}
		out = append(out, PortRange{uint16(a), uint16(b)})
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%q: no ports", s)
	}
	return out, nil
}

// Rule is one policy section. Nil fields are not set by the section.
type Rule struct {
	// Passive are the passive data ports the firewall allows (nil: any).
	Passive Ranges
	// Active says whether active mode (PORT/EPRT/LPRT) is allowed.
	Active *bool
	// Helper says whether the firewall runs the FTP conntrack helper on the
	// control ports (and accepts RELATED).
	Helper *bool
	// Control are the allowed control ports (the helper's ports).
	Control []uint16
}

// ServerRule is a [server ...] section.
type ServerRule struct {
	// Match is the section's argument as written.
	Match  string
	prefix netip.Prefix
	port   uint16
	Rule
}

// Policy is a parsed policy file: a default section and per-server
// sections. The first matching server section wins; its unset fields come
// from the default section.
type Policy struct {
	Default Rule
	Servers []ServerRule
}

// Effective is the policy in force for one server.
type Effective struct {
	// Scope names the section: "default" or "server <match>".
	Scope   string `json:"scope"`
	Passive Ranges `json:"-"`
	Active  bool   `json:"active"`
	// Helper is nil when the policy does not say.
	Helper  *bool    `json:"helper,omitempty"`
	Control []uint16 `json:"control"`
}

// ParsePolicy reads the policy format documented in docs/audit.md:
//
//	# comment
//	[default]
//	passive = 1024-5000
//	active  = no
//	helper  = yes
//	control = 21,2121
//	[server 203.0.113.20]      (an address, address:port or prefix)
//	passive = 40000-40019
func ParsePolicy(r io.Reader, name string) (*Policy, error) {
	p := &Policy{}
	cur := &p.Default
	sc := bufio.NewScanner(r)
	n := 0
	for sc.Scan() {
		n++
		line := sc.Text()
		if i := strings.IndexByte(line, '#'); i >= 0 {
			line = line[:i]
		}
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		if strings.HasPrefix(line, "[") {
			if !strings.HasSuffix(line, "]") {
				return nil, fmt.Errorf("%s:%d: unterminated section header", name, n)
			}
			sec := strings.Fields(strings.TrimSpace(line[1 : len(line)-1]))
			switch {
			case len(sec) == 1 && sec[0] == "default":
				cur = &p.Default
			case len(sec) == 2 && sec[0] == "server":
				sr, err := parseServerMatch(sec[1])
				if err != nil {
					return nil, fmt.Errorf("%s:%d: %w", name, n, err)
				}
				p.Servers = append(p.Servers, sr)
				cur = &p.Servers[len(p.Servers)-1].Rule
			default:
				return nil, fmt.Errorf("%s:%d: unknown section %q (want [default] or [server ADDR])", name, n, line)
			}
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			return nil, fmt.Errorf("%s:%d: want key = value", name, n)
		}
		if err := cur.set(strings.ToLower(strings.TrimSpace(k)), strings.TrimSpace(v)); err != nil {
			return nil, fmt.Errorf("%s:%d: %w", name, n, err)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("reading %s: %w", name, err)
	}
	return p, nil
}

func parseServerMatch(s string) (ServerRule, error) {
	sr := ServerRule{Match: s}
	if ap, err := netip.ParseAddrPort(s); err == nil {
		sr.prefix = netip.PrefixFrom(ap.Addr().Unmap(), ap.Addr().Unmap().BitLen())
		sr.port = ap.Port()
		return sr, nil
	}
	if a, err := netip.ParseAddr(s); err == nil {
		sr.prefix = netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen())
		return sr, nil
	}
	if pf, err := netip.ParsePrefix(s); err == nil {
		sr.prefix = pf.Masked()
		return sr, nil
	}
	return sr, fmt.Errorf("server %q is not an address, address:port or prefix", s)
}

func parseBool(v string) (bool, error) {
	switch strings.ToLower(v) {
	case "yes", "true", "on", "allow", "1":
		return true, nil
	case "no", "false", "off", "deny", "0":
		return false, nil
	}
	return false, fmt.Errorf("%q is not yes or no", v)
}

func (r *Rule) set(k, v string) error {
	switch k {
	case "passive":
		if strings.EqualFold(v, "any") {
			r.Passive = Ranges{{1, 65535}}
			return nil
		}
		rs, err := ParseRanges(v)
		if err != nil {
			return fmt.Errorf("passive: %w", err)
		}
		r.Passive = rs
	case "active":
		b, err := parseBool(v)
		if err != nil {
			return fmt.Errorf("active: %w", err)
		}
		r.Active = &b
	case "helper":
		b, err := parseBool(v)
		if err != nil {
			return fmt.Errorf("helper: %w", err)
		}
		r.Helper = &b
	case "control":
		rs, err := ParseRanges(v)
		if err != nil {
			return fmt.Errorf("control: %w", err)
		}
		r.Control = nil
		for _, x := range rs {
			if int(x.Hi)-int(x.Lo) > 64 {
				return fmt.Errorf("control: range %s is too wide", x)
			}
			for p := int(x.Lo); p <= int(x.Hi); p++ {
				r.Control = append(r.Control, uint16(p))
			}
		}
	default:
		return fmt.Errorf("unknown key %q (passive, active, helper, control)", k)
	}
	return nil
}

// For returns the policy in force for a server. A nil policy allows
// everything.
func (p *Policy) For(server netip.AddrPort) Effective {
	e := Effective{Scope: "default", Active: true, Control: []uint16{21}}
	if p == nil {
		return e
	}
	apply := func(r Rule) {
		if r.Passive != nil {
			e.Passive = r.Passive
		}
		if r.Active != nil {
			e.Active = *r.Active
		}
		if r.Helper != nil {
			h := *r.Helper
			e.Helper = &h
		}
		if r.Control != nil {
			e.Control = r.Control
		}
	}
	apply(p.Default)
	a := server.Addr().Unmap()
	for _, s := range p.Servers {
		if s.prefix.Contains(a) && (s.port == 0 || s.port == server.Port()) {
			e.Scope = "server " + s.Match
			apply(s.Rule)
			break
		}
	}
	return e
}

// Violation is one way a transfer is outside the policy.
type Violation struct {
	Kind Kind   `json:"kind"`
	Text string `json:"text"`
}

// Check lists the ways t is outside the effective policy e; hv is the
// helper model's verdict for t (used when the policy relies on the helper).
func (e Effective) Check(t *session.Transfer, hv HelperVerdict) []Violation {
	var out []Violation
	if !slices.Contains(e.Control, t.Server.Port()) {
		out = append(out, Violation{KindPolicyControl, fmt.Sprintf("control port %d is not among the allowed control ports %s (%s)", t.Server.Port(), joinPorts(e.Control), e.Scope)})
	}
	switch t.Mode {
	case session.Active:
		if !e.Active {
			out = append(out, Violation{KindPolicyActive, fmt.Sprintf("active mode (%s) is not allowed (%s)", t.Negotiation, e.Scope)})
		} else if e.Helper != nil && *e.Helper && !hv.Outcome.Opens() {
			out = append(out, Violation{KindHelperMiss, "the policy relies on the FTP helper, which would not let this data connection through: " + strings.Join(hv.Reasons, "; ")})
		}
	case session.Passive:
		port := dataPort(t)
		inRange := e.Passive == nil || (port != 0 && e.Passive.Contains(port))
		if port != 0 && !inRange {
			out = append(out, Violation{KindOutsideRange, fmt.Sprintf("port %d is outside the allowed %s (%s)", port, e.Passive, e.Scope)})
		}
		if port != 0 && !inRange && e.Helper != nil && *e.Helper && !hv.Outcome.Opens() {
			out = append(out, Violation{KindHelperMiss, "the helper would not open it either: " + strings.Join(hv.Reasons, "; ")})
		}
	}
	return out
}

// dataPort is the port the data connection went (or should have gone) to.
func dataPort(t *session.Transfer) uint16 {
	if t.Data != nil && t.Data.Listener.IsValid() {
		return t.Data.Listener.Port()
	}
	if t.Endpoint.IsValid() {
		return t.Endpoint.Port()
	}
	return 0
}
