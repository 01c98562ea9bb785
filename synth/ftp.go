package synth

import (
	"fmt"
	"net/netip"
	"strings"
	"time"
)

// FTP scripts the control connection of an FTP session on top of a Conn.
// Commands are sent by the TCP client, replies by the TCP server.
type FTP struct {
	*Conn
	// Think is the client's delay before each command.
	Think time.Duration
	// Serve is the server's delay before each reply.
	Serve time.Duration
}

// FTP returns an FTP control connection from client to server (not yet
// opened: call Handshake, or skip it for a mid-stream capture).
func (c *Capture) FTP(client, server netip.AddrPort) *FTP {
	return &FTP{Conn: c.Conn(client, server), Think: 3 * time.Millisecond, Serve: 1 * time.Millisecond}
}

// Cmd sends one command line terminated by CRLF.
func (f *FTP) Cmd(line string, opts ...SendOption) []Segment {
	return f.Raw(true, line+"\r\n", opts...)
}

// Reply sends a reply; lines separated by "\n" are sent CRLF-terminated.
func (f *FTP) Reply(text string, opts ...SendOption) []Segment {
	return f.Raw(false, strings.ReplaceAll(text, "\n", "\r\n")+"\r\n", opts...)
}

// Raw sends bytes as they are from the client (fromClient) or the server,
// after the Think or Serve delay.
func (f *FTP) Raw(fromClient bool, s string, opts ...SendOption) []Segment {
	if fromClient {
		f.c.Advance(f.Think)
	} else {
		f.c.Advance(f.Serve)
	}
	return f.Send(fromClient, []byte(s), opts...)
}

// Login plays a vsftpd-like greeting and login: 220, USER/331, PASS/230,
// SYST/215 and TYPE I/200.
func (f *FTP) Login(user, pass string) {
	f.Reply("220 (vsFTPd 3.0.5)")
	f.Cmd("USER " + user)
	f.Reply("331 Please specify the password.")
	f.Cmd("PASS " + pass)
	f.Reply("230 Login successful.")
	f.Cmd("SYST")
	f.Reply("215 UNIX Type: L8")
	f.Cmd("TYPE I")
	f.Reply("200 Switching to Binary mode.")
}

// Quit plays QUIT/221 and the server's close.
func (f *FTP) Quit() {
	f.Cmd("QUIT")
	f.Reply("221 Goodbye.")
	f.CloseFrom(false)
}

// PortArg formats an address and port as a PORT/227 argument
// "h1,h2,h3,h4,p1,p2" (IPv4 only).
func PortArg(ap netip.AddrPort) string {
	a := ap.Addr().As4()
	return fmt.Sprintf("%d,%d,%d,%d,%d,%d", a[0], a[1], a[2], a[3], ap.Port()>>8, ap.Port()&0xff)
}

// LongArg formats an address and port as an LPRT/228 argument
// "af,hlen,h...,2,p1,p2".
func LongArg(ap netip.AddrPort) string {
	var b strings.Builder
	if ap.Addr().Is4() {
		a := ap.Addr().As4()
		b.WriteString("4,4")
		for _, x := range a {
			fmt.Fprintf(&b, ",%d", x)
		}
	} else {
		a := ap.Addr().As16()
		b.WriteString("6,16")
		for _, x := range a {
			fmt.Fprintf(&b, ",%d", x)
		}
	}
	fmt.Fprintf(&b, ",2,%d,%d", ap.Port()>>8, ap.Port()&0xff)
	return b.String()
}

// ExtArg formats an EPRT argument "|1|a.b.c.d|port|" or "|2|v6|port|".
func ExtArg(ap netip.AddrPort) string {
	af := 1
	if ap.Addr().Is6() {
		af = 2
	}
	return fmt.Sprintf("|%d|%s|%d|", af, ap.Addr(), ap.Port())
}
