package output

import (
	"bytes"
	"errors"
	"net/netip"
	"testing"
	"time"

	"github.com/ftpsniff/ftpsniff/session"
)

// TestAsyncSameOutput writes the same records through NewJSON, NewText and
// NewTable directly and through Async: byte-identical output. The records
// are changed after each call (as the tracker may add a late reply): the
// output must not see it.
func TestAsyncSameOutput(t *testing.T) {
	mk := func(i int) *session.Transfer {
		at := time.Date(2024, 5, 14, 9, 30, i, 0, time.UTC)
		return &session.Transfer{
			ID: uint64(i), SessionID: 1, Time: at, Mode: session.Passive, Negotiation: "PASV",
			Client:           netip.MustParseAddrPort("198.51.100.10:40000"),
			Server:           netip.MustParseAddrPort("[2001:db8::1]:21"),
			Endpoint:         netip.MustParseAddrPort("203.0.113.20:50000"),
			NegotiationReply: &session.Reply{Code: 227, Text: "227 Entering Passive Mode (203,0,113,20,195,80).", Time: at},
			Replies:          []session.Reply{{Code: 150, Text: "150 ok", Time: at}},
			Verdict:          session.Verdicts[i%len(session.Verdicts)], Reason: "because",
			Flags: session.FlagsOf(session.FlagNATMismatch), Data: &session.DataConn{SYNs: i, FirstSYN: at},
			Wire: &session.WireInfo{AtSegmentStart: true},
		}
	}
	sess := &session.Session{ID: 1, Client: netip.MustParseAddrPort("198.51.100.10:40000"), Verdicts: map[session.Verdict]int{session.OK: 3}}
	sum := &session.Summary{Packets: 10, Verdicts: map[session.Verdict]int{session.OK: 3}}
	for name, mkw := range map[string]func(*bytes.Buffer) Writer{
		"json":  func(b *bytes.Buffer) Writer { return NewJSON(b) },
		"text":  func(b *bytes.Buffer) Writer { return NewText(b) },
		"table": func(b *bytes.Buffer) Writer { return NewTable(b, TableOptions{}) },
	} {
		var direct, async bytes.Buffer
		for _, w := range []Writer{mkw(&direct), Async(mkw(&async))} {
			for i := range 3000 {
				tr := mk(i)
				if err := w.Transfer(tr); err != nil {
					t.Fatal(err)
				}
				tr.Replies = append(tr.Replies, session.Reply{Code: 226, Text: "late"})
				tr.Flags.Add(session.FlagTLS)
				tr.NegotiationReply.Text = "changed"
				tr.Data.SYNs = -1
			}
			if err := w.Session(sess); err != nil {
				t.Fatal(err)
			}
			if err := w.Close(sum); err != nil {
				t.Fatal(err)
			}
		}
		if !bytes.Equal(direct.Bytes(), async.Bytes()) {
			t.Errorf("%s: output through Async differs (%d vs %d bytes)", name, async.Len(), direct.Len())
		}
	}
}

// failWriter fails every write after the first n.
type failWriter struct{ n int }

func (f *failWriter) Write(p []byte) (int, error) {
	if f.n <= 0 {
		return 0, errors.New("disk full")
	}
	f.n--
	return len(p), nil
}

// TestAsyncError: a write error comes back from a later call and from Close.
func TestAsyncError(t *testing.T) {
	w := Async(NewJSON(&failWriter{n: 5}))
	var seen error
	for i := range 2000 {
		if err := w.Transfer(&session.Transfer{ID: uint64(i)}); err != nil && seen == nil {
			seen = err
		}
	}
	err := w.Close(&session.Summary{})
	if err == nil || !bytes.Contains([]byte(err.Error()), []byte("disk full")) {
		t.Fatalf("Close: %v", err)
	}
	if seen != nil && !bytes.Contains([]byte(seen.Error()), []byte("disk full")) {
		t.Errorf("Transfer returned %v", seen)
	}
}
