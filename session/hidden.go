package session

import (
	"time"

	"github.com/ftpsniff/ftpsniff/decode"
)

// Data connections of encrypted sessions. After AUTH TLS the commands that
// negotiate data connections cannot be read, so a connection between the
// hosts of such a session is reported as a "hidden" transfer — but only
// one that fits a data connection: to an unprivileged port that is no
// well-known service, from the server's data port (active) or from the
// client (passive), while the control connection is busy.

// hiddenDataWindow is how long after the client's last control data a
// connection may be a data connection of that session.
const hiddenDataWindow = 30 * time.Second

// notDataPort reports whether p is a well-known service port above 1023
// that an FTP data connection is not made to.
func notDataPort(p uint16) bool {
	switch p {
	case 1433, 1521, 2049, 3306, 3389, 5432, 5900, 5985, 5986, 6379, 8080, 8443, 9200:
		return true
	}
	return false
}

// tlsSessionFor returns the latest live encrypted session between the
// hosts of k.
func (t *Tracker) tlsSessionFor(k flowKey) *session {
	l := t.pairs[pairKey(k.src.Addr(), k.dst.Addr())]
	for i := len(l) - 1; i >= 0; i-- {
		if l[i].rec.TLS {
			return l[i]
		}
	}
	return nil
}

// fitsHiddenData reports whether a SYN from k.src to k.dst at time at can be
// a data connection of the encrypted session s.
func (s *session) fitsHiddenData(k flowKey, at time.Time) bool {
	if k.dst.Port() < 1024 || notDataPort(k.dst.Port()) || k.dst == s.key.dst {
		return false
	}
	if s.lastClientData.IsZero() || at.Sub(s.lastClientData) > hiddenDataWindow || s.lastClientData.Sub(at) > hiddenDataWindow {
		return false
	}
	srv, cli := s.key.dst.Addr(), s.key.src.Addr()
	switch {
	case k.src.Addr() == cli && k.dst.Addr() == srv:
		return true // passive: the client connects to the server
	case k.src.Addr() == srv && k.dst.Addr() == cli:
		// active: from the server's data port (L-1, usually 20) or an
		// unprivileged port
		return k.src.Port() == 20 || k.src.Port() == s.key.dst.Port()-1 || k.src.Port() >= 1024
	}
	return false
}

// hiddenTransfer records a data connection of an encrypted session, whose
// negotiation could not be read.
func (t *Tracker) hiddenTransfer(s *session, k flowKey, p *decode.Packet) *transfer {
	mode := Passive
	if k.src.Addr() == s.key.dst.Addr() {
		mode = Active
	}
	x := s.newTransfer(mode, Hidden, "", p.Time)
	if x == nil {
		return nil
	}
	x.rec.Endpoint = k.dst
	x.accepted = true
	x.used = true
	x.flag(FlagTLS)
	if s.current == x {
		s.current = nil
	}
	return x
}
