package ftpsniff_test

// The audit against the lab captures in ../shared/lab: every failed
// transfer's diagnosis must match the cause its label gives. Skipped when
// ../shared/lab is absent.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/ftpsniff/ftpsniff"
	"github.com/ftpsniff/ftpsniff/audit"
	"github.com/ftpsniff/ftpsniff/decode"
	"github.com/ftpsniff/ftpsniff/output"
	"github.com/ftpsniff/ftpsniff/session"
)

type auditLabels struct {
	Capture struct {
		File string `json:"file"`
	} `json:"capture"`
	Firewalls []struct {
		Ruleset string `json:"ruleset"`
	} `json:"firewalls"`
	Sessions []struct {
		Transfers []struct {
			Negotiation  string `json:"negotiation"`
			DataEndpoint string `json:"data_endpoint"`
			Outcome      string `json:"outcome"`
			Cause        string `json:"cause"`
		} `json:"transfers"`
	} `json:"sessions"`
}

// causePlace maps a label's free-text cause to the firewall place the
// audit must find ("" when the cause names none).
func causePlace(cause string) audit.Place {
	c := strings.ToLower(cause)
	switch {
	case strings.Contains(c, "client host firewall"):
		return audit.PlaceClientHost
	case strings.Contains(c, "server host firewall"):
		return audit.PlaceServerHost
	case strings.HasPrefix(c, "fw "), strings.Contains(c, "router"):
		return audit.PlaceRouter
	}
	return ""
}

// causeKinds maps a label's free-text cause to the main diagnosis kind and
// any further kinds the finding must carry.
func causeKinds(cause string) (audit.Kind, []audit.Kind) {
	c := strings.ToLower(cause)
	switch {
	case strings.Contains(c, "no listener"):
		return audit.KindClosedPort, nil
	case strings.Contains(c, "private address"):
		return audit.KindNATPrivate, nil
	case strings.Contains(c, "outside") && strings.Contains(c, "range"):
		return audit.KindOutsideRange, nil
	case strings.Contains(c, "tcp reset"), strings.Contains(c, "tcp-reset"):
		return audit.KindRejectRST, nil
	case strings.Contains(c, "icmp"):
		return audit.KindRejectICMP, nil
	case strings.Contains(c, "drop") && strings.Contains(c, "helper"):
		return audit.KindFirewallDrop, []audit.Kind{audit.KindHelperNotApplied}
	case strings.Contains(c, "drop"):
		return audit.KindFirewallDrop, nil
	}
	return "", nil
}

var nftAllowedPorts = regexp.MustCompile(`tcp dport \{ ([0-9, -]+) \}[^\n]*accept`)

// labPolicy derives the allowed passive range from the lab firewall's
// accept rule ("tcp dport { 21, 1024-5000 } ... accept"), if it has one.
func labPolicy(t *testing.T, l *auditLabels) *audit.Policy {
	for _, fw := range l.Firewalls {
		m := nftAllowedPorts.FindStringSubmatch(fw.Ruleset)
		if m == nil {
			continue
		}
		rs, err := audit.ParseRanges(m[1])
		if err != nil {
			t.Fatalf("ruleset ports %q: %v", m[1], err)
		}
		return &audit.Policy{Default: audit.Rule{Passive: rs}}
	}
	return nil
}

func TestAuditSharedLab(t *testing.T) {
	dir := filepath.Join("..", "shared", "lab")
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("%s not present: %v", dir, err)
	}
	files, err := filepath.Glob(filepath.Join(dir, "*.labels.json"))
	if err != nil || len(files) == 0 {
		t.Skipf("no labels in %s", dir)
	}
	for _, lf := range files {
		t.Run(strings.TrimSuffix(filepath.Base(lf), ".labels.json"), func(t *testing.T) {
			raw, err := os.ReadFile(lf)
			if err != nil {
				t.Fatal(err)
			}
			var l auditLabels
			if err := json.Unmarshal(raw, &l); err != nil {
				t.Fatalf("%s: %v", lf, err)
			}
			src, err := decode.OpenFiles([]string{filepath.Join(dir, l.Capture.File)})
			if err != nil {
				t.Fatal(err)
			}
			defer src.Close()
			acfg := audit.DefaultConfig()
			acfg.Policy = labPolicy(t, &l)
			col := audit.NewCollectorFor(acfg)
			cfg := ftpsniff.DefaultConfig()
			if _, err := ftpsniff.Run(context.Background(), src, cfg, col); err != nil && !errors.Is(err, ftpsniff.ErrDamagedInput) {
				t.Fatal(err)
			}
			rep := col.Analyze(acfg)
			checked := 0
			for _, s := range l.Sessions {
				for _, lt := range s.Transfers {
					if lt.Outcome == "ok" || lt.Cause == "" {
						continue
					}
					want, also := causeKinds(lt.Cause)
					if want == "" {
						t.Errorf("no diagnosis kind for label cause %q", lt.Cause)
						continue
					}
					ep, err := netip.ParseAddrPort(lt.DataEndpoint)
					if err != nil {
						t.Fatalf("label endpoint %q: %v", lt.DataEndpoint, err)
					}
					var f *audit.Finding
					for _, x := range rep.Findings {
						if x.Endpoint == ep && strings.EqualFold(x.Negotiation, lt.Negotiation) {
							f = x
							break
						}
					}
					if f == nil {
						t.Errorf("%s %s (%s): no finding", lt.Negotiation, ep, lt.Outcome)
						continue
					}
					checked++
					if f.Kind != want {
						t.Errorf("%s %s: kind %s (%v), label cause %q wants %s\n%s", lt.Negotiation, ep, f.Kind, f.Kinds, lt.Cause, want, f.Explanation)
					}
					for _, k := range also {
						if !f.HasKind(k) {
							t.Errorf("%s %s: kinds %v lack %s (label cause %q)", lt.Negotiation, ep, f.Kinds, k, lt.Cause)
						}
					}
					if p := causePlace(lt.Cause); p != "" && want != audit.KindNATPrivate && want != audit.KindClosedPort && (f.Firewall == nil || f.Firewall.Place != p) {
						t.Errorf("%s %s: firewall %+v, label cause %q wants %s", lt.Negotiation, ep, f.Firewall, lt.Cause, p)
					}
					if want == audit.KindOutsideRange && !f.PolicyExplains {
						t.Errorf("%s %s: the policy should explain the failure: %s", lt.Negotiation, ep, f.Explanation)
					}
				}
			}
			t.Logf("%d failed transfers checked against their label causes", checked)
		})
	}
}

// allRecords keeps every record, for comparing with the folding Collector.
type allRecords struct {
	ts []*session.Transfer
	ss []*session.Session
}

func (a *allRecords) Transfer(t *session.Transfer) error {
	x := *t
	a.ts = append(a.ts, &x)
	return nil
}

func (a *allRecords) Session(s *session.Session) error {
	x := *s
	a.ss = append(a.ss, &x)
	return nil
}

func (a *allRecords) Close(*session.Summary) error { return nil }

// reportView is what must not change when the Collector folds the
// transfers that worked (latency medians may move within 2%).
func reportView(r *audit.Report) string {
	var b strings.Builder
	fmt.Fprintf(&b, "transfers %d failed %d blocked %d\n", r.Transfers, r.Failed, r.Blocked)
	for _, f := range r.Findings {
		fmt.Fprintf(&b, "finding %d %v %s %s %+v\n", f.TransferID, f.Kinds, f.Confidence, f.Helper.Outcome, f.Firewall)
	}
	for _, s := range r.Servers {
		fmt.Fprintf(&b, "server %s %s %d %d %v %v %+v %d/%d %v lat %d\n", s.Server, s.Software, s.Sessions, s.Transfers, s.Negotiations, s.ByMode, s.Passive, s.ActiveFrom20, s.ActiveFromOther, s.ByClientNet, s.Latency.Count)
		if s.Allowed != nil {
			fmt.Fprintf(&b, "  range %+v\n", *s.Allowed)
		}
	}
	for _, x := range r.Recommendations {
		fmt.Fprintf(&b, "rec %s %s %s %v %v %d %q %q %v\n", x.Server, x.Kind, x.Place, x.Transfers, x.Covers, x.Opens, x.NFT, x.ServerFix, x.Options)
	}
	for _, g := range r.Groups {
		fmt.Fprintf(&b, "group %s\n", g.Explanation)
	}
	return b.String()
}

// TestCollectorFolds: folding the transfers that worked into counts changes
// nothing in the audit of any bundled or shared lab capture, and keeps far
// fewer records.
func TestCollectorFolds(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join("testdata", "pcaps", "*.pcap"))
	shared, _ := filepath.Glob(filepath.Join("..", "shared", "lab", "*.pcap*"))
	files = append(files, shared...)
	kept, total := 0, 0
	for _, name := range files {
		if strings.Contains(name, "natpair-") {
			continue
		}
		t.Run(filepath.Base(name), func(t *testing.T) {
			run := func(w output.Writer) {
				src, err := decode.OpenFiles([]string{name})
				if err != nil {
					t.Fatal(err)
				}
				defer src.Close()
				if _, err := ftpsniff.Run(context.Background(), src, ftpsniff.DefaultConfig(), w); err != nil && !errors.Is(err, ftpsniff.ErrDamagedInput) {
					t.Fatal(err)
				}
			}
			all := &allRecords{}
			run(all)
			policy := audit.DefaultConfig()
			policy.Policy = &audit.Policy{Default: audit.Rule{Passive: audit.Ranges{{Lo: 1024, Hi: 5000}}}}
			for i, cfg := range []audit.Config{audit.DefaultConfig(), policy} {
				col := audit.NewCollectorFor(cfg)
				run(col)
				got := reportView(col.Analyze(cfg))
				want := reportView(audit.Analyze(all.ts, all.ss, cfg))
				if got != want {
					t.Errorf("config %d: folded audit differs:\n--- folded\n%s--- all records\n%s", i, got, want)
				}
				if i == 0 {
					kept += len(col.Transfers)
				}
			}
			total += len(all.ts)
		})
	}
	t.Logf("kept %d of %d transfers whole", kept, total)
	if total > 100 && kept*2 > total {
		t.Errorf("kept %d of %d transfers: folding does not fold", kept, total)
	}
}
