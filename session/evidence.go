package session

import "time"

// The verdict of a transfer is a pure function of its Evidence: what the
// control channel said about the negotiation (gathered by the FTP
// conversation), what the capture shows of its data connection, and the
// timing configuration. Decide reads nothing else, so tests can call it on
// hand-made evidence and every rule is in one place (decide.go).

// Evidence is everything a transfer's verdict rests on.
type Evidence struct {
	// Timing is the part of the configuration the decision uses.
	Timing Timing
	// Mode and Negotiation say what was negotiated; EndpointKnown that an
	// endpoint could be read from it.
	Mode          Mode
	Negotiation   Negotiation
	EndpointKnown bool
	// Time is when the negotiation was made; LastEvent the last control
	// event bearing on its data connection (the negotiation, its reply,
	// the transfer command, a reply to it): waits run from there.
	Time, LastEvent time.Time
	// AwaitingReply: a passive negotiation's reply not seen yet; Replied:
	// the negotiation's reply was seen; Accepted: it was a 2xx; Refusal:
	// the 4xx/5xx that refused it.
	AwaitingReply, Replied, Accepted bool
	Refusal                          *Reply
	// BadArgument and BadReply: the endpoint could not be parsed from the
	// command or from the reply.
	BadArgument, BadReply bool
	// Superseded: a later negotiation replaced it before any transfer
	// command used it.
	Superseded bool
	// Prelim is the first 1xx reply to the transfer command; Final the
	// reply that ended it, at FinalAt.
	Prelim  *Reply
	Final   *Reply
	FinalAt time.Time
	// SessionEnded: the control session ended (nothing more will come for
	// this transfer); SessionClosed: by FIN or RST (not the capture's end).
	SessionEnded, SessionClosed bool
	// PairOneSided: data connections between the session's hosts were seen
	// one way only (a capture point that misses one direction).
	PairOneSided bool
	// Conn is the data connection the verdict is about, when HasConn
	// (none seen otherwise); Attempts counts the connections matched.
	HasConn  bool
	Conn     ConnEvidence
	Attempts int

	flags   Flags  // added by the decision
	scratch []byte // reused to build reasons
}

// ConnEvidence is what the capture shows of a data connection.
type ConnEvidence struct {
	*DataConn
	// FromConnector and FromListener count the packets captured each way.
	FromConnector, FromListener uint32
	// Acked[0] is the payload the connector acknowledged (bytes sent to
	// it), Acked[1] what the listener acknowledged; AckSeen says an
	// acknowledgment was seen at all.
	Acked   [2]uint64
	AckSeen [2]bool
}

// Timing holds the waits a decision depends on (see Config).
type Timing struct {
	SYNGrace, DropWait, ExpectTimeout, SettleGrace time.Duration
}

// Decision is a verdict with its reason and the flags it adds, or — when
// the evidence does not settle it yet — the time to look again.
type Decision struct {
	Decided bool
	Verdict Verdict
	Reason  string
	Flags   Flags
	// Wake is the earliest capture time (Unix nanoseconds) at which the
	// outcome can become known without new evidence; never when only new
	// evidence can settle it.
	Wake int64
}

// Decide gives the verdict of a transfer from its evidence at capture time
// now; atEnd says the capture is over, so nothing more will come.
func Decide(ev *Evidence, now time.Time, atEnd bool) Decision {
	ev.flags = Flags{}
	v, reason, ok, wake := ev.decide(now, atEnd)
	return Decision{Decided: ok, Verdict: v, Reason: reason, Flags: ev.flags, Wake: wake}
}

// flags collects the flags a decision adds (unexported: only Decide's
// result carries them).
func (x *Evidence) flag(f Flag) { x.flags.Add(f) }

// evidence gathers x's evidence into ev.
func (x *transfer) evidence(ev *Evidence) {
	s := x.s
	cfg := &s.t.cfg
	scratch := ev.scratch
	*ev = Evidence{
		scratch:       scratch,
		Timing:        Timing{SYNGrace: cfg.SYNGrace, DropWait: cfg.DropWait, ExpectTimeout: cfg.ExpectTimeout, SettleGrace: cfg.SettleGrace},
		Mode:          x.rec.Mode,
		Negotiation:   x.rec.Negotiation,
		EndpointKnown: x.rec.Endpoint.IsValid(),
		Time:          x.rec.Time,
		LastEvent:     x.lastEvent(),
		AwaitingReply: x.awaitingReply,
		Replied:       x.rec.NegotiationReply != nil,
		Accepted:      x.accepted,
		Refusal:       x.refusedBy,
		BadArgument:   x.rec.Flags.Has(FlagBadArgument),
		BadReply:      x.rec.Flags.Has(FlagBadReply),
		Superseded:    x.superseded,
		Prelim:        x.prelim(),
		Final:         x.final,
		FinalAt:       x.finalAt,
		SessionEnded:  x.sessionEnded,
		SessionClosed: !s.closedAt.IsZero(),
		PairOneSided:  s.t.pairOneSided(s),
		Attempts:      len(x.conns),
	}
	if c := x.conn; c != nil {
		ev.HasConn = true
		ev.Conn = ConnEvidence{DataConn: &c.rec, FromConnector: c.fromConnector, FromListener: c.fromListener, Acked: c.acked, AckSeen: c.ackSeen}
	}
}

// lastEvent is the time of the last control event that bears on x's data
// connection: the negotiation, its reply, the transfer command or a reply
// to it. A server may connect long after RETR (tape recall, slow storage):
// the wait for the connection runs from here.
func (x *transfer) lastEvent() time.Time {
	t := x.rec.Time
	if r := x.rec.NegotiationReply; r != nil && r.Time.After(t) {
		t = r.Time
	}
	if x.rec.CommandTime.After(t) {
		t = x.rec.CommandTime
	}
	for i := range x.rec.Replies {
		if x.rec.Replies[i].Time.After(t) {
			t = x.rec.Replies[i].Time
		}
	}
	return t
}

// prelim returns the first 1xx reply to the transfer command: the server
// had (or was opening) its data connection.
func (x *transfer) prelim() *Reply {
	for i := range x.rec.Replies {
		if r := &x.rec.Replies[i]; r.Code >= 100 && r.Code < 200 {
			return r
		}
	}
	return nil
}
