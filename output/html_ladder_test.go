package output

import (
	"strings"
	"testing"

	"github.com/ftpsniff/ftpsniff/session"
)

// TestLadderRows checks the rows a diagram draws for each kind of
// transfer of the sample run: the events, their lanes, what is dashed, the
// order (data connection beside its negotiation, reason last) and the
// folding of quiet stretches.
func TestLadderRows(t *testing.T) {
	r := sampleRun()
	byID := map[uint64]*session.Transfer{}
	for _, ts := range r.transfers {
		for _, tr := range ts {
			byID[tr.ID] = tr
		}
	}
	type want struct {
		label    string // substring of a row's label
		from, to lane
		unseen   bool
		ghost    bool
	}
	tests := []struct {
		id    uint64
		rows  []want // in this order
		other string // third lane
	}{
		{1, []want{ // dropped: SYNs dashed beyond the capture point
			{"PORT 198,51,100,10,201,135", laneClient, laneServer, false, false},
			{"200 PORT command successful", laneServer, laneClient, false, false},
			{"LIST", laneClient, laneServer, false, false},
			{"150 Here comes", laneServer, laneClient, false, false},
			{"(7 SYNs over 8.0s)", laneServer, laneClient, true, false},
			{"SYN retransmission #6", laneServer, laneClient, true, false},
			{"425 Failed", laneServer, laneClient, false, false},
		}, ""},
		{2, []want{ // reset from the listener, with its TTL
			{"RST ttl 250, before the handshake completed", laneClient, laneServer, false, false},
		}, ""},
		{3, []want{ // ICMP from a router beyond the capture point
			{"ICMP type 3 code 13 from 192.0.2.1 ttl 254", laneBeyond, laneServer, false, false},
		}, ""},
		{5, []want{ // not attempted: the SYN that never came, dashed
			{"no SYN seen for 203.0.113.20:50000", laneClient, laneServer, false, true},
		}, ""},
	}
	for _, tc := range tests {
		tr := byID[tc.id]
		lad := &ladder{s: &session.Session{ID: tr.SessionID, Client: tr.Client, Server: tr.Server}}
		rows := lad.transferRows(tr)
		last := rows[len(rows)-1]
		if !last.note || !strings.Contains(last.label, string(tr.Verdict)+": "+tr.Reason) {
			t.Errorf("transfer %d: last row %+v, want its verdict and reason", tc.id, last)
		}
		i := 0
		for _, row := range rows {
			if i < len(tc.rows) && strings.Contains(row.label, tc.rows[i].label) {
				w := tc.rows[i]
				if row.from != w.from || row.to != w.to || row.unseen != w.unseen || row.ghost != w.ghost {
					t.Errorf("transfer %d row %q: from %d to %d unseen %v ghost %v, want %+v", tc.id, row.label,
						row.from, row.to, row.unseen, row.ghost, w)
				}
				i++
			}
		}
		if i < len(tc.rows) {
			t.Errorf("transfer %d: no row %q (in order) among %d rows", tc.id, tc.rows[i].label, len(rows))
		}
		for j := 1; j < len(rows)-1; j++ {
			if rows[j].t.Before(rows[j-1].t) {
				t.Errorf("transfer %d: row %d before row %d in time", tc.id, j, j-1)
			}
		}
		if lad.other != tc.other {
			t.Errorf("transfer %d: third lane %q, want %q", tc.id, lad.other, tc.other)
		}
	}
}

// TestLadderThirdLaneAndFold: a data connection to a host that is neither
// client nor server gets the third lane; a quiet stretch becomes a fold.
func TestLadderThirdLaneAndFold(t *testing.T) {
	c, s := ap("198.51.100.10:40000"), ap("203.0.113.20:21")
	tr := &session.Transfer{ID: 1, SessionID: 1, Client: c, Server: s, Mode: session.Active,
		Negotiation: session.PORT, NegotiationLine: "PORT 192,0,2,77,0,21", Endpoint: ap("192.0.2.77:21"),
		Time: at(1000), Verdict: session.OK, Flags: session.FlagsOf(session.FlagNATMismatch, session.FlagThirdParty),
		Data: &session.DataConn{Connector: ap("203.0.113.20:20"), Listener: ap("192.0.2.77:21"), SYNs: 1,
			FirstSYN: at(61000), LastSYN: at(61000), SYNACK: at(61001), Established: true, LastSeen: at(61002)}}
	l := &ladderSess{s: &session.Session{ID: 1, Client: c, Server: s, Start: at(0), End: at(62000)}}
	l.add(tr)
	lad := buildLadder(l)
	if lad.other != "192.0.2.77" {
		t.Errorf("third lane %q", lad.other)
	}
	var folds, toOther int
	for _, r := range lad.rows {
		if r.fold && strings.Contains(r.label, "1m00s later") {
			folds++
		}
		if r.to == laneOther || r.from == laneOther {
			toOther++
		}
	}
	if folds != 1 || toOther < 2 {
		t.Errorf("%d folds of 1m00s, %d rows on the third lane; rows: %+v", folds, toOther, lad.rows)
	}
}
