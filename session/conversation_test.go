package session

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/ftpsniff/ftpsniff/session/ftp"
)

// eventLog is a convHandler that writes the events it gets.
type eventLog struct {
	b     strings.Builder
	xfers []*transfer
}

func (e *eventLog) ev(format string, a ...any) { fmt.Fprintf(&e.b, format+"|", a...) }
func (e *eventLog) handle() *transfer {
	x := &transfer{}
	x.rec.ID = uint64(len(e.xfers) + 1)
	e.xfers = append(e.xfers, x)
	return x
}
func (e *eventLog) lineQuirks(f ftp.LineFlags, client bool) {
	if f != 0 {
		e.ev("quirks %v", f.Strings())
	}
}
func (e *eventLog) invalidCommand(line []byte)              { e.ev("invalid-command %q", line) }
func (e *eventLog) invalidReply(err error)                  { e.ev("invalid-reply") }
func (e *eventLog) brokenMultiline()                        { e.ev("broken") }
func (e *eventLog) command(cmd ftp.Command)                 { e.ev("cmd %s", cmd.Verb) }
func (e *eventLog) controlLine(bool, []byte, linePos, bool) {}
func (e *eventLog) negotiate(cmd ftp.Command, _ time.Time, w WireInfo) *transfer {
	x := e.handle()
	e.ev("negotiate#%d %s", x.rec.ID, cmd.Verb)
	return x
}
func (e *eventLog) useNegotiation(cmd ftp.Command, _ time.Time) *transfer {
	e.ev("use %s", cmd.Verb)
	if len(e.xfers) == 0 {
		return nil
	}
	return e.xfers[len(e.xfers)-1]
}
func (e *eventLog) tooManyPending()   { e.ev("too-many") }
func (e *eventLog) greeting(t string) { e.ev("greeting %s", t) }
func (e *eventLog) system(t string)   { e.ev("system %s", t) }
func (e *eventLog) features(t string) { e.ev("features %q", t) }
func (e *eventLog) activeReply(x *transfer, r Reply) {
	e.ev("active-reply#%d %d", x.rec.ID, r.Code)
}
func (e *eventLog) passiveReply(x *transfer, r ftp.Reply, _ Reply, _ WireInfo) {
	id := uint64(0)
	if x != nil {
		id = x.rec.ID
	}
	e.ev("passive-reply#%d %d", id, r.Code)
}
func (e *eventLog) transferReply(x *transfer, r Reply, final bool) {
	e.ev("transfer-reply#%d %d final=%v", x.rec.ID, r.Code, final)
}
func (e *eventLog) unsolicitedReply(r ftp.Reply, afterGoodbye, pending bool) {
	e.ev("unsolicited %d goodbye=%v", r.Code, afterGoodbye)
}
func (e *eventLog) lostReplies()    { e.ev("lost-replies") }
func (e *eventLog) tlsStarted()     { e.ev("tls") }
func (e *eventLog) cleartextAgain() { e.ev("ccc") }

// TestConversationEvents drives the FTP conversation alone, with a
// handler that records its typed events.
func TestConversationEvents(t *testing.T) {
	type line struct {
		client bool
		text   string
	}
	cases := []struct {
		name  string
		lines []line
		gap   bool // a gap before the last line
		want  string
	}{
		{"passive transfer", []line{{false, "220 hi\r\n"}, {true, "PASV\r\n"}, {false, "227 Entering Passive Mode (1,2,3,4,5,6).\r\n"},
			{true, "RETR f\r\n"}, {false, "150 ok\r\n"}, {false, "226 done\r\n"}}, false,
			"greeting hi|cmd PASV|negotiate#1 PASV|passive-reply#1 227|cmd RETR|use RETR|transfer-reply#1 150 final=false|transfer-reply#1 226 final=true|"},
		{"pipelined USER before the greeting", []line{{true, "USER a\r\n"}, {false, "220 hi\r\n"}, {false, "331 pw\r\n"}}, false,
			"cmd USER|greeting hi|"},
		{"EPSV ALL's 200 is no passive reply", []line{{true, "EPSV ALL\r\n"}, {false, "200 ok\r\n"}}, false, "cmd EPSV|"},
		{"227 after QUIT", []line{{true, "QUIT\r\n"}, {false, "227 Logout.\r\n"}}, false, "cmd QUIT|unsolicited 227 goodbye=true|"},
		{"unanswered NOOP is no lost reply", []line{{true, "NOOP\r\n"}, {true, "PASV\r\n"}, {false, "227 Entering Passive Mode (1,2,3,4,5,6).\r\n"}}, false,
			"cmd NOOP|cmd PASV|negotiate#1 PASV|passive-reply#1 227|"},
		{"replies lost in a gap", []line{{true, "NOOP\r\n"}, {true, "PASV\r\n"}, {false, "227 Entering Passive Mode (1,2,3,4,5,6).\r\n"}}, true,
			"cmd NOOP|cmd PASV|negotiate#1 PASV|quirks [after-gap]|lost-replies|passive-reply#1 227|"},
		{"FEAT", []line{{true, "FEAT\r\n"}, {false, "211-Features:\r\n EPRT\r\n EPSV\r\n211 End\r\n"}}, false, `cmd FEAT|features "EPRT\nEPSV"|`},
		{"AUTH TLS", []line{{true, "AUTH TLS\r\n"}, {false, "234 go\r\n"}}, false, "cmd AUTH|tls|"},
		{"PORT refused", []line{{true, "PORT 1,2,3,4,5,6\r\n"}, {false, "500 no\r\n"}}, false, "cmd PORT|negotiate#1 PORT|active-reply#1 500|"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var log eventLog
			c := newConversation(&log, 8192, 64, nil, false)
			for i, l := range tc.lines {
				if tc.gap && i == len(tc.lines)-1 {
					c.gap(false)
				}
				c.feed(l.client, []byte(l.text), time.Time{}, 0, segAck{})
			}
			if got := log.b.String(); got != tc.want {
				t.Errorf("events\n got %s\nwant %s", got, tc.want)
			}
		})
	}
}
