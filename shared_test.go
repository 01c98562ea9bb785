package ftpsniff_test

// Tests against ../shared: the lab captures with their ground-truth labels,
// and the corpus of public captures with Zeek's baselines. They are skipped
// when ../shared is absent. Nothing from ../shared is copied into the repo.

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ftpsniff/ftpsniff"
	"github.com/ftpsniff/ftpsniff/decode"
	"github.com/ftpsniff/ftpsniff/session"
)

const sharedDir = "../shared"

func needShared(t *testing.T, sub string) string {
	t.Helper()
	d := filepath.Join(sharedDir, sub)
	if _, err := os.Stat(d); err != nil {
		t.Skipf("%s not present: %v", d, err)
	}
	return d
}

// labels is the part of a lab .labels.json the test uses.
type labels struct {
	Capture struct {
		File string `json:"file"`
	} `json:"capture"`
	Sessions []struct {
		Client    string `json:"client"`
		Server    string `json:"server"`
		TLS       bool   `json:"tls"`
		Transfers []struct {
			Mode         string  `json:"mode"`
			Negotiation  string  `json:"negotiation"`
			DataEndpoint string  `json:"data_endpoint"`
			WireEndpoint *string `json:"wire_endpoint"`
			Command      *string `json:"command"`
			Outcome      string  `json:"outcome"`
		} `json:"transfers"`
	} `json:"sessions"`
}

// labelVerdict maps the lab's outcome words to ftpsniff's verdicts.
var labelVerdict = map[string]session.Verdict{
	"ok":                session.OK,
	"dropped":           session.Dropped,
	"reset":             session.Reset,
	"icmp-unreachable":  session.Unreachable,
	"not-attempted":     session.NotAttempted,
	"refused-by-server": session.Refused,
}

// TestSharedLab checks that every labelled transfer of every non-TLS session
// in ../shared/lab is reported with the labelled outcome.
func TestSharedLab(t *testing.T) {
	dir := needShared(t, "lab")
	files, _ := filepath.Glob(filepath.Join(dir, "*.labels.json"))
	if len(files) == 0 {
		t.Skip("no labels in " + dir)
	}
	for _, lf := range files {
		t.Run(filepath.Base(lf), func(t *testing.T) {
			raw, err := os.ReadFile(lf)
			if err != nil {
				t.Fatal(err)
			}
			var lb labels
			if err := json.Unmarshal(raw, &lb); err != nil {
				t.Fatal(err)
			}
			c, _, err := analyse(t, filepath.Join(dir, lb.Capture.File))
			if err != nil {
				t.Fatalf("Run: %v", err)
			}
			used := map[uint64]bool{}
			checked := 0
			for _, s := range lb.Sessions {
				if s.TLS {
					continue
				}
				for i, x := range s.Transfers {
					want, ok := labelVerdict[x.Outcome]
					if !ok {
						t.Fatalf("unknown outcome %q", x.Outcome)
					}
					ep := x.DataEndpoint
					if x.WireEndpoint != nil {
						ep = *x.WireEndpoint
					}
					g := findTransfer(c.transfers, used, s.Client, s.Server, x.Negotiation, ep)
					if g == nil {
						t.Errorf("session %s->%s transfer %d (%s %s %s): not reported", s.Client, s.Server, i+1, x.Negotiation, ep, x.Outcome)
						continue
					}
					used[g.ID] = true
					checked++
					if g.Verdict != want {
						t.Errorf("session %s->%s transfer %d (%s %s): verdict %s (%s), label says %s", s.Client, s.Server, i+1, x.Negotiation, ep, g.Verdict, g.Reason, x.Outcome)
					}
				}
			}
			t.Logf("%d labelled transfers checked", checked)
		})
	}
}

// findTransfer finds the reported transfer of a labelled one: same server,
// client host, negotiation and advertised endpoint. The client's port is
// preferred but not required: some lab labels record the port of a sibling
// control connection (the lab's clients open several).
func findTransfer(ts []session.Transfer, used map[uint64]bool, client, server, neg, ep string) *session.Transfer {
	var loose *session.Transfer
	for i := range ts {
		g := &ts[i]
		if used[g.ID] || g.Server.String() != server || string(g.Negotiation) != neg || !g.Endpoint.IsValid() || g.Endpoint.String() != ep {
			continue
		}
		if g.Client.String() == client {
			return g
		}
		if c, err := netip.ParseAddrPort(client); err == nil && c.Addr() == g.Client.Addr() && loose == nil {
			loose = g
		}
	}
	return loose
}

// TestSharedCorpus runs every capture of ../shared/corpus through Run: no
// panic, no hang, and a readable error only for damaged files.
func TestSharedCorpus(t *testing.T) {
	dir := needShared(t, "corpus/pcaps")
	var files []string
	_ = filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && isCapture(d.Name()) {
			files = append(files, p)
		}
		return nil
	})
	if len(files) == 0 {
		t.Skip("no captures")
	}
	for _, f := range files {
		t.Run(strings.TrimPrefix(f, dir+"/"), func(t *testing.T) {
			done := make(chan error, 1)
			var c *collector
			go func() {
				var err error
				c, _, err = analyse(t, f)
				done <- err
			}()
			select {
			case err := <-done:
				if err != nil && !errors.Is(err, ftpsniff.ErrDamagedInput) {
					t.Errorf("Run: %v", err)
				}
				if c != nil {
					t.Logf("%d sessions, %d transfers", len(c.sessions), len(c.transfers))
				}
			case <-time.After(2 * time.Minute):
				t.Fatal("hang: no result after 2 minutes")
			}
		})
	}
}

// zeekDeliberate names Zeek baselines where ftpsniff deliberately reports
// something else, with the reason.
var zeekDeliberate = map[string]string{}

// TestSharedZeekDataChannels checks that for every Zeek trace whose ftp.log
// baseline records data channels, ftpsniff reports the same channels
// (passive flag, host, port).
func TestSharedZeekDataChannels(t *testing.T) {
	dir := needShared(t, "corpus/pcaps/zeek")
	logs, _ := filepath.Glob(filepath.Join(dir, "*.zeek-ftp.log"))
	for _, lf := range logs {
		pcap := strings.TrimSuffix(lf, ".zeek-ftp.log")
		want := zeekChannels(t, lf)
		if len(want) == 0 {
			continue
		}
		t.Run(filepath.Base(pcap), func(t *testing.T) {
			if why, ok := zeekDeliberate[filepath.Base(pcap)]; ok {
				t.Skip("deliberate difference: " + why)
			}
			src, err := decode.OpenFiles([]string{pcap})
			if err != nil {
				t.Fatal(err)
			}
			defer src.Close()
			c := &collector{}
			if _, err := ftpsniff.Run(context.Background(), src, ftpsniff.DefaultConfig(), c); err != nil {
				t.Fatalf("Run: %v", err)
			}
			got := map[string]int{}
			for _, x := range c.transfers {
				if x.Endpoint.IsValid() {
					got[channelKey(x.Mode == session.Passive, x.Endpoint.Addr().Unmap().String(), x.Endpoint.Port())]++
				}
			}
			for _, w := range want {
				if got[w] == 0 {
					t.Errorf("Zeek reports data channel %s; ftpsniff does not (%d of ftpsniff's are unmatched)", w, len(keys(got)))
					continue
				}
				got[w]--
			}
		})
	}
}

func channelKey(passive bool, host string, port uint16) string {
	m := "active"
	if passive {
		m = "passive"
	}
	return m + " " + host + " " + strconv.Itoa(int(port))
}

func keys(m map[string]int) []string {
	var out []string
	for k, v := range m {
		if v > 0 {
			out = append(out, k)
		}
	}
	return out
}

// zeekChannels reads the data_channel columns of a Zeek ftp.log baseline.
func zeekChannels(t *testing.T, path string) []string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var fields []string
	var out []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "#fields") {
			fields = strings.Split(line, "\t")[1:]
			continue
		}
		if strings.HasPrefix(line, "#") || fields == nil {
			continue
		}
		cols := strings.Split(line, "\t")
		get := func(name string) string {
			for i, f := range fields {
				if f == name && i < len(cols) {
					return cols[i]
				}
			}
			return "-"
		}
		p, h, port := get("data_channel.passive"), get("data_channel.resp_h"), get("data_channel.resp_p")
		if p == "-" || h == "-" || port == "-" {
			continue
		}
		var n int
		if err := json.Unmarshal([]byte(port), &n); err != nil {
			continue
		}
		out = append(out, channelKey(p == "T", h, uint16(n)))
	}
	return out
}
