package session

import (
	"time"

	"github.com/ftpsniff/ftpsniff/decode"
)

// Recent SYNs. A control connection on a port that is not a control port
// is recognised by its content, after its SYN went by. The last SYNs seen
// on unknown connections are remembered in a ring (the oldest overwritten,
// so a busy link cannot fill it for good) and replayed into a session that
// content detection starts, so that its handshake counts: it is not
// mid-stream.

// synRingSize is how many recent SYNs are remembered.
const synRingSize = 4096

// synRing remembers recent SYNs by their directed 4-tuple.
type synRing struct {
	keys []flowKey
	next int
	pkts map[flowKey]synRec
}

// synRec is what a replayed SYN needs of its packet.
type synRec struct {
	at    time.Time
	seq   uint32
	ttl   uint8
	ipv   uint8
	ipid  uint16
	flags decode.TCPFlags
}

// add remembers the SYN p from k.src to k.dst.
func (r *synRing) add(k flowKey, p *decode.Packet) {
	if r.pkts == nil {
		r.pkts = make(map[flowKey]synRec)
		r.keys = make([]flowKey, 0, synRingSize)
	}
	if _, ok := r.pkts[k]; ok {
		return
	}
	if len(r.keys) < synRingSize {
		r.keys = append(r.keys, k)
	} else {
		delete(r.pkts, r.keys[r.next])
		r.keys[r.next] = k
		r.next = (r.next + 1) % synRingSize
	}
	r.pkts[k] = synRec{at: p.Time, seq: p.TCP.Seq, ttl: p.TTL, ipv: p.IPVersion, ipid: p.IPID, flags: p.TCP.Flags}
}

// take returns and forgets the SYN from k.src to k.dst seen within maxAge
// before at, if any.
func (r *synRing) take(k flowKey, at time.Time, maxAge time.Duration) (decode.Packet, bool) {
	s, ok := r.pkts[k]
	if !ok {
		return decode.Packet{}, false
	}
	delete(r.pkts, k) // its ring slot is reused in turn
	if at.Sub(s.at) > maxAge || s.at.After(at) {
		return decode.Packet{}, false
	}
	return decode.Packet{Time: s.at, IPVersion: s.ipv, Src: k.src.Addr(), Dst: k.dst.Addr(), TTL: s.ttl, IPID: s.ipid, Proto: 6,
		HasTCP: true, TCP: decode.TCP{SrcPort: k.src.Port(), DstPort: k.dst.Port(), Seq: s.seq, Flags: s.flags}}, true
}
