// Command ftpsynth writes synthetic FTP captures: the named test scenarios
// of package synth (-cases DIR) or a large streamed benchmark capture
// (-o FILE -size 1.5G).
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/ftpsniff/ftpsniff/synth"
)

func main() {
	if err := run(os.Args[1:], os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "ftpsynth:", err)
		os.Exit(1)
	}
}

func run(args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("ftpsynth", flag.ContinueOnError)
	fs.SetOutput(stderr)
	casesDir := fs.String("cases", "", "write every scenario (but the large ones) as DIR/synth-<name>.pcap[ng][.gz] plus .expect.json")
	only := fs.String("case", "", "with -cases: write only these scenarios (comma-separated; large ones too)")
	list := fs.Bool("list", false, "list the scenarios and exit")
	out := fs.String("o", "", "write a generated benchmark capture to FILE ('-' for stdout)")
	size := fs.String("size", "100M", "target uncompressed size of -o (suffixes K, M, G)")
	profile := fs.String("profile", "bulk", "traffic mix of -o: bulk or control")
	seed := fs.Int64("seed", 1, "random seed of -o")
	sessions := fs.Int("sessions", 0, "concurrent sessions of -o (0: profile default)")
	transfers := fs.Int("transfers", 0, "transfers per session of -o (0: profile default)")
	failures := fs.Float64("failures", 0, "share of failed transfers of -o (0: 0.1, negative: none)")
	ipv6 := fs.Float64("ipv6", 0, "share of IPv6 sessions of -o (0: 0.2, negative: none)")
	format := fs.String("format", "pcap", "file format of -o: pcap or pcapng")
	gz := fs.Bool("gzip", false, "gzip-compress -o")
	if err := fs.Parse(args); err != nil {
		return err
	}
	switch {
	case *list:
		for _, c := range synth.Cases() {
			large := ""
			if c.Large {
				large = "(large, built at test time) "
			}
			fmt.Printf("%-22s %s%s\n", c.Name, large, c.Description)
		}
		return nil
	case *casesDir != "":
		var names []string
		if *only != "" {
			names = strings.Split(*only, ",")
		}
		return writeCases(*casesDir, names)
	case *out != "":
		n, err := parseSize(*size)
		if err != nil {
			return err
		}
		p, err := synth.ParseProfile(*profile)
		if err != nil {
			return err
		}
		g := synth.GenOptions{
			Capture: synth.Options{Seed: *seed, Gzip: *gz}, Size: n, Profile: p,
			Sessions: *sessions, Transfers: *transfers, FailureShare: *failures, IPv6Share: *ipv6,
		}
		switch *format {
		case "pcap":
		case "pcapng":
			g.Capture.Format = synth.FormatPcapNG
		default:
			return fmt.Errorf("unknown -format %q (want pcap or pcapng)", *format)
		}
		return generate(*out, g, stderr)
	}
	fs.Usage()
	return errors.New("need -cases DIR, -o FILE or -list")
}

// expectFile is the ground truth beside a capture (the lab's
// lab/mkexpect.py writes the same keys): transfers always; sessions and
// summary when the scenario states them.
type expectFile struct {
	Scenario    string                 `json:"scenario"`
	Description string                 `json:"description"`
	Transfers   []synth.ExpectTransfer `json:"transfers"`
	Sessions    *[]synth.ExpectSession `json:"sessions,omitempty"`
	Summary     *synth.ExpectSummary   `json:"summary,omitempty"`
}

func writeCases(dir string, only []string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("create %s: %w", dir, err)
	}
	want := map[string]bool{}
	for _, n := range only {
		want[n] = true
	}
	for _, c := range synth.Cases() {
		if len(want) > 0 && !want[c.Name] || len(want) == 0 && c.Large {
			continue
		}
		cp, err := c.Build()
		if err != nil {
			return err
		}
		name := filepath.Join(dir, synth.FileName(c.Name, cp.Options()))
		if err := writeFile(name, func(w io.Writer) error {
			_, err := cp.WriteTo(w)
			return err
		}); err != nil {
			return err
		}
		transfers := c.Expect
		if transfers == nil {
			transfers = []synth.ExpectTransfer{}
		}
		ef := expectFile{Scenario: c.Name, Description: c.Description, Transfers: transfers, Summary: c.Summary}
		if c.Sessions != nil {
			ef.Sessions = &c.Sessions
		}
		js, err := json.MarshalIndent(ef, "", "  ")
		if err != nil {
			return fmt.Errorf("encode expectations of %s: %w", c.Name, err)
		}
		ename := filepath.Join(dir, "synth-"+c.Name+".expect.json")
		if err := os.WriteFile(ename, append(js, '\n'), 0o644); err != nil {
			return fmt.Errorf("write %s: %w", ename, err)
		}
	}
	return nil
}

func writeFile(name string, body func(io.Writer) error) error {
	f, err := os.Create(name)
	if err != nil {
		return fmt.Errorf("create %s: %w", name, err)
	}
	if err := body(f); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", name, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("close %s: %w", name, err)
	}
	return nil
}

func generate(out string, g synth.GenOptions, stderr io.Writer) error {
	start := time.Now()
	var st synth.GenStats
	gen := func(w io.Writer) error {
		var err error
		st, err = synth.Generate(w, g)
		return err
	}
	var err error
	if out == "-" {
		err = gen(os.Stdout)
	} else {
		err = writeFile(out, gen)
	}
	if err != nil {
		return err
	}
	el := time.Since(start)
	fmt.Fprintf(stderr, "ftpsynth: %d bytes, %d sessions, %d transfers (%d failing) in %v (%.0f MB/s)\n",
		st.Bytes, st.Sessions, st.Transfers, st.Failures, el.Round(time.Millisecond), float64(st.Bytes)/el.Seconds()/1e6)
	return nil
}

// parseSize parses "1500000", "100M", "1.5G" (powers of 1024 for K/M/G).
func parseSize(s string) (int64, error) {
	t := strings.ToUpper(strings.TrimSuffix(strings.TrimSpace(s), "B"))
	mult := 1.0
	if t != "" {
		switch t[len(t)-1] {
		case 'K':
			mult = 1 << 10
		case 'M':
			mult = 1 << 20
		case 'G':
			mult = 1 << 30
		}
		if mult != 1 {
			t = t[:len(t)-1]
		}
	}
	f, err := strconv.ParseFloat(t, 64)
	if err != nil || f <= 0 {
		return 0, fmt.Errorf("bad -size %q", s)
	}
	return int64(f * mult), nil
}
