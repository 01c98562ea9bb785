package main

import (
	"errors"
	"fmt"
	"io"
	"net/netip"

	"github.com/ftpsniff/ftpsniff/decode"
	"github.com/ftpsniff/ftpsniff/output"
	"github.com/ftpsniff/ftpsniff/session"
)

// evidence implements -w FILE --failures-only for capture files: during the
// analysis it notes the TCP connections of every failed transfer (its
// control connection and its data connection), then a second pass over the
// inputs writes only the packets of those connections, and the ICMP errors
// quoting them, to FILE: the small evidence file a firewall team asks for.
// Its memory grows with the number of failures, not of packets.
type evidence struct {
	conns map[connKey]bool
}

// connKey is a TCP connection, its endpoints in a canonical order.
type connKey struct{ a, b netip.AddrPort }

func newConnKey(x, y netip.AddrPort) connKey {
	x = netip.AddrPortFrom(x.Addr().Unmap(), x.Port())
	y = netip.AddrPortFrom(y.Addr().Unmap(), y.Port())
	if y.Addr().Less(x.Addr()) || (y.Addr() == x.Addr() && y.Port() < x.Port()) {
		x, y = y, x
	}
	return connKey{x, y}
}

func newEvidence() *evidence { return &evidence{conns: map[connKey]bool{}} }

// tee returns a Writer that notes failures, then passes every record on
// to w.
func (e *evidence) tee(w output.Writer) output.Writer { return &evidenceTee{e: e, w: w} }

type evidenceTee struct {
	e *evidence
	w output.Writer
}

func (t *evidenceTee) Transfer(tr *session.Transfer) error {
	if tr != nil && tr.Verdict.Failed() {
		t.e.conns[newConnKey(tr.Client, tr.Server)] = true
		if d := tr.Data; d != nil && d.Connector.IsValid() && d.Listener.IsValid() {
			t.e.conns[newConnKey(d.Connector, d.Listener)] = true
		}
	}
	return t.w.Transfer(tr)
}

func (t *evidenceTee) Session(s *session.Session) error {
	if s != nil && s.Verdict.Failed() {
		t.e.conns[newConnKey(s.Client, s.Server)] = true // a blocked control connection
	}
	return t.w.Session(s)
}

func (t *evidenceTee) Close(sum *session.Summary) error { return t.w.Close(sum) }

// wants reports whether p belongs to a noted connection: a TCP packet of
// one, or an ICMP error quoting one.
func (e *evidence) wants(p *decode.Packet) bool {
	switch {
	case p.HasTCP:
		return e.conns[newConnKey(netip.AddrPortFrom(p.Src, p.TCP.SrcPort), netip.AddrPortFrom(p.Dst, p.TCP.DstPort))]
	case p.HasICMP && p.ICMP.HasPorts && p.ICMP.Proto == 6:
		return e.conns[newConnKey(netip.AddrPortFrom(p.ICMP.Src, p.ICMP.SrcPort), netip.AddrPortFrom(p.ICMP.Dst, p.ICMP.DstPort))]
	}
	return false
}

// write reads the inputs again and writes the packets of the noted
// connections to path as pcapng.
func (e *evidence) write(path string, inputs []string) error {
	src, err := decode.OpenFiles(inputs)
	if err != nil {
		return fmt.Errorf("-w %s: reading the input again: %w", path, err)
	}
	defer src.Close()
	rec, err := newRecorder(path, false)
	if err != nil {
		return err
	}
	var p decode.Packet
	for {
		err := src.Next(&p)
		if errors.Is(err, io.EOF) {
			break
		}
		var ie *decode.InputError
		if errors.As(err, &ie) {
			continue // already reported by the analysis
		}
		if err != nil {
			_ = rec.close(nil)
			return fmt.Errorf("-w %s: reading the input again: %w", path, err)
		}
		if e.wants(&p) {
			if err := rec.record(&p, true); err != nil {
				_ = rec.close(nil)
				return fmt.Errorf("-w %s: %w", path, err)
			}
		}
	}
	return rec.close(nil)
}

// evidenceUsage is the usage error for -w --failures-only on a live
// capture or a pipe; "" when the combination is fine.
func evidenceUsage(o *options, stdinUsed bool) string {
	switch {
	case !o.failuresOnly || o.live.write == "":
		return ""
	case o.live.iface != "":
		return "-w with --failures-only needs capture files (-r): live, which packets belong to a failure is known only after they have passed; capture with -w FILE --ftp-only, then run ftpsniff -r FILE -w SMALL --failures-only"
	case stdinUsed:
		return "-w with --failures-only reads its input twice: give capture files, not -r -"
	case o.live.ftpOnly:
		return "--ftp-only and --failures-only with -w: --failures-only already writes only the failures' FTP packets"
	}
	return ""
}
