package session

import (
	"bytes"
	"net/netip"
	"time"

	"github.com/ftpsniff/ftpsniff/decode"
)

// Content detection. A control connection on a port that is not a control
// port is recognised by what it says, with or without its beginning:
//
//   - a 220 greeting from one side and an FTP-only command from the other,
//     in either order (a pipelining client sends USER before the 220);
//   - an FTP-only command and a reply whose code only FTP gives to it
//     (PASV→227, EPSV→229, TYPE→200, RETR→150, PWD→257, ...), for a
//     capture that joins the session after the greeting.
//
// SMTP, POP3 and IMAP also greet and answer with codes; their clients'
// first words (EHLO, HELO, STARTTLS, CAPA, a tag) reject the candidate, and
// the verbs they share with FTP (QUIT, NOOP, HELP, AUTH, USER, RETR, LIST)
// are not taken as evidence where their replies could be the other
// protocol's.

// candidate is a connection that may be an FTP control connection: the
// evidence so far and copies of its first packets, replayed into the
// session once it is recognised.
type candidate struct {
	last     time.Time
	greeter  netip.AddrPort // the side that sent a 220, if any
	cmdFrom  netip.AddrPort // the side that sent an FTP-only command, if any
	cmdVerb  string
	rejected bool
	pkts     []decode.Packet // copies, payload included (at most maxCandidatePackets)
}

// Bounds of content detection's state.
const (
	maxCandidates       = 1024
	maxCandidatePackets = 6
	maxCandidatePayload = 2048
	candidateTTL        = 30 * time.Second
)

// ftpOnlyVerbs are commands that identify FTP when a 220 came from the
// other side (SMTP's AUTH comes only after EHLO, which rejects).
var ftpOnlyVerbs = []string{"USER", "AUTH", "FEAT", "SYST", "OPTS", "PASV", "EPSV", "PORT", "EPRT", "TYPE", "PWD", "CWD", "LIST", "NLST", "MLSD", "RETR", "STOR", "SIZE", "MDTM", "CLNT", "ACCT", "LPRT", "LPSV", "PASS", "CDUP", "MKD", "RMD", "DELE", "RNFR", "RNTO", "REST", "SITE", "MODE", "STRU", "STOU", "APPE", "MLST", "XPWD", "XCWD", "ABOR", "PBSZ", "PROT", "CCC"}

// pairCodes are, for FTP-only commands, the reply codes that only FTP gives
// them: a command followed by such a reply identifies FTP mid-stream.
var pairCodes = map[string][]int{
	"PASV": {227}, "EPSV": {229}, "LPSV": {228}, "PORT": {200}, "EPRT": {200}, "LPRT": {200},
	"TYPE": {200}, "MODE": {200}, "STRU": {200}, "PWD": {257}, "XPWD": {257}, "MKD": {257},
	"CWD": {250}, "CDUP": {250, 200}, "SYST": {215}, "SIZE": {213}, "MDTM": {213}, "FEAT": {211},
	"RETR": {150, 125}, "STOR": {150, 125}, "LIST": {150, 125}, "NLST": {150, 125}, "MLSD": {150, 125},
	"STOU": {150, 125}, "APPE": {150, 125}, "PASS": {230}, "USER": {331, 230}, "REST": {350}, "RNFR": {350},
	"PBSZ": {200}, "PROT": {200}, "AUTH": {234},
}

// notFTPVerbs are first words of other protocols' clients: a connection
// whose client says one of them is not FTP.
var notFTPVerbs = []string{"EHLO", "HELO", "LHLO", "STARTTLS", "MAIL", "RCPT", "DATA", "CAPA", "STLS", "APOP", "UIDL", "GET", "POST", "HEAD", "SSH-"}

// detectContent looks at a payload packet on an unknown connection (from
// k.src to k.dst) for FTP control traffic. It reports whether the packet
// was taken as FTP evidence.
func (t *Tracker) detectContent(k flowKey, p *decode.Packet) bool {
	ck := k.canon()
	c := t.candidates[ck]
	if c == nil {
		if len(t.candidates) >= maxCandidates || !plausibleControl(p.Payload) {
			return false
		}
		c = &candidate{}
		if t.candidates == nil {
			t.candidates = make(map[flowKey]*candidate)
		}
		t.candidates[ck] = c
	}
	if c.rejected {
		return false
	}
	c.last = p.Time
	b := p.Payload
	server := netip.AddrPort{}
	switch {
	case looksLikeGreeting(b):
		c.greeter = k.src
		if c.cmdFrom.IsValid() && c.cmdFrom != k.src {
			server = k.src
		}
	case hasWord(b, notFTPVerbs):
		c.rejected = true
		c.pkts = nil
		return false
	default:
		if v, ok := ftpVerb(b); ok {
			c.cmdFrom, c.cmdVerb = k.src, v
			if c.greeter.IsValid() && c.greeter != k.src {
				server = c.greeter
			}
		} else if code, ok := replyCode(b); ok && c.cmdFrom.IsValid() && c.cmdFrom != k.src && codeFits(c.cmdVerb, code) {
			server = k.src
		}
	}
	if !server.IsValid() {
		if len(c.pkts) < maxCandidatePackets {
			c.pkts = append(c.pkts, copyPacket(p))
		}
		return true
	}
	delete(t.candidates, ck)
	key := k
	if server == k.src {
		key = k.reverse()
	}
	if len(t.live) >= t.cfg.MaxSessions {
		t.sum.StateLimitDrops++
		return false
	}
	first := c.firstTime(p.Time)
	syn, hasSYN := t.syns.take(key, first, candidateTTL)
	if hasSYN {
		first = syn.Time
	}
	s := t.startSession(key, first, ByContent)
	if hasSYN {
		t.control(s, &syn, true)
	}
	for i := range c.pkts {
		q := &c.pkts[i]
		t.control(s, q, q.Src == key.src.Addr() && q.TCP.SrcPort == key.src.Port())
	}
	t.control(s, p, p.Src == key.src.Addr() && p.TCP.SrcPort == key.src.Port())
	return true
}

// firstTime is when the candidate's first kept packet was seen.
func (c *candidate) firstTime(now time.Time) time.Time {
	if len(c.pkts) > 0 {
		return c.pkts[0].Time
	}
	return now
}

// expireCandidates forgets candidates that went quiet.
func (t *Tracker) expireCandidates() {
	for k, c := range t.candidates {
		if t.now.Sub(c.last) >= candidateTTL {
			delete(t.candidates, k)
		}
	}
}

// copyPacket copies what the session needs of p, payload included (the
// frame is not kept).
func copyPacket(p *decode.Packet) decode.Packet {
	q := *p
	q.Data = nil
	q.Payload = bytes.Clone(p.Payload[:min(len(p.Payload), maxCandidatePayload)])
	return q
}

// plausibleControl reports whether b starts like a line of text (a command
// or a reply), not binary data.
func plausibleControl(b []byte) bool {
	if len(b) < 3 {
		return false
	}
	for _, c := range b[:min(len(b), 8)] {
		if c < 0x20 && c != '\r' && c != '\n' && c != '\t' || c >= 0x7f {
			return false
		}
	}
	return true
}

// looksLikeGreeting reports whether b starts like an FTP 220 greeting line.
func looksLikeGreeting(b []byte) bool {
	if len(b) < 5 || b[0] != '2' || b[1] != '2' || b[2] != '0' || (b[3] != ' ' && b[3] != '-') {
		return false
	}
	for _, c := range b[4:] {
		if c == '\n' {
			return true
		}
		if c < 0x20 && c != '\r' && c != '\t' {
			return false
		}
	}
	return false
}

// ftpVerb returns the FTP-only command verb b starts with.
func ftpVerb(b []byte) (string, bool) {
	for _, v := range ftpOnlyVerbs {
		if len(b) > len(v) && asciiPrefixFold(b, v) && (b[len(v)] == ' ' || b[len(v)] == '\r' || b[len(v)] == '\n') {
			return v, true
		}
	}
	return "", false
}

// hasWord reports whether b starts with one of words (case-insensitive).
func hasWord(b []byte, words []string) bool {
	for _, v := range words {
		if len(b) >= len(v) && asciiPrefixFold(b, v) {
			return true
		}
	}
	return false
}

// replyCode returns the code of an FTP reply line b starts with.
func replyCode(b []byte) (int, bool) {
	if len(b) < 5 || b[3] != ' ' && b[3] != '-' {
		return 0, false
	}
	for _, c := range b[:3] {
		if c < '0' || c > '9' {
			return 0, false
		}
	}
	if bytes.IndexByte(b, '\n') < 0 {
		return 0, false
	}
	return int(b[0]-'0')*100 + int(b[1]-'0')*10 + int(b[2]-'0'), true
}

// codeFits reports whether code is a reply only FTP gives to verb.
func codeFits(verb string, code int) bool {
	for _, c := range pairCodes[verb] {
		if c == code {
			return true
		}
	}
	return false
}

// looksLikeFTPCommand reports whether b starts with an FTP-only command verb.
func looksLikeFTPCommand(b []byte) bool {
	_, ok := ftpVerb(b)
	return ok
}

func asciiPrefixFold(b []byte, upper string) bool {
	for i := 0; i < len(upper); i++ {
		c := b[i]
		if 'a' <= c && c <= 'z' {
			c -= 'a' - 'A'
		}
		if c != upper[i] {
			return false
		}
	}
	return true
}
