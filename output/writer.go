// Package output renders what the session tracker decided: text lines, JSON
// Lines and tablewriter tables. It holds no analysis logic.
package output

import "github.com/ftpsniff/ftpsniff/session"

// Writer receives records in the order they are decided, from one goroutine.
type Writer interface {
	// Transfer is called once per transfer, when its verdict is final.
	Transfer(t *session.Transfer) error
	// Session is called once per session, when it ends (after its transfers).
	Session(s *session.Session) error
	// Close is called once at the end of the run with the summary.
	Close(sum *session.Summary) error
}
