package audit

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/ftpsniff/ftpsniff/session"
)

// Kind names a diagnosis. The first kind of a finding is its main cause.
type Kind string

// Diagnosis kinds.
const (
	KindFirewallDrop     Kind = "firewall-drop"        // SYNs unanswered: dropped beyond the capture point
	KindRejectRST        Kind = "reject-rst"           // a firewall answered the SYN with a RST
	KindRejectICMP       Kind = "reject-icmp"          // a firewall/router answered with ICMP unreachable
	KindClosedPort       Kind = "closed-port"          // the listener host had no socket on the port
	KindNoRoute          Kind = "no-route"             // ICMP net/host unreachable from a router
	KindNATPrivate       Kind = "nat-private-address"  // a private address advertised across a NAT
	KindClientNATActive  Kind = "client-nat-active"    // client behind NAT uses active mode
	KindBounce           Kind = "bounce"               // PORT/EPRT to a third host
	KindPrivilegedPort   Kind = "privileged-port"      // PORT/EPRT to a port below 1024
	KindOutsideRange     Kind = "port-outside-range"   // passive port outside the allowed range
	KindHelperNotApplied Kind = "helper-not-applied"   // the helper would have opened it: none ran
	KindHelperMiss       Kind = "helper-would-miss"    // the helper would not have opened it
	KindNotAttempted     Kind = "not-attempted"        // no SYN seen
	KindRefused          Kind = "refused"              // the server refused the negotiation/connection
	KindPolicyActive     Kind = "policy-active"        // active mode not allowed by the policy
	KindPolicyControl    Kind = "policy-control-port"  // control port not allowed by the policy
	KindUnknown          Kind = "unknown"              // the capture does not say
	KindLate             Kind = "late-syn"             // SYN later than a firewall's expectation lifetime
	KindTLS              Kind = "tls"                  // encrypted control channel: helpers are blind
	KindServerAdvertises Kind = "server-third-address" // server advertises an address that is not its own
	KindUnspecifiedAddr  Kind = "unspecified-address"  // 0.0.0.0 / :: advertised
	KindFileError        Kind = "file-error"           // 450/451/452/550/552/553: a server outcome, not the network
	KindNATPool          Kind = "nat-pool-address"     // 425 Security: Bad IP: data from another NAT-pool address
	KindBounceScan       Kind = "bounce-scan"          // PORT/EPRT to many ports or hosts: an FTP bounce scan
	KindControlBlocked   Kind = "control-blocked"      // the control connection itself never got established
)

// Finding is the audit of one transfer: why it failed (or what is wrong
// with it although it worked), where, and what the helper and the policy
// make of it.
type Finding struct {
	TransferID  uint64          `json:"transfer"`
	SessionID   uint64          `json:"session"`
	Time        time.Time       `json:"time"`
	Client      netip.AddrPort  `json:"client"`
	Server      netip.AddrPort  `json:"server"`
	Mode        session.Mode    `json:"mode"`
	Negotiation string          `json:"negotiation"`
	Endpoint    netip.AddrPort  `json:"endpoint"`
	Command     string          `json:"command,omitempty"`
	Verdict     session.Verdict `json:"verdict"`
	// Kind is the main cause; Kinds all causes and aggravations, Kind first.
	Kind  Kind   `json:"kind"`
	Kinds []Kind `json:"kinds"`
	// Direction: who connects to whom ("server → client, inbound to the
	// client side").
	Direction string `json:"direction"`
	// Place: where the data connection died relative to the capture point.
	Place string `json:"place,omitempty"`
	// Evidence: the middlebox evidence (RST/ICMP sender, TTLs).
	Evidence string `json:"evidence,omitempty"`
	// Address: the class of the advertised address and the case in words.
	AddressClass session.AddrClass `json:"address_class,omitempty"`
	Address      string            `json:"address,omitempty"`
	// Helper: what nf_conntrack_ftp would have done.
	Helper HelperVerdict `json:"helper"`
	// Policy lists the policy violations (empty without a policy).
	Policy []Violation `json:"policy,omitempty"`
	// PolicyExplains: the failure is what the policy predicts.
	PolicyExplains bool `json:"policy_explains,omitempty"`
	// Confidence grades the evidence for the main cause.
	Confidence Confidence `json:"confidence"`
	// Firewall places the blocking firewall (nil when no firewall blocked
	// the data connection).
	Firewall *Placement `json:"firewall,omitempty"`
	// SettleBy says which capture would settle a finding that is only
	// possible (its rules are withheld).
	SettleBy string `json:"settle_by,omitempty"`
	// Explanation is the whole diagnosis in words.
	Explanation string `json:"explanation"`
}

// Failed reports whether the transfer failed.
func (f *Finding) Failed() bool { return f.Verdict.Failed() }

// HasKind reports whether k is among the finding's kinds.
func (f *Finding) HasKind(k Kind) bool { return slices.Contains(f.Kinds, k) }

// Input bundles what Diagnose needs besides the transfer.
type Input struct {
	Session *session.Session // may be nil
	Helper  HelperVerdict
	Policy  *Effective // nil without a policy
}

// Diagnose explains one transfer. It returns nil for a transfer that
// worked and has nothing to report (no helper problem, no policy
// violation, no address anomaly).
func Diagnose(t *session.Transfer, in Input) *Finding {
	f := &Finding{
		TransferID: t.ID, SessionID: t.SessionID, Time: t.Time,
		Client: t.Client, Server: t.Server, Mode: t.Mode, Negotiation: string(t.Negotiation),
		Endpoint: t.Endpoint, Command: t.Command, Verdict: t.Verdict, Helper: in.Helper,
	}
	listenerSide, connectorSide := "client", "server"
	if t.Mode == session.Passive {
		listenerSide, connectorSide = "server", "client"
	}
	f.Direction = fmt.Sprintf("%s → %s, inbound to the %s side", connectorSide, listenerSide, listenerSide)
	listener := t.Endpoint
	if t.Data != nil && t.Data.Listener.IsValid() {
		listener = t.Data.Listener
	}
	var kinds []Kind
	var words []string

	// Address classification.
	addrKinds, addrWords := classifyAddress(t)
	if t.Verdict.Failed() && len(addrKinds) == 0 {
		addrKinds, addrWords = classifyOwnPrivate(t)
	}
	if t.Endpoint.IsValid() {
		f.AddressClass = session.Classify(t.Endpoint.Addr())
	}
	f.Address = addrWords

	// Policy.
	if in.Policy != nil {
		f.Policy = in.Policy.Check(t, in.Helper)
	}
	policyKind := func(k Kind) bool {
		for _, v := range f.Policy {
			if v.Kind == k {
				return true
			}
		}
		return false
	}

	failed := t.Verdict.Failed()
	switch t.Verdict {
	case session.Dropped:
		n, dur := 0, time.Duration(0)
		if t.Data != nil {
			n, dur = t.Data.SYNs, t.Data.LastSYN.Sub(t.Data.FirstSYN)
		}
		f.Place = fmt.Sprintf("the %s's %d SYN(s) over %s passed the capture point and got no answer: lost beyond it, towards the listener %s", connectorSide, n, dur.Round(time.Millisecond), listener)
		switch {
		case slices.Contains(addrKinds, KindNATPrivate) || slices.Contains(addrKinds, KindUnspecifiedAddr):
			kinds = append(kinds, addrKinds...)
			kinds = append(kinds, KindFirewallDrop)
		case policyKind(KindOutsideRange):
			kinds = append(kinds, KindOutsideRange, KindFirewallDrop)
			f.PolicyExplains = true
		case policyKind(KindPolicyActive):
			kinds = append(kinds, KindFirewallDrop, KindPolicyActive)
			f.PolicyExplains = true
		default:
			kinds = append(kinds, KindFirewallDrop)
		}
		words = append(words, fmt.Sprintf("a firewall or router on the way to the %s (%s) silently dropped the data SYNs", listenerSide, listener))
	case session.Reset:
		k, ev := diagnoseRST(t, listenerTTLs(t, in.Session), listener)
		f.Evidence = ev
		kinds = append(kinds, k)
		if policyKind(KindOutsideRange) {
			kinds = append(kinds, KindOutsideRange)
			f.PolicyExplains = true
		}
		f.Place = "the SYN was answered with a RST"
	case session.Unreachable:
		k, ev := diagnoseICMP(t, listener)
		f.Evidence = ev
		if slices.Contains(addrKinds, KindNATPrivate) {
			kinds = append(kinds, KindNATPrivate)
		}
		kinds = append(kinds, k)
		if policyKind(KindOutsideRange) {
			kinds = append(kinds, KindOutsideRange)
			f.PolicyExplains = true
		}
		f.Place = "the SYN was answered with an ICMP error"
	case session.NotAttempted:
		if r := fileReply(t); r != nil {
			kinds = append(kinds, KindFileError)
			f.Place = fmt.Sprintf("the server answered %s: a file, permission or storage outcome on the server, not a network fault (no data connection was needed)", firstLine(r.Text))
			break
		}
		if code := failReply(t); code != 0 {
			kinds = append(kinds, KindFirewallDrop, KindNotAttempted)
			if policyKind(KindOutsideRange) {
				kinds = append([]Kind{KindOutsideRange}, kinds...)
				f.PolicyExplains = true
			}
			f.Place = fmt.Sprintf("no data SYN at the capture point, yet the server answered %d: the %s's SYNs were blocked before they reached the capture point (a firewall between the %s and the capture point)", code, connectorSide, connectorSide)
			words = append(words, fmt.Sprintf("a firewall on the way from the %s to the %s (%s) blocked the data connection", connectorSide, listenerSide, listener))
		} else {
			kinds = append(kinds, KindNotAttempted)
			f.Place = fmt.Sprintf("no data SYN at the capture point: the %s never tried, or its SYN was blocked before the capture point (on the %s's side), or the capture does not see the path it took", connectorSide, connectorSide)
		}
		if slices.Contains(addrKinds, KindNATPrivate) {
			kinds = append(kinds, KindNATPrivate)
		}
	case session.Refused:
		if d := t.Data; t.Mode == session.Passive && d != nil && d.Established && d.Connector.IsValid() && d.Connector.Addr().Unmap() != t.Client.Addr().Unmap() {
			kinds = append(kinds, KindNATPool)
			f.Place = fmt.Sprintf("the data connection came from %s while the control connection came from %s, and the server refused it (%s): the client's NAT used another address of its pool for the data connection", d.Connector.Addr(), t.Client.Addr(), firstLine(replyText(t, 425)))
			break
		}
		kinds = append(kinds, KindRefused)
		if r := t.NegotiationReply; r != nil && (r.Code < 200 || r.Code > 299) {
			f.Place = fmt.Sprintf("the server refused the %s: %s", t.Negotiation, firstLine(r.Text))
		} else {
			f.Place = "the server refused the data connection"
		}
	case session.Unknown:
		kinds = append(kinds, KindUnknown)
		f.Place = "the capture does not show the outcome"
	default:
		f.Place = "the data connection worked at the time of the capture"
	}
	for _, k := range addrKinds {
		if !slices.Contains(kinds, k) {
			kinds = append(kinds, k)
		}
	}

	// Helper.
	if in.Session != nil && in.Session.TLS {
		kinds = appendKind(kinds, KindTLS)
	}
	switch {
	case in.Helper.Outcome.Opens() && failed && !f.PolicyExplains && (t.Verdict == session.Dropped || t.Verdict == session.Reset || t.Verdict == session.Unreachable || slices.Contains(kinds, KindFirewallDrop)) && !slices.Contains(kinds, KindNATPrivate) && !slices.Contains(kinds, KindClosedPort) && !slices.Contains(kinds, KindNoRoute):
		kinds = appendKind(kinds, KindHelperNotApplied)
		words = append(words, "the FTP conntrack helper would have opened this connection had it been attached to the control port (ct helper rule) with RELATED accepted: it was not applied")
	case !in.Helper.Outcome.Opens() && t.Negotiation != "" && (t.Verdict != session.Refused):
		kinds = appendKind(kinds, KindHelperMiss)
		words = append(words, "a stateful firewall that relies on the helper would drop this data connection: "+strings.Join(in.Helper.Reasons, "; "))
	}
	if t.Data != nil && !t.Data.FirstSYN.IsZero() && !t.Time.IsZero() {
		if lat := t.Data.FirstSYN.Sub(t.Time); lat > 30*time.Second {
			kinds = appendKind(kinds, KindLate)
			words = append(words, fmt.Sprintf("the data SYN came %s after the negotiation (Suricata-style 30 s expectations%s would have expired)", lat.Round(time.Second), map[bool]string{true: " and the kernel's 300 s", false: ""}[lat > 300*time.Second]))
		}
	}
	for _, v := range f.Policy {
		kinds = appendKind(kinds, v.Kind)
		words = append(words, v.Text)
	}
	if len(kinds) == 0 {
		return nil
	}
	if !failed && len(f.Policy) == 0 && len(addrKinds) == 0 && !slices.Contains(kinds, KindHelperMiss) && !slices.Contains(kinds, KindLate) {
		return nil
	}
	f.Kind, f.Kinds = kinds[0], kinds
	f.Confidence = findingConfidence(t, f)
	if blockedKind(f.Kind) {
		f.Firewall = placeFirewall(t, in.Session)
	}
	if f.Confidence == Possible {
		f.SettleBy = settleBy(t, f)
	}
	var sb strings.Builder
	fmt.Fprintf(&sb, "%s %s (%s): %s.", t.Negotiation, t.Verdict, f.Direction, f.Place)
	if f.Evidence != "" {
		fmt.Fprintf(&sb, " %s.", sentence(f.Evidence))
	}
	if f.Address != "" {
		fmt.Fprintf(&sb, " %s.", sentence(f.Address))
	}
	if failed && f.PolicyExplains {
		sb.WriteString(" The policy explains it.")
	}
	for _, w := range words {
		fmt.Fprintf(&sb, " %s.", sentence(w))
	}
	f.Explanation = sb.String()
	return f
}

// fileReply returns the final reply to the transfer command when it is a
// file, permission or storage outcome (450, 451, 452, 550, 551, 552, 553),
// or nil.
func fileReply(t *session.Transfer) *session.Reply {
	for i := len(t.Replies) - 1; i >= 0; i-- {
		switch t.Replies[i].Code {
		case 450, 451, 452, 550, 551, 552, 553:
			return &t.Replies[i]
		}
	}
	return nil
}

// replyText is the text of the first reply to the transfer command with
// code, or "".
func replyText(t *session.Transfer, code int) string {
	for _, r := range t.Replies {
		if r.Code == code {
			return r.Text
		}
	}
	return ""
}

// blockedKind reports whether k says a firewall blocked the data
// connection (so the finding gets a placement).
func blockedKind(k Kind) bool {
	switch k {
	case KindFirewallDrop, KindRejectRST, KindRejectICMP, KindOutsideRange, KindHelperNotApplied:
		return true
	}
	return false
}

// findingConfidence grades the evidence for f's main cause.
func findingConfidence(t *session.Transfer, f *Finding) Confidence {
	switch f.Kind {
	case KindNATPrivate, KindUnspecifiedAddr, KindServerAdvertises, KindClientNATActive, KindBounce, KindPrivilegedPort,
		KindFileError, KindNATPool, KindRefused, KindRejectICMP, KindRejectRST, KindClosedPort, KindNoRoute, KindTLS,
		KindPolicyActive, KindPolicyControl, KindHelperMiss, KindLate:
		return Certain
	case KindUnknown:
		return Possible
	}
	switch t.Verdict {
	case session.Dropped:
		if (t.Data != nil && t.Data.SYNs >= 2) || failReply(t) != 0 {
			return Likely
		}
		return Possible
	case session.NotAttempted:
		if failReply(t) != 0 {
			return Likely
		}
		return Possible
	case session.OK:
		return Certain
	}
	return Likely
}

// settleBy says which capture would settle a finding that is only possible.
func settleBy(t *session.Transfer, f *Finding) string {
	connector := "server"
	if t.Mode == session.Passive {
		connector = "client"
	}
	switch t.Verdict {
	case session.NotAttempted:
		return fmt.Sprintf("a capture on the %s (or next to it) shows whether it sent the data SYN", connector)
	case session.Unknown:
		return "a capture that covers the data connection's path and lasts until the transfer ends"
	}
	return fmt.Sprintf("a capture on both sides of the suspected firewall (next to the %s and next to the listener) shows where the SYNs stop", connector)
}

// failReply returns the code of a 425/426 reply to the transfer command
// (the data connection could not be opened), or 0.
func failReply(t *session.Transfer) int {
	for _, r := range t.Replies {
		if r.Code == 425 || r.Code == 426 {
			return r.Code
		}
	}
	return 0
}

// sentence capitalises s and drops a final full stop.
func sentence(s string) string {
	s = strings.TrimSuffix(s, ".")
	if s != "" && s[0] >= 'a' && s[0] <= 'z' {
		s = string(s[0]-'a'+'A') + s[1:]
	}
	return s
}

func appendKind(ks []Kind, k Kind) []Kind {
	if slices.Contains(ks, k) {
		return ks
	}
	return append(ks, k)
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// classifyAddress compares the advertised endpoint with the control
// channel's endpoints.
func classifyAddress(t *session.Transfer) ([]Kind, string) {
	if !t.Endpoint.IsValid() {
		return nil, ""
	}
	ep := t.Endpoint.Addr().Unmap()
	cls := session.Classify(ep)
	var kinds []Kind
	var words []string
	switch t.Mode {
	case session.Passive:
		srv := t.Server.Addr().Unmap()
		if ep != srv {
			switch {
			case cls == session.ClassUnspecified:
				kinds = append(kinds, KindUnspecifiedAddr)
				words = append(words, fmt.Sprintf("server advertises %s (unspecified): only clients that fall back to the control address can connect", ep))
			case cls.NonPublic() && !session.Classify(srv).NonPublic():
				kinds = append(kinds, KindNATPrivate)
				words = append(words, fmt.Sprintf("server advertises its %s address %s while clients reach it at %s (set pasv_address, or a NAT helper is missing)", cls, ep, srv))
			case cls.NonPublic():
				kinds = append(kinds, KindNATPrivate)
				words = append(words, fmt.Sprintf("server advertises the %s address %s, not its control address %s (NAT between the client and the server without an FTP helper, or pasv_address unset)", cls, ep, srv))
			default:
				kinds = append(kinds, KindServerAdvertises)
				words = append(words, fmt.Sprintf("server advertises %s, which is not its control address %s (a NAT, proxy or another host)", ep, srv))
			}
		}
	case session.Active:
		cli := t.Client.Addr().Unmap()
		if ep != cli {
			switch {
			case cls.NonPublic() && !session.Classify(cli).NonPublic():
				kinds = append(kinds, KindClientNATActive)
				words = append(words, fmt.Sprintf("client behind NAT uses active mode: it advertises its %s address %s but appears as %s", cls, ep, cli))
			case cls == session.ClassUnspecified:
				kinds = append(kinds, KindUnspecifiedAddr)
				words = append(words, fmt.Sprintf("client advertises %s (unspecified)", ep))
			default:
				kinds = append(kinds, KindBounce)
				words = append(words, fmt.Sprintf("FTP bounce: %s to a third host %s (the client is %s)", t.Negotiation, ep, cli))
			}
		}
		if t.Endpoint.Port() < 1024 {
			kinds = append(kinds, KindPrivilegedPort)
			words = append(words, fmt.Sprintf("%s to a privileged port %d", t.Negotiation, t.Endpoint.Port()))
		}
	}
	return kinds, strings.Join(words, "; ")
}

// classifyOwnPrivate flags a failed transfer whose sender advertised its own
// non-public control address to a public peer: a capture inside the NAT,
// where no translated copy is visible.
func classifyOwnPrivate(t *session.Transfer) ([]Kind, string) {
	if !t.Endpoint.IsValid() {
		return nil, ""
	}
	ep := t.Endpoint.Addr().Unmap()
	switch t.Mode {
	case session.Active:
		if ep == t.Client.Addr().Unmap() && session.Classify(ep).NonPublic() && !session.Classify(t.Server.Addr().Unmap()).NonPublic() {
			return []Kind{KindClientNATActive}, fmt.Sprintf("client advertises its %s address %s to the public server %s: a NAT between them must rewrite it (nf_nat_ftp) or the client must use passive mode", session.Classify(ep), ep, t.Server.Addr())
		}
	case session.Passive:
		if ep == t.Server.Addr().Unmap() && session.Classify(ep).NonPublic() && !session.Classify(t.Client.Addr().Unmap()).NonPublic() {
			return []Kind{KindNATPrivate}, fmt.Sprintf("server advertises its %s address %s to the public client %s: behind NAT it must advertise its public address", session.Classify(ep), ep, t.Client.Addr())
		}
	}
	return nil, ""
}

// diagnoseRST tells a firewall-made RST from a listener without a socket.
func diagnoseRST(t *session.Transfer, seen []uint8, listener netip.AddrPort) (Kind, string) {
	if t.Data == nil || t.Data.RST == nil {
		return KindRejectRST, "RST details not recorded"
	}
	r := t.Data.RST
	if !r.FromListener {
		return KindRejectRST, fmt.Sprintf("the RST did not come from the listener %s: a middlebox sent it", listener.Addr())
	}
	if len(seen) > 0 && !slices.Contains(seen, r.TTL) {
		return KindRejectRST, fmt.Sprintf("the RST carries the listener's address but TTL %d, while %s's own packets arrive with TTL %s: a firewall forged it", r.TTL, listener.Addr(), ttlList(seen))
	}
	if t.Mode == session.Active {
		return KindRejectRST, fmt.Sprintf("the RST came from the client %s (TTL %d, as its other packets), which had just announced a listener with %s: a host firewall on the client rejected the SYN with a TCP reset (or the client closed its listener)", listener.Addr(), r.TTL, t.Negotiation)
	}
	return KindClosedPort, fmt.Sprintf("the RST came from the server %s itself (TTL %d, as its other packets): nothing listened on the advertised port %d (or a host firewall there rejects with a TCP reset)", listener.Addr(), r.TTL, listener.Port())
}

func ttlList(ts []uint8) string {
	s := make([]string, len(ts))
	for i, x := range ts {
		s[i] = fmt.Sprint(x)
	}
	return strings.Join(s, "/")
}

// diagnoseICMP reads the ICMP error's sender and code.
func diagnoseICMP(t *session.Transfer, listener netip.AddrPort) (Kind, string) {
	if t.Data == nil || t.Data.ICMP == nil {
		return KindRejectICMP, "ICMP details not recorded"
	}
	ic := t.Data.ICMP
	fromListener := ic.From.Unmap() == listener.Addr().Unmap()
	var what string
	adminProhibited, portUnreach, noRoute := false, false, false
	if ic.V6 {
		switch {
		case ic.Type == 1 && (ic.Code == 1 || ic.Code == 5 || ic.Code == 6):
			adminProhibited, what = true, "ICMPv6 administratively prohibited"
		case ic.Type == 1 && ic.Code == 4:
			portUnreach, what = true, "ICMPv6 port unreachable"
		case ic.Type == 1:
			noRoute, what = true, fmt.Sprintf("ICMPv6 destination unreachable code %d", ic.Code)
		default:
			what = fmt.Sprintf("ICMPv6 type %d code %d", ic.Type, ic.Code)
		}
	} else {
		switch {
		case ic.Type == 3 && (ic.Code == 9 || ic.Code == 10 || ic.Code == 13):
			adminProhibited, what = true, fmt.Sprintf("ICMP communication administratively prohibited (code %d)", ic.Code)
		case ic.Type == 3 && ic.Code == 3:
			portUnreach, what = true, "ICMP port unreachable"
		case ic.Type == 3 && (ic.Code == 0 || ic.Code == 1 || ic.Code == 6 || ic.Code == 7):
			noRoute, what = true, fmt.Sprintf("ICMP net/host unreachable (code %d)", ic.Code)
		default:
			what = fmt.Sprintf("ICMP type %d code %d", ic.Type, ic.Code)
		}
	}
	switch {
	case fromListener && portUnreach:
		return KindClosedPort, fmt.Sprintf("%s from the listener %s itself: no socket on port %d (or a host firewall's default REJECT)", what, ic.From, listener.Port())
	case fromListener:
		return KindRejectICMP, fmt.Sprintf("%s from the listener %s itself: its host firewall rejected the SYN", what, ic.From)
	case noRoute:
		return KindNoRoute, fmt.Sprintf("%s from router %s: no route towards %s", what, ic.From, listener.Addr())
	case adminProhibited:
		return KindRejectICMP, fmt.Sprintf("%s sent by %s, not by the listener %s: a firewall rejected the SYN", what, ic.From, listener.Addr())
	default:
		return KindRejectICMP, fmt.Sprintf("%s sent by %s, not by the listener %s: a firewall or router rejected the SYN", what, ic.From, listener.Addr())
	}
}
