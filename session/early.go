package session

import (
	"time"

	"github.com/ftpsniff/ftpsniff/decode"
)

// Answers timestamped before their question. A capture merged from two
// interfaces (or two capture files whose clocks differ slightly) can put a
// SYN-ACK or a RST a little before the SYN it answers. Such a packet on a
// connection not yet known, between hosts of a live FTP session, is kept
// for skewTolerance; when the SYN comes, it is applied to the connection
// and the transfer is flagged clock-skew.

// skewTolerance is how far before its SYN an answer may be timestamped.
const skewTolerance = time.Second

// maxEarly bounds the answers kept waiting for their SYN.
const maxEarly = 1024

// earlyAnswer is a SYN-ACK or RST seen before the SYN it answers.
type earlyAnswer struct {
	at    time.Time
	ack   uint32
	flags decode.TCPFlags
	ttl   uint8
}

// keepEarly remembers a SYN-ACK or RST from k.src to k.dst on an unknown
// connection, if it may answer a data connection's SYN still to come. It
// reports whether it was kept.
func (t *Tracker) keepEarly(k flowKey, p *decode.Packet) bool {
	if len(t.early) >= maxEarly || !t.mayBeData(k.reverse()) && !t.mayBeData(k) {
		return false
	}
	if t.early == nil {
		t.early = make(map[flowKey]earlyAnswer)
	}
	if _, ok := t.early[k]; !ok {
		t.early[k] = earlyAnswer{at: p.Time, ack: p.TCP.Ack, flags: p.TCP.Flags, ttl: p.TTL}
	}
	return true
}

// applyEarly applies an answer kept for c's SYN, if one fits.
func (t *Tracker) applyEarly(c *dataConn) {
	if len(t.early) == 0 {
		return
	}
	rk := c.key.reverse()
	e, ok := t.early[rk]
	if !ok {
		return
	}
	delete(t.early, rk)
	if e.ack != c.isn+1 || c.rec.FirstSYN.Sub(e.at) > skewTolerance {
		return
	}
	r := &c.rec
	c.skewed = true
	c.fromListener++
	t.sum.Quality.ClockSkews++
	if r.ListenerTTL == 0 && e.flags&decode.RST == 0 {
		r.ListenerTTL = e.ttl
	}
	switch {
	case e.flags&decode.RST != 0:
		r.RST = &RSTInfo{Time: c.rec.FirstSYN, FromListener: true, BeforeEstablished: true, TTL: e.ttl}
	case e.flags&(decode.SYN|decode.ACK) == decode.SYN|decode.ACK:
		r.SYNACK = c.rec.FirstSYN
	}
}

// expireEarly forgets answers whose SYN did not come in time.
func (t *Tracker) expireEarly() {
	for k, e := range t.early {
		if t.now.Sub(e.at) > skewTolerance {
			delete(t.early, k)
		}
	}
}
