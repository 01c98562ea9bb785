package output

import "github.com/ftpsniff/ftpsniff/session"

// FailuresOnly returns a Writer that passes on to w only the failed
// transfers and the sessions that had one (or whose control connection was
// blocked); the summary, computed by the tracker, still counts everything.
func FailuresOnly(w Writer) Writer { return failuresWriter{w} }

type failuresWriter struct{ w Writer }

// Transfer implements Writer.
func (f failuresWriter) Transfer(t *session.Transfer) error {
	if t == nil {
		return errNil
	}
	if !t.Verdict.Failed() {
		return nil
	}
	return f.w.Transfer(t)
}

// Session implements Writer.
func (f failuresWriter) Session(s *session.Session) error {
	if s == nil {
		return errNil
	}
	if !sessionFailed(s) {
		return nil
	}
	return f.w.Session(s)
}

// Close implements Writer.
func (f failuresWriter) Close(sum *session.Summary) error { return f.w.Close(sum) }

// sessionFailed reports whether a session had a failed transfer or its
// control connection was blocked.
func sessionFailed(s *session.Session) bool {
	if s.Verdict.Failed() {
		return true
	}
	_, failed := countTotals(s.Verdicts)
	return failed > 0
}

// Tee returns a Writer that gives every record to each of ws in turn; the
// first error wins.
func Tee(ws ...Writer) Writer { return teeWriter(ws) }

type teeWriter []Writer

// Transfer implements Writer.
func (t teeWriter) Transfer(tr *session.Transfer) error {
	var first error
	for _, w := range t {
		if err := w.Transfer(tr); err != nil && first == nil {
			first = err
		}
	}
	return first
}

// Session implements Writer.
func (t teeWriter) Session(s *session.Session) error {
	var first error
	for _, w := range t {
		if err := w.Session(s); err != nil && first == nil {
			first = err
		}
	}
	return first
}

// Close implements Writer.
func (t teeWriter) Close(sum *session.Summary) error {
	var first error
	for _, w := range t {
		if err := w.Close(sum); err != nil && first == nil {
			first = err
		}
	}
	return first
}
