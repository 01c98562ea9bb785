package audit

import "github.com/ftpsniff/ftpsniff/session"

// Collector gathers a run's records (it has the methods of output.Writer
// and session.Sink). It keeps of each record only what the audit reads:
// a transfer that worked and has nothing to report under its Config is
// folded into per-server counts (Folded); the others are kept without
// their transfer-command argument and with at most the first and last
// reply; sessions only when a kept transfer or a verdict of their own
// needs them, without user, password and anomaly notes (the others are
// folded into per-server counts too). Memory grows with the failed and
// noteworthy transfers, not with the sessions and transfers that worked.
type Collector struct {
	Transfers []*session.Transfer
	Sessions  []*session.Session
	Summary   *session.Summary
	// Folded is what was kept of the folded transfers and sessions.
	Folded *Folded
	cfg    Config
	// keptSessions are the sessions of kept transfers (their records are
	// kept too).
	keptSessions map[uint64]bool
}

// NewCollector returns an empty collector for the default audit Config.
func NewCollector() *Collector { return NewCollectorFor(DefaultConfig()) }

// NewCollectorFor returns an empty collector that folds what an audit with
// cfg has nothing to say about; Analyze should then be given the same cfg.
func NewCollectorFor(cfg Config) *Collector {
	return &Collector{cfg: cfg, Folded: newFolded()}
}

// Transfer folds t or keeps a trimmed copy of it.
func (c *Collector) Transfer(t *session.Transfer) error {
	if c.Folded == nil {
		c.Folded = newFolded()
	}
	if foldable(t, c.cfg) {
		c.Folded.fold(t)
		return nil
	}
	c.Folded.keep(t)
	if c.keptSessions == nil {
		c.keptSessions = map[uint64]bool{}
	}
	c.keptSessions[t.SessionID] = true
	x := *t
	x.CommandArg = ""
	x.Reason = ""
	if n := len(t.Replies); n > 2 {
		x.Replies = []session.Reply{t.Replies[0], t.Replies[n-1]}
	} else {
		x.Replies = append([]session.Reply(nil), t.Replies...)
	}
	if t.Data != nil {
		d := *t.Data
		x.Data = &d
	}
	c.Transfers = append(c.Transfers, &x)
	return nil
}

// Session keeps a trimmed copy of s when the audit reads it (it has kept
// transfers, or a verdict of its own); others are folded into per-server
// counts.
func (c *Collector) Session(s *session.Session) error {
	if c.Folded == nil {
		c.Folded = newFolded()
	}
	if s.Verdict == "" && !c.keptSessions[s.ID] {
		c.Folded.foldSession(s)
		return nil
	}
	delete(c.keptSessions, s.ID)
	x := *s
	x.User, x.Password, x.Anomalies, x.Verdicts = "", "", nil, nil
	c.Sessions = append(c.Sessions, &x)
	return nil
}

// Close keeps the summary.
func (c *Collector) Close(sum *session.Summary) error {
	x := *sum
	c.Summary = &x
	return nil
}

// Analyze audits what the collector gathered (cfg should be the one the
// collector was made for).
func (c *Collector) Analyze(cfg Config) *Report {
	return analyze(c.Transfers, c.Sessions, cfg, c.Folded)
}
