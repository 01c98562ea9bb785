package output

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/ftpsniff/ftpsniff/session"
)

func TestHTMLSample(t *testing.T) {
	r := sampleRun()
	r.sessions[0].Password = "s3cret-pass"
	r.sessions[0].Greeting = "220 </svg><script>alert(1)</script>"
	tests := []struct {
		name string
		opts HTMLOptions
		has  []string
		not  []string
	}{
		{"default", HTMLOptions{Inputs: []string{"cap <1>.pcap"}}, []string{
			"<!DOCTYPE html>", htmlCSP, `<span class="n" data-verdict="dropped">1</span>`,
			`<span class="n" data-verdict="ok">2</span>`,
			`<details class="ladder failed" data-session="1" id="session-1" open>`,
			`<details class="ladder" data-session="2"`, // ok sessions on demand
			"cap &lt;1&gt;.pcap", "data-js", `class="ports"`, `class="timeline"`,
		}, []string{"s3cret-pass", "<script>alert", "http://", "https://"}},
		{"failures only", HTMLOptions{FailuresOnly: true}, []string{
			`data-session="1"`, "Failed transfers",
		}, []string{`data-session="2"`, `<tr class="tr v-ok"`}},
		{"one diagram", HTMLOptions{MaxDiagrams: 1}, []string{
			`data-session="1"`, "2 more sessions not drawn (0 with failures, 2 without",
		}, []string{`data-session="2"`, `data-session="3"`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := r.feed(NewHTML(&b, tc.opts)); err != nil {
				t.Fatal(err)
			}
			out := b.String()
			for _, s := range tc.has {
				if !strings.Contains(out, s) {
					t.Errorf("report lacks %q", s)
				}
			}
			for _, s := range tc.not {
				if strings.Contains(out, s) {
					t.Errorf("report has %q", s)
				}
			}
		})
	}
}

func TestHTMLHoldAndRender(t *testing.T) {
	var b bytes.Buffer
	w := NewHTML(&b, HTMLOptions{Hold: true})
	if err := w.Render(nil); err == nil {
		t.Error("Render before Close succeeded")
	}
	if err := sampleRun().feed(w); err != nil {
		t.Fatal(err)
	}
	if b.Len() != 0 {
		t.Fatal("Close wrote with Hold set")
	}
	if err := w.Render(&HTMLAudit{}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), `id="audit"`) {
		t.Error("no audit section")
	}
}

// TestHTMLBounded feeds many sessions and checks what the writer keeps:
// at most MaxDiagrams diagrams (failures first), at most
// maxLadderTransfers transfers per diagram (failures kept first), at most
// MaxRows table rows, and the server aggregates' port and time buckets.
func TestHTMLBounded(t *testing.T) {
	const sessions, perSession, maxDiagrams, maxRows = 300, 60, 7, 50
	var b bytes.Buffer
	w := NewHTML(&b, HTMLOptions{MaxDiagrams: maxDiagrams, MaxRows: maxRows})
	srv := ap("203.0.113.20:21")
	id := uint64(0)
	for s := 1; s <= sessions; s++ {
		cl := ap(fmt.Sprintf("198.51.100.%d:%d", s%250+1, 40000+s))
		for i := range perSession {
			id++
			v := session.OK
			if s%10 == 0 && i%7 == 3 {
				v = session.Dropped
			}
			tr := &session.Transfer{ID: id, SessionID: uint64(s), Client: cl, Server: srv, Mode: session.Passive,
				Negotiation: session.PASV, Endpoint: ap(fmt.Sprintf("203.0.113.20:%d", 1024+int(id)%64000)),
				Time: t0.Add(time.Duration(id) * time.Minute), Verdict: v}
			if err := w.Transfer(tr); err != nil {
				t.Fatal(err)
			}
		}
		vs := map[session.Verdict]int{session.OK: perSession}
		if s%10 == 0 {
			vs[session.Dropped] = 9
		}
		if err := w.Session(&session.Session{ID: uint64(s), Client: cl, Server: srv, Start: t0.Add(time.Duration(s) * time.Second),
			Verdicts: vs}); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(w.ladders.open); n != 0 {
		t.Errorf("%d sessions still open", n)
	}
	if n := len(w.ladders.kept.items); n != maxDiagrams {
		t.Errorf("%d diagrams kept, want %d", n, maxDiagrams)
	}
	for _, k := range w.ladders.kept.items {
		if !k.l.failed {
			t.Errorf("session %d kept without failures while %d sessions had some", k.l.s.ID, sessions/10)
		}
		if len(k.l.transfers) > maxLadderTransfers {
			t.Errorf("session %d: %d transfers kept", k.l.s.ID, len(k.l.transfers))
		}
		failed := 0
		for _, tr := range k.l.transfers {
			if tr.Verdict.Failed() {
				failed++
			}
		}
		if failed != 9 {
			t.Errorf("session %d: %d failed transfers kept for its diagram, want all 9", k.l.s.ID, failed)
		}
	}
	if n := len(w.transfers.items); n != maxRows {
		t.Errorf("%d table rows kept, want %d", n, maxRows)
	}
	agg := w.servers.m[srv.Addr()]
	if agg == nil || agg.transfers != sessions*perSession {
		t.Fatalf("server aggregate: %+v", agg)
	}
	if len(agg.ports) > portBuckets {
		t.Errorf("%d port buckets", len(agg.ports))
	}
	if n := len(agg.timeline.counts); n > maxTimeBuckets {
		t.Errorf("%d time buckets, more than %d", n, maxTimeBuckets)
	}
	if err := w.Close(&session.Summary{Sessions: sessions}); err != nil {
		t.Fatal(err)
	}
	if got := strings.Count(b.String(), "<details class=\"ladder"); got != maxDiagrams {
		t.Errorf("%d diagrams drawn, want %d", got, maxDiagrams)
	}
}

func TestTimeHist(t *testing.T) {
	tests := []struct {
		name   string
		offs   []time.Duration // from t0
		width  time.Duration   // expected final bucket width
		failed int
	}{
		{"one", []time.Duration{0}, time.Second, 0},
		{"within 96 s", []time.Duration{0, 95 * time.Second}, time.Second, 0},
		{"97 s doubles", []time.Duration{0, 96 * time.Second}, 2 * time.Second, 0},
		{"backwards", []time.Duration{0, -200 * time.Second}, 4 * time.Second, 0},
		{"a day", []time.Duration{0, time.Hour, 24 * time.Hour}, 1024 * time.Second, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var h timeHist
			for i, d := range tc.offs {
				h.add(t0.Add(d), i%2 == 1)
			}
			if h.width != tc.width {
				t.Errorf("width %v, want %v", h.width, tc.width)
			}
			if h.hi-h.lo+1 > maxTimeBuckets {
				t.Errorf("%d buckets", h.hi-h.lo+1)
			}
			var ok, bad uint32
			for i, c := range h.counts {
				if i < h.lo || i > h.hi {
					t.Errorf("bucket %d outside [%d, %d]", i, h.lo, h.hi)
				}
				ok += c[0]
				bad += c[1]
			}
			if int(ok+bad) != len(tc.offs) || int(bad) != len(tc.offs)/2 {
				t.Errorf("counted %d ok, %d failed of %d", ok, bad, len(tc.offs))
			}
			// Every event lies in the bucket its index says.
			for _, d := range tc.offs {
				ts := t0.Add(d)
				i := h.index(ts)
				start := h.origin.Add(h.width * time.Duration(i))
				if ts.Before(start) || !ts.Before(start.Add(h.width)) {
					t.Errorf("%v in bucket %d [%v, +%v)", d, i, start, h.width)
				}
			}
		})
	}
}

func TestQualityPhrase(t *testing.T) {
	tests := []struct {
		sum  session.Summary
		want string
	}{
		{session.Summary{}, ""},
		{session.Summary{Quality: session.CaptureQuality{DuplicateFrames: 12, OneSidedConns: 3}},
			"3 one-sided data connections, 12 duplicate frames"},
		{session.Summary{KernelDrops: 5, Quality: session.CaptureQuality{OneSidedConns: 1, OneSidedPairs: 1, ControlGaps: 2, ControlGapBytes: 100}},
			"5 kernel drops, 1 one-sided data connection (1 host pair), 2 control-channel gaps (100 bytes)"},
		{session.Summary{Flags: session.FlagsOf(session.FlagNoDataConnections)}, "no data connections captured"},
	}
	for _, tc := range tests {
		if got := qualityPhrase(&tc.sum); got != tc.want {
			t.Errorf("qualityPhrase = %q, want %q", got, tc.want)
		}
		if n := len(qualityWarnings(&tc.sum)); (n == 0) != (tc.want == "") {
			t.Errorf("%d warnings for %q", n, tc.want)
		}
	}
}

// BenchmarkHTMLRun feeds a whole run of 20,000 sessions to the HTML
// writer, rendering included (one op = one run).
func BenchmarkHTMLRun(b *testing.B) {
	r := bulkRun(20_000, 2)
	b.ReportAllocs()
	for b.Loop() {
		if err := r.feed(NewHTML(io.Discard, HTMLOptions{})); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkJSONRun is BenchmarkHTMLRun for the JSON writer, to compare.
func BenchmarkJSONRun(b *testing.B) {
	r := bulkRun(20_000, 2)
	b.ReportAllocs()
	for b.Loop() {
		if err := r.feed(NewJSON(io.Discard)); err != nil {
			b.Fatal(err)
		}
	}
}
