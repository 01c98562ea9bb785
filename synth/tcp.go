package synth

import (
	"fmt"
	"net/netip"
	"slices"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// TCP flag bits for Segment.Flags.
const (
	FlagFIN uint8 = 1 << iota
	FlagSYN
	FlagRST
	FlagPSH
	FlagACK
)

const (
	sideClient = 0
	sideServer = 1
)

func side(fromClient bool) int {
	if fromClient {
		return sideClient
	}
	return sideServer
}

// Conn scripts one TCP connection on a Capture. "Client" is the side that
// sends the SYN (for an active-mode FTP data connection that is the FTP
// server). Sequence and acknowledgement numbers are tracked per side,
// including segments lost before the receiver.
type Conn struct {
	c  *Capture
	ep [2]netip.AddrPort
	// snd is the next sequence number each side sends; rcv is the next
	// sequence number each side expects (its ACK number).
	snd  [2]uint32
	rcv  [2]uint32
	held [2][]span

	// MSS is the segment size Send cuts payloads at (default 1448, 1428
	// over IPv6).
	MSS int
	// RTT is the round-trip time used between a packet and its answer.
	RTT time.Duration
	// AckDelay is the time between a burst of data and the receiver's ACK.
	AckDelay time.Duration
	// SegGap is the time between consecutive segments of one Send.
	SegGap time.Duration

	flowLabel uint32
	segBuf    []Segment
	// hide leaves a side's frames out of the capture; skew shifts their
	// timestamps.
	hide [2]bool
	skew [2]time.Duration
}

// SetHidden leaves every frame sent by one side (the connector when
// fromClient) out of the capture from now on, or puts it back: the frames
// are still "sent" (the peer receives and acknowledges them), the capture
// point just does not see them, as with asymmetric routing.
func (k *Conn) SetHidden(fromClient, hidden bool) { k.hide[side(fromClient)] = hidden }

// SetSkew shifts the timestamps of the frames one side sends from now on
// by d, as in a capture merged from two points whose clocks differ.
func (k *Conn) SetSkew(fromClient bool, d time.Duration) { k.skew[side(fromClient)] = d }

type span struct{ start, end uint32 }

// Segment describes one data segment emitted (or withheld) by Send.
type Segment struct {
	FromClient bool
	Seq        uint32
	Payload    []byte
	// Push says the segment carries PSH (it ends a write).
	Push bool
}

// Client returns the initiator's address.
func (k *Conn) Client() netip.AddrPort { return k.ep[sideClient] }

// Server returns the listener's address.
func (k *Conn) Server() netip.AddrPort { return k.ep[sideServer] }

func seqLT(a, b uint32) bool  { return int32(a-b) < 0 }
func seqLEQ(a, b uint32) bool { return int32(a-b) <= 0 }

// emit serializes and records one TCP segment from side s. It returns the
// IP packet (a copy) when keepIP is set.
func (k *Conn) emit(s int, flags uint8, seq, ack uint32, payload []byte, keepIP bool) []byte {
	c := k.c
	if c.err != nil {
		return nil
	}
	src, dst := k.ep[s], k.ep[1-s]
	nl := c.ipLayer(src.Addr(), dst.Addr(), layers.IPProtocolTCP, k.flowLabel)
	t := &c.ly.tcp
	opts := t.Options[:0]
	*t = layers.TCP{
		SrcPort: layers.TCPPort(src.Port()), DstPort: layers.TCPPort(dst.Port()),
		Seq: seq, Window: 501,
		FIN: flags&FlagFIN != 0, SYN: flags&FlagSYN != 0, RST: flags&FlagRST != 0,
		PSH: flags&FlagPSH != 0, ACK: flags&FlagACK != 0,
	}
	if t.ACK {
		t.Ack = ack
	}
	if t.SYN {
		t.Window = 64240
		mss := make([]byte, 2)
		mss[0], mss[1] = byte((k.MSS+12)>>8), byte(k.MSS+12)
		opts = append(opts,
			layers.TCPOption{OptionType: layers.TCPOptionKindMSS, OptionLength: 4, OptionData: mss},
			layers.TCPOption{OptionType: layers.TCPOptionKindNop},
			layers.TCPOption{OptionType: layers.TCPOptionKindWindowScale, OptionLength: 3, OptionData: []byte{7}},
			layers.TCPOption{OptionType: layers.TCPOptionKindNop},
			layers.TCPOption{OptionType: layers.TCPOptionKindNop},
			layers.TCPOption{OptionType: layers.TCPOptionKindSACKPermitted, OptionLength: 2},
		)
	}
	if t.RST && !t.ACK {
		t.Window = 0
	}
	t.Options = opts
	if err := t.SetNetworkLayerForChecksum(nl); err != nil {
		c.fail(fmt.Errorf("synth: checksum layer: %w", err))
		return nil
	}
	off, n, err := c.serialize(src.Addr(), dst.Addr(), nl, t, payload)
	if err != nil {
		c.fail(fmt.Errorf("synth: %s > %s: %w", src, dst, err))
		return nil
	}
	var ip []byte
	if keepIP {
		ip = append([]byte(nil), c.buf.Bytes()[off:off+n]...)
	}
	mute := c.mute
	c.mute = mute || k.hide[s]
	c.tsOff = k.skew[s]
	c.emitFrame()
	c.mute, c.tsOff = mute, 0
	return ip
}

// deliver records that side to received [seq, seq+n).
func (k *Conn) deliver(to int, seq uint32, n int) {
	end := seq + uint32(n)
	r := k.rcv[to]
	if !seqLEQ(seq, r) {
		k.held[to] = append(k.held[to], span{seq, end})
		return
	}
	if seqLT(r, end) {
		r = end
	}
	for changed := true; changed; {
		changed = false
		for i, h := range k.held[to] {
			if seqLEQ(h.start, r) {
				if seqLT(r, h.end) {
					r = h.end
				}
				k.held[to] = slices.Delete(k.held[to], i, i+1)
				changed = true
				break
			}
		}
	}
	k.rcv[to] = r
}

// Handshake emits SYN, SYN/ACK, ACK.
func (k *Conn) Handshake() {
	k.Syn()
	k.c.Advance(k.RTT)
	k.SynAck()
	k.c.Advance(k.SegGap)
	k.AckSynAck()
}

// Syn emits the connector's SYN (again, when called again: a
// retransmission).
func (k *Conn) Syn() { k.syn(false) }

// SynAck emits the listener's SYN/ACK and makes the connection
// synchronised: later segments carry the right numbers.
func (k *Conn) SynAck() {
	k.emit(sideServer, FlagSYN|FlagACK, k.snd[1], k.snd[0]+1, nil, false)
	k.snd[0]++
	k.snd[1]++
	k.rcv[0], k.rcv[1] = k.snd[1], k.snd[0]
}

// AckSynAck emits the connector's ACK that completes the handshake.
func (k *Conn) AckSynAck() { k.emit(sideClient, FlagACK, k.snd[0], k.rcv[0], nil, false) }

func (k *Conn) syn(keepIP bool) []byte {
	return k.emit(sideClient, FlagSYN, k.snd[0], 0, nil, keepIP)
}

// SynUnanswered emits attempts SYNs that get no answer. The gaps between
// attempts are taken from gaps (the last one repeating); with no gaps they
// double from 1 s (1 s, 2 s, 4 s, ...), like Linux.
func (k *Conn) SynUnanswered(attempts int, gaps ...time.Duration) {
	for i := 0; i < attempts; i++ {
		if i > 0 {
			g := time.Second << (i - 1)
			if len(gaps) > 0 {
				g = gaps[min(i-1, len(gaps)-1)]
			}
			k.c.Advance(g)
		}
		k.syn(false)
	}
}

// SynReset emits a SYN answered by RST/ACK from the listener's address.
func (k *Conn) SynReset() { k.SynResetTTL(0) }

// SynResetTTL is SynReset with the RST's TTL / hop limit set to ttl (0:
// the listener's own), e.g. for a RST forged by a firewall.
func (k *Conn) SynResetTTL(ttl uint8) {
	k.syn(false)
	k.c.Advance(k.RTT)
	host := k.ep[sideServer].Addr()
	old, had := k.c.ttl[host]
	if ttl != 0 {
		k.c.ttl[host] = ttl
	}
	k.emit(sideServer, FlagRST|FlagACK, 0, k.snd[0]+1, nil, false)
	if ttl != 0 {
		if had {
			k.c.ttl[host] = old
		} else {
			delete(k.c.ttl, host)
		}
	}
}

// SynICMP emits a SYN answered by an ICMP destination-unreachable from
// router: ICMPv4 type 3 or ICMPv6 type 1 with the given code (e.g. 13
// administratively prohibited / 3 port unreachable for IPv4, 1 / 4 for
// IPv6). The quote holds the SYN's IP header and the first 8 bytes of its
// TCP header, or the whole TCP header when fullTCP is set.
func (k *Conn) SynICMP(router netip.Addr, code uint8, fullTCP bool) {
	typ := uint8(layers.ICMPv4TypeDestinationUnreachable)
	if k.ep[sideClient].Addr().Is6() {
		typ = layers.ICMPv6TypeDestinationUnreachable
	}
	k.SynICMPType(router, typ, code, fullTCP)
}

// SynICMPType is SynICMP with any ICMP (ICMPv6) type, e.g. 11 (3 over
// IPv6) for time exceeded.
func (k *Conn) SynICMPType(router netip.Addr, typ, code uint8, fullTCP bool) {
	ip := k.syn(true)
	if ip == nil {
		return
	}
	k.c.Advance(k.RTT / 2)
	hl := 40
	if ip[0]>>4 == 4 {
		hl = int(ip[0]&0xf) * 4
	}
	ql := hl + 8
	if fullTCP {
		ql = hl + int(ip[hl+12]>>4)*4
	}
	quote := ip[:ql]
	k.c.emitICMP(router, k.ep[sideClient].Addr(), typ, code, quote)
}

// emitICMP emits an ICMP error of type typ from src to dst.
func (c *Capture) emitICMP(src, dst netip.Addr, typ, code uint8, quote []byte) {
	if c.err != nil {
		return
	}
	if src.Is4() != dst.Is4() {
		c.fail(fmt.Errorf("synth: ICMP from %s to %s mixes address families", src, dst))
		return
	}
	var l4 gopacket.SerializableLayer
	var payload []byte
	if src.Is4() {
		nl := c.ipLayer(src, dst, layers.IPProtocolICMPv4, 0)
		_ = nl
		c.ly.icmp4 = layers.ICMPv4{TypeCode: layers.CreateICMPv4TypeCode(typ, code)}
		l4 = &c.ly.icmp4
		payload = quote
		if _, _, err := c.serialize(src, dst, nl, l4, payload); err != nil {
			c.fail(fmt.Errorf("synth: ICMP %s > %s: %w", src, dst, err))
			return
		}
		c.emitFrame()
		return
	}
	nl := c.ipLayer(src, dst, layers.IPProtocolICMPv6, 0)
	c.ly.icmp6 = layers.ICMPv6{TypeCode: layers.CreateICMPv6TypeCode(typ, code)}
	if err := c.ly.icmp6.SetNetworkLayerForChecksum(nl); err != nil {
		c.fail(fmt.Errorf("synth: ICMPv6 checksum layer: %w", err))
		return
	}
	payload = append(make([]byte, 4, 4+len(quote)), quote...) // 4 unused bytes
	if _, _, err := c.serialize(src, dst, nl, &c.ly.icmp6, payload); err != nil {
		c.fail(fmt.Errorf("synth: ICMPv6 %s > %s: %w", src, dst, err))
		return
	}
	c.emitFrame()
}

// sendCfg is what SendOptions set.
type sendCfg struct {
	split  []int
	mss    int
	drop   []int
	lose   []int
	retx   []int
	swaps  [][2]int
	noAck  bool
	gap    time.Duration
	hasGap bool
}

// SendOption modifies how Send cuts and emits a payload. Segment indices
// count from 0 in sequence order.
type SendOption func(*sendCfg)

// SplitAt cuts the payload at these byte offsets (in addition to the MSS).
func SplitAt(offsets ...int) SendOption {
	return func(s *sendCfg) { s.split = append(s.split, offsets...) }
}

// WithMSS overrides the connection's MSS for this Send.
func WithMSS(n int) SendOption { return func(s *sendCfg) { s.mss = n } }

// DropFromCapture leaves segments out of the capture although the receiver
// gets them (its ACK covers them): a capture gap.
func DropFromCapture(idx ...int) SendOption {
	return func(s *sendCfg) { s.drop = append(s.drop, idx...) }
}

// Lose loses segments before both the capture point and the receiver: they
// are neither captured nor acknowledged. Send them later with Conn.Resend.
func Lose(idx ...int) SendOption {
	return func(s *sendCfg) { s.lose = append(s.lose, idx...) }
}

// Retransmit emits segments a second time, one RTO (200 ms) after the burst.
func Retransmit(idx ...int) SendOption {
	return func(s *sendCfg) { s.retx = append(s.retx, idx...) }
}

// Swap emits segments i and j in each other's place (out-of-order delivery).
func Swap(i, j int) SendOption {
	return func(s *sendCfg) { s.swaps = append(s.swaps, [2]int{i, j}) }
}

// NoAck suppresses the receiver's pure ACK after the burst (the ACK then
// rides on the receiver's next segment).
func NoAck() SendOption { return func(s *sendCfg) { s.noAck = true } }

// Gap sets the time between consecutive segments of this Send.
func Gap(d time.Duration) SendOption {
	return func(s *sendCfg) { s.gap, s.hasGap = d, true }
}

// Send sends payload from one side, cut at the MSS and at SplitAt offsets,
// then (unless NoAck) the receiver acknowledges what it has received in
// order. It returns the segments in sequence order; when Send is called
// without options the returned slice is only valid until the next Send.
func (k *Conn) Send(fromClient bool, payload []byte, opts ...SendOption) []Segment {
	cfg := sendCfg{mss: k.MSS, gap: k.SegGap}
	for _, o := range opts {
		o(&cfg)
	}
	if !cfg.hasGap {
		cfg.gap = k.SegGap
	}
	s := side(fromClient)
	cuts := cfg.split
	if len(cuts) > 1 {
		cuts = slices.Clone(cuts)
		slices.Sort(cuts)
	}
	segs := k.segBuf[:0]
	if len(opts) > 0 {
		segs = nil // returned segments may be kept by the caller
	}
	start := 0
	seq := k.snd[s]
	for start < len(payload) {
		end := min(start+cfg.mss, len(payload))
		for _, cut := range cuts {
			if cut > start && cut < end {
				end = cut
				break
			}
		}
		push := end == len(payload) || slices.Contains(cuts, end)
		segs = append(segs, Segment{FromClient: fromClient, Seq: seq + uint32(start), Payload: payload[start:end], Push: push})
		start = end
	}
	if len(opts) == 0 {
		k.segBuf = segs
	}
	k.snd[s] = seq + uint32(len(payload))
	var order []int
	if len(cfg.swaps) > 0 {
		order = make([]int, len(segs))
		for i := range order {
			order[i] = i
		}
		for _, sw := range cfg.swaps {
			if sw[0] < len(order) && sw[1] < len(order) {
				order[sw[0]], order[sw[1]] = order[sw[1]], order[sw[0]]
			}
		}
	}
	for n := range segs {
		i := n
		if order != nil {
			i = order[n]
		}
		if n > 0 {
			k.c.Advance(cfg.gap)
		}
		sg := segs[i]
		switch {
		case slices.Contains(cfg.lose, i):
			continue
		case slices.Contains(cfg.drop, i):
		default:
			k.emitData(s, sg)
		}
		k.deliver(1-s, sg.Seq, len(sg.Payload))
	}
	if len(cfg.retx) > 0 {
		k.c.Advance(200 * time.Millisecond)
		for _, i := range cfg.retx {
			if i < len(segs) {
				k.emitData(s, segs[i])
				k.deliver(1-s, segs[i].Seq, len(segs[i].Payload))
				k.c.Advance(cfg.gap)
			}
		}
	}
	if !cfg.noAck {
		k.c.Advance(k.AckDelay)
		k.Ack(!fromClient)
	}
	return segs
}

func (k *Conn) emitData(s int, sg Segment) {
	f := FlagACK
	if sg.Push {
		f |= FlagPSH
	}
	k.emit(s, f, sg.Seq, k.rcv[s], sg.Payload, false)
}

// Resend emits segments again (e.g. ones Send was told to Lose), delivers
// them, and has the receiver acknowledge.
func (k *Conn) Resend(segs ...Segment) {
	if len(segs) == 0 {
		return
	}
	for i, sg := range segs {
		if i > 0 {
			k.c.Advance(k.SegGap)
		}
		s := side(sg.FromClient)
		k.emitData(s, sg)
		k.deliver(1-s, sg.Seq, len(sg.Payload))
	}
	k.c.Advance(k.AckDelay)
	k.Ack(!segs[0].FromClient)
}

// Ack emits a pure ACK from one side acknowledging what it has received
// in order.
func (k *Conn) Ack(fromClient bool) {
	s := side(fromClient)
	k.emit(s, FlagACK, k.snd[s], k.rcv[s], nil, false)
}

// Close closes the connection from the client side: FIN/ACK, FIN/ACK, ACK.
func (k *Conn) Close() { k.CloseFrom(true) }

// CloseFrom closes the connection starting from one side: that side's
// FIN/ACK, the peer's FIN/ACK, and the final ACK.
func (k *Conn) CloseFrom(fromClient bool) {
	a := side(fromClient)
	b := 1 - a
	k.emit(a, FlagFIN|FlagACK, k.snd[a], k.rcv[a], nil, false)
	k.deliver(b, k.snd[a], 1)
	k.snd[a]++
	k.c.Advance(k.RTT)
	k.emit(b, FlagFIN|FlagACK, k.snd[b], k.rcv[b], nil, false)
	k.deliver(a, k.snd[b], 1)
	k.snd[b]++
	k.c.Advance(k.SegGap)
	k.emit(a, FlagACK, k.snd[a], k.rcv[a], nil, false)
}

// Fin half-closes the connection from one side: a FIN/ACK the peer will
// acknowledge with its next segment (call Ack for a pure ACK).
func (k *Conn) Fin(fromClient bool) {
	a := side(fromClient)
	k.emit(a, FlagFIN|FlagACK, k.snd[a], k.rcv[a], nil, false)
	k.deliver(1-a, k.snd[a], 1)
	k.snd[a]++
}

// ResetFrom aborts the connection with a RST/ACK from the server (listener)
// side or the client side.
func (k *Conn) ResetFrom(server bool) {
	s := side(!server)
	k.emit(s, FlagRST|FlagACK, k.snd[s], k.rcv[s], nil, false)
}
