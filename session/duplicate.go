package session

import (
	"time"

	"github.com/ftpsniff/ftpsniff/decode"
)

// Duplicate frames. A capture made on a SPAN port that mirrors both
// directions, or with `tcpdump -i any` on a router, holds a forwarded
// packet twice: the copies share sequence and acknowledgment numbers,
// flags, length and (IPv4) identification, and lie microseconds apart. A
// TCP retransmission repeats the numbers too, but comes at least a
// retransmission timeout later (200 ms on Linux, 1 s for a SYN) and, over
// IPv4, with a new identification.

// Time windows within which a repeated segment is taken for a second copy
// of the same frame: with an IPv4 identification to compare (nonzero), and
// without one (IPv6, or stacks that send 0).
const (
	dupWindowWithID = 2 * time.Second
	dupWindowNoID   = 50 * time.Millisecond
)

// segSig is what identifies one TCP segment among recent ones.
type segSig struct {
	at       int64 // capture time, Unix nanoseconds
	seq, ack uint32
	length   int32
	ipid     uint16
	flags    decode.TCPFlags
	dir      uint8
}

// dupFilter remembers the last few segments of one connection (both
// directions) to recognise frames captured twice.
type dupFilter struct {
	ring [4]segSig
	next uint8
	n    uint8
}

// seen reports whether p (sent in direction dir) repeats a segment seen
// just before, and otherwise remembers it.
func (f *dupFilter) seen(p *decode.Packet, dir uint8) bool {
	sig := segSig{at: p.Time.UnixNano(), seq: p.TCP.Seq, ack: p.TCP.Ack, length: int32(p.PayloadLen), ipid: p.IPID, flags: p.TCP.Flags, dir: dir}
	// Over IPv6 (no identification) a pure ACK repeats legitimately
	// (duplicate ACKs): only segments that carry something are compared.
	compared := sig.ipid != 0 || sig.length > 0 || sig.flags&(decode.SYN|decode.FIN|decode.RST) != 0
	if compared {
		win := dupWindowNoID
		if sig.ipid != 0 {
			win = dupWindowWithID
		}
		for i := range int(f.n) {
			o := &f.ring[i]
			if o.seq == sig.seq && o.ack == sig.ack && o.length == sig.length && o.flags == sig.flags &&
				o.ipid == sig.ipid && o.dir == sig.dir {
				if d := time.Duration(sig.at - o.at); d >= -win && d <= win {
					return true
				}
			}
		}
	}
	f.ring[f.next] = sig
	f.next = (f.next + 1) % uint8(len(f.ring))
	if int(f.n) < len(f.ring) {
		f.n++
	}
	return false
}
