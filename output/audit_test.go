package output

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/ftpsniff/ftpsniff/audit"
	"github.com/ftpsniff/ftpsniff/session"
)

// bounceScan is a 1,000-probe nmap -b scan through one server: PORT to
// ports 1-1000 of a third host, every SYN answered by the target's RST.
func bounceScan() ([]*session.Transfer, []*session.Session) {
	t0 := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
	target := netip.MustParseAddr("192.0.2.7")
	var ts []*session.Transfer
	for i := 1; i <= 1000; i++ {
		ep := netip.AddrPortFrom(target, uint16(i))
		line := fmt.Sprintf("PORT 192,0,2,7,%d,%d", i>>8, i&255)
		ts = append(ts, &session.Transfer{ID: uint64(i), SessionID: 1, Client: netip.MustParseAddrPort("198.51.100.66:40000"),
			Server: netip.MustParseAddrPort("203.0.113.20:21"), Mode: session.Active, Negotiation: session.PORT, NegotiationLine: line,
			NegotiationReply: &session.Reply{Code: 200, Text: "200 PORT command successful."}, Endpoint: ep, Time: t0.Add(time.Duration(i) * time.Millisecond),
			Verdict: session.Reset, Data: &session.DataConn{Listener: ep, RST: &session.RSTInfo{FromListener: true, TTL: 60}},
			Wire: &session.WireInfo{AtSegmentStart: true, OneSegment: true}})
	}
	return ts, []*session.Session{{ID: 1, Client: netip.MustParseAddrPort("198.51.100.66:40000"), Server: netip.MustParseAddrPort("203.0.113.20:21"), Greeting: "220 (vsFTPd 3.0.3)"}}
}

func TestAuditTableAtScale(t *testing.T) {
	ts, ss := bounceScan()
	rep := audit.Analyze(ts, ss, audit.DefaultConfig())
	cases := []struct {
		name     string
		opts     AuditOptions
		maxLines int
		want     []string
	}{
		{"grouped", AuditOptions{}, 40, []string{"bounce-scan  1-1000", "and 980 more", "FTP bounce scan from 198.51.100.66 through 203.0.113.20:21: 1000 probes to 1000 port(s) on 192.0.2.7"}},
		{"verbose, 50 rows", AuditOptions{Verbose: true, MaxRows: 50}, 260, []string{"FINDING DETAIL", "(950 more findings not shown"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := WriteAuditTable(&b, rep, AuditMeta{}, c.opts); err != nil {
				t.Fatal(err)
			}
			out := b.String()
			if n := strings.Count(out, "\n"); n > c.maxLines {
				t.Errorf("%d lines, want at most %d:\n%s", n, c.maxLines, out)
			}
			for _, w := range c.want {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
			if strings.Contains(out, "nftables:") {
				t.Errorf("a bounce scan got firewall rules:\n%s", out)
			}
		})
	}
	// JSON keeps every transfer's detail.
	var b bytes.Buffer
	if err := WriteAuditJSON(&b, rep, AuditMeta{}); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, l := range strings.Split(strings.TrimSpace(b.String()), "\n") {
		var o struct{ Type string }
		if err := json.Unmarshal([]byte(l), &o); err != nil {
			t.Fatal(err)
		}
		if o.Type == "finding" {
			n++
		}
	}
	if n != 1000 {
		t.Errorf("%d finding objects, want 1000", n)
	}
}

func TestAuditNFTAlternativesCommented(t *testing.T) {
	rep := &audit.Report{Recommendations: []*audit.Recommendation{{
		Server: netip.MustParseAddrPort("203.0.113.20:21"), Kind: audit.RecHelper, Place: audit.PlaceRouter,
		NFT:          []string{"# router", "add rule inet filter x accept"},
		Alternatives: []audit.RuleSet{{Place: audit.PlaceClientHost, When: "the firewall is the client's", NFT: []string{"insert rule inet filter input accept"}}},
	}, {Server: netip.MustParseAddrPort("203.0.113.21:21"), Kind: audit.RecNAT, ServerFix: []string{"vsftpd: pasv_address=203.0.113.21"}}}}
	var b bytes.Buffer
	if err := WriteAuditNFT(&b, rep); err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(strings.TrimSpace(b.String()), "\n") {
		if !strings.HasPrefix(l, "#") && l != "add rule inet filter x accept" {
			t.Errorf("uncommented line %q: only the favoured place's rules may be live", l)
		}
	}
	for _, w := range []string{"#   insert rule inet filter input accept", "pasv_address=203.0.113.21"} {
		if !strings.Contains(b.String(), w) {
			t.Errorf("nft output lacks %q:\n%s", w, b.String())
		}
	}
}

// TestAuditTableFitsWidth: at a terminal's width every line but the rules
// (kept whole, to be copied) fits.
func TestAuditTableFitsWidth(t *testing.T) {
	ts, ss := bounceScan()
	rep := audit.Analyze(ts, ss, audit.DefaultConfig())
	for _, w := range []int{80, 100} {
		var b bytes.Buffer
		if err := WriteAuditTable(&b, rep, AuditMeta{}, AuditOptions{Width: w}); err != nil {
			t.Fatal(err)
		}
		for _, l := range strings.Split(b.String(), "\n") {
			if n := len([]rune(l)); n > w && !strings.HasPrefix(l, "    ") {
				t.Errorf("width %d: %d-rune line %q", w, n, l)
			}
		}
	}
}
