package output

import (
	"bytes"
	"encoding/json"
	"io"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ftpsniff/ftpsniff/audit"
	"github.com/ftpsniff/ftpsniff/decode"
	"github.com/ftpsniff/ftpsniff/session"
)

// natSink hands a tracker's records to an audit.NATCollector.
type natSink struct{ c *audit.NATCollector }

func (n natSink) Transfer(t *session.Transfer) { _ = n.c.Transfer(t) }
func (n natSink) Session(s *session.Session)   { _ = n.c.Session(s) }

// readNAT analyses a bundled capture as the CLI's --nat-pair does.
func readNAT(t *testing.T, name string) *audit.NATSide {
	t.Helper()
	src, err := decode.OpenFiles([]string{filepath.Join("..", "testdata", "pcaps", name)})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	cfg := session.DefaultConfig()
	cfg.ControlEvents = audit.NATLinesPerSession
	col := audit.NewNATCollector(name)
	tr := session.NewTracker(cfg, natSink{col})
	var p decode.Packet
	for {
		p.Reset()
		if err := src.Next(&p); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		tr.Packet(&p)
	}
	sum := tr.Close()
	_ = col.Close(&sum)
	return col.Side()
}

func TestNATPairJSON(t *testing.T) {
	rep := audit.CompareNAT(readNAT(t, "natpair-wrongaddr.inside.pcap"), readNAT(t, "natpair-wrongaddr.outside.pcap"), audit.DefaultNATPairConfig())
	var buf bytes.Buffer
	if err := WriteNATPairJSON(&buf, rep, []string{"nat"}); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("%d lines, want 2:\n%s", len(lines), buf.String())
	}
	var p map[string]any
	if err := json.Unmarshal([]byte(lines[0]), &p); err != nil {
		t.Fatal(err)
	}
	for k, want := range map[string]any{"type": "natpair", "negotiation": "PORT", "verdict": "rewritten-wrong", "problem": "address",
		"inside_endpoint": "10.1.0.5:40100", "outside_endpoint": "198.51.100.99:40100", "outside_line": "PORT 198,51,100,99,156,164"} {
		if p[k] != want {
			t.Errorf("%s = %v, want %v", k, p[k], want)
		}
	}
	if in, _ := p["inside"].(map[string]any); in["client"] != "10.1.0.5:40001" || in["server"] != "192.0.2.21:21" {
		t.Errorf("inside session %v", p["inside"])
	}
	var s map[string]any
	if err := json.Unmarshal([]byte(lines[1]), &s); err != nil {
		t.Fatal(err)
	}
	if s["type"] != "natpair-summary" || s["fail_on_matched"] != float64(1) || s["matched_sessions"] != float64(1) {
		t.Errorf("summary %v", s)
	}
}

func TestNATPairTable(t *testing.T) {
	cases := []struct {
		name string
		rep  *audit.NATPairReport
		want []string
	}{
		{"empty", audit.CompareNAT(nil, nil, audit.NATPairConfig{}), []string{"VERDICTS: rewritten-ok=0"}},
		{"wrong address", audit.CompareNAT(readNAT(t, "natpair-wrongaddr.inside.pcap"), readNAT(t, "natpair-wrongaddr.outside.pcap"), audit.DefaultNATPairConfig()),
			[]string{"rewritten-wrong  address", `outside: "PORT 198,51,100,99,156,164"`, "fail-on [nat]: 1 matched"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := WriteNATPairTable(&b, c.rep, []string{"nat"}); err != nil {
				t.Fatal(err)
			}
			for _, w := range c.want {
				if !strings.Contains(b.String(), w) {
					t.Errorf("table lacks %q:\n%s", w, b.String())
				}
			}
		})
	}
}
