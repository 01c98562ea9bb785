package session

import "time"

// Config tunes the tracker. The zero value is not useful; start from
// DefaultConfig.
type Config struct {
	// ControlPorts are TCP ports whose connections are FTP control channels
	// (21 by default). Other ports are recognised by content.
	ControlPorts []uint16
	// ShowPasswords keeps PASS arguments in clear; by default they are masked.
	ShowPasswords bool
	// SYNGrace is, in capture time, how long a connector would take to
	// retransmit a lost SYN: a 425 at least this long after a single
	// unanswered SYN counts as dropped (sooner, the SYN was refused by
	// something the capture does not hold); a RST or ICMP error is waited
	// on this long for a reply; a lone SYN this close to the capture's end
	// is unknown. A lone SYN never counts as dropped by itself.
	SYNGrace time.Duration
	// DropWait is how long after the last unanswered SYN a transfer waits for
	// a reply before it is decided as dropped.
	DropWait time.Duration
	// ExpectTimeout is how long a negotiation waits for its data connection,
	// from the last control event about it (the negotiation, its reply, the
	// transfer command, a reply to it), before it is decided without one.
	ExpectTimeout time.Duration
	// SettleGrace is how long a transfer waits after the reply that ended it
	// for a late data connection (captures merged from several points).
	SettleGrace time.Duration
	// ControlIdle ends a control session that has seen no packet for this long.
	ControlIdle time.Duration
	// GapFlush releases control-channel data queued behind a missing segment
	// after this long (the gap is then reported).
	GapFlush time.Duration
	// MaxLine is the longest control line kept; longer lines are truncated
	// and flagged.
	MaxLine int
	// MaxSessions, MaxTransfersPerSession, MaxPendingCommands and
	// MaxUnclaimedSYNs cap the state kept; what a cap discards is counted.
	MaxSessions            int
	MaxTransfersPerSession int
	MaxPendingCommands     int
	MaxUnclaimedSYNs       int
	// UnclaimedTTL is how long a data SYN that matched no negotiation is kept
	// in case the reply that announces it is parsed later.
	UnclaimedTTL time.Duration
	// ControlEvents is how many control lines each session record keeps in
	// Session.Events (the first and the last half); 0 keeps none (the
	// default: only reports that draw sessions need them).
	ControlEvents int
}

// DefaultConfig returns the documented defaults.
func DefaultConfig() Config {
	return Config{
		ControlPorts:           []uint16{21},
		SYNGrace:               3 * time.Second,
		DropWait:               30 * time.Second,
		ExpectTimeout:          120 * time.Second,
		SettleGrace:            time.Second,
		ControlIdle:            15 * time.Minute,
		GapFlush:               2 * time.Second,
		MaxLine:                8192,
		MaxSessions:            100000,
		MaxTransfersPerSession: 1000,
		MaxPendingCommands:     64,
		MaxUnclaimedSYNs:       4096,
		UnclaimedTTL:           10 * time.Second,
	}
}
