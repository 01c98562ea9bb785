package synth

import (
	"net/netip"
	"strings"
	"time"
)

// The captures engineers actually have: one-sided data paths, port-21-only
// filters, merged and duplicated captures, busy links, odd ports,
// protocols that look like FTP, blocked control connections, slow servers,
// corrupt timestamps. Each case states, by hand, what the capture shows.

var (
	fCli1 = netip.MustParseAddr("198.51.100.10")
	fCli2 = netip.MustParseAddr("198.51.100.11")
	fCli3 = netip.MustParseAddr("198.51.100.12")
	fCli4 = netip.MustParseAddr("198.51.100.13")
	fRtrC = netip.MustParseAddr("198.51.100.1")
	fSrv1 = netip.MustParseAddr("203.0.113.20")
	fSrv2 = netip.MustParseAddr("203.0.113.21")
	fRtrS = netip.MustParseAddr("203.0.113.1")
)

// sx is an expected session.
func sx(client netip.Addr, server netip.AddrPort, verdict string, transfers int, flags ...string) ExpectSession {
	return ExpectSession{Client: client.String(), Server: server.String(), Verdict: verdict, Flags: flagList(flags), Transfers: transfers}
}

// withSessions states the case's sessions (none at all when ss is empty).
func (c Case) withSessions(ss ...ExpectSession) Case {
	c.Sessions = append([]ExpectSession{}, ss...)
	return c
}

// withSummary states what the case's summary must show.
func (c Case) withSummary(s ExpectSummary) Case {
	c.Summary = &s
	return c
}

// large marks a case built at test time instead of committed.
func (c Case) large() Case {
	c.Large = true
	return c
}

// passiveConn negotiates PASV (227 for port) and returns the client's
// data connection to it (nothing emitted yet).
func (s *sess) passiveConn(port uint16) (*Conn, netip.AddrPort) {
	t := ap(s.srv.Addr(), port)
	s.negotiate("PASV", pasvReply(t))
	s.c.Advance(time.Millisecond)
	return s.c.Conn(ap(s.cli, s.nextEph()), t), t
}

// activeConn negotiates PORT for the client's port and returns the
// server's data connection from port 20 to it (nothing emitted yet).
func (s *sess) activeConn(port uint16) (*Conn, netip.AddrPort) {
	t := ap(s.cli, port)
	s.negotiate("PORT "+PortArg(t), "200 PORT command successful. Consider using PASV.")
	return s.c.Conn(ap(s.srv.Addr(), 20), t), t
}

// retrOver plays RETR README over an established passive connection k:
// command, 150, the server's 700 bytes, close, 226.
func (s *sess) retrOver(k *Conn) {
	data, t150 := payloadFor("RETR README")
	s.f.Cmd("RETR README")
	s.f.Reply(t150)
	k.Send(false, data)
	k.CloseFrom(false)
	s.f.Reply("226 Transfer complete.")
}

// listOver plays the server's side of LIST over an established active
// connection k (the command was sent already): 150, listing, close, 226.
func (s *sess) listOver(k *Conn) {
	data, t150 := payloadFor("LIST")
	s.f.Reply(t150)
	k.Send(true, data)
	k.CloseFrom(true)
	s.f.Reply("226 Transfer complete.")
}

// hideAll leaves both sides of k out of the capture.
func hideAll(k *Conn) {
	k.SetHidden(true, true)
	k.SetHidden(false, true)
}

// onesidedPassiveOK is a passive RETR whose every listener (server) packet
// is missing from the capture: SYN, ACK of the SYN-ACK and ACKs of the data
// seen; SYN-ACK, data and the server's FIN not.
func (s *sess) onesidedPassiveOK(port uint16) {
	k, t := s.passiveConn(port)
	k.SetHidden(false, true)
	k.Handshake()
	s.retrOver(k)
	s.expect("passive", "PASV", t.String(), "RETR", "ok", fl("one-sided", "synack-not-captured"), "SYN-ACK not captured", "226")
}

func fieldCases() []Case {
	eth := Options{}
	s21 := ap(fSrv1, 21)
	return []Case{
		// 1. One-sided data paths.
		mk("onesided-passive", "Passive transfers whose listener (server) packets are all missing from the data connections (per-flow asymmetric routing), the control channel complete both ways: a RETR (SYN, ACK of the SYN-ACK, ACKs of 700 bytes; no SYN-ACK, no data) and an empty NLST (SYN, ACK of the SYN-ACK, FIN only). Both ended 226.", eth,
			standard(fCli1, s21, func(s *sess) {
				s.onesidedPassiveOK(50100)
				k, t := s.passiveConn(50101)
				k.SetHidden(false, true)
				k.Handshake()
				s.f.Cmd("NLST empty")
				s.f.Reply("150 Here comes the directory listing.")
				k.CloseFrom(false)
				s.f.Reply("226 Transfer complete.")
				s.expect("passive", "PASV", t.String(), "NLST", "ok", fl("one-sided", "synack-not-captured"), "SYN-ACK not captured", "226")
			})),
		mk("onesided-active", "Active transfers whose listener (client) packets are all missing from the data connections, the control channel complete both ways: the server's SYN, ACK of the SYN-ACK and data are seen, the client's SYN-ACK and ACKs are not. Both ended 226.", eth,
			standard(fCli1, s21, func(s *sess) {
				for _, p := range []uint16{40100, 40101} {
					k, t := s.activeConn(p)
					k.SetHidden(false, true)
					s.f.Cmd("LIST")
					s.c.Advance(time.Millisecond)
					k.Handshake()
					s.listOver(k)
					s.expect("active", "PORT", t.String(), "LIST", "ok", fl("one-sided", "synack-not-captured"), "SYN-ACK not captured", "226")
				}
			})),
		mk("onesided-connector", "One-sided the other way: every packet the connector sends on the data connection is missing (no SYN, no ACKs), the listener's SYN-ACK, data and FIN are seen. Passive RETR (server's SYN-ACK and 700 bytes seen) and active LIST (client's SYN-ACK and ACKs seen, the server's data not). Both ended 226.", eth,
			standard(fCli1, s21, func(s *sess) {
				k, t := s.passiveConn(50102)
				k.SetHidden(true, true)
				k.Handshake()
				s.retrOver(k)
				s.expect("passive", "PASV", t.String(), "RETR", "ok", fl("one-sided"), "226")
				k2, t2 := s.activeConn(40102)
				k2.SetHidden(true, true)
				s.f.Cmd("LIST")
				s.c.Advance(time.Millisecond)
				k2.Handshake()
				s.listOver(k2)
				s.expect("active", "PORT", t2.String(), "LIST", "ok", fl("one-sided"), "226")
			})),
		// 2. One-sided with a real failure, and a lone SYN next to a 226.
		mk("onesided-drop", "A one-sided capture (the first passive RETR shows no listener packet but succeeds), then a passive LIST whose client retransmits its SYN 4 times with no progress and the server replies 425: a real drop.", eth,
			standard(fCli1, s21, func(s *sess) {
				s.onesidedPassiveOK(50103)
				k, t := s.passiveConn(50104)
				k.SetHidden(false, true)
				s.f.Cmd("LIST")
				k.SynUnanswered(4)
				s.c.Advance(500 * time.Millisecond)
				s.f.Reply("425 Failed to establish connection.")
				// The firewall dropped the SYNs: the server sent nothing, so no
				// packet of this connection is missing (not one-sided).
				s.expect("passive", "PASV", t.String(), "LIST", "dropped", nil, "4 SYNs", "425")
			})),
		mk("onesided-lone-syn", "A one-sided capture (the first passive RETR shows no listener packet but succeeds), then a passive RETR of which only the client's one SYN is captured, nothing after it from the client, and the server replies 150 and 226: the outcome is not in the capture (not dropped).", eth,
			standard(fCli1, s21, func(s *sess) {
				s.onesidedPassiveOK(50105)
				k, t := s.passiveConn(50106)
				k.Syn()
				hideAll(k)
				s.c.Advance(k.RTT)
				k.SynAck()
				k.AckSynAck()
				s.retrOver(k)
				s.expect("passive", "PASV", t.String(), "RETR", "unknown", fl("one-sided"), "226")
			})),
		// 3. Captured with a "port 21" filter.
		mk("port21-filter", "Captured with the filter 'port 21': the control channel only; a passive RETR and an active LIST both get 150 and 226, and no data-connection packet is anywhere in the capture.", eth,
			standard(fCli1, s21, func(s *sess) {
				k, t := s.passiveConn(50107)
				hideAll(k)
				k.Handshake()
				s.retrOver(k)
				s.expect("passive", "PASV", t.String(), "RETR", "unknown", fl("data-not-captured"), "226")
				k2, t2 := s.activeConn(40103)
				hideAll(k2)
				s.f.Cmd("LIST")
				k2.Handshake()
				s.listOver(k2)
				s.expect("active", "PORT", t2.String(), "LIST", "unknown", fl("data-not-captured"), "226")
			})).withSummary(ExpectSummary{Flags: []string{"no-data-connections"}}),
		// 4. Data handshake before the capture saw it.
		mk("handshake-not-captured", "The data connections' handshakes are missing (the data path's capture started late, merged with a control capture that started earlier): active RETR bytes from port 20 to the PORT endpoint, passive STOR bytes from the client to the PASV endpoint, each closed with FIN and followed by 226.", eth,
			standard(fCli1, s21, func(s *sess) {
				k, t := s.activeConn(40104)
				s.f.Cmd("RETR README")
				s.c.Mute(true)
				k.Handshake()
				s.c.Mute(false)
				data, t150 := payloadFor("RETR README")
				s.f.Reply(t150)
				k.Send(true, data)
				k.CloseFrom(true)
				s.f.Reply("226 Transfer complete.")
				s.expect("active", "PORT", t.String(), "RETR", "ok", fl("handshake-not-captured"), "226")
				k2, t2 := s.passiveConn(50108)
				s.c.Mute(true)
				k2.Handshake()
				s.c.Mute(false)
				s.f.Cmd("STOR upload.bin")
				s.f.Reply("150 Ok to send data.")
				k2.Send(true, fileBody(3000))
				k2.CloseFrom(true)
				s.f.Reply("226 Transfer complete.")
				s.expect("passive", "PASV", t2.String(), "STOR", "ok", fl("handshake-not-captured"), "226")
			})),
		// 5. Active: the server's SYN missing.
		mk("active-syn-missing", "Active LIST whose server SYN is missing from the capture; the client's SYN-ACK, the server's ACK, the listing and the close are there, then 226.", eth,
			standard(fCli1, s21, func(s *sess) {
				k, t := s.activeConn(40105)
				s.f.Cmd("LIST")
				k.SetHidden(true, true)
				k.Syn()
				k.SetHidden(true, false)
				s.c.Advance(k.RTT)
				k.SynAck()
				k.AckSynAck()
				s.listOver(k)
				s.expect("active", "PORT", t.String(), "LIST", "ok", nil, "226")
			})),
		// 6. Verdicts the replies rule out.
		mk("impossible-verdicts", "Replies rule out failure: a passive RETR whose client SYN is seen twice and nothing more of the connection, then 150 and 226 (not dropped); a passive RETR with no packet of its connection, 150 and 226; an EPSV RETR answered 125, no packet of its connection, then the client closes the control connection (not not-attempted); in a second session the same after a 150.", eth,
			func(c *Capture, exp *[]ExpectTransfer) {
				s := open(c, exp, fCli1, s21, true)
				k, t := s.passiveConn(50109)
				s.f.Cmd("RETR README")
				k.Syn()
				c.Advance(time.Second)
				k.Syn()
				hideAll(k)
				c.Advance(k.RTT)
				k.SynAck()
				k.AckSynAck()
				data, t150 := payloadFor("RETR README")
				s.f.Reply(t150)
				k.Send(false, data)
				k.CloseFrom(false)
				s.f.Reply("226 Transfer complete.")
				// Its SYNs are in the capture: not data-not-captured (no
				// packet at all); nothing shows the capture one-sided.
				s.expect("passive", "PASV", t.String(), "RETR", "unknown", nil, "226")
				k2, t2 := s.passiveConn(50110)
				hideAll(k2)
				k2.Handshake()
				s.retrOver(k2)
				s.expect("passive", "PASV", t2.String(), "RETR", "unknown", fl("data-not-captured"), "226")
				t3 := ap(fSrv1, 50111)
				s.negotiate("EPSV", epsvReply(50111))
				k3 := c.Conn(ap(fCli1, s.nextEph()), t3)
				hideAll(k3)
				k3.Handshake()
				s.f.Cmd("RETR release-1.2.tar.gz")
				s.f.Reply("125 Data connection already open; transfer starting.")
				k3.Send(false, fileBody(5000))
				c.Advance(2 * time.Second)
				s.f.CloseFrom(true)
				s.expect("passive", "EPSV", t3.String(), "RETR", "unknown", fl("data-not-captured"), "125")
				s2 := open(c, exp, fCli2, s21, true)
				k4, t4 := s2.passiveConn(50129)
				hideAll(k4)
				k4.Handshake()
				s2.f.Cmd("RETR release-1.2.tar.gz")
				s2.f.Reply("150 Opening BINARY mode data connection for release-1.2.tar.gz (5000 bytes).")
				k4.Send(false, fileBody(5000))
				c.Advance(2 * time.Second)
				s2.f.CloseFrom(true)
				s2.expect("passive", "PASV", t4.String(), "RETR", "unknown", fl("data-not-captured"), "150")
			}),
		// 7. A negotiation never answered.
		mk("pasv-no-reply", "PASV sent, the server never answers it (no 227); 60 s later the client closes the control connection.", eth,
			func(c *Capture, exp *[]ExpectTransfer) {
				s := open(c, exp, fCli1, s21, true)
				s.f.Cmd("PASV")
				c.Advance(60 * time.Second)
				s.f.CloseFrom(true)
				s.expect("passive", "PASV", "", "", "unknown", nil, "no reply")
			}),
		// 8. Merged two-interface capture with skewed clocks.
		mk("clock-skew", "Merged from two capture points (frames in timestamp order, as mergecap writes them) whose clocks differ: a passive RETR whose server SYN-ACK (and server data) is stamped 2 ms before the client's SYN; an active LIST whose SYN is answered by the client's RST stamped 1 ms before the SYN, then 425.", Options{SortByTime: true},
			func(c *Capture, exp *[]ExpectTransfer) {
				s := open(c, exp, fCli1, s21, true)
				k, t := s.passiveConn(50112)
				c.Advance(20 * time.Millisecond)
				k.SetSkew(false, -(k.RTT + 2*time.Millisecond + c.tick))
				k.Handshake()
				k.SetSkew(false, 0)
				c.Advance(10 * time.Millisecond)
				s.retrOver(k)
				s.expect("passive", "PASV", t.String(), "RETR", "ok", fl("clock-skew"), "226")
				k2, t2 := s.activeConn(40106)
				s.f.Cmd("LIST")
				c.Advance(20 * time.Millisecond)
				k2.SetSkew(false, -(k2.RTT + time.Millisecond + c.tick))
				k2.SynReset()
				c.Advance(500 * time.Millisecond)
				s.f.Reply("425 Failed to establish connection.")
				s.expect("active", "PORT", t2.String(), "LIST", "reset", fl("clock-skew"), "RST", "425")
				s.f.Quit()
			}).withSessions(sx(fCli1, s21, "", 2)),
		// 9. Every frame twice.
		mk("duplicates", "Every frame captured twice, 1 µs apart (SPAN of both directions, or -i any on a router): a passive RETR of 700 bytes (ok) and an EPSV LIST whose 3 SYNs go unanswered, then 425.", eth,
			func(c *Capture, exp *[]ExpectTransfer) {
				c.SetDuplicate(time.Microsecond)
				standard(fCli1, s21, func(s *sess) {
					k, t := s.passiveConn(50113)
					k.Handshake()
					s.retrOver(k)
					s.expect("passive", "PASV", t.String(), "RETR", "ok", fl("duplicate-frames"), "700 bytes", "226")
					u := ap(fSrv1, 50114)
					s.negotiate("EPSV", epsvReply(50114))
					s.passive(u, "LIST", dropped(3))
					s.expect("passive", "EPSV", u.String(), "LIST", "dropped", fl("duplicate-frames"), "3 SYNs", "425")
				})(c, exp)
			}).withSummary(ExpectSummary{Counts: map[string]string{"duplicates": ">0"}, Flags: []string{"duplicate-frames"}}),
		// 10. A second FTP server port beside 21.
		mk("port-2121-beside-21", "A session on port 21 has PASV 227 pending (203.0.113.20:50115) while the same client opens a second FTP session to the same server on port 2121 (its SYN captured), runs a passive LIST there and quits; then the first session's RETR runs.", eth,
			func(c *Capture, exp *[]ExpectTransfer) {
				a := open(c, exp, fCli1, s21, true)
				ka, ta := a.passiveConn(50115)
				b := open(c, exp, fCli1, ap(fSrv1, 2121), true)
				b.pasvOK(50116, "LIST")
				b.f.Quit()
				ka.Handshake()
				a.retrOver(ka)
				// Negotiation order: a's PASV came first.
				*exp = append([]ExpectTransfer{{Mode: "passive", Negotiation: "PASV", Endpoint: ta.String(), Command: "RETR", Verdict: "ok",
					Flags: []string{}, Evidence: []string{"226"}}}, *exp...)
				a.f.Quit()
			}).withSessions(sx(fCli1, s21, "", 1), sx(fCli1, ap(fSrv1, 2121), "", 1)),
		// 11. Odd port joined mid-stream; protocols that look like FTP.
		mk("odd-port-midstream", "A session on port 8021 joined mid-stream: no handshake, no 220 greeting; TYPE I/200, PASV/227, RETR/150, the data, 226, then QUIT.", eth,
			func(c *Capture, exp *[]ExpectTransfer) {
				s := open(c, exp, fCli1, ap(fSrv1, 8021), false)
				s.f.Cmd("TYPE I")
				s.f.Reply("200 Switching to Binary mode.")
				k, t := s.passiveConn(50117)
				k.Handshake()
				s.retrOver(k)
				s.expect("passive", "PASV", t.String(), "RETR", "ok", nil, "226")
				s.f.Quit()
			}).withSessions(sx(fCli1, ap(fSrv1, 8021), "", 1, "midstream")),
		mk("not-ftp", "No FTP at all between two hosts that talk a lot: SMTP on 587 (220 greeting, EHLO, NOOP, QUIT/221), POP3 on 110 (USER, PASS, LIST, RETR), IMAP on 143, SSH on 22 and a TLS connection on 443.", eth,
			func(c *Capture, exp *[]ExpectTransfer) {
				talk := func(port uint16, lines ...string) {
					k := c.Conn(ap(fCli1, uint16(45000+port)), ap(fSrv1, port))
					k.Handshake()
					for i, l := range lines {
						c.Advance(2 * time.Millisecond)
						k.Send(i%2 == 1, []byte(l))
					}
					k.CloseFrom(true)
				}
				talk(587, "220 mail.example.org ESMTP Postfix\r\n", "EHLO client.example.org\r\n",
					"250-mail.example.org\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n250 8BITMIME\r\n", "NOOP\r\n",
					"250 2.0.0 Ok\r\n", "MAIL FROM:<a@example.org>\r\n", "250 2.1.0 Ok\r\n", "RCPT TO:<b@example.org>\r\n",
					"250 2.1.5 Ok\r\n", "DATA\r\n", "354 End data with <CR><LF>.<CR><LF>\r\n", "Subject: hi\r\n\r\nhello\r\n.\r\n",
					"250 2.0.0 Ok: queued as 4F2A1\r\n", "QUIT\r\n", "221 2.0.0 Bye\r\n")
				talk(110, "+OK POP3 server ready\r\n", "USER alice\r\n", "+OK\r\n", "PASS secret\r\n", "+OK Logged in.\r\n",
					"LIST\r\n", "+OK 1 messages:\r\n1 512\r\n.\r\n", "RETR 1\r\n", "+OK 512 octets\r\n"+strings.Repeat("x", 510)+"\r\n.\r\n",
					"QUIT\r\n", "+OK Logging out.\r\n")
				talk(143, "* OK [CAPABILITY IMAP4rev1] Dovecot ready.\r\n", "a1 LOGIN alice secret\r\n", "a1 OK Logged in\r\n",
					"a2 LIST \"\" *\r\n", "* LIST (\\HasNoChildren) \".\" INBOX\r\na2 OK List completed\r\n", "a3 LOGOUT\r\n",
					"* BYE Logging out\r\na3 OK Logout completed.\r\n")
				ssh := c.Conn(ap(fCli1, 45022), ap(fSrv1, 22))
				ssh.Handshake()
				ssh.Send(false, []byte("SSH-2.0-OpenSSH_9.6p1 Ubuntu-3ubuntu13\r\n"))
				ssh.Send(true, []byte("SSH-2.0-OpenSSH_9.6\r\n"))
				ssh.Send(true, tlsRecord(c, 0x00, 0x0000, 900))
				ssh.Send(false, tlsRecord(c, 0x00, 0x0000, 1100))
				ssh.CloseFrom(true)
				tls := c.Conn(ap(fCli1, 45443), ap(fSrv1, 443))
				tls.Handshake()
				tls.Send(true, tlsRecord(c, 0x16, 0x0301, 517))
				tls.Send(false, tlsRecord(c, 0x16, 0x0303, 1200))
				tls.Send(true, tlsRecord(c, 0x17, 0x0303, 300))
				tls.Send(false, tlsRecord(c, 0x17, 0x0303, 900))
				tls.CloseFrom(true)
			}).withSessions(),
		// 12. Idle past the session timeout, then resumed.
		mk("idle-resume", "A session transfers once, stays silent for 16 minutes (past the default 15-minute control timeout), then resumes on the same connection with PASV/RETR and quits.", eth,
			standard(fCli1, s21, func(s *sess) {
				s.pasvOK(50118, "LIST")
				s.c.Advance(16 * time.Minute)
				s.pasvOK(50119, "RETR README")
			})).withSessions(sx(fCli1, s21, "", 1), sx(fCli1, s21, "", 1, "resumed")),
		// 13. FTPS beside unrelated connections between the same hosts.
		mk("ftps-unrelated-syns", "FTPS (AUTH TLS) session with one passive data connection (client to 203.0.113.20:50120) and one active one (203.0.113.20:20 to the client's 40107) around encrypted control traffic; beside it, between the same hosts: an SSH connection to port 22, an HTTPS connection to 443, and, 6 minutes after the last control activity, a connection to the server's high port 61000. Only the two data connections are FTP transfers.", eth,
			func(c *Capture, exp *[]ExpectTransfer) {
				s := open(c, exp, fCli1, s21, false)
				s.f.Handshake()
				s.f.Reply("220 (vsFTPd 3.0.5)")
				s.f.Cmd("AUTH TLS")
				s.f.Reply("234 Proceeding with negotiation.")
				s.f.Raw(true, string(tlsRecord(c, 0x16, 0x0301, 517)))
				s.f.Raw(false, string(tlsRecord(c, 0x16, 0x0303, 1200)))
				s.f.Raw(true, string(tlsRecord(c, 0x17, 0x0303, 80)))
				ssh := c.Conn(ap(fCli1, 45122), ap(fSrv1, 22))
				ssh.Handshake()
				ssh.Send(false, []byte("SSH-2.0-OpenSSH_9.6\r\n"))
				ssh.Send(true, []byte("SSH-2.0-OpenSSH_9.6\r\n"))
				// Passive: PASV/227, connect, RETR/150, data, 226 (all encrypted).
				s.f.Raw(true, string(tlsRecord(c, 0x17, 0x0303, 30)))
				s.f.Raw(false, string(tlsRecord(c, 0x17, 0x0303, 70)))
				t := ap(fSrv1, 50120)
				k := c.Conn(ap(fCli1, s.nextEph()), t)
				k.Handshake()
				s.f.Raw(true, string(tlsRecord(c, 0x17, 0x0303, 30)))
				s.f.Raw(false, string(tlsRecord(c, 0x17, 0x0303, 60)))
				k.Send(true, tlsRecord(c, 0x16, 0x0301, 517))
				k.Send(false, tlsRecord(c, 0x16, 0x0303, 1200))
				k.Send(false, tlsRecord(c, 0x17, 0x0303, 400))
				k.CloseFrom(false)
				s.f.Raw(false, string(tlsRecord(c, 0x17, 0x0303, 40)))
				s.expect("passive", "hidden", t.String(), "", "ok", fl("tls"))
				https := c.Conn(ap(fCli1, 45443), ap(fSrv1, 443))
				https.Handshake()
				https.Send(true, tlsRecord(c, 0x16, 0x0301, 517))
				https.Send(false, tlsRecord(c, 0x16, 0x0303, 1200))
				https.CloseFrom(true)
				// Active: PORT/200, LIST, connect from 20, 150, data, 226.
				s.f.Raw(true, string(tlsRecord(c, 0x17, 0x0303, 40)))
				s.f.Raw(false, string(tlsRecord(c, 0x17, 0x0303, 60)))
				s.f.Raw(true, string(tlsRecord(c, 0x17, 0x0303, 30)))
				u := ap(fCli1, 40107)
				k2 := c.Conn(ap(fSrv1, 20), u)
				k2.Handshake()
				s.f.Raw(false, string(tlsRecord(c, 0x17, 0x0303, 60)))
				k2.Send(false, tlsRecord(c, 0x16, 0x0301, 517))
				k2.Send(true, tlsRecord(c, 0x16, 0x0303, 1200))
				k2.Send(true, tlsRecord(c, 0x17, 0x0303, 300))
				k2.CloseFrom(true)
				s.f.Raw(false, string(tlsRecord(c, 0x17, 0x0303, 40)))
				s.expect("active", "hidden", u.String(), "", "ok", fl("tls"))
				ssh.CloseFrom(true)
				c.Advance(6 * time.Minute)
				hi := c.Conn(ap(fCli1, 45600), ap(fSrv1, 61000))
				hi.Handshake()
				hi.Send(true, []byte("GET /status HTTP/1.1\r\nHost: 203.0.113.20\r\n\r\n"))
				hi.Send(false, []byte("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"))
				hi.CloseFrom(true)
				c.Advance(6 * time.Minute)
				s.f.Raw(true, string(tlsRecord(c, 0x15, 0x0303, 26)))
				s.f.CloseFrom(true)
			}).withSessions(sx(fCli1, s21, "", 2, "tls")),
		// 14. A busy link (built at test time).
		mk("busy-link", "Three FTP sessions (a passive RETR, an active LIST dropped after 3 SYNs, an EPSV LIST, a PASV LIST reset) beside about 3,000 short unrelated HTTPS connections per second between other hosts for several seconds.", eth,
			busyLink).withSummary(ExpectSummary{Counts: map[string]string{"state_limit_drops": "0", "sessions": "3"}, Flags: []string{}}).large(),
		// 15. Blocked control connections.
		mk("blocked-control", "Control connections that never open: 198.51.100.10's SYNs to port 21 retransmitted 4 times and never answered; 198.51.100.11's SYN answered by RST; 198.51.100.12's SYN answered by ICMP administratively prohibited from 203.0.113.1.", eth,
			func(c *Capture, exp *[]ExpectTransfer) {
				c.Conn(ap(fCli1, 40200), s21).SynUnanswered(4)
				c.Advance(time.Second)
				c.Conn(ap(fCli2, 40201), s21).SynReset()
				c.Advance(time.Second)
				c.Conn(ap(fCli3, 40202), s21).SynICMP(fRtrS, 13, false)
				c.Advance(time.Second)
			}).withSessions(sx(fCli1, s21, "dropped", 0, "blocked"), sx(fCli2, s21, "reset", 0, "blocked", "control-reset"), sx(fCli3, s21, "unreachable", 0, "blocked")).
			withSummary(ExpectSummary{Counts: map[string]string{"blocked_sessions": "3"}, Flags: []string{}}),
		// 16. Slow server connects.
		mk("slow-connect", "Active transfers from a slow server: RETR, then the server's SYN 90 s later (tape recall) and success; PORT, RETR 100 s later, the SYN 100 s after the RETR (200 s after the PORT, beyond the 120 s negotiation timeout) and success.", eth,
			standard(fCli1, s21, func(s *sess) {
				k, t := s.activeConn(40108)
				s.f.Cmd("RETR README")
				s.c.Advance(90 * time.Second)
				k.Handshake()
				data, t150 := payloadFor("RETR README")
				s.f.Reply(t150)
				k.Send(true, data)
				k.CloseFrom(true)
				s.f.Reply("226 Transfer complete.")
				s.expect("active", "PORT", t.String(), "RETR", "ok", nil, "226")
				k2, t2 := s.activeConn(40109)
				s.c.Advance(100 * time.Second)
				s.f.Cmd("RETR README")
				s.c.Advance(100 * time.Second)
				k2.Handshake()
				s.f.Reply(t150)
				k2.Send(true, data)
				k2.CloseFrom(true)
				s.f.Reply("226 Transfer complete.")
				s.expect("active", "PORT", t2.String(), "RETR", "ok", nil, "226")
			})),
		// 17. EPSV ALL.
		mk("epsv-all", "EPSV ALL answered '200 EPSV ALL ok.' (no data connection negotiated), then EPSV/229 and a LIST.", eth,
			standard(fCli1, s21, func(s *sess) {
				s.negotiate("EPSV ALL", "200 EPSV ALL ok.")
				s.epsvOK(50121, "LIST")
			})),
		// 18. Hundreds of unused PORTs (built at test time).
		mk("unused-ports", "500 PORT commands, each answered 200 and none followed by a transfer command (a scanner or a broken client), then a PORT used by a LIST.", eth,
			standard(fCli1, s21, func(s *sess) {
				for i := 0; i < 500; i++ {
					t := ap(fCli1, uint16(41000+i))
					s.negotiate("PORT "+PortArg(t), "200 PORT command successful. Consider using PASV.")
					s.expect("active", "PORT", t.String(), "", "not-attempted", fl("superseded"), "superseded")
				}
				s.portOK(40110, "LIST")
			})).withSummary(ExpectSummary{Counts: map[string]string{"superseded": "500"}, Flags: []string{}}).large(),
		// 19. Corrupt timestamps.
		mk("clock-jump", "Two records with corrupt timestamps: a control ACK stamped in the year 2100 between a 227 and its data connection, and one stamped a day back between a PORT's 200 and its LIST. Both transfers succeed.", eth,
			standard(fCli1, s21, func(s *sess) {
				jump := func(to time.Time) {
					back := s.c.Now()
					s.c.Advance(to.Sub(back))
					s.f.Ack(true)
					s.c.Advance(back.Sub(s.c.Now()) + time.Millisecond)
				}
				k, t := s.passiveConn(50122)
				jump(time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC))
				k.Handshake()
				s.retrOver(k)
				s.expect("passive", "PASV", t.String(), "RETR", "ok", nil, "226")
				k2, t2 := s.activeConn(40111)
				jump(s.c.Now().Add(-24 * time.Hour))
				s.f.Cmd("LIST")
				k2.Handshake()
				s.listOver(k2)
				s.expect("active", "PORT", t2.String(), "LIST", "ok", nil, "226")
			})).withSummary(ExpectSummary{Flags: []string{"clock-jump"}}),
		// 20. FXP.
		mk("fxp", "FXP: client 198.51.100.10 controls servers A (203.0.113.20) and B (203.0.113.21); PASV on A answered 227 A:50123; PORT A:50123 sent to B; STOR on A, RETR on B; B connects from port 20 to A:50123 and sends the file; both reply 226.", eth,
			func(c *Capture, exp *[]ExpectTransfer) {
				a := open(c, exp, fCli1, s21, true)
				b := open(c, exp, fCli1, ap(fSrv2, 21), true)
				t := ap(fSrv1, 50123)
				a.negotiate("PASV", pasvReply(t))
				a.expect("passive", "PASV", t.String(), "STOR", "ok", nil, "226")
				b.negotiate("PORT "+PortArg(t), "200 PORT command successful. Consider using PASV.")
				b.expect("active", "PORT", t.String(), "RETR", "ok", fl("nat-mismatch", "third-party"), "226")
				a.f.Cmd("STOR release-1.2.tar.gz")
				b.f.Cmd("RETR release-1.2.tar.gz")
				k := c.Conn(ap(fSrv2, 20), t)
				k.Handshake()
				a.f.Reply("150 Ok to send data.")
				b.f.Reply("150 Opening BINARY mode data connection for release-1.2.tar.gz (4000 bytes).")
				k.Send(true, fileBody(4000))
				k.CloseFrom(true)
				b.f.Reply("226 Transfer complete.")
				a.f.Reply("226 Transfer complete.")
				a.f.Quit()
				b.f.Quit()
			}).withSessions(sx(fCli1, s21, "", 1), sx(fCli1, ap(fSrv2, 21), "", 1)),
		// 21. ICMP time exceeded; ICMP about another connection.
		mk("icmp-time-exceeded", "A passive LIST whose SYN is answered by ICMP time exceeded (type 11 code 0) from 198.51.100.1, then 425; a passive LIST that succeeds while an ICMP administratively prohibited from 203.0.113.1 quotes the client's SYN to another port (8443) of the same server.", eth,
			standard(fCli1, s21, func(s *sess) {
				k, t := s.passiveConn(50124)
				s.f.Cmd("LIST")
				k.SynICMPType(fRtrC, 11, 0, false)
				s.c.Advance(500 * time.Millisecond)
				s.f.Reply("425 Failed to establish connection.")
				s.expect("passive", "PASV", t.String(), "LIST", "unreachable", nil, "time exceeded", "198.51.100.1", "425")
				k2, t2 := s.passiveConn(50125)
				s.c.Conn(ap(fCli1, s.nextEph()), ap(fSrv1, 8443)).SynICMP(fRtrS, 13, false)
				s.c.Advance(time.Millisecond)
				k2.Handshake()
				s.f.Cmd("LIST")
				data, t150 := payloadFor("LIST")
				s.f.Reply(t150)
				k2.Send(false, data)
				k2.CloseFrom(false)
				s.f.Reply("226 Transfer complete.")
				s.expect("passive", "PASV", t2.String(), "LIST", "ok", nil, "226")
			})),
		// 22. IPv4-mapped IPv6 addresses.
		mk("eprt-mapped", "EPRT |2|::ffff:198.51.100.10|40112| over an IPv4 session, the server connecting to 198.51.100.10:40112 over IPv4; then a session whose packets are IPv6 with IPv4-mapped addresses (::ffff:198.51.100.11 to ::ffff:203.0.113.20): EPRT |1|198.51.100.11|40113| and EPRT |2|::ffff:198.51.100.11|40114|, the server's SYNs going to the mapped addresses.", eth,
			func(c *Capture, exp *[]ExpectTransfer) {
				s := open(c, exp, fCli1, s21, true)
				m := netip.AddrFrom16(fCli1.As16())
				t := ap(m, 40112)
				s.negotiate("EPRT "+ExtArg(t), "200 EPRT command successful. Consider using EPSV.")
				s.active(ap(fSrv1, 20), ap(fCli1, 40112), "LIST", nil)
				s.expect("active", "EPRT", t.String(), "LIST", "ok", nil, "226")
				s.f.Quit()
				mc, ms := netip.AddrFrom16(fCli2.As16()), netip.AddrFrom16(fSrv1.As16())
				s2 := open(c, exp, mc, ap(ms, 21), true)
				u := ap(fCli2, 40113)
				s2.negotiate("EPRT "+ExtArg(u), "200 EPRT command successful. Consider using EPSV.")
				s2.active(ap(ms, 20), ap(mc, 40113), "LIST", nil)
				s2.expect("active", "EPRT", u.String(), "LIST", "ok", nil, "226")
				v := ap(mc, 40114)
				s2.negotiate("EPRT "+ExtArg(v), "200 EPRT command successful. Consider using EPSV.")
				s2.active(ap(ms, 20), v, "RETR README", nil)
				s2.expect("active", "EPRT", v.String(), "RETR", "ok", nil, "226")
				s2.f.Quit()
			}),
		// 23. Login and reply quirks.
		mk("login-quirks", "Three sessions: a client that sends USER before the server's 220 greeting; a session whose client sends QUIT and closes at once, the server then answering '227 Logout.' (a 227 that negotiates nothing); a server that never answers a NOOP; a session whose server answers QUIT with 221 and, after the client's FIN, sends '227 Logout.' (unsolicited). Each runs one passive LIST.", eth,
			func(c *Capture, exp *[]ExpectTransfer) {
				a := open(c, exp, fCli1, s21, false)
				a.f.Handshake()
				a.f.Cmd("USER anonymous")
				a.f.Reply("220 (vsFTPd 3.0.5)")
				a.f.Reply("331 Please specify the password.")
				a.f.Cmd("PASS ftpsniff@example.org")
				a.f.Reply("230 Login successful.")
				a.pasvOK(50126, "LIST")
				a.f.Quit()
				b := open(c, exp, fCli2, s21, true)
				b.pasvOK(50127, "LIST")
				b.f.Cmd("QUIT")
				b.f.Fin(true)
				b.f.Reply("227 Logout.")
				b.f.Fin(false)
				b.f.Ack(true)
				d := open(c, exp, fCli3, s21, true)
				d.f.Cmd("NOOP")
				c.Advance(5 * time.Second)
				d.pasvOK(50128, "LIST")
				d.f.Quit()
				e := open(c, exp, fCli4, s21, true)
				e.pasvOK(50133, "LIST")
				e.f.Cmd("QUIT")
				e.f.Reply("221 Goodbye.")
				e.f.Fin(true)
				e.f.Reply("227 Logout.")
				e.f.Fin(false)
				e.f.Ack(true)
			}).withSessions(sx(fCli1, s21, "", 1), withAnomaly(sx(fCli2, s21, "", 1), "227"), sx(fCli3, s21, "", 1),
			withAnomaly(sx(fCli4, s21, "", 1, "unsolicited-reply"), "227")),
	}
}

func withAnomaly(e ExpectSession, a ...string) ExpectSession {
	e.Anomalies = a
	return e
}

// busyLink is three FTP sessions beside thousands of short unrelated
// HTTPS connections between other hosts.
func busyLink(c *Capture, exp *[]ExpectTransfer) {
	n := 0
	noise := func(count int) {
		for i := 0; i < count; i++ {
			n++
			cl := netip.AddrFrom4([4]byte{192, 0, 2, byte(1 + n%250)})
			sv := netip.AddrFrom4([4]byte{198, 18, byte(n / 250 % 200), byte(1 + n%200)})
			k := c.Conn(ap(cl, uint16(20000+n%40000)), ap(sv, 443))
			k.RTT, k.SegGap, k.AckDelay = 40*time.Microsecond, 5*time.Microsecond, 5*time.Microsecond
			k.Handshake()
			k.Send(true, []byte{0x16, 0x03, 0x01, 0x00, 0x04, 1, 0, 0, 0})
			k.ResetFrom(false)
			c.Advance(220 * time.Microsecond)
		}
	}
	s21 := ap(fSrv1, 21)
	a := open(c, exp, fCli1, s21, true)
	noise(600)
	b := open(c, exp, fCli2, s21, true)
	noise(600)
	d := open(c, exp, fCli3, ap(fSrv2, 21), true)
	for i := 0; i < 6; i++ {
		noise(600)
		switch i {
		case 0:
			a.pasvOK(50130, "RETR README")
		case 1:
			t := ap(fCli2, 40130)
			b.negotiate("PORT "+PortArg(t), "200 PORT command successful. Consider using PASV.")
			b.f.Cmd("LIST")
			k := c.Conn(ap(fSrv1, 20), t)
			k.Syn()
			noise(3000)
			k.Syn()
			noise(3000)
			k.Syn()
			noise(1500)
			b.f.Reply("425 Failed to establish connection.")
			b.expect("active", "PORT", t.String(), "LIST", "dropped", nil, "3 SYNs", "425")
		case 2:
			d.epsvOK(50131, "LIST")
		case 3:
			u := ap(fSrv2, 50132)
			d.negotiate("PASV", pasvReply(u))
			d.passive(u, "LIST", reset())
			d.expect("passive", "PASV", u.String(), "LIST", "reset", nil, "RST", "425")
		case 4:
			a.f.Quit()
		case 5:
			b.f.Quit()
			d.f.Quit()
		}
	}
}
