package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"
)

// The HTML report is checked as a browser renders it: headless Chromium
// loads each report from file:// and dumps the DOM after the page's
// scripts ran; the test reads that DOM (not the HTML ftpsniff wrote) and
// Chromium's console log.

// chromium returns the path of a Chromium binary, or "".
func chromium() string {
	for _, n := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(n); err == nil {
			return p
		}
	}
	return ""
}

// browserCaptures are the reports the browser test renders: lab captures
// of each failure kind and synthesized edge cases.
var browserCaptures = []string{
	"lab-active-drop.pcap",
	"lab-passive-range-drop.pcap",
	"lab-active-reject-icmp.pcap",
	"lab-active-reject-rst.pcap",
	"lab-curl-mixed.pcap",
	"lab-misc-refused.pcap",
	"synth-bounce.pcap",
	"synth-icmp-v6.pcap",
	"synth-not-attempted.pcap",
	"synth-ftps.pcap",
	"synth-blocked-control.pcap",
	"synth-fxp.pcap",
	"synth-onesided-drop.pcap",
	"synth-duplicates.pcap",
	"synth-port21-filter.pcap",
}

// renderDOM loads file in headless Chromium and returns the DOM after the
// scripts ran, and Chromium's log (console messages among it).
func renderDOM(t *testing.T, bin, file string) (*html.Node, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "--headless", "--disable-gpu", "--no-sandbox",
		"--no-first-run", "--user-data-dir="+t.TempDir(), "--enable-logging=stderr", "--v=0",
		"--dump-dom", "file://"+file)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("chromium: %v\n%s", err, errb.String())
	}
	doc, err := html.Parse(&out)
	if err != nil {
		t.Fatalf("parsing the dumped DOM: %v", err)
	}
	return doc, errb.String()
}

// jsonReport is what the JSON Lines output says of a capture.
type jsonReport struct {
	verdicts       map[string]int
	failedSessions []string          // ids
	failedEndpoint map[string]string // endpoint -> verdict of failed transfers
	failedCount    int
}

func readJSONReport(t *testing.T, out string) jsonReport {
	t.Helper()
	r := jsonReport{failedEndpoint: map[string]string{}}
	sc := bufio.NewScanner(strings.NewReader(out))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var rec struct {
			Type     string         `json:"type"`
			ID       uint64         `json:"id"`
			Failed   int            `json:"failed"`
			Verdict  string         `json:"verdict"`
			Endpoint string         `json:"endpoint"`
			Verdicts map[string]int `json:"verdicts"`
		}
		if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
			t.Fatal(err)
		}
		switch rec.Type {
		case "summary":
			r.verdicts = rec.Verdicts
		case "session":
			if rec.Failed > 0 || rec.Verdict != "" {
				r.failedSessions = append(r.failedSessions, strconv.FormatUint(rec.ID, 10))
			}
		case "transfer":
			switch rec.Verdict {
			case "dropped", "reset", "unreachable", "refused", "not-attempted":
				r.failedCount++
				if rec.Endpoint != "" {
					r.failedEndpoint[rec.Endpoint] = rec.Verdict
				}
			}
		}
	}
	return r
}

// DOM helpers.
func attr(n *html.Node, k string) (string, bool) {
	for _, a := range n.Attr {
		if a.Key == k {
			return a.Val, true
		}
	}
	return "", false
}

func hasClass(n *html.Node, c string) bool {
	v, _ := attr(n, "class")
	return slices.Contains(strings.Fields(v), c)
}

func walk(n *html.Node, f func(*html.Node)) {
	f(n)
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		walk(c, f)
	}
}

func text(n *html.Node) string {
	var b strings.Builder
	walk(n, func(x *html.Node) {
		if x.Type == html.TextNode {
			b.WriteString(x.Data)
		}
	})
	return b.String()
}

func elements(doc *html.Node, tag string) []*html.Node {
	var out []*html.Node
	walk(doc, func(n *html.Node) {
		if n.Type == html.ElementNode && n.Data == tag {
			out = append(out, n)
		}
	})
	return out
}

var urlRE = regexp.MustCompile(`(?i)\b(https?|ftp|wss?)://`)

func TestHTMLReportInBrowser(t *testing.T) {
	bin := chromium()
	if bin == "" {
		t.Skip("no Chromium binary (chromium, chromium-browser, google-chrome): the HTML report is not rendered")
	}
	dir := t.TempDir()
	for _, name := range browserCaptures {
		t.Run(name, func(t *testing.T) {
			in := filepath.Join("..", "..", "testdata", "pcaps", name)
			code, jsonOut, errs := runCLI(t, nil, "-r", in, "--format", "json")
			if code != exitOK {
				t.Fatalf("json: exit %d: %s", code, errs)
			}
			want := readJSONReport(t, jsonOut)
			code, page, errs := runCLI(t, nil, "-r", in, "--format", "html")
			if code != exitOK {
				t.Fatalf("html: exit %d: %s", code, errs)
			}
			file := filepath.Join(dir, strings.TrimSuffix(name, filepath.Ext(name))+".html")
			if err := os.WriteFile(file, []byte(page), 0o644); err != nil {
				t.Fatal(err)
			}
			doc, log := renderDOM(t, bin, file)
			checkRendered(t, doc, log, want)
		})
	}
	t.Run("audit", func(t *testing.T) {
		in := filepath.Join("..", "..", "testdata", "pcaps", "lab-passive-range-drop.pcap")
		code, jsonOut, errs := runCLI(t, nil, "-r", in, "--format", "json")
		if code != exitOK {
			t.Fatalf("json: exit %d: %s", code, errs)
		}
		code, page, errs := runCLI(t, nil, "audit", "-r", in, "--allow-passive", "40000-40004", "--format", "html")
		if code != exitOK {
			t.Fatalf("audit html: exit %d: %s", code, errs)
		}
		file := filepath.Join(dir, "audit.html")
		if err := os.WriteFile(file, []byte(page), 0o644); err != nil {
			t.Fatal(err)
		}
		doc, log := renderDOM(t, bin, file)
		checkRendered(t, doc, log, readJSONReport(t, jsonOut))
		var findings, fixes, shaded int
		walk(doc, func(n *html.Node) {
			switch {
			case n.Type == html.ElementNode && hasClass(n, "finding"):
				findings++
			case n.Type == html.ElementNode && n.Data == "pre" && hasClass(n, "fix"):
				fixes++
			case n.Type == html.ElementNode && n.Data == "rect" && hasClass(n, "allowed"):
				shaded++
			}
		})
		if findings == 0 || fixes == 0 || shaded == 0 {
			t.Errorf("audit report: %d finding groups, %d fix blocks, %d allowed ranges shaded; want each > 0", findings, fixes, shaded)
		}
	})
}

// checkRendered checks a rendered report against the JSON output.
func checkRendered(t *testing.T, doc *html.Node, log string, want jsonReport) {
	t.Helper()
	root := elements(doc, "html")[0]
	if v, _ := attr(root, "data-js"); v != "ok" {
		t.Errorf("the page's script did not finish (html data-js=%q)", v)
	}
	if _, bad := attr(root, "data-js-error"); bad {
		t.Errorf("script error")
	}
	var jsErrors string
	walk(doc, func(n *html.Node) {
		if v, _ := attr(n, "id"); v == "js-errors" {
			jsErrors = text(n)
		}
	})
	if jsErrors != "" {
		t.Errorf("script errors: %s", jsErrors)
	}
	for _, l := range strings.Split(log, "\n") {
		if strings.Contains(l, ":CONSOLE") || strings.Contains(l, "Content Security Policy") {
			t.Errorf("console: %s", l)
		}
	}
	// Verdict counts as rendered equal the JSON summary's.
	got := map[string]int{}
	walk(doc, func(n *html.Node) {
		if v, ok := attr(n, "data-verdict"); ok && n.Data == "span" && hasClass(n, "n") {
			c, err := strconv.Atoi(strings.TrimSpace(text(n)))
			if err != nil {
				t.Errorf("verdict %s count %q", v, text(n))
			}
			got[v] = c
		}
	})
	for v, n := range want.verdicts {
		if got[v] != n {
			t.Errorf("verdict %s: page shows %d, JSON summary %d", v, got[v], n)
		}
	}
	// One open ladder per failing session, and only those.
	var ladders []string
	walk(doc, func(n *html.Node) {
		if n.Type == html.ElementNode && n.Data == "details" && hasClass(n, "failed") {
			id, _ := attr(n, "data-session")
			ladders = append(ladders, id)
			if _, open := attr(n, "open"); !open {
				t.Errorf("ladder of failing session %s is not open", id)
			}
			if len(elements(n, "svg")) != 1 {
				t.Errorf("session %s: %d diagrams, want 1", id, len(elements(n, "svg")))
			}
		}
	})
	slices.Sort(ladders)
	fs := slices.Clone(want.failedSessions)
	slices.Sort(fs)
	if !slices.Equal(ladders, fs) {
		t.Errorf("ladders of failing sessions %v, JSON's failing sessions %v", ladders, fs)
	}
	// Every failed transfer's endpoint and verdict is in the table.
	rows := 0
	seen := map[string]string{}
	for _, tr := range elements(doc, "tr") {
		v, ok := attr(tr, "data-verdict")
		if !ok {
			continue
		}
		if _, failed := attr(tr, "data-failed"); failed {
			rows++
		}
		for _, td := range elements(tr, "td") {
			if hasClass(td, "ep") {
				seen[strings.TrimSpace(text(td))] = v
			}
		}
	}
	if rows != want.failedCount {
		t.Errorf("%d failed rows in the table, JSON has %d failed transfers", rows, want.failedCount)
	}
	for ep, v := range want.failedEndpoint {
		if seen[ep] != v {
			t.Errorf("failed transfer to %s (%s): table shows %q", ep, v, seen[ep])
		}
	}
	// Nothing may leave the file: the CSP forbids it, and no URL is in
	// the document.
	csp := false
	for _, m := range elements(doc, "meta") {
		if v, _ := attr(m, "http-equiv"); strings.EqualFold(v, "Content-Security-Policy") {
			c, _ := attr(m, "content")
			csp = strings.Contains(c, "default-src 'none'")
		}
	}
	if !csp {
		t.Errorf("no Content-Security-Policy with default-src 'none'")
	}
	var buf bytes.Buffer
	if err := html.Render(&buf, doc); err != nil {
		t.Fatal(err)
	}
	if m := urlRE.FindString(buf.String()); m != "" {
		t.Errorf("the document holds a URL (%s...)", m)
	}
}
