package output

import (
	"net/netip"
	"sort"
	"strconv"
	"strings"

	"github.com/ftpsniff/ftpsniff/session"
)

// LadderControlLines is how many control lines per session the HTML
// report asks the tracker to keep (session.Config.ControlEvents): the
// first and the last half are drawn.
const LadderControlLines = 32

// buildLadder turns a session's kept records into diagram rows: a group per
// transfer, in time order, each with its events in time order and its
// verdict's reason last; quiet stretches longer than foldGap between rows
// become fold rows.
func buildLadder(l *ladderSess) *ladder {
	s := l.s
	lad := &ladder{s: s}
	lad.capFrac, lad.capLabel = capturePoint(s)
	ts := append([]*session.Transfer(nil), l.transfers...)
	sort.SliceStable(ts, func(i, j int) bool {
		if !ts[i].Time.Equal(ts[j].Time) {
			return ts[i].Time.Before(ts[j].Time)
		}
		return ts[i].ID < ts[j].ID
	})
	var rows []ladderRow
	if s.Verdict != "" {
		rows = append(rows, blockedRows(s)...)
	} else if !s.MidStream && !s.Start.IsZero() {
		rows = append(rows, ladderRow{t: s.Start, from: laneClient, to: laneServer, cls: "ctl",
			label: "control connection to port " + strconv.Itoa(int(s.Server.Port()))})
	}
	if len(s.Events) > 0 {
		// The session's own control lines, and each transfer's data
		// connection beside them, in time order.
		var drawn []ladderRow
		for i, e := range s.Events {
			if e.Continued {
				continue // a multi-line reply is drawn by its first line
			}
			from, to := laneServer, laneClient
			if e.FromClient {
				from, to = laneClient, laneServer
			}
			drawn = append(drawn, ladderRow{t: e.Time, from: from, to: to, cls: "ctl", label: clean(e.Line)})
			if i == (len(s.Events)+1)/2-1 && s.EventsOmitted > 0 {
				drawn = append(drawn, ladderRow{t: e.Time, note: true, cls: "ctl", label: plural(s.EventsOmitted, "more control line") + " not drawn"})
			}
		}
		for _, t := range ts {
			drawn = append(drawn, lad.transferDataRows(t)...)
		}
		sort.SliceStable(drawn, func(i, j int) bool { return drawn[i].t.Before(drawn[j].t) })
		rows = append(rows, drawn...)
	} else {
		for _, t := range ts {
			rows = append(rows, lad.transferRows(t)...)
		}
	}
	if len(l.folded) > 0 {
		n, _ := countTotals(l.folded)
		rows = append(rows, ladderRow{fold: true, label: plural(n, "more transfer") + " not drawn (" + countsPhrase(l.folded) + ")"})
	}
	if !s.End.IsZero() && s.Verdict == "" {
		rows = append(rows, ladderRow{t: s.End, note: true, cls: "ctl", label: "session ended: " + orDash(clean(string(s.Closed)))})
	}
	// Fold quiet stretches.
	var last ladderRow
	for i, r := range rows {
		if i > 0 && !r.t.IsZero() && !last.t.IsZero() && r.t.Sub(last.t) > foldGap {
			lad.rows = append(lad.rows, ladderRow{fold: true, label: humanDuration(r.t.Sub(last.t)) + " later"})
		}
		lad.rows = append(lad.rows, r)
		if !r.t.IsZero() {
			last = r
		}
	}
	return lad
}

// blockedRows draws a control connection that never got established.
func blockedRows(s *session.Session) []ladderRow {
	cls := verdictClass(s.Verdict)
	p := ":" + strconv.Itoa(int(s.Server.Port()))
	rows := []ladderRow{{t: s.Start, from: laneClient, to: laneServer, unseen: s.Verdict == session.Dropped, cls: cls,
		label: "SYN to control port " + p}}
	switch s.Verdict {
	case session.Reset:
		rows = append(rows, ladderRow{t: s.End, from: laneServer, to: laneClient, cls: cls, label: "RST"})
	case session.Unreachable:
		rows = append(rows, ladderRow{t: s.End, from: laneBeyond, to: laneClient, cls: cls, label: "ICMP unreachable"})
	}
	return append(rows, ladderRow{note: true, cls: cls, label: string(s.Verdict) + ": " + clean(s.Reason)})
}

// verdictClass maps a verdict to its CSS class.
func verdictClass(v session.Verdict) string {
	switch {
	case v == session.OK:
		return "ok"
	case v.Failed():
		return "bad"
	}
	return "unk"
}

// laneOf maps an address of a data connection to its lane: the client's
// or server's address, or (for an advertised private address behind a
// NAT) the peer it stands for, else the third lane.
func (lad *ladder) laneOf(a netip.Addr, t *session.Transfer, peer lane) lane {
	a = a.Unmap()
	switch {
	case a == t.Client.Addr().Unmap():
		return laneClient
	case a == t.Server.Addr().Unmap():
		return laneServer
	case t.Flags.Has(session.FlagThirdParty) || !t.Flags.Has(session.FlagNATMismatch):
		if lad.other == "" {
			lad.other = a.String()
		}
		return laneOther
	}
	return peer
}

// transferRows draws one transfer.
func (lad *ladder) transferRows(t *session.Transfer) []ladderRow {
	cls := verdictClass(t.Verdict)
	var rows []ladderRow
	if t.Negotiation == session.Hidden {
		rows = append(rows, ladderRow{t: t.Time, note: true, cls: "ctl", label: "negotiation not visible (encrypted control channel)"})
	} else if t.NegotiationLine != "" {
		at := t.Time
		if r := t.NegotiationReply; r != nil && !r.Time.IsZero() && r.Time.Before(at) {
			at = r.Time
		}
		rows = append(rows, ladderRow{t: at, from: laneClient, to: laneServer, cls: "ctl", label: clean(t.NegotiationLine)})
	}
	if r := t.NegotiationReply; r != nil {
		rows = append(rows, ladderRow{t: r.Time, from: laneServer, to: laneClient, cls: "ctl", label: replyLabel(r)})
	}
	if t.Command != "" {
		lbl := clean(t.Command)
		if t.CommandArg != "" {
			lbl += " " + clean(t.CommandArg)
		}
		rows = append(rows, ladderRow{t: t.CommandTime, from: laneClient, to: laneServer, cls: "ctl", label: lbl})
	}
	for i := range t.Replies {
		rows = append(rows, ladderRow{t: t.Replies[i].Time, from: laneServer, to: laneClient, cls: "ctl", label: replyLabel(&t.Replies[i])})
	}
	rows = append(rows, lad.dataRows(t, cls)...)
	sort.SliceStable(rows, func(i, j int) bool { return rows[i].t.Before(rows[j].t) })
	note := transferNote(t, cls)
	note.label = "#" + strconv.FormatUint(t.ID, 10) + " " + strings.TrimPrefix(note.label, "#"+strconv.FormatUint(t.ID, 10)+" "+endpointLabel(t))
	return append(rows, note)
}

// transferDataRows draws one transfer's data connection and verdict only
// (its control lines are drawn from the session's events), the verdict at
// the time of its last row.
func (lad *ladder) transferDataRows(t *session.Transfer) []ladderRow {
	cls := verdictClass(t.Verdict)
	rows := lad.dataRows(t, cls)
	sort.SliceStable(rows, func(i, j int) bool { return rows[i].t.Before(rows[j].t) })
	at := t.Time
	if t.CommandTime.After(at) {
		at = t.CommandTime
	}
	for _, r := range rows {
		if r.t.After(at) {
			at = r.t
		}
	}
	if n := len(t.Replies); n > 0 && t.Replies[n-1].Time.After(at) {
		at = t.Replies[n-1].Time
	}
	note := transferNote(t, cls)
	note.t = at
	return append(rows, note)
}

// transferNote is the line giving a transfer's verdict and reason.
func transferNote(t *session.Transfer, cls string) ladderRow {
	reason := string(t.Verdict)
	if t.Reason != "" {
		reason += ": " + clean(t.Reason)
	}
	if names := FlagNames(t.Flags, t.Notes); len(names) > 0 {
		reason += " [" + strings.Join(names, ", ") + "]"
	}
	return ladderRow{note: true, cls: cls, label: "#" + strconv.FormatUint(t.ID, 10) + " " + endpointLabel(t) + reason}
}

// endpointLabel names the negotiation a verdict line is about.
func endpointLabel(t *session.Transfer) string {
	l := string(t.Negotiation)
	if t.Endpoint.IsValid() {
		l += " " + t.Endpoint.String()
	}
	if t.Command != "" {
		l += " " + clean(t.Command)
	}
	return l + ": "
}

// replyLabel renders a reply's first line (its text starts with its code).
func replyLabel(r *session.Reply) string {
	l := firstLine(r.Text)
	if code := strconv.Itoa(r.Code); !strings.HasPrefix(l, code) {
		l = code + " " + l
	}
	return l
}

// dataRows draws a transfer's data connection.
func (lad *ladder) dataRows(t *session.Transfer, cls string) []ladderRow {
	d := t.Data
	if d == nil {
		if t.Verdict == session.NotAttempted || t.Flags.Has(session.FlagDataNotCaptured) {
			lbl := "no SYN seen for " + orDash(addrPort(t.Endpoint))
			if t.Flags.Has(session.FlagDataNotCaptured) {
				lbl = "data connection not in the capture"
			}
			from, to := laneServer, laneClient
			if t.Mode == session.Passive {
				from, to = laneClient, laneServer
			}
			return []ladderRow{{t: t.Decided, from: from, to: to, ghost: true, cls: cls, label: lbl}}
		}
		return nil
	}
	// The connector's and listener's lanes.
	cdef, ldef := laneServer, laneClient
	if t.Mode == session.Passive {
		cdef, ldef = laneClient, laneServer
	}
	cl := lad.laneOf(d.Connector.Addr(), t, cdef)
	ll := lad.laneOf(d.Listener.Addr(), t, ldef)
	answered := !d.SYNACK.IsZero() || d.Established
	var rows []ladderRow
	port := ":" + strconv.Itoa(int(d.Listener.Port()))
	if d.Listener.Addr() != t.Client.Addr() && d.Listener.Addr() != t.Server.Addr() {
		port = addrPort(d.Listener)
	}
	if t.Flags.Has(session.FlagHandshakeNotCaptured) {
		rows = append(rows, ladderRow{t: d.LastSeen, from: cl, to: ll, ghost: true, cls: cls, label: "handshake before the capture began"})
	} else if !d.FirstSYN.IsZero() {
		lbl := "SYN " + addrPort(d.Connector) + " → " + port
		if d.SYNs > 1 {
			lbl += " (" + strconv.Itoa(d.SYNs) + " SYNs over " + humanDuration(span(d.FirstSYN, d.LastSYN)) + ")"
		}
		rows = append(rows, ladderRow{t: d.FirstSYN, from: cl, to: ll, unseen: !answered, cls: cls, label: lbl})
		if d.SYNs > 1 && d.LastSYN.After(d.FirstSYN) {
			rows = append(rows, ladderRow{t: d.LastSYN, from: cl, to: ll, unseen: !answered, cls: cls,
				label: "SYN retransmission #" + strconv.Itoa(d.SYNs-1)})
		}
	}
	switch {
	case !d.SYNACK.IsZero():
		rows = append(rows, ladderRow{t: d.SYNACK, from: ll, to: cl, cls: cls, label: "SYN-ACK"})
	case d.Established && t.Flags.Has(session.FlagSYNACKNotCaptured):
		rows = append(rows, ladderRow{t: d.FirstSYN, from: ll, to: cl, ghost: true, cls: cls, label: "SYN-ACK (not captured)"})
	}
	if r := d.RST; r != nil {
		from, to := ll, cl
		if !r.FromListener {
			from, to = cl, ll
		}
		lbl := "RST ttl " + strconv.Itoa(int(r.TTL))
		if exp := d.ListenerTTL; r.FromListener && exp != 0 && exp != r.TTL {
			lbl += " (listener's packets: ttl " + strconv.Itoa(int(exp)) + ")"
		}
		if r.BeforeEstablished {
			lbl += ", before the handshake completed"
		}
		rows = append(rows, ladderRow{t: r.Time, from: from, to: to, cls: cls, label: lbl})
	}
	if i := d.ICMP; i != nil {
		from := laneBeyond
		switch i.From.Unmap() {
		case t.Client.Addr().Unmap():
			from = laneClient
		case t.Server.Addr().Unmap():
			from = laneServer
		}
		typ := "ICMP"
		if i.V6 {
			typ = "ICMPv6"
		}
		lbl := typ + " type " + strconv.Itoa(int(i.Type)) + " code " + strconv.Itoa(int(i.Code)) + " from " + addr(i.From) + " ttl " + strconv.Itoa(int(i.TTL))
		rows = append(rows, ladderRow{t: i.Time, from: from, to: cl, cls: cls, label: lbl})
	}
	if d.BytesToListener > 0 || d.BytesToConnector > 0 {
		from, to := cl, ll
		if d.BytesToConnector > d.BytesToListener {
			from, to = ll, cl
		}
		lbl := "data: " + strconv.FormatUint(d.BytesToListener, 10) + " bytes to listener, " +
			strconv.FormatUint(d.BytesToConnector, 10) + " to connector"
		rows = append(rows, ladderRow{t: d.LastSeen, from: from, to: to, cls: cls, label: lbl})
	}
	if d.Closed {
		rows = append(rows, ladderRow{t: d.LastSeen, from: cl, to: ll, cls: cls, label: "FIN / close"})
	}
	if t.Flags.Has(session.FlagOneSided) {
		rows = append(rows, ladderRow{t: d.LastSeen, from: ll, to: cl, ghost: true, cls: cls, label: "other direction not captured"})
	}
	return rows
}

// capturePoint places the capture point between the client (0) and the
// server (1) from the hops each side's control packets had travelled (the
// TTL below the usual initial 64, 128 or 255): the capture sits nearer the
// side whose packets arrived with fewer hops.
func capturePoint(s *session.Session) (float64, string) {
	hc, okc := hops(s.ClientTTLs)
	hs, oks := hops(s.ServerTTLs)
	if !okc || !oks {
		return 0.5, "capture point"
	}
	f := 0.5
	if hc+hs > 0 {
		f = float64(hc) / float64(hc+hs)
	}
	f = min(max(f, 0.15), 0.85)
	return f, "capture point (" + plural(hc, "hop") + " from client, " + plural(hs, "hop") + " from server)"
}

// hops estimates the hops behind the first TTL of ttls.
func hops(ttls []uint8) (int, bool) {
	if len(ttls) == 0 || ttls[0] == 0 {
		return 0, false
	}
	t := int(ttls[0])
	for _, init := range []int{64, 128, 255} {
		if t <= init {
			return init - t, true
		}
	}
	return 0, false
}
