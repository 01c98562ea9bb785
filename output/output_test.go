package output

import (
	"bufio"
	"bytes"
	"encoding/json"
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ftpsniff/ftpsniff/session"
)

var update = flag.Bool("update", false, "rewrite output/testdata/*.golden")

// golden compares got with testdata/name.golden, rewriting it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./output -update)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from golden file (run go test ./output -update and review the diff)\n--- got ---\n%s\n--- want ---\n%s",
			path, got, want)
	}
}

func TestGolden(t *testing.T) {
	tests := []struct {
		name string
		new  func(io.Writer) Writer
		run  run
	}{
		{"json", NewJSON, sampleRun()},
		{"json_empty", NewJSON, emptyRun()},
		{"text", NewText, sampleRun()},
		{"text_empty", NewText, emptyRun()},
		{"table", func(w io.Writer) Writer { return NewTable(w, TableOptions{}) }, sampleRun()},
		{"table_empty", func(w io.Writer) Writer { return NewTable(w, TableOptions{}) }, emptyRun()},
		{"table_failures_only", func(w io.Writer) Writer { return NewTable(w, TableOptions{FailuresOnly: true}) }, sampleRun()},
		{"table_wrap", func(w io.Writer) Writer { return NewTable(w, TableOptions{Width: 120, ArgWidth: 12}) }, sampleRun()},
		{"table_nowrap", func(w io.Writer) Writer { return NewTable(w, TableOptions{Width: -1, ArgWidth: -1}) }, sampleRun()},
		{"table_multiday", func(w io.Writer) Writer { return NewTable(w, TableOptions{}) }, multiDayRun()},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := tc.run.feed(tc.new(&b)); err != nil {
				t.Fatal(err)
			}
			golden(t, tc.name, b.Bytes())
		})
	}
}

// TestNoTrailingSpaceOrControl checks every line of every human format.
func TestNoTrailingSpaceOrControl(t *testing.T) {
	for name, w := range map[string]func(io.Writer) Writer{
		"text":  NewText,
		"table": func(w io.Writer) Writer { return NewTable(w, TableOptions{}) },
		"wrap":  func(w io.Writer) Writer { return NewTable(w, TableOptions{Width: 100}) },
	} {
		var b bytes.Buffer
		if err := sampleRun().feed(w(&b)); err != nil {
			t.Fatal(err)
		}
		for i, line := range strings.Split(b.String(), "\n") {
			if strings.TrimRight(line, " \t") != line {
				t.Errorf("%s line %d has trailing space: %q", name, i+1, line)
			}
			if strings.ContainsAny(line, "\x1b\r\t") {
				t.Errorf("%s line %d has a control character: %q", name, i+1, line)
			}
		}
	}
}

// contract lists the fields every JSON object of a type must carry.
var contract = map[string][]string{
	"transfer": {"type", "id", "session", "time", "client", "server", "mode", "negotiation",
		"negotiation_line", "command", "command_arg", "replies", "verdict", "reason", "flags",
		"attempts", "decided"},
	"session": {"type", "id", "client", "server", "start", "end", "duration", "greeting", "system",
		"user", "password", "tls", "gaps", "gap_bytes", "mid_stream", "detected_by", "commands",
		"replies", "transfers", "failed", "verdicts", "flags", "anomalies", "closed"},
	"summary": {"type", "packets", "bytes", "undecoded", "truncated", "kernel_drops",
		"state_limit_drops", "sessions", "transfers", "failed", "verdicts", "duration", "input_errors"},
}

// arrays lists the fields that must be JSON arrays (never null).
var arrays = map[string][]string{
	"transfer": {"flags", "replies"},
	"session":  {"flags", "anomalies"},
	"summary":  {"input_errors"},
}

func TestJSONContract(t *testing.T) {
	var b bytes.Buffer
	if err := sampleRun().feed(NewJSON(&b)); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(&b)
	sc.Buffer(nil, 1<<20)
	seen := map[string]int{}
	for n := 1; sc.Scan(); n++ {
		var obj map[string]any
		if err := json.Unmarshal(sc.Bytes(), &obj); err != nil {
			t.Fatalf("line %d does not parse: %v: %s", n, err, sc.Bytes())
		}
		typ, _ := obj["type"].(string)
		fields, ok := contract[typ]
		if !ok {
			t.Fatalf("line %d: unknown type %q", n, typ)
		}
		seen[typ]++
		for _, f := range fields {
			if _, ok := obj[f]; !ok {
				t.Errorf("line %d (%s): missing field %q", n, typ, f)
			}
		}
		for _, f := range arrays[typ] {
			if v, ok := obj[f]; ok {
				if _, isArr := v.([]any); !isArr {
					t.Errorf("line %d (%s): %q is %T, want an array", n, typ, f, v)
				}
			}
		}
		if vc, ok := obj["verdicts"].(map[string]any); ok {
			for _, v := range session.Verdicts {
				if _, ok := vc[string(v)]; !ok {
					t.Errorf("line %d: verdicts lacks %q", n, v)
				}
			}
		}
		if typ == "transfer" {
			if d, ok := obj["data"].(map[string]any); ok {
				if _, ok := d["duration"].(float64); !ok {
					t.Errorf("line %d: data.duration is not a number", n)
				}
			}
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if seen["transfer"] != 7 || seen["session"] != 3 || seen["summary"] != 1 {
		t.Errorf("object counts = %v, want 7 transfers, 3 sessions, 1 summary", seen)
	}
}

// TestJSONStreams checks that each record is written as soon as it arrives.
func TestJSONStreams(t *testing.T) {
	r := sampleRun()
	for name, w := range map[string]func(io.Writer) Writer{"json": NewJSON, "text": NewText} {
		var b bytes.Buffer
		wr := w(&b)
		if err := wr.Transfer(r.transfers[1][0]); err != nil {
			t.Fatal(err)
		}
		if n := strings.Count(b.String(), "\n"); n != 1 {
			t.Errorf("%s: after one transfer, %d lines written, want 1", name, n)
		}
		if err := wr.Session(r.sessions[0]); err != nil {
			t.Fatal(err)
		}
		if n := strings.Count(b.String(), "\n"); n != 2 {
			t.Errorf("%s: after one session, %d lines written, want 2", name, n)
		}
	}
}

func TestJSONIPv6AndOmissions(t *testing.T) {
	r := sampleRun()
	tests := []struct {
		name    string
		tr      *session.Transfer
		has     []string
		hasNot  []string
		contain []string
	}{
		{"epsv ipv6", r.transfers[2][0], []string{"data", "endpoint", "negotiation_reply"}, nil,
			[]string{`"endpoint":"[2001:db8::20]:50001"`, `"client":"[2001:db8::10]:50112"`, `"established":true`}},
		{"refused, no data", r.transfers[1][3], []string{"endpoint"}, []string{"data"},
			[]string{`"negotiation_reply":{"code":500`, `"replies":[]`}},
		{"no endpoint", &session.Transfer{ID: 9, Negotiation: "PORT", NegotiationLine: "PORT 1,2,3"}, nil,
			[]string{"endpoint", "data", "time", "decided"}, []string{`"flags":[]`, `"client":""`}},
		{"hidden", r.transfers[3][0], []string{"data", "endpoint"}, []string{"negotiation_reply", "command_time"},
			[]string{`"negotiation":"hidden"`, `"negotiation_line":""`}},
		{"unreachable", r.transfers[1][2], []string{"data"}, nil,
			[]string{`"icmp":{"time":"2026-11-24T17:08:10.106000000Z","from":"192.0.2.1","v6":false,"type":3,"code":13,"ttl":254}`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := NewJSON(&b).Transfer(tc.tr); err != nil {
				t.Fatal(err)
			}
			var obj map[string]any
			if err := json.Unmarshal(b.Bytes(), &obj); err != nil {
				t.Fatal(err)
			}
			for _, f := range tc.has {
				if _, ok := obj[f]; !ok {
					t.Errorf("missing %q", f)
				}
			}
			for _, f := range tc.hasNot {
				if _, ok := obj[f]; ok {
					t.Errorf("unexpected %q", f)
				}
			}
			for _, s := range tc.contain {
				if !strings.Contains(b.String(), s) {
					t.Errorf("output lacks %s:\n%s", s, b.String())
				}
			}
		})
	}
}

func TestJSONNilFlagsAreEmptyArrays(t *testing.T) {
	var b bytes.Buffer
	w := NewJSON(&b)
	if err := w.Transfer(&session.Transfer{ID: 1, Verdict: session.Unknown}); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(&session.Summary{}); err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{`"flags":[]`, `"replies":[]`, `"input_errors":[]`,
		`"verdicts":{"dropped":0,"reset":0,"unreachable":0,"refused":0,"not-attempted":0,"unknown":0,"ok":0}`} {
		if !strings.Contains(b.String(), s) {
			t.Errorf("output lacks %s:\n%s", s, b.String())
		}
	}
}

// TestTableFailuresFirst checks the transfers table's row order.
func TestTableFailuresFirst(t *testing.T) {
	var b bytes.Buffer
	if err := sampleRun().feed(NewTable(&b, TableOptions{})); err != nil {
		t.Fatal(err)
	}
	// Commands contain spaces, so compare positions of the verdict words
	// in the transfers table (up to the first blank line).
	table := strings.SplitN(b.String(), "\n\n", 2)[0]
	last := -1
	for _, v := range session.Verdicts {
		i := strings.Index(table, "  "+string(v)+"  ")
		if i < 0 {
			continue
		}
		if i < last {
			t.Errorf("verdict %q appears before an earlier-ranked verdict", v)
		}
		last = i
	}
	if strings.Index(table, "  dropped  ") > strings.Index(table, "  ok  ") {
		t.Errorf("dropped is not before ok:\n%s", table)
	}
}

func TestVerdictCountsOrder(t *testing.T) {
	got, err := json.Marshal(VerdictCounts{session.OK: 2, session.Dropped: 1, "weird": 3})
	if err != nil {
		t.Fatal(err)
	}
	want := `{"dropped":1,"reset":0,"unreachable":0,"refused":0,"not-attempted":0,"unknown":0,"ok":2,"weird":3}`
	if string(got) != want {
		t.Errorf("got %s, want %s", got, want)
	}
}

func TestClean(t *testing.T) {
	tests := []struct{ in, want string }{
		{"plain", "plain"},
		{"a\x1b[31mb", `a\x1b[31mb`},
		{"two\r\nlines", `two\r\nlines`},
		{`quote"d`, `quote"d`},
		{"ünïcode", "ünïcode"},
		{"bad\xffutf8", `bad\xffutf8`},
	}
	for _, tc := range tests {
		if got := clean(tc.in); got != tc.want {
			t.Errorf("clean(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestNilRecords(t *testing.T) {
	for name, w := range map[string]Writer{
		"json": NewJSON(io.Discard), "text": NewText(io.Discard), "table": NewTable(io.Discard, TableOptions{}),
		"html": NewHTML(io.Discard, HTMLOptions{}), "failures-only": FailuresOnly(NewJSON(io.Discard)),
	} {
		if w.Transfer(nil) == nil || w.Session(nil) == nil || w.Close(nil) == nil {
			t.Errorf("%s: nil record accepted", name)
		}
	}
}

func TestSecondsAndTimes(t *testing.T) {
	if got, _ := json.Marshal(seconds(6685 * time.Millisecond)); string(got) != "6.685" {
		t.Errorf("seconds(6.685s) marshals as %s", got)
	}
	for _, tc := range []struct {
		in   time.Time
		want string
	}{
		{time.Time{}, ""},
		{time.Date(2026, 11, 24, 17, 8, 9, 0, time.UTC), "2026-11-24T17:08:09.000000000Z"},
		{time.Date(2026, 11, 24, 18, 8, 9, 110000000, time.FixedZone("CET", 3600)), "2026-11-24T17:08:09.110000000Z"},
	} {
		if got := jsonTime(tc.in); got != tc.want {
			t.Errorf("jsonTime(%v) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
