package audit

import "github.com/ftpsniff/ftpsniff/session"

// Collector gathers a run's records (it has the methods of output.Writer
// and session.Sink). It keeps of each record only what the audit reads:
// transfers without their transfer-command argument and with at most the
// first and last reply, sessions without user, password and anomaly notes.
type Collector struct {
	Transfers []*session.Transfer
	Sessions  []*session.Session
	Summary   *session.Summary
}

// NewCollector returns an empty collector.
func NewCollector() *Collector { return &Collector{} }

// Transfer keeps a trimmed copy of t.
func (c *Collector) Transfer(t *session.Transfer) error {
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

// Session keeps a trimmed copy of s.
func (c *Collector) Session(s *session.Session) error {
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

// Analyze audits what the collector gathered.
func (c *Collector) Analyze(cfg Config) *Report {
	return Analyze(c.Transfers, c.Sessions, cfg)
}
