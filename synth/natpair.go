package synth

import (
	"fmt"
	"net/netip"
	"time"
)

// NATPairCase is one FTP session captured twice, inside and outside a NAT,
// for "ftpsniff audit --nat-pair". Both captures are built by the same
// script with the same seed, so ISNs, ports chosen at random and timing
// agree; the outside view differs by the NAT's translation of addresses and
// ports, by the (possibly rewritten) PORT/EPRT/227/229 text and, when the
// rewrite changed a line's length, by the sequence numbers of that side
// from the next segment on (a working seqadj shifts them by the length
// change, and the peer's ACKs by the same amount; a broken NAT does not).
// The outside clock runs NATPairSkew ahead of the inside one.
type NATPairCase struct {
	// Name is used in file names: natpair-<name>.inside.pcap and
	// natpair-<name>.outside.pcap.
	Name string
	// Description says what the NAT did.
	Description string
	// Expect lists the expected verdicts, in negotiation order.
	Expect []string
	// Build produces the inside and outside captures.
	Build func() (inside, outside *Capture, err error)
}

// NATPairSkew is how far the outside capture's clock is ahead.
const NATPairSkew = 1500 * time.Millisecond

// NATPairFileNames returns the inside and outside capture file names.
func NATPairFileNames(name string) (inside, outside string) {
	return "natpair-" + name + ".inside.pcap", "natpair-" + name + ".outside.pcap"
}

// natView is one side's view of a NAT-pair script.
type natView struct {
	c       *Capture
	f       *FTP
	outside bool
}

// pick returns in or out for this view.
func pick[T any](v *natView, in, out T) T {
	if v.outside {
		return out
	}
	return in
}

// neg sends a negotiation line (a command from the client, or a reply from
// the server): the inside text, or the outside text as the NAT rewrote it.
// With seqadj false a rewrite that changed the length is not followed by
// sequence adjustment: the sender's later segments (and the peer's ACKs)
// in the outside view carry the inside numbers.
func (v *natView) neg(fromClient bool, in, out string, seqadj bool) {
	text := pick(v, in, out)
	if fromClient {
		v.f.Cmd(text)
	} else {
		v.f.Reply(text)
	}
	if v.outside && !seqadj {
		d := uint32(len(out) - len(in))
		s := side(fromClient)
		v.f.snd[s] -= d
		v.f.rcv[1-s] -= d
	}
}

// data opens a data connection from src to dst (view-dependent), carries
// a listing and closes it.
func (v *natView) data(srcIn, srcOut, dstIn, dstOut netip.AddrPort, fromServer bool) {
	k := v.c.Conn(pick(v, srcIn, srcOut), pick(v, dstIn, dstOut))
	k.Handshake()
	v.f.Reply("150 Here comes the directory listing.")
	k.Send(fromServer, []byte(listing))
	k.CloseFrom(fromServer)
	v.f.Reply("226 Directory send OK.")
}

type natScript func(v *natView)

// natControl is a login on a control connection whose endpoints depend on
// the view, the script, and QUIT.
func natControl(cliIn, cliOut, srvIn, srvOut netip.AddrPort, body natScript) natScript {
	return func(v *natView) {
		v.f = v.c.FTP(pick(v, cliIn, cliOut), pick(v, srvIn, srvOut))
		v.f.Handshake()
		v.f.Login("anonymous", "ftpsniff@example.org")
		body(v)
		v.f.Quit()
	}
}

func mkNATPair(name, desc string, expect []string, sc natScript) NATPairCase {
	var seed int64
	for _, r := range "natpair-" + name {
		seed = seed*31 + int64(r)
	}
	return NATPairCase{
		Name: name, Description: desc, Expect: expect,
		Build: func() (*Capture, *Capture, error) {
			var cs [2]*Capture
			for i := range cs {
				o := Options{Seed: seed}
				if i == 1 {
					o.Start = DefaultStart().Add(NATPairSkew)
				}
				cs[i] = New(o)
				sc(&natView{c: cs[i], outside: i == 1})
				if err := cs[i].Err(); err != nil {
					return nil, nil, fmt.Errorf("natpair case %s: %w", name, err)
				}
			}
			return cs[0], cs[1], nil
		},
	}
}

// NATPairCases returns the NAT-pair scenarios: client-side NAT (SNAT of
// 10.1.0.5 to 198.51.100.10) with a correct rewrite and seq adjustment, a
// rewrite without seq adjustment, a rewrite to the wrong address, no
// rewrite, a mapped data port the data connection does not follow, no NAT
// at all, and server-side NAT (DNAT of 203.0.113.20 to 10.2.0.20) with a
// rewritten 227 and an unmapped 229.
func NATPairCases() []NATPairCase {
	var (
		priv   = netip.MustParseAddr("10.1.0.5")
		pub    = netip.MustParseAddr("198.51.100.10")
		wrong  = netip.MustParseAddr("198.51.100.99")
		srv    = netip.MustParseAddr("192.0.2.21")
		srvIn  = netip.MustParseAddr("10.2.0.20")
		srvOut = netip.MustParseAddr("203.0.113.20")
	)
	ctl := ap(srv, 21)
	cliIn, cliOut := ap(priv, 40001), ap(pub, 61001)
	port := func(a netip.Addr, p uint16) string { return "PORT " + PortArg(ap(a, p)) }
	eprt := func(a netip.Addr, p uint16) string { return "EPRT " + ExtArg(ap(a, p)) }
	const portOK = "200 PORT command successful. Consider using PASV."
	const eprtOK = "200 EPRT command successful. Consider using EPSV."
	active := func(v *natView, in, out netip.AddrPort) {
		v.f.Cmd("LIST")
		v.c.Advance(time.Millisecond)
		v.data(ap(srv, 20), ap(srv, 20), in, out, false)
	}
	return []NATPairCase{
		mkNATPair("ok", "client-side NAT with nf_nat_ftp: PORT and EPRT rewritten to the public address (EPRT's port mapped too) and seq/ack adjusted by the cumulative length change",
			[]string{"rewritten-ok", "rewritten-ok"},
			natControl(cliIn, cliOut, ctl, ctl, func(v *natView) {
				v.neg(true, port(priv, 40100), port(pub, 40100), true)
				v.f.Reply(portOK)
				active(v, ap(priv, 40100), ap(pub, 40100))
				v.neg(true, eprt(priv, 40200), eprt(pub, 61200), true)
				v.f.Reply(eprtOK)
				active(v, ap(priv, 40200), ap(pub, 61200))
			})),
		mkNATPair("noseqadj", "client-side NAT rewrites the PORT text but does not adjust the sequence numbers afterwards (the connection then stalls or resets in practice)",
			[]string{"rewritten-wrong"},
			natControl(cliIn, cliOut, ctl, ctl, func(v *natView) {
				v.neg(true, port(priv, 40100), port(pub, 40100), false)
				v.f.Reply(portOK)
				v.f.Cmd("NOOP")
				v.f.Reply("200 NOOP ok.")
			})),
		mkNATPair("wrongaddr", "client-side NAT rewrites the PORT to an address (198.51.100.99) that is not its translation of the control connection (198.51.100.10)",
			[]string{"rewritten-wrong"},
			natControl(cliIn, cliOut, ctl, ctl, func(v *natView) {
				v.neg(true, port(priv, 40100), port(wrong, 40100), true)
				v.f.Reply(portOK)
				v.f.Cmd("LIST")
				v.c.Advance(time.Millisecond)
				if v.outside {
					v.c.Conn(ap(srv, 20), ap(wrong, 40100)).SynUnanswered(2)
				}
				v.c.Advance(500 * time.Millisecond)
				v.f.Reply("425 Failed to establish connection.")
			})),
		mkNATPair("notrewritten", "client-side NAT without the FTP helper: the outside PORT still carries 10.1.0.5",
			[]string{"not-rewritten"},
			natControl(cliIn, cliOut, ctl, ctl, func(v *natView) {
				v.neg(true, port(priv, 40100), port(priv, 40100), true)
				v.f.Reply(portOK)
				v.f.Cmd("LIST")
				v.c.Advance(time.Millisecond)
				if v.outside {
					v.c.Conn(ap(srv, 20), ap(priv, 40100)).SynUnanswered(2)
				}
				v.c.Advance(500 * time.Millisecond)
				v.f.Reply("425 Failed to establish connection.")
			})),
		mkNATPair("wrongport", "client-side NAT maps EPRT's port to 61200 in the text, but its expectation sends the data connection to 10.1.0.5:40300 instead of the advertised 40200",
			[]string{"rewritten-wrong"},
			natControl(cliIn, cliOut, ctl, ctl, func(v *natView) {
				v.neg(true, eprt(priv, 40200), eprt(pub, 61200), true)
				v.f.Reply(eprtOK)
				active(v, ap(priv, 40300), ap(pub, 61200))
			})),
		mkNATPair("notneeded", "no NAT: both captures see the public client 198.51.100.10 and the server 192.0.2.21 unchanged (PASV and PORT)",
			[]string{"not-needed", "not-needed"},
			natControl(ap(pub, 50001), ap(pub, 50001), ctl, ctl, func(v *natView) {
				v.f.Cmd("PASV")
				v.f.Reply("227 Entering Passive Mode (" + PortArg(ap(srv, 50000)) + ").")
				v.f.Cmd("LIST")
				v.data(ap(pub, 50002), ap(pub, 50002), ap(srv, 50000), ap(srv, 50000), true)
				v.neg(true, port(pub, 50100), port(pub, 50100), true)
				v.f.Reply(portOK)
				active(v, ap(pub, 50100), ap(pub, 50100))
			})),
		mkNATPair("server227", "server-side NAT (DNAT 203.0.113.20:21 -> 10.2.0.20:21) with the helper: the 227 is rewritten to the public address with seq/ack adjusted; a later 229 needs no rewrite (port not mapped)",
			[]string{"rewritten-ok", "not-needed"},
			natControl(ap(pub, 50001), ap(pub, 50001), ap(srvIn, 21), ap(srvOut, 21), func(v *natView) {
				v.f.Cmd("PASV")
				v.neg(false, "227 Entering Passive Mode ("+PortArg(ap(srvIn, 50000))+").",
					"227 Entering Passive Mode ("+PortArg(ap(srvOut, 50000))+").", true)
				v.f.Cmd("LIST")
				v.data(ap(pub, 50002), ap(pub, 50002), ap(srvIn, 50000), ap(srvOut, 50000), true)
				v.f.Cmd("EPSV")
				v.neg(false, "229 Entering Extended Passive Mode (|||50010|)", "229 Entering Extended Passive Mode (|||50010|)", true)
				v.f.Cmd("LIST")
				v.data(ap(pub, 50003), ap(pub, 50003), ap(srvIn, 50010), ap(srvOut, 50010), true)
			})),
	}
}
